"""ElastiCache (Redis OSS / Valkey) settings."""

from __future__ import annotations

from typing import Iterator, Literal

from pydantic import AfterValidator, Field
from typing_extensions import Annotated

from .base import LogRetentionDays, Model, Problem
from .windows import daily_window, overlaps, weekly_window


class CacheSettings(Model):
    engine: Literal["redis", "valkey"] = "valkey"
    engine_version: str = Field(default="8.0", pattern=r"^\d+\.\d+$")
    node_type: str = Field(pattern=r"^cache\.[a-z0-9-]+\.[a-z0-9]+$")
    num_nodes: int = Field(ge=1, le=6)
    automatic_failover: bool
    multi_az: bool
    snapshot_retention_days: int = Field(default=7, ge=0, le=35)
    snapshot_window: Annotated[str, AfterValidator(daily_window)] = "02:00-03:00"
    maintenance_window: Annotated[str, AfterValidator(weekly_window)] = "sun:05:30-sun:06:30"
    log_retention_days: LogRetentionDays = 365

    def problems(self, tier: str) -> Iterator[Problem]:
        if tier == "prod":
            if self.num_nodes < 2:
                yield Problem("numNodes", "prod runs at least 2 cache nodes", self.num_nodes)
            if not (self.automatic_failover and self.multi_az):
                yield Problem("automaticFailover", "prod needs automatic failover and Multi-AZ", self.automatic_failover)
            if self.snapshot_retention_days < 7:
                yield Problem("snapshotRetentionDays", "prod keeps snapshots at least 7 days", self.snapshot_retention_days)
        if (self.automatic_failover or self.multi_az) and self.num_nodes < 2:
            yield Problem("numNodes", "automatic failover and Multi-AZ need at least 2 nodes", self.num_nodes)
        if self.multi_az and not self.automatic_failover:
            yield Problem("automaticFailover", "Multi-AZ needs automatic failover", self.automatic_failover)
        if overlaps(self.snapshot_window, self.maintenance_window):
            yield Problem("maintenanceWindow", f"overlaps snapshotWindow {self.snapshot_window}", self.maintenance_window)
