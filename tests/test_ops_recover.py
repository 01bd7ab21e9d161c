"""`python -m ops recover` and `restore-drill --recovery-site` against a recovery site in moto.

moto builds the site in us-west-2 (VPC, subnets, security group, DB subnet group, parameter group,
KMS keys), answers STS, EC2, KMS and CloudWatch Logs, and holds the restored instance the wait
watches. moto 5.2.5 cannot restore from a replicated automated backups ARN and keeps no restore
window, so DescribeDBInstanceAutomatedBackups and RestoreDBInstanceToPointInTime go through
botocore's Stubber, which validates each request against the RDS API model; after a stubbed
restore the instance is created in moto with what the request asked for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ops import recover, restore, restore_checks
from ops.site import site_of
from tests.moto_support import snapshotted
from tests.ops_builders import database
from tests.ops_fakes import Patched
from tests.ops_support import (
    ACCOUNT,
    SESSION,
    FakeClock,
    aws_session,
    client,
    outputs,
    progress,
    run_cli,
    stack_settings,
)

SITE = "us-west-2"
SOURCE = "webapp-prod-db"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EARLIEST = NOW - timedelta(days=14)
LATEST = NOW - timedelta(minutes=5)
BACKUPS_ARN = f"arn:aws:rds:{SITE}:{ACCOUNT}:auto-backup:ab-5p4fiv3dyqfx2gkxgq5njd2lm4"


class ReplicatedBackups:
    """The two RDS calls moto lacks, through a Stubber; every other RDS call goes to moto."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def wrap(self, real: Any) -> Patched:
        stubber = SESSION.stubbed("rds", region_name=real.meta.region_name)
        stubbed = stubber.client

        def describe(**params: Any) -> dict[str, Any]:
            stubber.add_response(
                "describe_db_instance_automated_backups", {"DBInstanceAutomatedBackups": [BACKUP]}, params
            )
            return stubbed.describe_db_instance_automated_backups(**params)

        def restore_(**params: Any) -> dict[str, Any]:
            self.requests.append(params)
            target = params["TargetDBInstanceIdentifier"]
            response = {"DBInstance": {"DBInstanceIdentifier": target, "DBInstanceStatus": "creating"}}
            stubber.add_response("restore_db_instance_to_point_in_time", response, params)
            result = stubbed.restore_db_instance_to_point_in_time(**params)
            real.create_db_instance(
                DBInstanceIdentifier=target,
                Engine="postgres",
                DBInstanceClass=params.get("DBInstanceClass", "db.r7g.large"),
                AllocatedStorage=100,
                MasterUsername="app_admin",
                MasterUserPassword="not-a-real-password",
                DBSubnetGroupName=params["DBSubnetGroupName"],
                VpcSecurityGroupIds=params["VpcSecurityGroupIds"],
                DBParameterGroupName=params["DBParameterGroupName"],
                MultiAZ=params["MultiAZ"],
                DeletionProtection=params["DeletionProtection"],
                Tags=params["Tags"],
            )
            return result

        return Patched(
            real, describe_db_instance_automated_backups=describe, restore_db_instance_to_point_in_time=restore_
        )


BACKUP = {
    "DBInstanceArn": f"arn:aws:rds:us-east-1:{ACCOUNT}:db:{SOURCE}",
    "DBInstanceIdentifier": SOURCE,
    "Region": "us-east-1",
    "Status": "replicating",
    "RestoreWindow": {"EarliestTime": EARLIEST, "LatestTime": LATEST},
    "DBInstanceAutomatedBackupsArn": BACKUPS_ARN,
    "Engine": "postgres",
    "Encrypted": True,
    "KmsKeyId": f"arn:aws:kms:{SITE}:{ACCOUNT}:key/0d6c1a2e-4b2f-4f51-9a57-1f0e1b7c5d10",
}


@snapshotted
def recovery_site() -> dict[str, Any]:
    """The prod database in us-east-1 and its recovery site in us-west-2; the stack outputs."""
    values = database()
    ec2, rds, kms = client("ec2", SITE), client("rds", SITE), client("kms", SITE)
    vpc = ec2.create_vpc(CidrBlock="10.200.0.0/20")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.200.{8 + i}.0/24", AvailabilityZone=f"{SITE}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("abc")
    ]
    group = ec2.create_security_group(GroupName="recovery-db", Description="closed", VpcId=vpc)["GroupId"]
    rds.create_db_subnet_group(
        DBSubnetGroupName="recovery-db-subnets-c78fc5b", DBSubnetGroupDescription="isolated", SubnetIds=subnets
    )
    rds.create_db_parameter_group(
        DBParameterGroupName="recovery-db-params-cc08611", DBParameterGroupFamily="postgres17", Description="primary's"
    )
    keys = [kms.create_key(Description=what)["KeyMetadata"]["Arn"] for what in ("data", "logs")]
    return {
        **values,
        "databaseInstanceId": SOURCE,
        "databaseReplicatedBackupsArn": BACKUPS_ARN,
        "recoveryRegion": SITE,
        "recoveryDbSubnetGroupName": "recovery-db-subnets-c78fc5b",
        "recoveryDbParameterGroupName": "recovery-db-params-cc08611",
        "recoveryDbSecurityGroupId": group,
        "recoveryKmsKeyArn": keys[0],
        "recoveryLogsKmsKeyArn": keys[1],
    }


