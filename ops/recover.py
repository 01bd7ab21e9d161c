"""`recover`: restore the database into the recovery site after the loss of the primary region.

Restores the automated backups RDS replicates to the backup region (RestoreDBInstanceToPointInTime
with SourceDBInstanceAutomatedBackupsArn) to the latest restorable time or `--to-time`, into the
recovery site's DB subnet group, security group and parameter group, with the stack's instance
class, Multi-AZ, deletion protection, IAM authentication and a new RDS-managed master secret under
the site's key. RDS encrypts the storage with the key of the replicated backups (the restore API
takes no key). The PostgreSQL log groups are created first, encrypted under the site's logs key,
so the log exports never create unencrypted ones.

Before anything is created the command checks the input and the site: the credentials' account
is the stack's, the time is inside the restore window, the subnet group, parameter group,
security group and keys exist, and no instance holds the target identifier. Any of these failing
is one line and exit status 2. `--dry-run` stops after the checks and prints the plan.
The recovered instance is never deleted by this command, whatever happens while waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from settings import StackSettings
from settings.database import LOG_EXPORTS

from .aws import Aws, OpsError, error_code
from .command import Command
from .outputs import Outputs
from .progress import Progress, WaitTimeout, duration, iso
from .restore import RestoreFailed, wait_available
from .site import LATEST, Site, replicated_backups, restore_from_backups, restore_time, site_of

RECOVERY_TAG = "region-recovery"
COMMAND = Command(
    name="recover",
    summary="restore the database into the recovery site after the loss of the primary region",
    description=(
        "Restores the automated backups RDS replicates to the backup region, to the latest restorable "
        "time or --to-time, into the recovery site the stack keeps there: its DB subnet group, security "
        "group and parameter group, the stack's instance class, Multi-AZ, deletion protection on, a new "
        "RDS-managed master secret under the site's key. Checks the account, the restore window and the "
        "site before creating anything; --dry-run stops there and prints the plan. Shows progress while "
        "RDS works, then the endpoint, the recovery point and the elapsed time. Never deletes what it "
        "restored."
    ),
    failed="the restored instance did not become available in time or failed (it is kept)",
    examples=(
        "python -m ops recover --stack prod --outputs prod-outputs.json --dry-run",
        "python -m ops recover --stack prod --to-time 2026-11-28T09:55:00Z",
    ),
    outputs=(
        "databaseInstanceId",
        "recoveryRegion",
        "recoveryDbSubnetGroupName",
        "recoveryDbSecurityGroupId",
        "recoveryDbParameterGroupName",
        "recoveryKmsKeyArn",
        "recoveryLogsKmsKeyArn",
    ),
    optional_outputs=("databaseReplicatedBackupsArn",),
    exit_2_also=(
        "; a time outside the restore window, no recovery site, credentials of another account, "
        "an instance already named --target"
    ),
)


@dataclass
class RecoverReport:
    stack: str
    source_instance: str
    target: str
    region: str
    dry_run: bool
    request: dict[str, Any]
    window: tuple[datetime, datetime]
    checks: list[str] = field(default_factory=list)
    ok: bool = False
    failure: str | None = None
    endpoint: str | None = None
    recovery_point: datetime | None = None
    started_at: datetime | None = None
    seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "ok": self.ok,
            "dryRun": self.dry_run,
            "sourceInstance": self.source_instance,
            "targetInstance": self.target,
            "region": self.region,
            "restoreWindow": [iso(self.window[0]), iso(self.window[1])],
            "request": {key: iso(value) for key, value in self.request.items()},
            "checks": self.checks,
            "endpoint": self.endpoint,
            "recoveryPoint": iso(self.recovery_point),
            "seconds": round(self.seconds, 1) if self.seconds is not None else None,
            "failure": self.failure,
        }

    def render(self) -> str:
        if self.dry_run:
            head = "recover plan (dry run, nothing created)"
        else:
            head = "recovered" if self.ok else "RECOVERY FAILED"
        lines = [f"{head}: {self.source_instance} of stack {self.stack} into {self.target} in {self.region}"]
        if self.failure:
            lines.append(f"  failure:         {self.failure}")
        lines.append(f"  restore window:  {iso(self.window[0])} to {iso(self.window[1])}")
        point = self.request.get("RestoreTime") or "the latest restorable time"
        lines.append(f"  restore to:      {iso(point)}")
        lines.append(
            f"  instance:        {self.request['DBInstanceClass']}, Multi-AZ, deletion protection on, "
            f"subnet group {self.request['DBSubnetGroupName']}, security group {self.request['VpcSecurityGroupIds'][0]}"
        )
        lines += [f"  check:           {check}" for check in self.checks]
        if self.endpoint:
            lines.append(f"  endpoint:        {self.endpoint}")
        if self.recovery_point and self.started_at:
            lost = duration((self.started_at - self.recovery_point).total_seconds())
            lines.append(
                f"  recovery point:  {iso(self.recovery_point)} (writes of the last {lost} before the start are lost)"
            )
        if self.seconds is not None and not self.dry_run:
            lines.append(f"  elapsed:         {duration(self.seconds)}")
        if self.ok and not self.dry_run:
            lines.append(
                "  next:            admit the recovered services (docs/operations.md, Region loss): "
                f"aws ec2 authorize-security-group-ingress --region {self.region} "
                f"--group-id {self.request['VpcSecurityGroupIds'][0]} --protocol tcp --port "
                f"{self.request['Port']} --source-group <service security group>"
            )
        return "\n".join(lines)


def run(
    outputs: Outputs,
    settings: StackSettings,
    aws: Aws,
    progress: Progress,
    *,
    to_time: datetime | None = None,
    dry_run: bool = False,
    target: str | None = None,
    timeout: float = 3 * 3600,
    interval: float = 30.0,
) -> RecoverReport:
    """Check, then (unless `dry_run`) restore and wait; OpsError for anything that stops it early."""
    site = site_of(outputs)
    source: str = outputs.require("databaseInstanceId")
    target = target or source
    rds = aws.client("rds", site.region)
    checks = [_account(aws, site, settings)]
    backup = replicated_backups(rds, outputs)
    window = (backup["RestoreWindow"]["EarliestTime"], backup["RestoreWindow"]["LatestTime"])
    when: datetime | str = to_time or LATEST
    request = _request(settings, site, outputs.stack, source, when)
    checks += _site_checks(aws, rds, site, target)
    report = RecoverReport(outputs.stack, source, target, site.region, dry_run, request, window, checks)
    # The time check raises before anything is created; a dry run also validates it.
    restore_time(backup, when)
    clock = progress.clock
    # What a restore now achieves: the latest restorable time trails now by the replication lag.
    report.started_at = clock.now()
    report.recovery_point = to_time or window[1]
    if dry_run:
        report.ok = True
        return report

    started = clock.monotonic()
    _log_groups(aws, site, settings, target, progress)
    progress.say(f"restoring {source} from its replicated backups to {target} in {site.region}")
    fields = {key: value for key, value in request.items() if key != "RestoreTime"}
    restore_from_backups(rds, backup, target, when, **fields)
    try:
        instance = wait_available(rds, target, progress, timeout, interval)
    except (WaitTimeout, RestoreFailed) as error:
        report.failure = f"{error}; the instance is kept: see aws rds describe-db-instances --region {site.region}"
    else:
        report.endpoint = f"{instance['Endpoint']['Address']}:{instance['Endpoint']['Port']}"
        report.ok = True
    report.seconds = clock.monotonic() - started
    return report


def _request(settings: StackSettings, site: Site, stack: str, source: str, when: datetime | str) -> dict[str, Any]:
    database = settings.database
    return {
        **({"RestoreTime": when} if isinstance(when, datetime) else {}),
        "DBInstanceClass": database.instance_class,
        "DBSubnetGroupName": site.subnet_group,
        "VpcSecurityGroupIds": [site.security_group],
        "DBParameterGroupName": site.parameter_group,
        "Port": database.port,
        # The primary's guarantees: two AZs, never public, never deleted by accident.
        "MultiAZ": True,
        "PubliclyAccessible": False,
        "DeletionProtection": True,
        "StorageType": "gp3",
        "MaxAllocatedStorage": database.max_allocated_storage_gb,
        "BackupRetentionPeriod": database.backup_retention_days,
        "CopyTagsToSnapshot": True,
        "EnableIAMDatabaseAuthentication": True,
        "AutoMinorVersionUpgrade": True,
        "CACertificateIdentifier": database.ca_certificate,
        "EnableCloudwatchLogsExports": list(LOG_EXPORTS),
        # A new master secret, managed by RDS under the site's key (the primary's is in the lost region).
        "ManageMasterUserPassword": True,
        "MasterUserSecretKmsKeyId": site.key_arn,
        "Tags": [
            {"Key": "purpose", "Value": RECOVERY_TAG},
            {"Key": "source-instance", "Value": source},
            {"Key": "environment", "Value": stack},
        ],
    }


def _account(aws: Aws, site: Site, settings: StackSettings) -> str:
    account = aws.client("sts", site.region).get_caller_identity()["Account"]
    allowed = settings.allowed_account_ids or [site.key_arn.split(":")[4]]
    if account not in allowed:
        raise OpsError(
            f"the credentials are for account {account}; stack {settings.stack} deploys to {', '.join(allowed)}"
        )
    return f"account {account} is the stack's"


def _site_checks(aws: Aws, rds: Any, site: Site, target: str) -> list[str]:
    """One line per part of the site that exists; OpsError naming the first that does not."""
    described = {
        f"DB subnet group {site.subnet_group}": lambda: rds.describe_db_subnet_groups(
            DBSubnetGroupName=site.subnet_group
        ),
        f"parameter group {site.parameter_group}": lambda: rds.describe_db_parameter_groups(
            DBParameterGroupName=site.parameter_group
        ),
        f"security group {site.security_group}": lambda: aws.client("ec2", site.region).describe_security_groups(
            GroupIds=[site.security_group]
        ),
    }
    kms = aws.client("kms", site.region)
    for arn in (site.key_arn, site.logs_key_arn):
        described[f"KMS key {arn}"] = lambda arn=arn: kms.describe_key(KeyId=arn)
    checks = []
    for what, describe in described.items():
        response = _existing(describe, what)
        state = response.get("KeyMetadata", {}).get("KeyState", "Enabled")
        if state != "Enabled":
            raise OpsError(f"{what} is {state}, not Enabled")
        checks.append(f"{what} exists")
    try:
        rds.describe_db_instances(DBInstanceIdentifier=target)
    except ClientError as error:
        if error_code(error) != "DBInstanceNotFound":
            raise
        checks.append(f"no instance named {target} yet")
    else:
        raise OpsError(f"a DB instance {target} already exists in {site.region}; pass --target another name")
    return checks


_NOT_FOUND = {
    "DBSubnetGroupNotFoundFault",
    "DBParameterGroupNotFound",
    "InvalidGroup.NotFound",
    "InvalidGroupId.Malformed",
    "NotFoundException",
}


def _existing(describe: Any, what: str) -> dict[str, Any]:
    """The answer of `describe`; OpsError naming `what` when AWS says it does not exist."""
    try:
        return describe()
    except ClientError as error:
        if error_code(error) in _NOT_FOUND:
            raise OpsError(
                f"the recovery site has no {what}: deploy the stack with database.crossRegionBackups"
            ) from None
        raise
    return f"{what} exists"


def _log_groups(aws: Aws, site: Site, settings: StackSettings, target: str, progress: Progress) -> None:
    """The log groups the exports write to, encrypted and with the stack's retention, before RDS
    would create them unencrypted and kept forever."""
    logs = aws.client("logs", site.region)
    for export in LOG_EXPORTS:
        name = f"/aws/rds/instance/{target}/{export}"
        try:
            logs.create_log_group(logGroupName=name, kmsKeyId=site.logs_key_arn)
        except ClientError as error:
            if error_code(error) != "ResourceAlreadyExistsException":
                raise
        logs.put_retention_policy(logGroupName=name, retentionInDays=settings.database.log_retention_days)
        progress.say(f"log group {name} ready")
