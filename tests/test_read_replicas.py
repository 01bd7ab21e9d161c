"""Read replicas of the database (`database.readReplicas`): each replica's inputs, on the Database
component built alone (tests.components_support) with settings away from their defaults, and
what prod synthesizes with two (the optional prod variant, tests.support.optional_prod: two
replicas of db.r7g.large, a 5 s lag alarm)."""

from __future__ import annotations

import json

import pytest

from settings import load_settings
from settings.database import DatabaseSettings
from tests.components_support import LOG_KEY, database, settings_with
from tests.data_tier import app_containers, environment
from tests.support import Synth, config_with, rejection

INSTANCE = "aws:rds/instance:Instance"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

# Every setting a replica takes from the database's away from its default, so that an input the
# replica dropped (left to RDS's default) shows.
PROD = {
    "webapp:database": {
        "readReplicas": 2,
        "replicaInstanceClass": "db.r7g.large",
        "port": 5433,
        "maxAllocatedStorageGb": 2000,
        "logRetentionDays": 731,
        "monitoringIntervalSeconds": 30,
        "performanceInsightsRetentionDays": 31,
        "caCertificate": "rds-ca-ecc384-g1",
        "maintenanceWindow": "sat:05:00-sat:06:00",
    }
}
# Staging applies changes at once and neither protects nor keeps a database from deletion.
STAGING = {"webapp:database": {"readReplicas": 1}}


@pytest.fixture(scope="module")
def alone() -> dict[str, tuple[Synth, DatabaseSettings]]:
    """The Database component alone, per stack, with its settings: prod's replicas spread over
    the three AZs, staging's given none (RDS picks)."""
    return {
        "prod": (database("prod", PROD), settings_with("prod", PROD).database),
        "staging": (database("staging", STAGING, availability_zones=()), settings_with("staging", STAGING).database),
    }


def test_a_replica_is_private_single_az_in_the_primarys_subnets_and_security_group_on_its_port(alone):
    stack, settings = alone["prod"]
    primary = stack.one(INSTANCE, "database-instance")["inputs"]
    for replica in replicas(stack):
        inputs = replica["inputs"]
        assert inputs["dbSubnetGroupName"] == primary["dbSubnetGroupName"]
        assert inputs["vpcSecurityGroupIds"] == primary["vpcSecurityGroupIds"]
        assert inputs["port"] == settings.port == primary["port"]
        # The replica is the read capacity, not the standby: the primary's Multi-AZ is the failover.
        assert (inputs["multiAz"], inputs["publiclyAccessible"], inputs["networkType"]) == (False, False, "IPV4")


def test_a_replica_stores_like_the_primary_encrypted_with_its_key_and_logs_in_with_iam(alone):
    stack, settings = alone["prod"]
    primary = stack.one(INSTANCE, "database-instance")["inputs"]
    for replica in replicas(stack):
        inputs = replica["inputs"]
        assert (inputs["storageType"], inputs["maxAllocatedStorage"]) == ("gp3", settings.max_allocated_storage_gb)
        assert (inputs["storageEncrypted"], inputs["kmsKeyId"]) == (True, primary["kmsKeyId"])
        # The primary's parameters (TLS only, slow query and DDL logging) hold on the replica too.
        assert inputs["parameterGroupName"] == primary["parameterGroupName"]
        assert inputs["iamDatabaseAuthenticationEnabled"] is True


def test_a_replica_exports_its_logs_and_keeps_performance_insights_as_long_as_the_settings_say(alone):
    stack, settings = alone["prod"]
    for replica in replicas(stack):
        inputs = replica["inputs"]
        assert inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
        assert inputs["monitoringInterval"] == settings.monitoring_interval_seconds
        assert inputs["performanceInsightsRetentionPeriod"] == settings.performance_insights_retention_days


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_a_replica_is_protected_and_changed_as_the_settings_say_and_takes_no_final_snapshot(alone, stack_name):
    stack, settings = alone[stack_name]
    assert replicas(stack)
    for replica in replicas(stack):
        inputs = replica["inputs"]
        assert (inputs["deletionProtection"], replica["options"]["protect"]) == (
            settings.deletion_protection,
            settings.protect,
        )
        # RDS refuses a final snapshot of a read replica; without skipFinalSnapshot the provider
        # asks for a final snapshot identifier and the replica cannot be deleted.
        assert inputs["skipFinalSnapshot"] is True
        assert inputs["copyTagsToSnapshot"] is True
        assert inputs["applyImmediately"] is settings.apply_immediately
        assert (inputs["autoMinorVersionUpgrade"], inputs["maintenanceWindow"], inputs["caCertIdentifier"]) == (
            True,
            settings.maintenance_window,
            settings.ca_certificate,
        )


