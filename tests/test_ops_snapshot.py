"""`python -m ops snapshot` against a moto RDS instance, its KMS key in the backup region and
older snapshots. Moto takes and copies snapshots instantly; a snapshot's age comes from its
creation time in moto's backend, and a failed snapshot from a patched DescribeDBSnapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.rds.models import rds_backends

from ops import snapshot
from ops.snapshot import tag_value
from tests.ops_builders import database
from tests.ops_fakes import Patched
from tests.ops_support import REGION, FakeClock, client, run_cli

BACKUP = "us-west-2"
INSTANCE = "webapp-prod-db"
NOW = datetime.now(UTC)
TAKEN = f"{INSTANCE}-release-{NOW:%Y%m%d%H%M%S}"


def stack() -> dict[str, Any]:
    """The database, a key in the backup region, and the stack outputs naming both."""
    key = client("kms", BACKUP).create_key(Description="backups")["KeyMetadata"]["Arn"]
    return {**database(), "databaseBackupRegion": BACKUP, "databaseBackupKmsKeyArn": key}


def take(tmp_path, values: dict[str, Any], *extra: str, wrap: dict | None = None):
    argv = ["snapshot", "--stack", "prod", "--reason", "before release 1.4.2", "--git-sha", "abc1234", "--json"]
    return run_cli([*argv, *extra], tmp_path, values=values, clock=FakeClock(NOW), wrap=wrap or {})


def tags(region: str, identifier: str) -> dict[str, str]:
    (found,) = client("rds", region).describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"]
    return {tag["Key"]: tag["Value"] for tag in found["TagList"]}


def manual(region: str) -> set[str]:
    found = client("rds", region).describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    return {s["DBSnapshotIdentifier"] for s in found}


def older(region: str, identifier: str, days: float, ours: bool = True) -> None:
    """A manual snapshot of the instance taken `days` ago, by this command or by someone else."""
    mark = [{"Key": "created-by", "Value": "webapp-ops-snapshot"}] if ours else []
    rds = client("rds", region)
    if region == REGION:
        rds.create_db_snapshot(DBInstanceIdentifier=INSTANCE, DBSnapshotIdentifier=identifier, Tags=mark)
    else:
        source = client("rds").create_db_snapshot(
            DBInstanceIdentifier=INSTANCE, DBSnapshotIdentifier=f"{identifier}-src", Tags=mark
        )["DBSnapshot"]["DBSnapshotArn"]
        rds.copy_db_snapshot(
            SourceDBSnapshotIdentifier=source, TargetDBSnapshotIdentifier=identifier, SourceRegion=REGION, CopyTags=True
        )
        client("rds").delete_db_snapshot(DBSnapshotIdentifier=f"{identifier}-src")
    rds_backends[DEFAULT_ACCOUNT_ID][region].database_snapshots[identifier].created = NOW - timedelta(days=days)


def test_the_snapshot_is_tagged_with_the_reason_and_the_commit(aws, tmp_path):
    result = take(tmp_path, stack())
    assert result.code == 0, result.stderr
    assert tags(REGION, TAKEN) == {
        "created-by": "webapp-ops-snapshot",
        "reason": "before release 1.4.2",
        "git-sha": "abc1234",
        "stack": "prod",
    }
    assert result.json()["snapshot"]["arn"] == f"arn:aws:rds:{REGION}:{DEFAULT_ACCOUNT_ID}:snapshot:{TAKEN}"


def test_the_copy_in_the_backup_region_is_encrypted_with_that_regions_key(aws, tmp_path):
    values = stack()
    result = take(tmp_path, values)
    (copy,) = client("rds", BACKUP).describe_db_snapshots(DBSnapshotIdentifier=TAKEN)["DBSnapshots"]
    assert copy["KmsKeyId"] == values["databaseBackupKmsKeyArn"]
    assert tags(BACKUP, TAKEN)["reason"] == "before release 1.4.2"
    assert result.json()["copy"] == {"region": BACKUP, "arn": copy["DBSnapshotArn"], "seconds": 0.0}


def test_the_progress_shows_each_step(aws, tmp_path):
    progress = take(tmp_path, stack()).stderr
    assert f"creating snapshot {TAKEN} of {INSTANCE}" in progress
    assert f"snapshot {TAKEN}: available" in progress
    assert f"copying it to {BACKUP}" in progress and f"copy in {BACKUP}: available" in progress


def test_only_this_commands_snapshots_past_the_retention_are_deleted_in_both_regions(aws, tmp_path):
    values = stack()
    older(REGION, "release-old", 31)
    older(REGION, "release-recent", 29)
    older(REGION, "someone-elses-old", 90, ours=False)
    older(BACKUP, "release-old-copy", 31)
    result = take(tmp_path, values)
    assert sorted(result.json()["deleted"]) == ["release-old", "release-old-copy"]
    assert manual(REGION) == {TAKEN, "release-recent", "someone-elses-old"}
    assert manual(BACKUP) == {TAKEN}


def test_the_retention_is_configurable(aws, tmp_path):
    values = stack()
    older(REGION, "release-recent", 10)
    result = take(tmp_path, values, "--retention-days", "7")
    assert result.json()["deleted"] == ["release-recent"]


def test_a_snapshot_that_fails_stops_before_the_copy_and_exits_1(aws, tmp_path):
    def wrap(real):
        def describe_db_snapshots(**kwargs):
            response = real.describe_db_snapshots(**kwargs)
            for item in response["DBSnapshots"]:
                item["Status"] = "failed"
            return response

        return Patched(real, describe_db_snapshots=describe_db_snapshots)

    result = take(tmp_path, stack(), wrap={"rds": wrap})
    assert result.code == 1
    assert result.json()["error"] == f"snapshot {TAKEN} ended failed"
    assert manual(BACKUP) == set()


def test_a_stack_without_a_backup_region_cannot_be_snapshotted(aws, tmp_path):
    result = take(tmp_path, database())
    assert result.code == 2
    assert "`databaseBackupRegion`" in result.stderr and "`databaseBackupKmsKeyArn`" in result.stderr


def test_a_tag_value_keeps_what_rds_accepts():
    assert tag_value("  hotfix #42: réindex (urgent!)  ") == "hotfix _42: réindex _urgent__"
    assert len(tag_value("x" * 300)) == snapshot.MAX_TAG_VALUE


def test_without_a_sha_the_commit_comes_from_git(aws, tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_SHA", raising=False)

    def git(command, **_):
        assert command == ["git", "rev-parse", "HEAD"]
        return type("Done", (), {"returncode": 0, "stdout": "feedface\n"})()

    argv = ["snapshot", "--stack", "prod", "--reason", "r", "--json"]
    result = run_cli(argv, tmp_path, values=stack(), clock=FakeClock(NOW), run_command=git)
    assert tags(REGION, TAKEN)["git-sha"] == "feedface" and result.code == 0
