"""The recovery site as the stack outputs name it, and the replicated automated backups a restore
into it starts from (`recover`, and `restore-drill --recovery-site`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .aws import OpsError, error_code
from .outputs import Outputs
from .progress import iso

LATEST = "latest"


@dataclass(frozen=True)
class Site:
    region: str
    subnet_group: str
    security_group: str
    parameter_group: str
    key_arn: str
    logs_key_arn: str


def site_of(outputs: Outputs) -> Site:
    """The recovery site of the stack; OpsError when the stack has none."""
    region = outputs.get("recoveryRegion")
    if not region:
        raise OpsError(
            f"stack {outputs.stack} has no recovery site (no `recoveryRegion` output in {outputs.source}): "
            "it is built with database.crossRegionBackups; deploy the stack with it first"
        )
    return Site(
        region=region,
        subnet_group=outputs.require("recoveryDbSubnetGroupName"),
        security_group=outputs.require("recoveryDbSecurityGroupId"),
        parameter_group=outputs.require("recoveryDbParameterGroupName"),
        key_arn=outputs.require("recoveryKmsKeyArn"),
        logs_key_arn=outputs.require("recoveryLogsKmsKeyArn"),
    )


def replicated_backups(rds: Any, outputs: Outputs) -> dict[str, Any]:
    """The database's automated backups replicated to the site's region (the client's region),
    with their restore window; OpsError when there are none or nothing is restorable yet."""
    source = outputs.require("databaseInstanceId")
    arn = outputs.get("databaseReplicatedBackupsArn")
    query = {"DBInstanceAutomatedBackupsArn": arn} if arn else {"DBInstanceIdentifier": source}
    try:
        backups = rds.describe_db_instance_automated_backups(**query)["DBInstanceAutomatedBackups"]
    except ClientError as error:
        if error_code(error) != "DBInstanceAutomatedBackupNotFound":
            raise
        backups = []
    if not backups:
        raise OpsError(f"no replicated automated backups of {source} in {rds.meta.region_name} ({arn or 'by name'})")
    backup = backups[0]
    window = backup.get("RestoreWindow") or {}
    if not window.get("EarliestTime") or not window.get("LatestTime"):
        raise OpsError(
            f"the replicated backups of {source} have no restore window yet (status {backup.get('Status')}): "
            "the first snapshot has not reached the region"
        )
    return backup


def restore_time(backup: dict[str, Any], when: datetime | str) -> dict[str, Any]:
    """The RestoreTime / UseLatestRestorableTime arguments for `when` (a time or LATEST); OpsError
    when the time is outside the backups' restore window."""
    window = backup["RestoreWindow"]
    if when == LATEST:
        return {"UseLatestRestorableTime": True}
    assert isinstance(when, datetime)
    earliest, latest = window["EarliestTime"], window["LatestTime"]
    if not earliest <= when <= latest:
        raise OpsError(
            f"--to-time {iso(when)} is outside the restore window of the replicated backups "
            f"({iso(earliest)} to {iso(latest)})"
        )
    return {"RestoreTime": when}


def restore_from_backups(rds: Any, backup: dict[str, Any], target: str, when: datetime | str, **request: Any) -> Any:
    """RestoreDBInstanceToPointInTime from the replicated backups into `target`."""
    return rds.restore_db_instance_to_point_in_time(
        SourceDBInstanceAutomatedBackupsArn=backup["DBInstanceAutomatedBackupsArn"],
        TargetDBInstanceIdentifier=target,
        **restore_time(backup, when),
        **request,
    )
