"""RDS PostgreSQL settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field

from .base import LogRetentionDays, Model, Problem
from .instance_classes import POSTGRES_MAJORS, db_class_problem, db_engine_problem, postgres_major
from .regions import Region
from .windows import daily_window, overlaps, weekly_window

MIN_PROD_BACKUP_DAYS = 7
# RDS for PostgreSQL allows up to 15 read replicas of one source instance.
MAX_READ_REPLICAS = 15
# What RDS exports to CloudWatch Logs (Security Hub RDS.9 wants both for PostgreSQL).
LOG_EXPORTS = ("postgresql", "upgrade")
# Names RDS or PostgreSQL reserve, and the admin names scanners probe first (Security Hub RDS.25).
RESERVED_USERNAMES = ("admin", "postgres", "rdsadmin", "root")
RESERVED_DATABASE_NAMES = ("postgres", "rdsadmin", "template0", "template1")
# Role names PostgreSQL or RDS reserve (pg_* and rds_* are their built-in roles), and PUBLIC.
RESERVED_ROLE_PREFIXES = ("pg_", "rds_")
RESERVED_ROLE_NAMES = ("public", "none", "current_user", "session_user", "current_role")
# CA certificates RDS issues server certificates from today (Security Hub RDS.13 / checkov).
CaCertificate = Literal["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"]
CA_CERTIFICATES: tuple[CaCertificate, ...] = get_args(CaCertificate)


def _insights_retention(days: int) -> int:
    # RDS accepts 7 (free tier), 731, or a whole number of 31-day months below that.
    if days in (7, 731) or (days % 31 == 0 and 31 <= days <= 713):
        return days
    raise ValueError("must be 7, 731, or a multiple of 31 from 31 to 713 days")


class DatabaseSettings(Model):
    engine_version: str = Field(default="17", pattern=r"^\d+(\.\d+)?$")
    instance_class: str
    # Read replicas of the primary in the isolated subnets, spread over the AZs other than the
    # primary's; their class is the primary's unless replicaInstanceClass says otherwise.
    read_replicas: int = Field(default=0, ge=0, le=MAX_READ_REPLICAS)
    replica_instance_class: str | None = None
    allocated_storage_gb: int = Field(default=100, ge=20, le=65536)
    max_allocated_storage_gb: int = Field(default=1000, ge=20, le=65536)
    database_name: str = Field(default="app", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    master_username: str = Field(default="app_admin", pattern=r"^[a-z][a-z0-9_]{0,15}$")
    # The application's own login role (IAM database authentication, no password), which the
    # bootstrap function creates; lowercase so it never needs quoting in SQL or in rds-db ARNs.
    app_user: str = Field(default="app", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    # Where the application image holds the RDS CA bundle it verifies the server against
    # (DATABASE_SSLROOTCERT): the global bundle, baked in at build time.
    ca_bundle_path: str = Field(default="/etc/ssl/certs/rds-global-bundle.pem", pattern=r"^/[A-Za-z0-9._/-]+$")
    # PostgreSQL's standard port, which clients and drivers assume; Security Hub RDS.23 (Low)
    # prefers a non-default one, which the key allows. RDS accepts 1150-65535.
    port: int = Field(default=5432, ge=1150, le=65535)
    multi_az: bool
    deletion_protection: bool
    # Pulumi `protect`: `pulumi destroy` and replacements stop at the instance and its keys.
    protect: bool
    skip_final_snapshot: bool = False
    apply_immediately: bool
    backup_retention_days: int = Field(default=14, ge=1, le=35)
    backup_window: Annotated[str, AfterValidator(daily_window)] = "03:00-04:00"
    maintenance_window: Annotated[str, AfterValidator(weekly_window)] = "sun:04:30-sun:05:30"
    # Automated backups (snapshots and transaction logs) copied to a second region.
    cross_region_backups: bool
    backup_replication_region: Region = "us-west-2"
    # log_min_duration_statement: statements slower than this are logged (0 logs every statement).
    slow_query_ms: int = Field(default=1000, ge=0, le=3_600_000)
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60] = 60
    performance_insights_retention_days: Annotated[int, AfterValidator(_insights_retention)] = 7
    ca_certificate: CaCertificate = "rds-ca-rsa2048-g1"
    log_retention_days: LogRetentionDays = 365

    @property
    def major_version(self) -> int:
        return postgres_major(self.engine_version)

    @property
    def parameter_group_family(self) -> str:
        return f"postgres{self.major_version}"

    @property
    def parameters(self) -> dict[str, str]:
        """The parameter group's settings: the primary's and the recovery site's (a restore into
        the backup region must behave like the primary)."""
        return {
            # TLS only (already the default from PostgreSQL 15 on RDS; explicit for older majors
            # and for the policy pack).
            "rds.force_ssl": "1",
            "log_min_duration_statement": str(self.slow_query_ms),
            "log_statement": "ddl",
            "log_connections": "1",
            "log_disconnections": "1",
            "log_lock_waits": "1",
        }

    def problems(self, profile: str) -> Iterator[Problem]:
        if profile == "prod":
            yield from self._prod_problems()
        yield from self._engine_problems()
        if self.master_username in RESERVED_USERNAMES:
            yield Problem("masterUsername", f"must not be one of {', '.join(RESERVED_USERNAMES)}", self.master_username)
        if self.database_name in RESERVED_DATABASE_NAMES:
            yield Problem(
                "databaseName", f"must not be one of {', '.join(RESERVED_DATABASE_NAMES)}", self.database_name
            )
        yield from self._app_user_problems()
        if self.max_allocated_storage_gb <= self.allocated_storage_gb:
            yield Problem(
                "maxAllocatedStorageGb",
                f"must be more than allocatedStorageGb ({self.allocated_storage_gb}) so storage can grow",
                self.max_allocated_storage_gb,
            )
        if overlaps(self.backup_window, self.maintenance_window):
            yield Problem("maintenanceWindow", f"overlaps backupWindow {self.backup_window}", self.maintenance_window)

    def _prod_problems(self) -> Iterator[Problem]:
        if not self.multi_az:
            yield Problem("multiAz", "prod runs the database in Multi-AZ", self.multi_az)
        if self.backup_retention_days < MIN_PROD_BACKUP_DAYS:
            yield Problem(
                "backupRetentionDays",
                f"prod keeps backups at least {MIN_PROD_BACKUP_DAYS} days",
                self.backup_retention_days,
            )
        if not self.deletion_protection:
            yield Problem("deletionProtection", "prod keeps deletion protection on", self.deletion_protection)
        if not self.protect:
            yield Problem("protect", "prod protects the database from pulumi destroy", self.protect)
        if self.skip_final_snapshot:
            yield Problem("skipFinalSnapshot", "prod always takes a final snapshot", self.skip_final_snapshot)
        if self.apply_immediately:
            yield Problem("applyImmediately", "prod applies changes in the maintenance window", self.apply_immediately)
        if not self.cross_region_backups:
            yield Problem(
                "crossRegionBackups", "prod replicates its backups to a second region", self.cross_region_backups
            )

    @property
    def replica_class(self) -> str:
        return self.replica_instance_class or self.instance_class

    def _app_user_problems(self) -> Iterator[Problem]:
        user = self.app_user
        if user == self.master_username:
            yield Problem("appUser", "must not be masterUsername: the application never logs in as the master", user)
        elif user in RESERVED_USERNAMES or user in RESERVED_ROLE_NAMES or user.startswith(RESERVED_ROLE_PREFIXES):
            reserved = ", ".join(
                [*RESERVED_USERNAMES, *RESERVED_ROLE_NAMES, *(f"{p}*" for p in RESERVED_ROLE_PREFIXES)]
            )
            yield Problem("appUser", f"must not be one of {reserved}", user)

    def _engine_problems(self) -> Iterator[Problem]:
        class_problem = db_class_problem(self.instance_class)
        if class_problem:
            yield Problem("instanceClass", class_problem, self.instance_class)
        if self.replica_instance_class is not None:
            replica_problem = db_class_problem(self.replica_instance_class) or (
                None
                if self.major_version not in POSTGRES_MAJORS
                else db_engine_problem(self.replica_instance_class, self.engine_version)
            )
            if replica_problem:
                yield Problem("replicaInstanceClass", replica_problem, self.replica_instance_class)
        if self.major_version not in POSTGRES_MAJORS:
            majors = ", ".join(map(str, POSTGRES_MAJORS))
            yield Problem("engineVersion", f"RDS for PostgreSQL major versions are {majors}", self.engine_version)
        elif not class_problem:
            engine_problem = db_engine_problem(self.instance_class, self.engine_version)
            if engine_problem:
                yield Problem("instanceClass", engine_problem, self.instance_class)
