"""RDS policies: the compliant instance and its parameter group, each broken property and the
omissions whose provider default is safe, which tests/test_policies.py runs; here the messages,
default parameter groups, the policy config and read replicas."""

from tests.policy_support import ACCOUNT, DELETE, PolicyTable, document, messages, resource, variant_urn

INSTANCE = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0c6f0bd2-4f1e-4d1c-9a55-4a3b7f0e6d11"
PARAMETERS = [
    {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"},
    {"name": "log_statement", "value": "ddl", "applyMethod": "immediate"},
    {"name": "log_min_duration_statement", "value": "1000", "applyMethod": "immediate"},
    {"name": "log_connections", "value": "1", "applyMethod": "immediate"},
]
GROUP = resource(PARAMETER_GROUP, "params", {"family": "postgres17", "name": "params-1", "parameters": PARAMETERS})
INSTANCE_INPUTS = {
    "engine": "postgres",
    "engineVersion": "17",
    "instanceClass": "db.r7g.large",
    "identifier": "webapp-test-database",
    "storageEncrypted": True,
    "kmsKeyId": KEY,
    "publiclyAccessible": False,
    "multiAz": True,
    "backupRetentionPeriod": 14.0,
    "deletionProtection": True,
    "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
    "monitoringInterval": 60.0,
    "monitoringRoleArn": f"arn:aws:iam::{ACCOUNT}:role/database-monitoring",
    "iamDatabaseAuthenticationEnabled": True,
    "autoMinorVersionUpgrade": True,
    "caCertIdentifier": "rds-ca-rsa2048-g1",
    "copyTagsToSnapshot": True,
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": KEY,
    "manageMasterUserPassword": True,
    "masterUserSecretKmsKeyId": KEY,
    "username": "app_admin",
    "port": 6543.0,
    "dbSubnetGroupName": "database-subnets-1",
    "parameterGroupName": "params-1",
    "vpcSecurityGroupIds": ["sg-0123456789abcdef0"],
}
DB = resource(INSTANCE, "db", INSTANCE_INPUTS, deps={"parameterGroupName": [GROUP["urn"]]}, protect=True)

# variant: (policy, path into the inputs, new value or DELETE)
BREAKS = {
    "unencrypted": ("aws-rds-instance-storage-encrypted", ("storageEncrypted",), False),
    "encryption-unset": ("aws-rds-instance-storage-encrypted", ("storageEncrypted",), DELETE),
    "no-kms-key": ("aws-rds-instance-customer-managed-key", ("kmsKeyId",), DELETE),
    "aws-managed-key": ("aws-rds-instance-customer-managed-key", ("kmsKeyId",), "alias/aws/rds"),
    "public": ("aws-rds-instance-not-public", ("publiclyAccessible",), True),
    "single-az": ("aws-rds-instance-multi-az", ("multiAz",), False),
    "multi-az-unset": ("aws-rds-instance-multi-az", ("multiAz",), DELETE),
    "retention-1": ("aws-rds-instance-backup-retention", ("backupRetentionPeriod",), 1.0),
    "retention-unset": ("aws-rds-instance-backup-retention", ("backupRetentionPeriod",), DELETE),
    "no-deletion-protection": ("aws-rds-instance-deletion-protection", ("deletionProtection",), False),
    "no-upgrade-log": ("aws-rds-instance-log-exports", ("enabledCloudwatchLogsExports",), ["postgresql"]),
    "no-log-exports": ("aws-rds-instance-log-exports", ("enabledCloudwatchLogsExports",), DELETE),
    "monitoring-off": ("aws-rds-instance-enhanced-monitoring", ("monitoringInterval",), 0.0),
    "monitoring-interval-45": ("aws-rds-instance-enhanced-monitoring", ("monitoringInterval",), 45.0),
    "monitoring-no-role": ("aws-rds-instance-enhanced-monitoring", ("monitoringRoleArn",), DELETE),
    "no-iam-auth": ("aws-rds-instance-iam-authentication", ("iamDatabaseAuthenticationEnabled",), False),
    "no-minor-upgrades": ("aws-rds-instance-patching", ("autoMinorVersionUpgrade",), False),
    "old-ca": ("aws-rds-instance-patching", ("caCertIdentifier",), "rds-ca-2019"),
    "no-tag-copy": ("aws-rds-instance-copy-tags-to-snapshots", ("copyTagsToSnapshot",), False),
    "pi-default-key": ("aws-rds-instance-performance-insights-key", ("performanceInsightsKmsKeyId",), DELETE),
    "pi-aws-key": ("aws-rds-instance-performance-insights-key", ("performanceInsightsKmsKeyId",), "alias/aws/rds"),
    "plain-password": ("aws-rds-instance-managed-master-password", ("password",), "hunter2hunter2"),
    "unmanaged-password": ("aws-rds-instance-managed-master-password", ("manageMasterUserPassword",), False),
    "secret-aws-key": (
        "aws-rds-instance-managed-master-password",
        ("masterUserSecretKmsKeyId",),
        "alias/aws/secretsmanager",
    ),
    "secret-default-key": ("aws-rds-instance-managed-master-password", ("masterUserSecretKmsKeyId",), DELETE),
    "port-5432": ("aws-rds-instance-non-default-port", ("port",), 5432.0),
    "port-unset": ("aws-rds-instance-non-default-port", ("port",), DELETE),
    "user-postgres": ("aws-rds-instance-non-default-admin-username", ("username",), "postgres"),
    "user-admin": ("aws-rds-instance-non-default-admin-username", ("username",), "Admin"),
    "default-subnet-group": ("aws-rds-instance-subnet-group", ("dbSubnetGroupName",), "default"),
    "no-subnet-group": ("aws-rds-instance-subnet-group", ("dbSubnetGroupName",), DELETE),
}
# Inputs whose provider default is safe: leaving them out passes.
SAFE_OMISSIONS = ["autoMinorVersionUpgrade", "publiclyAccessible", "caCertIdentifier", "performanceInsightsEnabled"]

# parameter group variant: (policy, path into the group's inputs, new value or DELETE); reported on the
# instance that uses the group
GROUP_BREAKS = {
    "ssl-off": ("aws-rds-instance-parameter-group-tls", ("parameters", 0, "value"), "0"),
    "ssl-unset": ("aws-rds-instance-parameter-group-tls", ("parameters", 0), DELETE),
    "statements-unlogged": ("aws-rds-instance-parameter-group-logging", ("parameters", 1, "value"), "none"),
    "slow-log-off": ("aws-rds-instance-parameter-group-logging", ("parameters", 2, "value"), "-1"),
    "connections-unlogged": ("aws-rds-instance-parameter-group-logging", ("parameters", 3), DELETE),
}
TABLE = (
    PolicyTable(GROUP, DB)
    .breaks("db", BREAKS)
    .breaks("db", {f"omit-{key}": (None, (key,), DELETE) for key in SAFE_OMISSIONS})
    .breaks("params", GROUP_BREAKS, on="db")
)


def test_messages_name_the_value_and_the_minimum(report):
    assert messages(report, "aws-rds-instance-backup-retention", variant_urn(DB, "retention-1")) == [
        "backupRetentionPeriod is 1 (the provider default is 0, backups off); at least 7 days required"
    ]


def test_an_instance_on_the_default_parameter_group_cannot_prove_tls(policy_pack):
    db = resource(INSTANCE, "db", {**INSTANCE_INPUTS, "parameterGroupName": "default.postgres17"})
    result = policy_pack.check(document(db))
    assert messages(result, "aws-rds-instance-parameter-group-tls") == [
        "uses the engine's default parameter group 'default.postgres17', which this stack cannot configure"
    ]


def test_minimum_backup_days_come_from_the_policy_config(policy_pack):
    db = resource(INSTANCE, "db", {**INSTANCE_INPUTS, "backupRetentionPeriod": 14.0})
    config = {"aws-rds-instance-backup-retention": {"minimumDays": 21}}
    result = policy_pack.check(document(db), config)
    assert messages(result, "aws-rds-instance-backup-retention") == [
        "backupRetentionPeriod is 14 (the provider default is 0, backups off); at least 21 days required"
    ]


def test_require_protect_flags_an_unprotected_instance(policy_pack):
    db = resource(INSTANCE, "db", INSTANCE_INPUTS, protect=False)
    result = policy_pack.check(document(db), {"aws-rds-instance-deletion-protection": {"requireProtect": True}})
    assert messages(result, "aws-rds-instance-deletion-protection") == ["the protect resource option is off"]


def test_a_replica_is_not_asked_for_backups_or_a_master_password(policy_pack):
    replica_inputs = {
        key: value
        for key, value in INSTANCE_INPUTS.items()
        if key not in ("backupRetentionPeriod", "manageMasterUserPassword", "masterUserSecretKmsKeyId", "username")
    }
    replica = resource(INSTANCE, "replica", {**replica_inputs, "replicateSourceDb": "webapp-test-database"})
    result = policy_pack.check(document(GROUP, replica))
    assert messages(result, "aws-rds-instance-backup-retention") == []
    assert messages(result, "aws-rds-instance-managed-master-password") == []


def replica(**inputs) -> dict:
    """A read replica as components/read_replicas.py registers it: single-AZ, no backups, no user."""
    kept = {
        key: value
        for key, value in INSTANCE_INPUTS.items()
        if key not in ("backupRetentionPeriod", "manageMasterUserPassword", "masterUserSecretKmsKeyId", "username")
    }
    merged = {**kept, "multiAz": False, "replicateSourceDb": "webapp-test-database", **inputs}
    return resource(INSTANCE, "replica", merged, deps={"parameterGroupName": [GROUP["urn"]]}, protect=True)


def test_a_single_az_replica_passes_the_multi_az_control(policy_pack):
    result = policy_pack.check(document(GROUP, replica()), {"aws-rds-instance-multi-az": "mandatory"})
    assert messages(result, "aws-rds-instance-multi-az") == []


def test_a_replica_is_held_to_the_encryption_and_monitoring_controls(policy_pack):
    result = policy_pack.check(document(GROUP, replica(storageEncrypted=False, monitoringInterval=0.0)))
    assert messages(result, "aws-rds-instance-storage-encrypted") and messages(
        result, "aws-rds-instance-enhanced-monitoring"
    )


def test_a_default_subnet_group_says_why_it_is_one(report):
    subnet_group = "aws-rds-instance-subnet-group"
    assert messages(report, subnet_group, variant_urn(DB, "no-subnet-group")) == [
        "dbSubnetGroupName is not set, so the instance lands in the default subnet group"
    ]
    assert messages(report, subnet_group, variant_urn(DB, "default-subnet-group")) == ["dbSubnetGroupName is 'default'"]
