"""`snapshot`: a manual database snapshot before a release, kept in two regions.

Takes a manual RDS snapshot of the stack's database tagged with the reason and the git commit
being released, waits until it is available (showing RDS's progress), copies it to the backup
region under that region's KMS key (stack outputs `databaseBackupRegion` and
`databaseBackupKmsKeyArn`: RDS re-encrypts a cross-region copy under a key of the destination,
since KMS keys never leave their region), waits for the copy, and then deletes the manual
snapshots this command made (tag `created-by`) that are older than the retention, in both
regions. Snapshots made any other way are never touched.

Automated backups already give point-in-time recovery for `backupRetentionDays`; a manual
snapshot is what stays after them (30 days by default) and survives the instance's deletion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .aws import Aws, paginate
from .command import Command
from .outputs import Outputs
from .progress import Clock, Progress, WaitTimeout, duration, iso, poll

DEFAULT_RETENTION_DAYS = 30
CREATED_BY = ("created-by", "webapp-ops-snapshot")
MAX_IDENTIFIER = 255
# RDS tag values: up to 256 Unicode letters, digits, white space and _ . : / = + - @
TAG_VALUE = re.compile(r"[^\w\s.:/=+\-@]")
MAX_TAG_VALUE = 256
FAILED_STATES = ("failed", "incompatible-restore", "deleted")

COMMAND = Command(
    name="snapshot",
    summary="take a manual database snapshot, copy it to the backup region, expire old ones",
    description=(
        "Takes a manual RDS snapshot of the stack's database tagged with --reason and the git commit "
        "(--git-sha, default $GITHUB_SHA or `git rev-parse HEAD`), waits until it is available, copies it "
        "to the backup region under that region's KMS key and waits for the copy. Then deletes the "
        "snapshots this command made (tag created-by=webapp-ops-snapshot) older than --retention-days, "
        "in both regions; other snapshots are never touched."
    ),
    failed="the snapshot or its copy ended in a failed state, or did not finish within --timeout",
    examples=(
        'python -m ops snapshot --stack prod --reason "before release 1.4.2"',
        'python -m ops snapshot --stack prod --reason "schema migration" --retention-days 90',
    ),
    outputs=("databaseInstanceId", "databaseBackupRegion", "databaseBackupKmsKeyArn"),
)


class SnapshotFailed(Exception):
    """The snapshot or its copy ended in a state it does not leave on its own."""


@dataclass
class SnapshotReport:
    stack: str
    instance: str
    snapshot_id: str
    reason: str
    git_sha: str
    region: str
    backup_region: str
    snapshot_arn: str | None = None
    copy_arn: str | None = None
    snapshot_seconds: float | None = None
    copy_seconds: float | None = None
    deleted: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.copy_arn is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "ok": self.ok,
            "instance": self.instance,
            "snapshot": {"id": self.snapshot_id, "arn": self.snapshot_arn, "seconds": self.snapshot_seconds},
            "copy": {"region": self.backup_region, "arn": self.copy_arn, "seconds": self.copy_seconds},
            "reason": self.reason,
            "gitSha": self.git_sha,
            "deleted": self.deleted,
            "error": self.error,
        }

    def render(self) -> str:
        lines = [f"Snapshot of {self.instance} (stack {self.stack}): {self.snapshot_id}"]
        lines.append(f"  reason {self.reason!r}, git {self.git_sha}")
        if self.snapshot_arn:
            lines.append(f"  {self.region}: {self.snapshot_arn} ({duration(self.snapshot_seconds or 0)})")
        if self.copy_arn:
            lines.append(f"  {self.backup_region}: {self.copy_arn} ({duration(self.copy_seconds or 0)})")
        expired = ", ".join(self.deleted) or "none"
        lines.append(f"  expired snapshots deleted: {expired}")
        lines.append(f"FAILED: {self.error}" if self.error else "OK")
        return "\n".join(lines)


def tag_value(text: str) -> str:
    """`text` as RDS accepts a tag value: unsupported characters replaced, at most 256 characters."""
    return TAG_VALUE.sub("_", text.strip())[:MAX_TAG_VALUE]


def run(
    outputs: Outputs,
    aws: Aws,
    progress: Progress,
    *,
    reason: str,
    git_sha: str,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    timeout: float = 7200,
) -> SnapshotReport:
    instance = outputs.require("databaseInstanceId")
    backup_region = outputs.require("databaseBackupRegion")
    clock = progress.clock
    stamp = clock.now().strftime("%Y%m%d%H%M%S")
    report = SnapshotReport(
        stack=outputs.stack,
        instance=instance,
        snapshot_id=f"{instance}-release-{stamp}"[:MAX_IDENTIFIER],
        reason=tag_value(reason),
        git_sha=tag_value(git_sha),
        region=aws.region,
        backup_region=backup_region,
    )
    tags = [
        {"Key": CREATED_BY[0], "Value": CREATED_BY[1]},
        {"Key": "reason", "Value": report.reason},
        {"Key": "git-sha", "Value": report.git_sha},
        {"Key": "stack", "Value": outputs.stack},
    ]
    rds, backup = aws.client("rds"), aws.client("rds", backup_region)
    try:
        progress.say(f"creating snapshot {report.snapshot_id} of {instance}")
        started = clock.monotonic()
        rds.create_db_snapshot(DBInstanceIdentifier=instance, DBSnapshotIdentifier=report.snapshot_id, Tags=tags)
        snapshot = _wait(rds, report.snapshot_id, f"snapshot {report.snapshot_id}", progress, timeout)
        report.snapshot_arn = snapshot["DBSnapshotArn"]
        report.snapshot_seconds = clock.monotonic() - started

        progress.say(f"copying it to {backup_region}")
        started = clock.monotonic()
        backup.copy_db_snapshot(
            SourceDBSnapshotIdentifier=report.snapshot_arn,
            TargetDBSnapshotIdentifier=report.snapshot_id,
            KmsKeyId=outputs.require("databaseBackupKmsKeyArn"),
            SourceRegion=aws.region,
            CopyTags=True,
        )
        copy = _wait(backup, report.snapshot_id, f"copy in {backup_region}", progress, timeout)
        report.copy_arn = copy["DBSnapshotArn"]
        report.copy_seconds = clock.monotonic() - started
    except (SnapshotFailed, WaitTimeout) as error:
        report.error = str(error)
        return report
    keep = {report.snapshot_id}
    for client in (rds, backup):
        report.deleted += expire(client, instance, clock, retention_days, keep, progress)
    return report


def _wait(rds: Any, identifier: str, what: str, progress: Progress, timeout: float) -> dict[str, Any]:
    def fetch() -> dict[str, Any]:
        return rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"][0]

    def state(snapshot: dict[str, Any]) -> str:
        percent = snapshot.get("PercentProgress")
        return snapshot["Status"] + (f" {percent}%" if percent is not None else "")

    snapshot = poll(
        fetch,
        state,
        lambda s: s["Status"] in ("available", *FAILED_STATES),
        what=what,
        progress=progress,
        timeout=timeout,
        interval=30,
    )
    if snapshot["Status"] != "available":
        raise SnapshotFailed(f"{what} ended {snapshot['Status']}")
    return snapshot


def expire(rds: Any, instance: str, clock: Clock, retention_days: int, keep: set[str], progress: Progress) -> list[str]:
    """Delete this command's manual snapshots of `instance` older than `retention_days`."""
    cutoff: datetime = clock.now() - timedelta(days=retention_days)
    deleted = []
    for snapshot in paginate(
        rds, "describe_db_snapshots", "DBSnapshots", DBInstanceIdentifier=instance, SnapshotType="manual"
    ):
        identifier = snapshot["DBSnapshotIdentifier"]
        tags = {tag["Key"]: tag["Value"] for tag in snapshot.get("TagList", [])}
        ours = tags.get(CREATED_BY[0]) == CREATED_BY[1]
        if not ours or identifier in keep or snapshot["Status"] != "available":
            continue
        if snapshot["SnapshotCreateTime"] < cutoff:
            progress.say(f"deleting {identifier} (taken {iso(snapshot['SnapshotCreateTime'])})")
            rds.delete_db_snapshot(DBSnapshotIdentifier=identifier)
            deleted.append(identifier)
    return deleted