def recovering(values: dict[str, Any], backups: ReplicatedBackups | None = None, **options: Any):
    backups = backups or ReplicatedBackups()
    aws = aws_session({"rds": backups.wrap})
    return recover.run(outputs(values), stack_settings(), aws, progress(FakeClock(NOW)), **options)


def site_instances() -> list[dict[str, Any]]:
    return client("rds", SITE).describe_db_instances()["DBInstances"]


def test_a_dry_run_checks_the_site_and_creates_nothing(aws):
    backups = ReplicatedBackups()
    report = recovering(recovery_site(), backups, dry_run=True)
    assert report.ok and report.dry_run
    assert "security group" in " ".join(report.checks) and f"no instance named {SOURCE} yet" in report.checks
    assert (backups.requests, site_instances()) == ([], [])
    assert client("logs", SITE).describe_log_groups()["logGroups"] == []


def test_a_dry_run_prints_the_plan(aws):
    report = recovering(recovery_site(), dry_run=True)
    text = report.render()
    assert text.startswith(f"recover plan (dry run, nothing created): {SOURCE} of stack prod into {SOURCE} in {SITE}")
    assert "restore to:      the latest restorable time" in text


def test_recover_restores_the_replicated_backups_into_the_site(aws):
    values, backups = recovery_site(), ReplicatedBackups()
    recovering(values, backups)
    (request,) = backups.requests
    assert request["SourceDBInstanceAutomatedBackupsArn"] == BACKUPS_ARN
    assert request["UseLatestRestorableTime"] is True
    assert (request["DBSubnetGroupName"], request["VpcSecurityGroupIds"], request["DBParameterGroupName"]) == (
        values["recoveryDbSubnetGroupName"],
        [values["recoveryDbSecurityGroupId"]],
        values["recoveryDbParameterGroupName"],
    )
    assert request["MasterUserSecretKmsKeyId"] == values["recoveryKmsKeyArn"]


def test_the_recovered_instance_keeps_the_primarys_guarantees(aws):
    backups = ReplicatedBackups()
    recovering(recovery_site(), backups)
    request = backups.requests[0]
    settings = stack_settings().database
    assert (request["MultiAZ"], request["DeletionProtection"], request["PubliclyAccessible"]) == (True, True, False)
    assert (request["DBInstanceClass"], request["Port"]) == (settings.instance_class, settings.port)
    assert request["BackupRetentionPeriod"] == settings.backup_retention_days
    assert request["EnableIAMDatabaseAuthentication"] is True


def test_recover_reports_the_endpoint_recovery_point_and_elapsed_time(aws):
    report = recovering(recovery_site())
    assert report.ok, report.render()
    assert report.endpoint.startswith(f"{SOURCE}.") and report.endpoint.endswith(":5432")
    assert report.recovery_point == LATEST
    assert report.seconds is not None
    text = report.render()
    assert "writes of the last 5m00s before the start are lost" in text
    assert "elapsed:" in text


def test_recover_to_a_time_in_the_window_restores_that_time(aws):
    when = NOW - timedelta(hours=2)
    backups = ReplicatedBackups()
    report = recovering(recovery_site(), backups, to_time=when)
    assert backups.requests[0]["RestoreTime"] == when
    assert "UseLatestRestorableTime" not in backups.requests[0]
    assert report.recovery_point == when


def test_the_log_groups_are_created_encrypted_before_the_restore(aws):
    values = recovery_site()
    recovering(values)
    groups = client("logs", SITE).describe_log_groups(logGroupNamePrefix=f"/aws/rds/instance/{SOURCE}/")["logGroups"]
    assert sorted(g["logGroupName"].rsplit("/", 1)[-1] for g in groups) == ["postgresql", "upgrade"]
    assert {g["kmsKeyId"] for g in groups} == {values["recoveryLogsKmsKeyArn"]}
    assert {g["retentionInDays"] for g in groups} == {365}


def test_the_recovered_instance_is_never_deleted_when_the_wait_gives_up(aws):
    def stuck(real):
        def describe_db_instances(**kwargs):
            response = real.describe_db_instances(**kwargs)
            response["DBInstances"][0]["DBInstanceStatus"] = "creating"
            return response

        return Patched(ReplicatedBackups().wrap(real), describe_db_instances=describe_db_instances)

    aws_ = aws_session({"rds": stuck})
    report = recover.run(outputs(recovery_site()), stack_settings(), aws_, progress(FakeClock(NOW)), timeout=600)
    assert not report.ok and report.failure.startswith(f"gave up waiting for {SOURCE} to be available")
    assert [i["DBInstanceIdentifier"] for i in site_instances()] == [SOURCE]


