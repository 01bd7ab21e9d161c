"""Cost settings: the monthly budget the plan is gated on, and the usage profile the
usage-based prices of the estimate (`python -m tools.cost`) apply to.

Fixed cost (instance-hours, node-hours, NAT and endpoint hours, keys, alarms, ...) follows
from the resources alone. Usage cost needs traffic and data volumes no program can know: the
profile below holds them, every figure per month, with defaults for a modest production web
service. A stack sets `webapp:usage` for its own traffic; `tools.cost --usage FILE` overrides
both for one run (a what-if).
"""

from __future__ import annotations

from pydantic import Field

from .base import Model


class BudgetSettings(Model):
    """`webapp:budget`: `make plan` fails when the fixed monthly estimate is over it."""

    monthly_usd: float = Field(gt=0)


class LogUsage(Model):
    """GB ingested into CloudWatch Logs per month, per log group of each kind."""

    # Application logs of one service (its log group carries every task's output).
    service: float = Field(default=5, ge=0)
    # VPC flow logs of ALL traffic (the network's log group).
    network: float = Field(default=10, ge=0)
    # WAF logs of the web ACL.
    firewall: float = Field(default=3, ge=0)
    # Each PostgreSQL log export (postgresql, upgrade).
    database: float = Field(default=1, ge=0)
    # Each cache log delivery (slow log, engine log).
    cache: float = Field(default=0.2, ge=0)
    # A log group of any other component.
    other: float = Field(default=0.5, ge=0)


class UsageSettings(Model):
    """`webapp:usage`: the monthly volumes the usage-based prices apply to."""

    # HTTP requests reaching the load balancer; every one is also inspected by the web ACL.
    requests_per_month: float = Field(default=10_000_000, ge=0)
    # Bytes the load balancer processes (requests and responses), in GB: its LCU dimension.
    alb_processed_gb: float = Field(default=100, ge=0)
    # Responses leaving AWS for the internet, in GB (data transfer out).
    internet_egress_gb: float = Field(default=100, ge=0)
    # Bytes through the NAT gateways (egress to third-party APIs, image layers not on an endpoint).
    nat_processed_gb: float = Field(default=20, ge=0)
    # Bytes through the interface VPC endpoints (image pulls, logs, secrets).
    endpoint_processed_gb: float = Field(default=20, ge=0)
    # Load balancer access logs written to S3 per month.
    access_log_gb: float = Field(default=2, ge=0)
    # Size of the database's automated backups (snapshots and WAL) a second region keeps.
    database_backup_gb: float = Field(default=50, ge=0)
    # Backup data copied to the second region per month (changes since the last copy).
    backup_transfer_gb: float = Field(default=30, ge=0)
    logs: LogUsage = LogUsage()
