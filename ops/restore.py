"""`restore-drill`: prove the database backups restore, and measure how long it takes (RTO).

Restores the newest automated snapshot (or a point in time) of the stack's database to a
temporary instance in the database's subnet group (the isolated subnets) with the database's
security group and parameter group, waits until it is available, runs a connectivity check
against its endpoint and reports the durations. The temporary instance is deleted (no final
snapshot, no retained backups) whatever happens after the restore was requested: a failed
wait, a failed check, an AWS error or Ctrl-C.

The check is pluggable: ops/restore_checks.py holds the checks (a TCP connection, a command of
your own, or none) and what they are given; this module restores, waits, times and cleans up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .aws import Aws, describe_error, error_code, paginate
from .command import Command
from .outputs import Outputs
from .progress import Progress, WaitTimeout, duration, iso, poll
from .restore_checks import TCP_CHECK_ATTEMPTS, TCP_CHECK_BUDGET, TCP_CHECK_GAP, Check, CheckFailed, Endpoint
from .site import LATEST, Site, replicated_backups, restore_from_backups, restore_time

COMMAND = Command(
    name="restore-drill",
    summary="restore the database to a temporary instance and time it",
    description=(
        "Restores the newest automated snapshot (or --point-in-time) of the stack's database to a "
        "temporary instance in the database's subnet group, security group and parameter group, "
        "waits until it is available, runs the connectivity check and deletes the instance "
        "whatever happens. Reports how long the restore took (the recovery time to expect). "
        "\n\n"
        f"--check tcp opens a TCP connection to the endpoint: up to {TCP_CHECK_ATTEMPTS} attempts, "
        f"{TCP_CHECK_GAP:g} s apart, all within --connect-timeout seconds (default {TCP_CHECK_BUDGET:g}). "
        "It only works from inside the VPC, from a security group the database admits. Use --check none from elsewhere, or --check-command to run your own "
        "check with DRILL_HOST, DRILL_PORT, DRILL_DATABASE, DRILL_INSTANCE_ID and DRILL_REGION set."
        "\n\n"
        "--recovery-site restores the automated backups replicated to the backup region into the "
        "recovery site instead (the region-loss path of `recover`); its security group admits nothing, "
        "so the check defaults to none there."
    ),
    failed="the restore or the check failed (the temporary instance is deleted all the same)",
    examples=(
        "python -m ops restore-drill --stack prod --check none",
        "python -m ops restore-drill --stack prod --point-in-time 2026-11-28T03:00:00Z "
        "--check-command 'pg_isready -h $DRILL_HOST -p $DRILL_PORT'",
    ),
    outputs=("databaseInstanceId", "databaseSubnetGroupName", "databaseSecurityGroupId", "databaseParameterGroupName"),
    optional_outputs=(
        "databaseName",
        # --recovery-site: the site and the replicated backups (their ARN, else found by name).
        "recoveryRegion",
        "recoveryDbSubnetGroupName",
        "recoveryDbSecurityGroupId",
        "recoveryDbParameterGroupName",
        "databaseReplicatedBackupsArn",
    ),
)

# RDS states a restore never leaves on its own: stop waiting and clean up.
FAILED_STATES = (
    "failed",
    "incompatible-restore",
    "incompatible-parameters",
    "incompatible-network",
    "incompatible-option-group",
    "inaccessible-encryption-credentials",
    "storage-full",
)
DRILL_TAG = "restore-drill"
MAX_IDENTIFIER = 63


class RestoreFailed(Exception):
    """Nothing to restore, or the restored instance ended in a state it does not leave on its own."""


@dataclass
class DrillReport:
    stack: str
    source_instance: str
    restored_from: str | None = None
    temporary_instance: str | None = None
    ok: bool = False
    failure: str | None = None
    check: str | None = None
    endpoint: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    # What became of the temporary instance: "deletion requested", "never created", or None
    # when deleting it failed (cleanup_error says why).
    cleanup: str | None = None
    cleanup_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "ok": self.ok,
            "sourceInstance": self.source_instance,
            "restoredFrom": self.restored_from,
            "temporaryInstance": self.temporary_instance,
            "endpoint": self.endpoint,
            "check": self.check,
            "failure": self.failure,
            "seconds": {key: round(value, 1) for key, value in self.seconds.items()},
            "rtoSeconds": round(self.seconds["total"], 1) if self.ok else None,
            "cleanup": self.cleanup,
            "cleanupError": self.cleanup_error,
        }

    def render(self) -> str:
        verdict = "restore drill passed" if self.ok else "RESTORE DRILL FAILED"
        lines = [f"{verdict}: {self.source_instance} of stack {self.stack}"]
        if self.failure:
            lines.append(f"  failure:         {self.failure}")
        if self.restored_from:
            lines.append(f"  restored from:   {self.restored_from}")
        if self.temporary_instance:
            lines.append(
                f"  temporary:       {self.temporary_instance}" + (f" ({self.endpoint})" if self.endpoint else "")
            )
        if self.seconds:
            spent = ", ".join(f"{key} {duration(value)}" for key, value in self.seconds.items())
            lines.append(f"  durations:       {spent}")
        if self.check:
            lines.append(f"  check:           {self.check}")
        if self.ok:
            lines.append(f"  measured RTO:    {duration(self.seconds['total'])}")
        if self.cleanup:
            lines.append(f"  cleanup:         {self.cleanup}")
        elif self.cleanup_error:
            lines.append(f"  cleanup:         FAILED: {self.cleanup_error}")
            lines.append(
                "                   delete it by hand: aws rds delete-db-instance --db-instance-identifier "
                f"{self.temporary_instance} --skip-final-snapshot --delete-automated-backups"
            )
        return "\n".join(lines)


def run(
    outputs: Outputs,
    aws: Aws,
    progress: Progress,
    *,
    check: Check,
    point_in_time: datetime | str | None = None,
    instance_class: str | None = None,
    timeout: float = 2 * 3600,
    interval: float = 30.0,
    site: Site | None = None,
) -> DrillReport:
    """Run the drill; `point_in_time` is a datetime, LATEST, or None for the newest snapshot.
    With `site` (the recovery site, `aws` in its region) it restores the replicated automated
    backups into the site instead: the cross-region path of a region-loss recovery."""
    source = outputs.require("databaseInstanceId")
    request = {
        **(
            {
                "DBSubnetGroupName": site.subnet_group,
                "VpcSecurityGroupIds": [site.security_group],
                "DBParameterGroupName": site.parameter_group,
            }
            if site
            else {
                "DBSubnetGroupName": outputs.require("databaseSubnetGroupName"),
                "VpcSecurityGroupIds": [outputs.require("databaseSecurityGroupId")],
                "DBParameterGroupName": outputs.require("databaseParameterGroupName"),
            }
        ),
        # A throwaway copy: one AZ, no backups of its own, deletable, reachable only in the VPC.
        # IAM authentication as on the source, so a check command can log in with a token.
        "MultiAZ": False,
        "PubliclyAccessible": False,
        "DeletionProtection": False,
        "BackupRetentionPeriod": 0,
        "EnableIAMDatabaseAuthentication": True,
        "Tags": [
            {"Key": "purpose", "Value": DRILL_TAG},
            {"Key": "source-instance", "Value": source},
            {"Key": "environment", "Value": outputs.stack},
        ],
        **({"DBInstanceClass": instance_class} if instance_class else {}),
    }
    rds = aws.client("rds")
    report = DrillReport(outputs.stack, source)
    try:
        if site:
            restore, report.restored_from = _replicated_restore_call(rds, outputs, point_in_time or LATEST)
        else:
            restore, report.restored_from = _restore_call(rds, source, point_in_time)
    except RestoreFailed as failure:
        report.failure = str(failure)
        return report
    temporary = report.temporary_instance = drill_identifier(source, progress.clock.now())
    _restore_and_check(
        rds,
        restore,
        request,
        report,
        temporary,
        check,
        progress,
        aws.region,
        outputs.get("databaseName"),
        timeout,
        interval,
    )
    return report


def _restore_and_check(
    rds: Any,
    restore: Callable[[str, dict[str, Any]], Any],
    request: dict[str, Any],
    report: DrillReport,
    temporary: str,
    check: Check,
    progress: Progress,
    region: str,
    database: str | None,
    timeout: float,
    interval: float,
) -> None:
    """Restore, wait, check, and delete the temporary instance in every case (try/finally):
    drill failures land in the report, anything else (AWS errors, Ctrl-C) propagates after the
    cleanup."""
    clock = progress.clock
    started = clock.monotonic()
    try:
        progress.say(f"restoring {report.restored_from} to temporary instance {temporary}")
        restore(temporary, request)
        instance = wait_available(rds, temporary, progress, timeout, interval)
        report.seconds["restore"] = clock.monotonic() - started
        endpoint = Endpoint(
            temporary, instance["Endpoint"]["Address"], int(instance["Endpoint"]["Port"]), database, region
        )
        report.endpoint = f"{endpoint.host}:{endpoint.port}"
        progress.say(f"{temporary} is available; checking {report.endpoint}")
        check_started = clock.monotonic()
        report.check = check(endpoint)
        report.seconds["check"] = clock.monotonic() - check_started
        report.ok = True
    except (CheckFailed, WaitTimeout, RestoreFailed) as failure:
        report.failure = str(failure)
    finally:
        report.seconds["total"] = clock.monotonic() - started
        # Also when the restore call itself failed: it may have created the instance anyway.
        report.cleanup, report.cleanup_error = _delete(rds, temporary, progress, timeout, interval)


def newest_snapshot(rds: Any, instance_id: str) -> dict[str, Any] | None:
    snapshots = paginate(
        rds, "describe_db_snapshots", "DBSnapshots", DBInstanceIdentifier=instance_id, SnapshotType="automated"
    )
    available = [s for s in snapshots if s.get("Status") == "available"]
    return max(available, key=lambda s: s["SnapshotCreateTime"]) if available else None


def drill_identifier(source: str, now: datetime) -> str:
    """`<source>-drill-<UTC timestamp>`, within RDS's 63 characters, letters/digits/single hyphens."""
    suffix = f"-drill-{now:%Y%m%d%H%M%S}"
    base = re.sub(r"-+", "-", source)[: MAX_IDENTIFIER - len(suffix)].rstrip("-")
    return f"{base}{suffix}"