def cli(argv: list[str], tmp_path, values: dict[str, Any], backups: ReplicatedBackups | None = None):
    backups = backups or ReplicatedBackups()
    return run_cli(["recover", "--stack", "prod", *argv], tmp_path, values=values, wrap={"rds": backups.wrap})


def test_the_command_prints_the_endpoint_and_exits_0(aws, tmp_path):
    result = cli(["--json"], tmp_path, recovery_site())
    assert result.code == 0, result.stderr
    document = result.json()
    assert (document["ok"], document["targetInstance"], document["recoveryPoint"]) == (True, SOURCE, LATEST.isoformat())
    assert f"waiting for {SOURCE} to be available" in result.stderr


def test_a_time_outside_the_window_is_one_line_exit_2_and_creates_nothing(aws, tmp_path):
    backups = ReplicatedBackups()
    when = (EARLIEST - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = cli(["--to-time", when], tmp_path, recovery_site(), backups)
    assert result.code == 2
    assert result.stderr.splitlines() == [
        f"error: --to-time {EARLIEST - timedelta(days=1):%Y-%m-%dT%H:%M:%S}+00:00 is outside the restore window of "
        f"the replicated backups ({EARLIEST.isoformat()} to {LATEST.isoformat()})"
    ]
    assert (backups.requests, site_instances()) == ([], [])


def test_a_stack_without_a_recovery_site_is_one_line_exit_2(aws, tmp_path):
    values = {k: v for k, v in recovery_site().items() if not k.startswith("recovery")}
    result = cli(["--dry-run"], tmp_path, values)
    assert result.code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: stack prod has no recovery site (no `recoveryRegion` output")


def test_credentials_of_another_account_are_refused_before_anything_is_created(aws, tmp_path):
    backups = ReplicatedBackups()

    def other_account(real):
        return Patched(real, get_caller_identity=lambda: {"Account": "210987654321", "Arn": "x", "UserId": "y"})

    result = run_cli(
        ["recover", "--stack", "prod"],
        tmp_path,
        values=recovery_site(),
        wrap={"rds": backups.wrap, "sts": other_account},
    )
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "error: the credentials are for account 210987654321; stack prod deploys to 123456789012"
    ]
    assert (backups.requests, site_instances()) == ([], [])


def test_a_missing_security_group_is_named_and_nothing_is_created(aws, tmp_path):
    values = recovery_site()
    client("ec2", SITE).delete_security_group(GroupId=values["recoveryDbSecurityGroupId"])
    result = cli([], tmp_path, values)
    assert result.code == 2
    assert f"the recovery site has no security group {values['recoveryDbSecurityGroupId']}" in result.stderr
    assert site_instances() == []


def test_an_existing_target_is_refused(aws, tmp_path):
    values = recovery_site()
    result = cli(["--target", "taken"], tmp_path, values)
    assert result.code == 0
    again = cli(["--target", "taken"], tmp_path, values)
    assert again.code == 2
    assert "a DB instance taken already exists in us-west-2" in again.stderr


def test_help_documents_the_options(capsys):
    with pytest.raises(SystemExit):
        run_cli(["recover", "--help"], None)
    out = capsys.readouterr().out
    for option in ("--to-time", "--latest", "--dry-run", "--target", "--timeout", "--outputs", "--json"):
        assert option in out


def test_to_time_and_latest_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exit_:
        run_cli(["recover", "--stack", "prod", "--latest", "--to-time", "2026-03-01T08:00:00Z"], None)
    assert exit_.value.code == 2


def test_the_drill_can_prove_the_cross_region_path(aws):
    values, backups = recovery_site(), ReplicatedBackups()
    aws_ = aws_session({"rds": backups.wrap})
    aws_.region = SITE
    site = site_of(outputs(values))
    report = restore.run(outputs(values), aws_, progress(FakeClock(NOW)), check=restore_checks.no_check, site=site)
    assert report.ok, report.render()
    assert report.restored_from == f"replicated backups in {SITE} at the latest restorable time"
    (request,) = backups.requests
    assert request["DBSubnetGroupName"] == values["recoveryDbSubnetGroupName"]
    assert request["MultiAZ"] is False
    assert site_instances() == []  # the temporary instance is deleted


def test_the_drill_flag_targets_the_recovery_site(aws, tmp_path):
    backups = ReplicatedBackups()
    result = run_cli(
        ["restore-drill", "--stack", "prod", "--recovery-site", "--json"],
        tmp_path,
        values=recovery_site(),
        wrap={"rds": backups.wrap},
    )
    assert result.code == 0, result.stderr
    assert result.json()["check"].startswith("skipped")
    assert backups.requests[0]["SourceDBInstanceAutomatedBackupsArn"] == BACKUPS_ARN
