"""`python -m ops restore-drill` against a moto RDS instance and its automated snapshot.

The connectivity check is injected (the real one opens a TCP connection, which only works from
inside the VPC). Moto restores instantly and never fails a restore, so a failing restore comes
from a patched DescribeDBInstances, and an instance not yet deletable from a patched
DeleteDBInstance (`ops_support.Patched`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.rds.models import rds_backends

from ops import restore
from ops.restore_checks import CheckFailed, Endpoint
from tests.ops_builders import database
from tests.ops_fakes import Patched, failing
from tests.ops_support import (
    REGION,
    FakeClock,
    access_denied,
    aws_session,
    client,
    client_error,
    outputs,
    progress,
    run_cli,
)

SOURCE = "webapp-prod-db"
NOW = datetime(2026, 3, 1, 4, 30, tzinfo=UTC)
TEMPORARY = "webapp-prod-db-drill-20260301043000"


def drill(
    values: dict[str, Any],
    check: Callable[[Endpoint], str],
    wrap: dict | None = None,
    clock: FakeClock | None = None,
    **options: Any,
) -> restore.DrillReport:
    return restore.run(outputs(values), aws_session(wrap), progress(clock or FakeClock(NOW)), check=check, **options)


def passes(endpoint: Endpoint) -> str:
    return "connected"


def fails(endpoint: Endpoint) -> str:
    raise CheckFailed("connection refused")


def instances() -> list[str]:
    return [i["DBInstanceIdentifier"] for i in client("rds").describe_db_instances()["DBInstances"]]


def seen_by_check(into: dict[str, Any]) -> Callable[[Endpoint], str]:
    """A passing check that records the endpoint and the temporary instance as it exists then."""

    def check(endpoint: Endpoint) -> str:
        into["endpoint"] = endpoint
        into["instance"] = client("rds").describe_db_instances(DBInstanceIdentifier=endpoint.instance_id)[
            "DBInstances"
        ][0]
        return "connected"

    return check


def test_a_successful_drill_reports_the_rto(aws):
    report = drill(database(), passes)
    assert report.ok, report.render()
    assert report.to_json()["rtoSeconds"] == report.seconds["total"]
    assert report.restored_from.startswith(f"snapshot rds:{SOURCE}-")


def test_the_temporary_instance_is_deleted_after_a_successful_drill(aws):
    drill(database(), passes)
    assert instances() == [SOURCE]


def test_the_temporary_instance_uses_the_databases_subnet_group_security_group_and_parameters(aws):
    values, seen = database(), {}
    drill(values, seen_by_check(seen))
    instance = seen["instance"]
    assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == values["databaseSubnetGroupName"]
    assert [g["VpcSecurityGroupId"] for g in instance["VpcSecurityGroups"]] == [values["databaseSecurityGroupId"]]
    assert [g["DBParameterGroupName"] for g in instance["DBParameterGroups"]] == [values["databaseParameterGroupName"]]


def test_the_temporary_instance_is_tagged_as_a_drill_of_its_source(aws):
    seen = {}
    drill(database(), seen_by_check(seen))
    tags = {tag["Key"]: tag["Value"] for tag in seen["instance"]["TagList"]}
    assert (tags["purpose"], tags["source-instance"]) == ("restore-drill", SOURCE)


def test_the_check_gets_the_temporary_instances_endpoint(aws):
    seen = {}
    drill(database(), seen_by_check(seen), clock=FakeClock(NOW))
    endpoint = seen["endpoint"]
    assert (endpoint.instance_id, endpoint.port, endpoint.database) == (TEMPORARY, 5432, "app")
    assert endpoint.host.startswith(f"{TEMPORARY}.")


def test_a_failed_check_fails_the_drill_and_still_deletes_the_instance(aws):
    report = drill(database(), fails)
    assert (report.ok, report.failure) == (False, "connection refused")
    assert instances() == [SOURCE]


def test_a_restore_that_never_becomes_available_is_deleted(aws):
    values = database()

    def stuck(real):
        def describe_db_instances(**kwargs):
            response = real.describe_db_instances(**kwargs)
            response["DBInstances"][0]["DBInstanceStatus"] = "creating"
            return response

        return Patched(real, describe_db_instances=describe_db_instances)

    report = drill(values, passes, wrap={"rds": stuck}, timeout=600)
    assert report.failure.startswith(f"gave up waiting for {TEMPORARY} to be available after")
    assert instances() == [SOURCE]


def test_a_restore_that_fails_is_deleted(aws):
    def incompatible(real):
        def describe_db_instances(**kwargs):
            response = real.describe_db_instances(**kwargs)
            response["DBInstances"][0]["DBInstanceStatus"] = "incompatible-restore"
            return response

        return Patched(real, describe_db_instances=describe_db_instances)

    report = drill(database(), passes, wrap={"rds": incompatible})
    assert report.failure == f"the restored instance {TEMPORARY} is incompatible-restore"
    assert instances() == [SOURCE]


def test_an_aws_error_while_waiting_propagates_after_the_instance_is_deleted(aws):
    def denied(**_):
        raise access_denied("DescribeDBInstances")

    with pytest.raises(Exception, match="DescribeDBInstances"):
        drill(database(), passes, wrap={"rds": lambda real: Patched(real, describe_db_instances=denied)})
    assert instances() == [SOURCE]


def test_an_instance_not_yet_deletable_is_deleted_once_it_can_be(aws):
    not_yet = client_error("InvalidDBInstanceState", "DeleteDBInstance", "Instance is not in available state")
    wrap = {"rds": lambda real: Patched(real, delete_db_instance=failing(not_yet, 2, real.delete_db_instance))}
    report = drill(database(), passes, wrap=wrap)
    assert report.cleanup == restore.DELETION_REQUESTED
    assert instances() == [SOURCE]


def test_a_missing_snapshot_fails_the_drill_without_creating_anything(aws):
    values = database()
    rds_backends[DEFAULT_ACCOUNT_ID][REGION].database_snapshots.clear()  # no API deletes automated snapshots
    report = drill(values, passes)
    assert (report.ok, report.temporary_instance) == (False, None)
    assert report.failure.startswith(f"no available automated snapshot of {SOURCE}")
    assert instances() == [SOURCE]


def test_a_point_in_time_restore_uses_the_latest_restorable_time(aws):
    report = drill(database(), passes, point_in_time=restore.LATEST)
    assert report.ok
    assert report.restored_from == f"{SOURCE} at the latest restorable time"


def test_the_temporary_identifier_fits_rds_limits():
    identifier = restore.drill_identifier("a" * 70 + "--b", NOW)
    assert len(identifier) == 63
    assert identifier.endswith("-drill-20260301043000")


def test_the_command_passes_the_endpoint_to_a_check_command(aws, tmp_path):
    values = database()
    check = 'test "$DRILL_PORT" = 5432 && test "$DRILL_DATABASE" = app'
    result = run_cli(["restore-drill", "--stack", "prod", "--json", "--check-command", check], tmp_path, values=values)
    assert result.code == 0, result.stderr
    assert result.json()["temporaryInstance"].startswith(f"{SOURCE}-drill-")


def test_the_command_exits_1_when_the_check_fails(aws, tmp_path):
    result = run_cli(["restore-drill", "--stack", "prod", "--check-command", "exit 3"], tmp_path, values=database())
    assert result.code == 1
    assert "RESTORE DRILL FAILED" in result.stdout
    assert "check command exited 3" in result.stdout
    assert instances() == [SOURCE]


def test_the_command_needs_the_database_outputs(aws, tmp_path):
    values = database()
    del values["databaseSecurityGroupId"]
    result = run_cli(["restore-drill", "--stack", "prod", "--check", "none"], tmp_path, values=values)
    assert result.code == 2
    assert "lacks what `restore-drill` needs, output(s) `databaseSecurityGroupId` (" in result.stderr


def test_a_point_in_time_on_the_command_line_is_read_as_utc(aws, tmp_path):
    argv = ["restore-drill", "--stack", "prod", "--json", "--check", "none", "--point-in-time", "2026-03-01T03:30:00"]
    result = run_cli(argv, tmp_path, values=database())
    assert result.json()["restoredFrom"] == f"{SOURCE} at point in time 2026-03-01T03:30:00+00:00"


def test_connect_timeout_on_the_command_line_is_the_tcp_checks_whole_budget(aws, tmp_path):
    clock = FakeClock()
    argv = ["restore-drill", "--stack", "prod", "--check", "tcp", "--connect-timeout", "4"]
    result = run_cli(argv, tmp_path, values=database(), clock=clock)
    assert result.code == 1
    assert "within 4 s" in result.stdout
