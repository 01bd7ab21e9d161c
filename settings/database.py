"""RDS PostgreSQL settings."""

from __future__ import annotations

from typing import Iterator

from pydantic import AfterValidator, Field
from typing_extensions import Annotated

from .base import LogRetentionDays, Model, Problem
from .windows import daily_window, overlaps, weekly_window

MIN_PROD_BACKUP_DAYS = 7


class DatabaseSettings(Model):
    engine_version: str = Field(default="17", pattern=r"^\d+(\.\d+)?$")
    instance_class: str = Field(pattern=r"^db\.[a-z0-9-]+\.[a-z0-9]+$")
    allocated_storage_gb: int = Field(default=100, ge=20, le=65536)
    max_allocated_storage_gb: int = Field(default=1000, ge=20, le=65536)
    database_name: str = Field(default="app", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    master_username: str = Field(default="app_admin", pattern=r"^[a-z][a-z0-9_]{0,15}$")
    multi_az: bool
    deletion_protection: bool
    backup_retention_days: int = Field(default=14, ge=1, le=35)
    backup_window: Annotated[str, AfterValidator(daily_window)] = "03:00-04:00"
    maintenance_window: Annotated[str, AfterValidator(weekly_window)] = "sun:04:30-sun:05:30"
    log_retention_days: LogRetentionDays = 365

    def problems(self, tier: str) -> Iterator[Problem]:
        if tier == "prod":
            if not self.multi_az:
                yield Problem("multiAz", "prod runs the database in Multi-AZ", self.multi_az)
            if self.backup_retention_days < MIN_PROD_BACKUP_DAYS:
                yield Problem(
                    "backupRetentionDays", f"prod keeps backups at least {MIN_PROD_BACKUP_DAYS} days", self.backup_retention_days
                )
            if not self.deletion_protection:
                yield Problem("deletionProtection", "prod keeps deletion protection on", self.deletion_protection)
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            yield Problem(
                "maxAllocatedStorageGb",
                f"must be at least allocatedStorageGb ({self.allocated_storage_gb})",
                self.max_allocated_storage_gb,
            )
        if overlaps(self.backup_window, self.maintenance_window):
            yield Problem(
                "maintenanceWindow", f"overlaps backupWindow {self.backup_window}", self.maintenance_window
            )