def _restore_call(
    rds: Any, source: str, point_in_time: datetime | str | None
) -> tuple[Callable[[str, dict[str, Any]], Any], str]:
    """The restore call to make and what it restores from; RestoreFailed when there is no
    snapshot to restore (nothing has been created then)."""
    if point_in_time is None:
        snapshot = newest_snapshot(rds, source)
        if snapshot is None:
            raise RestoreFailed(
                f"no available automated snapshot of {source}: are automated backups enabled "
                "(backupRetentionDays > 0), and has the first backup window passed?"
            )
        name = snapshot["DBSnapshotIdentifier"]
        return (
            lambda target, request: rds.restore_db_instance_from_db_snapshot(
                DBInstanceIdentifier=target, DBSnapshotIdentifier=name, **request
            ),
            f"snapshot {name} (taken {snapshot['SnapshotCreateTime'].astimezone(UTC):%Y-%m-%d %H:%M} UTC)",
        )
    when = {"UseLatestRestorableTime": True} if point_in_time == LATEST else {"RestoreTime": point_in_time}
    label = "the latest restorable time" if point_in_time == LATEST else f"point in time {iso(point_in_time)}"
    return (
        lambda target, request: rds.restore_db_instance_to_point_in_time(
            SourceDBInstanceIdentifier=source, TargetDBInstanceIdentifier=target, **when, **request
        ),
        f"{source} at {label}",
    )