def test_a_replica_is_named_and_tagged_after_the_primary_it_copies(alone):
    stack, _ = alone["prod"]
    for number, replica in enumerate(replicas(stack), start=1):
        assert replica["inputs"]["identifier"] == f"webapp-prod-database-replica-{number}"
        assert replica["inputs"]["tags"] == {
            "Name": f"webapp-prod-database-replica-{number}",
            "replica-of": "webapp-prod-database",
        }


def test_a_replicas_log_groups_keep_its_logs_as_long_as_the_settings_say_encrypted(alone):
    stack, settings = alone["prod"]
    groups = {g["name"]: g["inputs"] for g in stack.of_type(LOG_GROUP) if "-replica-" in g["name"]}
    assert groups == {
        f"database-replica-{number}-{export}-logs": {
            "name": f"/aws/rds/instance/webapp-prod-database-replica-{number}/{export}",
            "retentionInDays": settings.log_retention_days,
            "kmsKeyId": LOG_KEY,
        }
        for number in (1, 2)
        for export in ("postgresql", "upgrade")
    }


def test_a_replicas_resources_are_children_of_the_database(alone):
    stack, _ = alone["prod"]
    component = stack.one("webapp:components:Database")["urn"]
    made = [r for r in stack.resources if "-replica-" in r["name"]]
    assert len(made) == 6 and {r["parent"] for r in made} == {component}


def test_a_replica_has_the_primarys_time_limits_and_keeps_the_az_it_was_created_in(alone):
    stack, _ = alone["prod"]
    primary = stack.one(INSTANCE, "database-instance")["options"]
    for replica in replicas(stack):
        # Creating a replica copies the whole database from a snapshot of the primary: it takes as
        # long as the primary's own create, beyond the provider's 40 minutes.
        assert replica["options"]["customTimeouts"] == primary["customTimeouts"] != {}
        # A Multi-AZ failover of the primary moves the AZ the replicas were spread by; the replicas
        # stay where they are rather than being replaced.
        assert replica["options"]["ignoreChanges"] == ["availabilityZone"]


@pytest.mark.parametrize(
    ("zones", "placed"),
    [
        (
            ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"],
            ["us-east-1b", "us-east-1c", "us-east-1d", "us-east-1b"],
        ),
        # None of them the primary's: all of them in turn.
        (["us-east-1c", "us-east-1d"], ["us-east-1c", "us-east-1d", "us-east-1c", "us-east-1d"]),
        # Only the primary's: there, rather than nowhere.
        (["us-east-1a"], ["us-east-1a"] * 4),
    ],
)
def test_replicas_take_the_azs_other_than_the_primarys_in_turn(zones, placed):
    stack = database("staging", {"webapp:database": {"readReplicas": 4}}, availability_zones=zones)
    # The mocks place the primary, which names no AZ, in the region's first.
    assert stack.one(INSTANCE, "database-instance")["outputs"]["availabilityZone"] == "us-east-1a"
    assert [r["inputs"]["availabilityZone"] for r in replicas(stack)] == placed


def test_without_azs_a_replica_is_left_to_the_az_rds_picks(alone):
    stack, _ = alone["staging"]
    assert [r["inputs"].get("availabilityZone") for r in replicas(stack)] == [None]


@pytest.fixture(scope="module")
def replicated(optional_prod: Synth) -> Synth:
    return optional_prod


def replicas(stack: Synth) -> list[dict]:
    return [r for r in stack.of_type(INSTANCE) if "replicateSourceDb" in r["inputs"]]


def test_prod_has_no_replica_by_default(prod):
    assert replicas(prod) == []
    assert prod.outputs["databaseReaderEndpoints"] == []


def test_two_replicas_copy_the_primary(replicated):
    primary = replicated.one(INSTANCE, "database-instance")
    assert [r["name"] for r in replicas(replicated)] == ["database-replica-1", "database-replica-2"]
    for replica in replicas(replicated):
        assert replicated.depends_on(replica, "replicateSourceDb") == [primary]
        assert replica["inputs"]["identifier"].startswith(f"{primary['outputs']['identifier']}-replica-")


def test_replicas_sit_in_the_isolated_subnets_behind_the_databases_security_group(replicated):
    primary = replicated.one(INSTANCE, "database-instance")
    for replica in replicas(replicated):
        assert replica["inputs"]["dbSubnetGroupName"] == primary["inputs"]["dbSubnetGroupName"]
        assert replica["inputs"]["vpcSecurityGroupIds"] == primary["inputs"]["vpcSecurityGroupIds"]
        assert replica["inputs"]["publiclyAccessible"] is False
    (group,) = replicated.depends_on(primary, "dbSubnetGroupName")
    assert {s["inputs"]["tags"]["tier"] for s in replicated.depends_on(group, "subnetIds")} == {"isolated"}


