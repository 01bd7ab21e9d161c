"""RDS PostgreSQL: storage, encryption, network placement, credentials, backups, operations."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from components.database import master_secret_arn
from settings import load_settings
from settings.database import CA_CERTIFICATES
from tests.data_tier import (
    admitted,
    app_containers,
    environment,
    secrets,
    security_group_of,
    service_security_groups,
)
from tests.support import Synth, config_with, synth

INSTANCE = "aws:rds/instance:Instance"
REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
OUTPUTS = (
    "databaseInstanceId",
    "databaseEndpoint",
    "databaseAddress",
    "databasePort",
    "databaseName",
    "databaseSecretArn",
    "databaseSecurityGroupId",
    "databaseSubnetGroupName",
    "databaseParameterGroupName",
    "databaseKmsKeyArn",
)


def instance(stack: Synth) -> dict:
    return stack.one(INSTANCE)


def inputs(stack: Synth) -> dict:
    return instance(stack)["inputs"]


def settings_of_stack(stack: str):
    return load_settings(stack, config_with(stack, {}))


def settings_of(stack: str):
    return settings_of_stack(stack).database


def source(stack: Synth, key: str) -> dict:
    """The resource the instance input `key` came from."""
    [resource] = stack.depends_on(instance(stack), key)
    return resource


def database_key(stack: Synth) -> dict:
    return next(r for r in stack.children("database-encryption") if r["type"] == "aws:kms/key:Key")


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_engine_class_and_storage_follow_the_settings(stack_name):
    stack, settings = synth(stack_name), settings_of(stack_name)
    values = inputs(stack)
    assert (values["engine"], values["engineVersion"], values["instanceClass"]) == (
        "postgres",
        settings.engine_version,
        settings.instance_class,
    )
    assert values["storageType"] == "gp3"
    assert values["allocatedStorage"] == settings.allocated_storage_gb
    assert values["maxAllocatedStorage"] == settings.max_allocated_storage_gb > settings.allocated_storage_gb


def test_storage_is_encrypted_with_the_database_key(prod):
    assert inputs(prod)["storageEncrypted"] is True
    assert source(prod, "kmsKeyId")["urn"] == database_key(prod)["urn"]


def test_performance_insights_is_on_and_encrypted_with_the_database_key(prod):
    assert inputs(prod)["performanceInsightsEnabled"] is True
    assert source(prod, "performanceInsightsKmsKeyId")["urn"] == database_key(prod)["urn"]


def test_runs_in_the_isolated_subnets_through_its_own_subnet_group(prod):
    group = source(prod, "dbSubnetGroupName")
    assert group["type"] == "aws:rds/subnetGroup:SubnetGroup" and group["parent"] == instance(prod)["parent"]
    subnets = prod.depends_on(group, "subnetIds")
    assert sorted(s["inputs"]["tags"]["tier"] for s in subnets) == ["isolated"] * 3


def test_its_subnets_have_no_route_to_the_internet(prod):
    for subnet in prod.depends_on(source(prod, "dbSubnetGroupName"), "subnetIds"):
        routes = prod.routes_of(prod.route_table_of(subnet))
        assert not [r for r in routes if r["inputs"].get("destinationCidrBlock") == "0.0.0.0/0"]


def test_is_not_publicly_accessible_and_uses_only_its_own_security_group(prod):
    assert inputs(prod)["publiclyAccessible"] is False
    [group] = prod.depends_on(instance(prod), "vpcSecurityGroupIds")
    assert group["urn"] == security_group_of(prod, "database")["urn"]


def test_security_group_has_no_rules_of_its_own(prod):
    group = security_group_of(prod, "database")
    assert "ingress" not in group["inputs"] and "egress" not in group["inputs"]


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_security_group_admits_exactly_the_services_and_the_bootstrap_on_the_database_port(stack_name):
    stack = synth(stack_name)
    expected = [(group, None, 5432.0, 5432.0) for group in service_security_groups(stack)]
    assert len(expected) == len(settings_of_stack(stack_name).services)
    expected = sorted([*expected, ("db-bootstrap-function-sg", None, 5432.0, 5432.0)], key=str)
    assert admitted(stack, security_group_of(stack, "database")) == expected


def test_rds_manages_the_master_password_in_a_secret_under_the_database_key(prod):
    values = inputs(prod)
    assert values["manageMasterUserPassword"] is True
    assert source(prod, "masterUserSecretKmsKeyId")["urn"] == database_key(prod)["urn"]


def test_no_master_password_is_an_input(prod, staging):
    for stack in (prod, staging):
        assert not {"password", "passwordWo"} & set(inputs(stack))


def test_master_username_is_not_a_default_one(prod):
    assert inputs(prod)["username"] not in ("postgres", "admin", "root")


def test_iam_database_authentication_is_on(prod):
    assert inputs(prod)["iamDatabaseAuthenticationEnabled"] is True


@pytest.mark.parametrize("stack_name, multi_az", [("prod", True), ("staging", False)])
def test_multi_az_per_profile(stack_name, multi_az):
    assert inputs(synth(stack_name))["multiAz"] is multi_az


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_backups_are_kept_in_their_window_outside_maintenance(stack_name):
    values, settings = inputs(synth(stack_name)), settings_of(stack_name)
    assert values["backupRetentionPeriod"] == settings.backup_retention_days
    assert (values["backupWindow"], values["maintenanceWindow"]) == ("03:00-04:00", "sun:04:30-sun:05:30")
    assert values["copyTagsToSnapshot"] is True


def test_prod_keeps_at_least_a_week_of_backups(prod):
    assert inputs(prod)["backupRetentionPeriod"] >= 7


def test_automated_backups_outlive_a_deleted_instance(prod):
    assert inputs(prod)["deleteAutomatedBackups"] is False


@pytest.mark.parametrize("stack_name, protected", [("prod", True), ("staging", False)])
def test_deletion_protection_and_pulumi_protect_per_profile(stack_name, protected):
    resource = instance(synth(stack_name))
    assert resource["inputs"]["deletionProtection"] is protected
    assert resource["options"]["protect"] is protected


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_a_final_snapshot_with_a_stable_name_is_taken_on_delete(stack_name):
    values = inputs(synth(stack_name))
    assert values["skipFinalSnapshot"] is False
    assert values["finalSnapshotIdentifier"] == f"{values['identifier']}-final"


def test_identifier_names_project_stack_and_component(prod):
    assert inputs(prod)["identifier"] == "webapp-prod-database"


def test_parameter_group_matches_the_engine_and_forces_tls_and_logs_slow_queries(prod):
    group = source(prod, "parameterGroupName")
    parameters = {p["name"]: p["value"] for p in group["inputs"]["parameters"]}
    assert group["inputs"]["family"] == f"postgres{inputs(prod)['engineVersion'].split('.')[0]}"
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["log_min_duration_statement"] == str(settings_of("prod").slow_query_ms)
    assert parameters["log_connections"] == "1" and parameters["log_statement"] == "ddl"


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_parameter_group_logs_lock_waits_and_disconnections(request, stack_name):
    """A session waiting on a lock longer than deadlock_timeout, and every session's end, reach
    the postgresql log: what explains a slow or dropped request after the fact."""
    group = source(request.getfixturevalue(stack_name), "parameterGroupName")
    parameters = {p["name"]: p["value"] for p in group["inputs"]["parameters"]}
    assert (parameters["log_lock_waits"], parameters["log_disconnections"]) == ("1", "1")


def test_postgresql_and_upgrade_logs_go_to_encrypted_log_groups_created_first(prod):
    values = inputs(prod)
    assert values["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    logs_key = next(r for r in prod.children("logs") if r["type"] == "aws:kms/key:Key")
    for export in values["enabledCloudwatchLogsExports"]:
        group = next(
            r
            for r in prod.of_type(LOG_GROUP)
            if r["inputs"]["name"] == f"/aws/rds/instance/{values['identifier']}/{export}"
        )
        assert group["urn"] in instance(prod)["options"]["dependsOn"]
        assert group["inputs"]["retentionInDays"] == settings_of("prod").log_retention_days
        assert prod.depends_on(group, "kmsKeyId")[0]["urn"] == logs_key["urn"]


def test_enhanced_monitoring_every_60_seconds_with_a_role_only_rds_monitoring_assumes(prod):
    assert inputs(prod)["monitoringInterval"] == 60.0
    role = source(prod, "monitoringRoleArn")
    [statement] = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    attachment = next(
        r
        for r in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if role["urn"] in r["propertyDependencies"]["role"]
    )
    assert attachment["inputs"]["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def test_monitoring_role_is_assumable_only_for_this_instance_in_this_account(prod):
    role = source(prod, "monitoringRoleArn")
    [statement] = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert statement["Condition"] == {
        "ArnLike": {"aws:SourceArn": instance(prod)["outputs"]["arn"]},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }


def test_minor_upgrades_are_automatic_on_a_current_ca(prod):
    values = inputs(prod)
    assert values["autoMinorVersionUpgrade"] is True
    assert values["caCertIdentifier"] in CA_CERTIFICATES


def test_prod_replicates_backups_to_the_configured_region_through_its_provider(prod):
    replication = prod.one(REPLICATION)
    provider = prod.by_urn[replication["provider"].rsplit("::", 1)[0]]
    assert provider["inputs"]["region"] == "us-west-2"
    assert prod.depends_on(replication, "sourceDbInstanceArn")[0]["urn"] == instance(prod)["urn"]
    assert replication["outputs"]["kmsKeyId"].startswith("arn:aws:kms:us-west-2:")
    assert replication["inputs"]["retentionPeriod"] == inputs(prod)["backupRetentionPeriod"]
    assert replication["options"]["protect"] is True


def test_replicated_backups_are_encrypted_with_a_protected_key_of_that_region(prod):
    replication = prod.one(REPLICATION)
    [key] = prod.depends_on(replication, "kmsKeyId")
    assert key["provider"] == replication["provider"]
    assert key["outputs"]["arn"].startswith("arn:aws:kms:us-west-2:")
    assert key["options"]["protect"] is True


def test_backup_region_comes_from_config(optional_prod):
    # Its backups are replicated to eu-west-1.
    stack = optional_prod
    replication = stack.one(REPLICATION)
    assert stack.by_urn[replication["provider"].rsplit("::", 1)[0]]["inputs"]["region"] == "eu-west-1"


def test_staging_does_not_replicate_backups(staging):
    assert not staging.of_type(REPLICATION)


def test_stack_outputs_name_the_database_but_never_its_password(prod):
    outputs = prod.outputs
    assert set(OUTPUTS) <= set(outputs)
    secret = instance(prod)["outputs"]["masterUserSecrets"][0]["secretArn"]
    assert outputs["databaseSecretArn"] == secret
    assert outputs["databaseInstanceId"] == inputs(prod)["identifier"]
    assert outputs["databaseAddress"] == instance(prod)["outputs"]["address"]
    assert outputs["databasePort"] == 5432.0


def test_every_service_gets_host_port_name_app_user_and_verified_tls_as_plain_environment(staging):
    outputs = staging.outputs
    containers = app_containers(staging)
    assert len(containers) == 2
    for container in containers:
        env = environment(container)
        assert {key: value for key, value in env.items() if key.startswith("DATABASE_")} == {
            "DATABASE_HOST": outputs["databaseAddress"],
            "DATABASE_READ_HOSTS": env["DATABASE_READ_HOSTS"],
            "DATABASE_PORT": "5432",
            "DATABASE_NAME": outputs["databaseName"],
            "DATABASE_USER": "app",
            "DATABASE_SSLMODE": "verify-full",
            "DATABASE_SSLROOTCERT": "/etc/ssl/certs/rds-global-bundle.pem",
        }


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_no_container_definition_references_the_master_secret(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    master = stack.outputs["databaseSecretArn"]
    assert "rds!db-" in master
    for task in stack.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        for container in json.loads(task["inputs"]["containerDefinitions"]):
            values = [s["valueFrom"] for s in container.get("secrets", [])]
            values += [e["value"] for e in container.get("environment", [])]
            assert not [value for value in values if master in value or "rds!" in value], container["name"]
            assert "DATABASE_PASSWORD" not in {*environment(container), *secrets(container)}


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_task_roles_may_connect_to_the_database_only_as_the_app_user(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    # The primary and each read replica: every instance has its own DbiResourceId.
    resource_ids = [i["outputs"]["resourceId"] for i in stack.of_type(INSTANCE)]
    connect_grants = {}
    for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("rds-db:") or action == "*" for action in actions):
                connect_grants[policy["name"]] = (actions, statement["Resource"])
    services = [s["inputs"]["name"] for s in stack.of_type("aws:ecs/service:Service")]
    assert sorted(connect_grants) == sorted(f"{service}-task-data-access" for service in services)
    for actions, resources in connect_grants.values():
        assert actions == ["rds-db:connect"]
        account = instance(stack)["outputs"]["arn"].split(":")[4]
        assert sorted(resources) == sorted(
            f"arn:aws:rds-db:us-east-1:{account}:dbuser:{resource_id}/app" for resource_id in resource_ids
        )


def test_execution_roles_may_read_only_the_cache_secret_and_decrypt_it_only_through_secrets_manager(staging):
    outputs = staging.outputs
    for role_policy in staging.of_type("aws:iam/rolePolicy:RolePolicy"):
        if not role_policy["name"].endswith("-execution-policy"):
            continue
        by_sid = {s["Sid"]: s for s in json.loads(role_policy["inputs"]["policy"])["Statement"]}
        assert by_sid["ReadTaskSecrets"]["Resource"] == [outputs["cacheAuthSecretArn"]]
        decrypt = by_sid["DecryptTaskSecrets"]
        assert outputs["databaseKmsKeyArn"] not in decrypt["Resource"]
        assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}


def test_a_master_secret_rds_does_not_name_stops_the_update_naming_it():
    secret = aws.rds.outputs.InstanceMasterUserSecret(
        kms_key_id="arn:aws:kms:us-east-1:123456789012:key/x", secret_status="active"
    )
    with pytest.raises(ValueError, match="^the provider returned no master user secret ARN$"):
        master_secret_arn([secret])