def _replicated_restore_call(
    rds: Any, outputs: Outputs, when: datetime | str
) -> tuple[Callable[[str, dict[str, Any]], Any], str]:
    """The restore from the backups replicated to the recovery site's region (the client's);
    OpsError when there are none or `when` is outside their window (nothing created then)."""
    backup = replicated_backups(rds, outputs)
    restore_time(backup, when)
    label = "the latest restorable time" if when == LATEST else f"point in time {iso(when)}"
    return (
        lambda target, request: restore_from_backups(rds, backup, target, when, **request),
        f"replicated backups in {rds.meta.region_name} at {label}",
    )


def wait_available(rds: Any, identifier: str, progress: Progress, timeout: float, interval: float) -> dict[str, Any]:
    """The instance once available; RestoreFailed when it lands in a state it never leaves."""

    def done(instance: dict[str, Any]) -> bool:
        status = instance["DBInstanceStatus"]
        if status in FAILED_STATES:
            raise RestoreFailed(f"the restored instance {identifier} is {status}")
        return status == "available"

    return poll(
        lambda: rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0],
        lambda instance: instance["DBInstanceStatus"],
        done,
        what=f"{identifier} to be available",
        progress=progress,
        timeout=timeout,
        interval=interval,
    )


DELETION_REQUESTED = "deletion of the temporary instance requested (no final snapshot)"
NEVER_CREATED = "no temporary instance was created"
_NOT_YET = "not deletable yet"


def _delete(
    rds: Any, identifier: str, progress: Progress, timeout: float, interval: float
) -> tuple[str | None, str | None]:
    """Delete the temporary instance; returns (what happened, None) or (None, error). An
    instance still being created or modified cannot be deleted yet (InvalidDBInstanceState):
    retry until it can. Never raises, so it cannot hide the error that brought it here."""
    progress.say(f"deleting temporary instance {identifier} (no final snapshot)")

    def attempt() -> str:
        try:
            rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
        except ClientError as error:
            if error_code(error) == "DBInstanceNotFound":
                return NEVER_CREATED
            if error_code(error) == "InvalidDBInstanceState":
                return _NOT_YET
            raise
        return DELETION_REQUESTED

    try:
        result = attempt()
        if result == _NOT_YET:
            result = poll(
                attempt,
                str,
                lambda state: state != _NOT_YET,
                what=f"{identifier} to become deletable",
                progress=progress,
                timeout=timeout,
                interval=interval,
            )
    except (WaitTimeout, ClientError, BotoCoreError) as error:
        message = describe_error(error)
        progress.say(f"could not delete {identifier}: {message}")
        return None, message
    return result, None