def test_replicas_are_encrypted_with_the_primarys_key_and_monitored(replicated):
    key = replicated.one(INSTANCE, "database-instance")["inputs"]["kmsKeyId"]
    for replica in replicas(replicated):
        inputs = replica["inputs"]
        assert (inputs["storageEncrypted"], inputs["kmsKeyId"], inputs["performanceInsightsKmsKeyId"]) == (
            True,
            key,
            key,
        )
        assert inputs["performanceInsightsEnabled"] is True
        assert inputs["monitoringInterval"] == 60
        assert replicated.depends_on(replica, "monitoringRoleArn")[0]["name"] == "database-monitoring-role"


def test_the_monitoring_role_trusts_the_replicas_too(replicated):
    role = replicated.one("aws:iam/role:Role", "database-monitoring-role")
    condition = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]
    assert condition["ArnLike"]["aws:SourceArn"] == "arn:aws:rds:us-east-1:123456789012:db:webapp-prod-database*"


def test_the_monitoring_role_trusts_a_single_replica_too(alone):
    stack, _ = alone["staging"]
    role = stack.one("aws:iam/role:Role", "database-monitoring-role")
    condition = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]
    assert condition["ArnLike"]["aws:SourceArn"].endswith(":db:webapp-staging-database*")


def test_replicas_go_to_the_azs_other_than_the_primarys(replicated):
    primary_zone = replicated.one(INSTANCE, "database-instance")["outputs"]["availabilityZone"]
    zones = [r["inputs"]["availabilityZone"] for r in replicas(replicated)]
    assert primary_zone not in zones and len(set(zones)) == 2


def test_replicas_export_their_logs_into_encrypted_log_groups_made_first(replicated):
    replica = replicated.one(INSTANCE, "database-replica-1")
    groups = [g for g in replicated.of_type("aws:cloudwatch/logGroup:LogGroup") if "replica-1" in g["inputs"]["name"]]
    assert sorted(g["inputs"]["name"].rsplit("/", 1)[-1] for g in groups) == ["postgresql", "upgrade"]
    assert all(g["inputs"].get("kmsKeyId") for g in groups)
    assert {g["urn"] for g in groups} <= set(replica["dependencies"])


def test_the_class_is_the_primarys_unless_overridden(replicated):
    assert replicated.one(INSTANCE, "database-instance")["inputs"]["instanceClass"] == "db.r7g.xlarge"
    assert [r["inputs"]["instanceClass"] for r in replicas(replicated)] == ["db.r7g.large"] * 2
    unset = load_settings("prod", config_with("prod", {"webapp:database": {"readReplicas": 1}})).database
    assert (unset.replica_instance_class, unset.replica_class) == (None, "db.r7g.xlarge")


def test_each_replica_has_a_lag_alarm_with_the_configured_threshold(replicated):
    alarms = {a["inputs"]["name"]: a["inputs"] for a in replicated.of_type(ALARM) if "replica" in a["inputs"]["name"]}
    lag = {name: inputs for name, inputs in alarms.items() if name.startswith("webapp-prod-database-replica-")}
    assert sorted(lag) == ["webapp-prod-database-replica-1-lag", "webapp-prod-database-replica-2-lag"]
    assert {(i["metricName"], i["threshold"]) for i in lag.values()} == {("ReplicaLag", 5)}
    # Unconfigured, the threshold is 30 s.
    assert load_settings("prod", config_with("prod", {})).alarms.database_replica_lag_seconds.threshold == 30


def test_the_services_receive_the_replicas_as_read_hosts(replicated):
    addresses = [r["outputs"]["address"] for r in replicas(replicated)]
    assert replicated.outputs["databaseReaderEndpoints"] == addresses
    for container in app_containers(replicated):
        assert environment(container)["DATABASE_READ_HOSTS"] == ",".join(addresses)


def test_without_replicas_the_read_hosts_are_the_primary(staging):
    primary = staging.one(INSTANCE, "database-instance")["outputs"]["address"]
    assert {environment(c)["DATABASE_READ_HOSTS"] for c in app_containers(staging)} == {primary}


def test_more_replicas_than_rds_allows_are_refused():
    assert rejection("prod", {"webapp:database": {"readReplicas": 16}}) == [
        "prod: database.readReplicas: input should be less than or equal to 15 (got 16)"
    ]


def test_an_unknown_replica_class_is_refused_naming_the_key():
    (line,) = rejection("prod", {"webapp:database": {"readReplicas": 1, "replicaInstanceClass": "db.q9.huge"}})
    assert line.startswith("prod: database.replicaInstanceClass: ")
