"""The Database component built alone (tests.components_support) as the composition builds it:
through the stack's provider, its backups copied through a provider of the backup region, with
settings away from their defaults, so that an input the component dropped (left to an AWS
default) or an option it lost (parent, provider, protect) shows."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.database import Database, DatabaseArgs
from components.datastore import KeyAccess
from settings.database import DatabaseSettings
from tests.components_support import CONTEXT, ISOLATED_SUBNETS, LOG_KEY, VPC, ZONES, build, export_link, settings_with
from tests.support import Synth

INSTANCE = "aws:rds/instance:Instance"
REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
BACKUP_REGION = "eu-west-1"
KEY_ADMIN = "arn:aws:iam::123456789012:role/webapp-prod-key-admin"
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/web-execution-role"
WEB_SECURITY_GROUP = "sg-0f1e2d3c4b5a69788"
IDENTIFIER = "webapp-prod-database"
OVERRIDES = {
    "webapp:database": {
        "backupReplicationRegion": BACKUP_REGION,
        "backupRetentionDays": 21,
        "backupWindow": "02:00-03:00",
        "maintenanceWindow": "sat:05:00-sat:06:00",
        "port": 5433,
        "databaseName": "orders",
        "masterUsername": "orders_admin",
        "appUser": "orders_app",
        "caBundlePath": "/etc/ssl/certs/rds-bundle.pem",
        "allocatedStorageGb": 200,
        "maxAllocatedStorageGb": 1500,
        "monitoringIntervalSeconds": 30,
        "performanceInsightsRetentionDays": 31,
        "caCertificate": "rds-ca-ecc384-g1",
        "logRetentionDays": 731,
        "slowQueryMs": 250,
    }
}


@pytest.fixture(scope="module")
def settings() -> DatabaseSettings:
    return settings_with("prod", OVERRIDES).database


def program_of(settings: DatabaseSettings, backup_provider: bool = True):
    """The database as composition._data_tier builds it, with what it hands the services (its
    ServiceLink) as the stack output `link`."""

    def program() -> None:
        provider = aws.Provider("aws", region=CONTEXT.region)
        database = Database(
            "database",
            DatabaseArgs(
                settings=settings,
                context=CONTEXT,
                vpc_id=VPC,
                subnet_ids=ISOLATED_SUBNETS,
                log_key_arn=LOG_KEY,
                backup_provider=aws.Provider("aws-backup-region", region=settings.backup_replication_region)
                if backup_provider
                else None,
                key_access=KeyAccess(administrators=[KEY_ADMIN], consumers=[EXECUTION_ROLE]),
                availability_zones=ZONES,
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        database.allow_from("web", WEB_SECURITY_GROUP)
        export_link(database.link)
        pulumi.export("replicated_backups_arn", database.replicated_backups_arn)

    return program


@pytest.fixture(scope="module")
def alone(settings) -> Synth:
    return build("prod", program_of(settings))


def provider_of(stack: Synth, resource: dict) -> dict:
    return stack.by_urn[resource["provider"].rsplit("::", 1)[0]]


def backup_key(stack: Synth) -> dict:
    return stack.one("webapp:components:EncryptionKey", "database-backup-encryption")


def test_prods_settings_replicate_backups(settings):
    # What the tests below read exists only with cross-region backups on, as prod has them.
    assert settings.cross_region_backups and settings.protect


def test_a_database_deleted_without_a_final_snapshot_names_none(settings):
    # A snapshot name on an instance that skips its final snapshot would read, in the plan, as a
    # snapshot that deleting the stack takes.
    stack = build("staging", program_of(settings.model_copy(update={"skip_final_snapshot": True})))
    [instance] = stack.of_type(INSTANCE)
    assert instance["inputs"]["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in instance["inputs"]


def test_cross_region_backups_without_a_provider_of_that_region_are_refused(settings):
    with pytest.raises(ValueError) as raised:
        build("prod", program_of(settings, backup_provider=False))
    assert str(raised.value) == f"database: cross-region backups need a provider for {BACKUP_REGION}"


def test_the_backup_key_is_the_databases_own_component(alone):
    # Parented elsewhere, the key would have other URNs: a plan would replace the protected key.
    database = alone.one("webapp:components:Database")["urn"]
    key = backup_key(alone)
    assert key["parent"] == database
    assert [r["parent"] for r in alone.of_type(KEY) + alone.of_type(ALIAS) if "backup" in r["name"]] == [key["urn"]] * 2


def test_the_backup_key_and_its_alias_are_made_in_the_backup_region(alone):
    # KMS keys never leave their region: the copies need a key of the backup region.
    for type_ in (KEY, ALIAS):
        [resource] = [r for r in alone.of_type(type_) if r["parent"] == backup_key(alone)["urn"]]
        assert provider_of(alone, resource)["inputs"]["region"] == BACKUP_REGION, type_
        assert provider_of(alone, resource)["name"] == "aws-backup-region"


def test_the_backup_key_says_what_it_encrypts_and_from_where(alone):
    [key] = [r for r in alone.of_type(KEY) if r["parent"] == backup_key(alone)["urn"]]
    assert key["inputs"]["description"] == f"RDS {IDENTIFIER}: automated backups replicated from us-east-1"


def test_the_backup_key_is_protected_and_administered_by_the_stacks_key_administrators(alone):
    [key] = [r for r in alone.of_type(KEY) if r["parent"] == backup_key(alone)["urn"]]
    assert key["options"]["protect"] is True
    by_sid = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert by_sid["KeyAdministrators"]["Principal"] == {"AWS": KEY_ADMIN}


def test_the_replication_copies_the_instance_under_the_backup_key_for_the_retention_period(alone, settings):
    replication = alone.one(REPLICATION)
    assert replication["parent"] == alone.one("webapp:components:Database")["urn"]
    assert provider_of(alone, replication)["name"] == "aws-backup-region"
    assert replication["inputs"]["retentionPeriod"] == settings.backup_retention_days == 21
    assert replication["options"]["protect"] is True
    [key] = alone.depends_on(replication, "kmsKeyId")
    assert key["parent"] == backup_key(alone)["urn"]
    [source] = alone.depends_on(replication, "sourceDbInstanceArn")
    assert source["name"] == "database-instance"


def instance(stack: Synth) -> dict:
    return stack.one(INSTANCE, "database-instance")


def database_key(stack: Synth) -> dict:
    return stack.one(KEY, "database-encryption-key")


def test_the_instance_takes_what_the_settings_say(alone, settings):
    inputs = instance(alone)["inputs"]
    assert {key: inputs[key] for key in SETTINGS_INPUTS} == {
        "identifier": IDENTIFIER,
        "engineVersion": settings.engine_version,
        "instanceClass": settings.instance_class,
        "allocatedStorage": 200,
        "maxAllocatedStorage": 1500,
        "dbName": "orders",
        "username": "orders_admin",
        "port": 5433,
        "multiAz": True,
        "backupRetentionPeriod": 21,
        "backupWindow": "02:00-03:00",
        "maintenanceWindow": "sat:05:00-sat:06:00",
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": f"{IDENTIFIER}-final",
        "monitoringInterval": 30,
        "performanceInsightsRetentionPeriod": 31,
        "caCertIdentifier": "rds-ca-ecc384-g1",
        # Prod changes in its maintenance window.
        "applyImmediately": False,
    }


SETTINGS_INPUTS = (
    "identifier",
    "engineVersion",
    "instanceClass",
    "allocatedStorage",
    "maxAllocatedStorage",
    "dbName",
    "username",
    "port",
    "multiAz",
    "backupRetentionPeriod",
    "backupWindow",
    "maintenanceWindow",
    "deletionProtection",
    "skipFinalSnapshot",
    "finalSnapshotIdentifier",
    "monitoringInterval",
    "performanceInsightsRetentionPeriod",
    "caCertIdentifier",
    "applyImmediately",
)


def test_the_instance_is_postgres_on_gp3_encrypted_with_its_key_everywhere(alone):
    inputs = instance(alone)["inputs"]
    key = database_key(alone)["outputs"]["arn"]
    assert (inputs["engine"], inputs["storageType"], inputs["storageEncrypted"]) == ("postgres", "gp3", True)
    assert (inputs["kmsKeyId"], inputs["masterUserSecretKmsKeyId"], inputs["performanceInsightsKmsKeyId"]) == (key,) * 3
    assert (inputs["manageMasterUserPassword"], inputs["performanceInsightsEnabled"]) == (True, True)


def test_the_instance_is_private_in_its_subnet_group_behind_its_security_group(alone):
    inputs = instance(alone)["inputs"]
    assert inputs["dbSubnetGroupName"] == alone.one("aws:rds/subnetGroup:SubnetGroup")["outputs"]["name"]
    assert inputs["vpcSecurityGroupIds"] == [alone.one("aws:ec2/securityGroup:SecurityGroup")["id"]]
    assert (inputs["publiclyAccessible"], inputs["networkType"]) == (False, "IPV4")
    assert inputs["iamDatabaseAuthenticationEnabled"] is True


def test_the_instance_keeps_its_backups_upgrades_itself_exports_its_logs_and_is_named(alone):
    inputs = instance(alone)["inputs"]
    assert (inputs["copyTagsToSnapshot"], inputs["deleteAutomatedBackups"]) == (True, False)
    assert inputs["autoMinorVersionUpgrade"] is True
    assert inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert inputs["tags"] == {"Name": IDENTIFIER}
    assert inputs["parameterGroupName"] == alone.one("aws:rds/parameterGroup:ParameterGroup")["outputs"]["name"]
    assert inputs["monitoringRoleArn"] == alone.one("aws:iam/role:Role", "database-monitoring-role")["outputs"]["arn"]


def test_the_instance_is_protected_waits_for_its_log_groups_and_monitoring_and_has_long_timeouts(alone):
    options = instance(alone)["options"]
    assert options["protect"] is True
    waits = {alone.by_urn[urn]["name"] for urn in options["dependsOn"]}
    assert waits == {"database-postgresql-logs", "database-upgrade-logs", "database-monitoring-policy"}
    assert options["customTimeouts"] == {"create": "90m", "update": "120m", "delete": "90m"}


def test_the_database_resources_are_the_components_own(alone):
    database = alone.one("webapp:components:Database")["urn"]
    mine = {r["name"] for r in alone.resources if r["parent"] == database}
    assert mine == {
        "database-encryption",
        "database-backup-encryption",
        "database-sg",
        "database-subnets",
        "database-params",
        "database-postgresql-logs",
        "database-upgrade-logs",
        "database-monitoring-role",
        "database-monitoring-policy",
        "database-instance",
        "database-backup-replication",
        "database-from-web",
    }


def test_the_database_is_made_through_the_provider_it_is_given_its_backup_copies_through_the_backup_regions(alone):
    # A resource made through the default provider escapes the stack's allowed accounts and region.
    backup = {r["urn"] for r in alone.resources if r["name"].startswith("database-backup-")}
    custom = [r for r in alone.resources if r["custom"] and not r["type"].startswith("pulumi:providers:")]
    assert len(backup) == 4 and len(custom) == 14
    for resource in custom:
        expected = "aws-backup-region" if resource["urn"] in backup or resource["parent"] in backup else "aws"
        assert provider_of(alone, resource)["name"] == expected, resource["name"]


def test_the_subnet_group_spans_the_isolated_subnets_it_is_given(alone):
    assert alone.one("aws:rds/subnetGroup:SubnetGroup")["inputs"] == {
        "subnetIds": ISOLATED_SUBNETS,
        "description": f"Isolated subnets of {IDENTIFIER}",
    }


def test_the_parameter_group_is_of_the_engines_family_with_the_settings_parameters(alone, settings):
    group = alone.one("aws:rds/parameterGroup:ParameterGroup")["inputs"]
    assert group["family"] == "postgres17"
    assert group["description"] == f"PostgreSQL 17 for {IDENTIFIER}: TLS only, slow query logging"
    assert {p["name"]: p["value"] for p in group["parameters"]} == settings.parameters
    assert {p["name"]: p["value"] for p in group["parameters"]}["log_min_duration_statement"] == "250"


def test_each_log_export_has_its_encrypted_group_kept_as_configured(alone):
    groups = {r["name"]: r["inputs"] for r in alone.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert groups == {
        f"database-{export}-logs": {
            "name": f"/aws/rds/instance/{IDENTIFIER}/{export}",
            "retentionInDays": 731,
            "kmsKeyId": LOG_KEY,
        }
        for export in ("postgresql", "upgrade")
    }


def test_the_monitoring_role_is_rds_monitorings_for_this_instance_only(alone):
    role = alone.one("aws:iam/role:Role", "database-monitoring-role")
    assert role["inputs"]["description"] == f"RDS enhanced monitoring of {IDENTIFIER}"
    [statement] = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    # Without replicas, no wildcard: only the instance itself.
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:rds:us-east-1:123456789012:db:{IDENTIFIER}"}
    attachment = alone.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment["inputs"]["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    assert alone.depends_on(attachment, "role") == [role]


def test_the_services_get_the_instance_its_port_name_user_and_verified_tls_and_may_connect_as_the_app_user(alone):
    state = instance(alone)["outputs"]
    assert alone.outputs["link"] == {
        "environment": {
            "DATABASE_HOST": state["address"],
            "DATABASE_PORT": "5433",
            "DATABASE_NAME": "orders",
            # Without replicas the reads go to the primary.
            "DATABASE_READ_HOSTS": state["address"],
            "DATABASE_USER": "orders_app",
            "DATABASE_SSLMODE": "verify-full",
            "DATABASE_SSLROOTCERT": "/etc/ssl/certs/rds-bundle.pem",
        },
        "secrets": {},
        "secret_arns": [],
        "key_arns": [],
        "task_statements": [
            {
                "Sid": "ConnectAsAppUser",
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": [f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{state['resourceId']}/orders_app"],
            }
        ],
    }


def test_the_database_registers_its_instance_endpoint_port_name_secret_security_group_and_key(alone):
    state = instance(alone)["outputs"]
    assert alone.one("webapp:components:Database")["outputs"] == {
        "instance_id": IDENTIFIER,
        "endpoint": state["endpoint"],
        "port": 5433,
        "database_name": "orders",
        "secret_arn": state["masterUserSecrets"][0]["secretArn"],
        "security_group_id": alone.one("aws:ec2/securityGroup:SecurityGroup")["id"],
        "key_arn": database_key(alone)["outputs"]["arn"],
    }


def test_the_replicated_backups_are_named_by_the_replications_id(alone):
    assert alone.outputs["replicated_backups_arn"] == alone.one(REPLICATION)["id"]


def test_the_databases_key_says_what_it_encrypts_is_protected_and_used_only_through_rds_and_secrets_manager(alone):
    key = database_key(alone)
    assert key["inputs"]["description"] == f"RDS {IDENTIFIER}: storage, Performance Insights, master user secret"
    assert key["options"]["protect"] is True
    by_sid = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert by_sid["NamedConsumersDecrypt"]["Principal"] == {"AWS": EXECUTION_ROLE}
    assert by_sid["NamedConsumersDecrypt"]["Condition"] == {
        "StringEquals": {"kms:ViaService": ["rds.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"]}
    }


def test_a_service_is_let_in_on_the_databases_port(alone):
    assert alone.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")["inputs"] == {
        "securityGroupId": alone.one("aws:ec2/securityGroup:SecurityGroup")["id"],
        "referencedSecurityGroupId": WEB_SECURITY_GROUP,
        "ipProtocol": "tcp",
        "fromPort": 5433,
        "toPort": 5433,
        "description": "web service to database on 5433",
        "tags": {"Name": "database-from-web"},
    }
