"""RDS DB instances (PostgreSQL): encryption, availability, backups, monitoring, patching. Their
master credentials, port and subnet group are checked in `rds_access`, their parameter groups in
`rds_parameter_groups`."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy
from .values import UNKNOWN, aws_managed_key, matches_any, show

INSTANCE = ("aws:rds/instance:Instance",)
PARAMETER_GROUP = ("aws:rds/parameterGroup:ParameterGroup",)


def postgres(db) -> bool:
    engine = db.get("engine")
    return isinstance(engine, str) and engine.startswith("postgres")


def is_replica(db) -> bool:
    return db.get("replicateSourceDb") is not None


def _storage_encrypted(db, config):
    if db.flag("storageEncrypted", False) is False:
        yield f"storageEncrypted is {show(db.get('storageEncrypted'))} (the provider default is false)"


storage_encrypted = resource_policy(
    Control(
        name="aws-rds-instance-storage-encrypted",
        description="RDS DB instances encrypt their storage at rest.",
        category="encryption",
        severity=Severity.MEDIUM,
        fsbp="RDS.3",
        checkov=("CKV_AWS_16",),
        remediation=(
            "Set storage_encrypted=True (with kms_key_id set to a customer-managed key) on the "
            "aws.rds.Instance. An existing instance cannot be encrypted in place: snapshot it, copy "
            "the snapshot with encryption and restore from the copy."
        ),
    ),
    INSTANCE,
)(_storage_encrypted)


def _customer_managed_key(db, config):
    key = db.get("kmsKeyId")
    if key is UNKNOWN:
        return
    if not key:
        yield "kmsKeyId is not set, so storage uses the AWS-managed key aws/rds"
    elif aws_managed_key(key):
        yield f"kmsKeyId {show(key)} is an AWS-managed key"
    elif config["allowedKeyArns"] and not matches_any(key, config["allowedKeyArns"]):
        yield f"kmsKeyId {show(key)} is not one of the allowed keys"


customer_managed_key = resource_policy(
    Control(
        name="aws-rds-instance-customer-managed-key",
        description="RDS DB instances are encrypted with a customer-managed KMS key, not aws/rds.",
        category="encryption",
        severity=Severity.MEDIUM,
        remediation=(
            "Create an aws.kms.Key (rotation on) and pass its ARN as kms_key_id. Changing the key "
            "of an existing instance replaces it: restore from a snapshot copied with the new key."
        ),
        config={
            "allowedKeyArns": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "If not empty, the KMS key ARNs (glob patterns) instances may use.",
            }
        },
    ),
    INSTANCE,
)(_customer_managed_key)


def _not_public(db, config):
    if db.flag("publiclyAccessible", False) is True:
        yield "publiclyAccessible is true"


not_public = resource_policy(
    Control(
        name="aws-rds-instance-not-public",
        description="RDS DB instances are not publicly accessible.",
        category="public-exposure",
        severity=Severity.CRITICAL,
        fsbp="RDS.2",
        checkov=("CKV_AWS_17",),
        remediation="Set publicly_accessible=False and place the instance in isolated subnets.",
    ),
    INSTANCE,
)(_not_public)


def _multi_az(db, config):
    if is_replica(db):
        return
    if db.flag("multiAz", False) is False:
        yield f"multiAz is {show(db.get('multiAz'))} (the provider default is false)"


multi_az = resource_policy(
    Control(
        name="aws-rds-instance-multi-az",
        description=(
            "RDS DB instances run Multi-AZ, with a standby in another Availability Zone. Read replicas are "
            "exempt: they spread over the AZs themselves, and the primary they copy is Multi-AZ."
        ),
        category="availability",
        severity=Severity.MEDIUM,
        fsbp="RDS.5",
        checkov=("CKV_AWS_157",),
        remediation="Set multi_az=True (the database.multiAz stack setting).",
    ),
    INSTANCE,
)(_multi_az)


def _backup_retention(db, config):
    if is_replica(db):
        return
    days = db.number("backupRetentionPeriod", 0.0)
    if days is not UNKNOWN and days < config["minimumDays"]:
        yield (
            f"backupRetentionPeriod is {show(db.get('backupRetentionPeriod'))} (the provider default is 0, "
            f"backups off); at least {show(config['minimumDays'])} days required"
        )


backup_retention = resource_policy(
    Control(
        name="aws-rds-instance-backup-retention",
        description=(
            "RDS DB instances keep automated backups for at least the configured number of days. Read replicas "
            "are exempt: RDS for PostgreSQL replicas have no automated backups of their own; the primary's cover them."
        ),
        category="backups",
        severity=Severity.MEDIUM,
        fsbp="RDS.11",
        checkov=("CKV_AWS_133",),
        remediation="Set backup_retention_period (the database.backupRetentionDays stack setting) to at least the minimum.",
        config={
            "minimumDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 35,
                "default": 7,
                "description": "Fewest days of automated backups (RDS allows 1-35; 0 turns backups off).",
            }
        },
    ),
    INSTANCE,
)(_backup_retention)


def _deletion_protection(db, config):
    if db.flag("deletionProtection", False) is False:
        yield f"deletionProtection is {show(db.get('deletionProtection'))} (the provider default is false)"
    if config["requireProtect"] and not db.protect:
        yield "the protect resource option is off"


deletion_protection = resource_policy(
    Control(
        name="aws-rds-instance-deletion-protection",
        description="RDS DB instances have deletion protection on.",
        category="deletion-safety",
        severity=Severity.LOW,
        fsbp="RDS.8",
        checkov=("CKV_AWS_293",),
        remediation=(
            "Set deletion_protection=True (the database.deletionProtection stack setting); with "
            "requireProtect, also give the resource the protect=True option."
        ),
        config={
            "requireProtect": {
                "type": "boolean",
                "default": False,
                "description": "Also require Pulumi's protect resource option.",
            }
        },
    ),
    INSTANCE,
)(_deletion_protection)


def _log_exports(db, config):
    exported = db.items("enabledCloudwatchLogsExports")
    if exported is UNKNOWN or UNKNOWN in exported:
        return
    missing = [kind for kind in config["requiredLogTypes"] if kind not in exported]
    if missing:
        yield f"enabledCloudwatchLogsExports does not include {', '.join(missing)}"


log_exports = resource_policy(
    Control(
        name="aws-rds-instance-log-exports",
        description="RDS DB instances export their engine logs to CloudWatch Logs.",
        category="logging",
        severity=Severity.MEDIUM,
        fsbp="RDS.9",
        securityhub=("RDS.36",),
        checkov=("CKV_AWS_129",),
        remediation='Set enabled_cloudwatch_logs_exports=["postgresql", "upgrade"].',
        config={
            "requiredLogTypes": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["postgresql", "upgrade"],
                "description": "Log types every instance exports.",
            }
        },
    ),
    INSTANCE,
)(_log_exports)


def _enhanced_monitoring(db, config):
    interval = db.number("monitoringInterval", 0.0)
    if interval is UNKNOWN:
        return
    if interval not in [float(i) for i in config["allowedIntervals"]]:
        yield f"monitoringInterval is {show(db.get('monitoringInterval'))} (the provider default is 0, monitoring off)"
    elif db.get("monitoringRoleArn") is None:
        yield "monitoringRoleArn is not set"


enhanced_monitoring = resource_policy(
    Control(
        name="aws-rds-instance-enhanced-monitoring",
        description="RDS DB instances have Enhanced Monitoring on, with a monitoring role.",
        category="monitoring",
        severity=Severity.LOW,
        fsbp="RDS.6",
        checkov=("CKV_AWS_118",),
        remediation=(
            "Set monitoring_interval (e.g. 60) and monitoring_role_arn to a role trusting "
            "monitoring.rds.amazonaws.com with AmazonRDSEnhancedMonitoringRole attached."
        ),
        config={
            "allowedIntervals": {
                "type": "array",
                "items": {"type": "integer", "enum": [1, 5, 10, 15, 30, 60]},
                "default": [1, 5, 10, 15, 30, 60],
                "description": "Accepted monitoring intervals in seconds (0 turns monitoring off).",
            }
        },
    ),
    INSTANCE,
)(_enhanced_monitoring)


def _iam_authentication(db, config):
    if db.flag("iamDatabaseAuthenticationEnabled", False) is False:
        yield f"iamDatabaseAuthenticationEnabled is {show(db.get('iamDatabaseAuthenticationEnabled'))}"


iam_authentication = resource_policy(
    Control(
        name="aws-rds-instance-iam-authentication",
        description="RDS DB instances accept IAM database authentication.",
        category="least-privilege",
        severity=Severity.MEDIUM,
        fsbp="RDS.10",
        checkov=("CKV_AWS_161",),
        remediation="Set iam_database_authentication_enabled=True.",
    ),
    INSTANCE,
)(_iam_authentication)


def _patching(db, config):
    if db.flag("autoMinorVersionUpgrade", True) is False:
        yield "autoMinorVersionUpgrade is false"
    ca = db.get("caCertIdentifier")
    if ca is not None and ca is not UNKNOWN and ca not in config["allowedCaCertificates"]:
        yield f"caCertIdentifier {show(ca)} is not a current CA ({', '.join(config['allowedCaCertificates'])})"


patching = resource_policy(
    Control(
        name="aws-rds-instance-patching",
        description="RDS DB instances take minor engine upgrades and use a current CA certificate.",
        category="patching",
        severity=Severity.HIGH,
        fsbp="RDS.13",
        checkov=("CKV_AWS_226", "CKV_AWS_211"),
        remediation="Leave auto_minor_version_upgrade at its default (true) and set ca_cert_identifier to a current CA.",
        config={
            "allowedCaCertificates": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"],
                "description": "CA certificate identifiers an instance may use (absent = the region's default).",
            }
        },
    ),
    INSTANCE,
)(_patching)


def _copy_tags_to_snapshots(db, config):
    if db.flag("copyTagsToSnapshot", False) is False:
        yield f"copyTagsToSnapshot is {show(db.get('copyTagsToSnapshot'))} (the provider default is false)"


copy_tags_to_snapshots = resource_policy(
    Control(
        name="aws-rds-instance-copy-tags-to-snapshots",
        description="RDS DB instances copy their tags to snapshots.",
        category="hygiene",
        severity=Severity.LOW,
        fsbp="RDS.17",
        checkov=("CKV2_AWS_60",),
        remediation="Set copy_tags_to_snapshot=True.",
    ),
    INSTANCE,
)(_copy_tags_to_snapshots)


def _performance_insights_key(db, config):
    if db.flag("performanceInsightsEnabled", False) is not True:
        return
    key = db.get("performanceInsightsKmsKeyId")
    if key is UNKNOWN:
        return
    if key is None:
        yield "performanceInsightsKmsKeyId is not set, so Performance Insights uses the AWS-managed key"
    elif aws_managed_key(key):
        yield f"performanceInsightsKmsKeyId {show(key)} is an AWS-managed key"


performance_insights_key = resource_policy(
    Control(
        name="aws-rds-instance-performance-insights-key",
        description="RDS Performance Insights data is encrypted with a customer-managed KMS key.",
        category="encryption",
        severity=Severity.MEDIUM,
        checkov=("CKV_AWS_353", "CKV_AWS_354"),
        remediation="With performance_insights_enabled=True, set performance_insights_kms_key_id to a customer-managed key.",
    ),
    INSTANCE,
)(_performance_insights_key)


# The pack serves exactly these, in this order.
POLICIES = [
    storage_encrypted,
    customer_managed_key,
    not_public,
    multi_az,
    backup_retention,
    deletion_protection,
    log_exports,
    enhanced_monitoring,
    iam_authentication,
    patching,
    copy_tags_to_snapshots,
    performance_insights_key,
]
