"""ElastiCache (Redis OSS / Valkey) replication groups."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy
from .values import UNKNOWN, aws_managed_key, default_subnet_group, show

REPLICATION_GROUP = ("aws:elasticache/replicationGroup:ReplicationGroup",)


def _encrypted_at_rest(cache, config):
    enabled = cache.flag("atRestEncryptionEnabled")
    if enabled is UNKNOWN:
        return
    if enabled is not True:
        yield (
            f"atRestEncryptionEnabled is {show(cache.get('atRestEncryptionEnabled'))} "
            "(set it explicitly: the default is false for redis)"
        )
        return
    key = cache.get("kmsKeyId")
    if key is UNKNOWN:
        return
    if key is not None and aws_managed_key(key):
        yield f"kmsKeyId {show(key)} is an AWS-managed key"
    elif key is None and config["requireCustomerManagedKey"]:
        yield "kmsKeyId is not set, so data at rest uses the service-managed key"


encrypted_at_rest = resource_policy(
    Control(
        name="aws-elasticache-replication-group-encrypted-at-rest",
        description="ElastiCache replication groups encrypt data at rest, with a customer-managed KMS key.",
        category="encryption",
        severity=Severity.MEDIUM,
        fsbp="ElastiCache.4",
        checkov=("CKV_AWS_29", "CKV_AWS_191"),
        remediation=(
            "Set at_rest_encryption_enabled=True explicitly (its default depends on the engine) and "
            "kms_key_id to a customer-managed key. Changing either replaces the replication group."
        ),
        config={
            "requireCustomerManagedKey": {
                "type": "boolean",
                "default": True,
                "description": "Require kms_key_id to be a customer-managed key.",
            }
        },
    ),
    REPLICATION_GROUP,
)(_encrypted_at_rest)


def _encrypted_in_transit(cache, config):
    if cache.flag("transitEncryptionEnabled") not in (True, UNKNOWN):
        yield f"transitEncryptionEnabled is {show(cache.get('transitEncryptionEnabled'))}"
    mode = cache.get("transitEncryptionMode")
    if mode is not None and mode is not UNKNOWN and mode != "required":
        yield f"transitEncryptionMode is {show(mode)}, so clients may still connect without TLS"


encrypted_in_transit = resource_policy(
    Control(
        name="aws-elasticache-replication-group-encrypted-in-transit",
        description="ElastiCache replication groups require TLS from every client.",
        category="encryption",
        severity=Severity.MEDIUM,
        fsbp="ElastiCache.5",
        checkov=("CKV_AWS_30",),
        remediation=(
            'Set transit_encryption_enabled=True and transit_encryption_mode="required" (or leave the '
            'mode unset); "preferred" is only a migration step that still accepts plaintext clients.'
        ),
    ),
    REPLICATION_GROUP,
)(_encrypted_in_transit)


def _auth(cache, config):
    if cache.has("authToken"):
        return
    groups = cache.items("userGroupIds")
    if groups is UNKNOWN or groups:
        return
    yield "neither authToken nor userGroupIds is set, so any client that reaches the port gets in"


auth = resource_policy(
    Control(
        name="aws-elasticache-replication-group-auth",
        description="ElastiCache replication groups make clients authenticate (AUTH token or RBAC user group).",
        category="public-exposure",
        severity=Severity.MEDIUM,
        fsbp="ElastiCache.6",
        checkov=("CKV_AWS_31",),
        remediation=(
            "Set auth_token from a generated secret kept in Secrets Manager (needs transit encryption), "
            "or user_group_ids with an RBAC user group."
        ),
    ),
    REPLICATION_GROUP,
)(_auth)


def _multi_az(cache, config):
    for key in ("automaticFailoverEnabled", "multiAzEnabled"):
        if cache.flag(key, False) is False:
            yield f"{key} is {show(cache.get(key))} (the provider default is false)"
    if cache.has("numNodeGroups"):
        replicas = cache.number("replicasPerNodeGroup", 0.0)
        if replicas is not UNKNOWN and replicas < 1:
            yield f"replicasPerNodeGroup is {show(cache.get('replicasPerNodeGroup'))}, so shards have no replica"
    else:
        nodes = cache.number("numCacheClusters", 1.0)
        if nodes is not UNKNOWN and nodes < 2:
            yield f"numCacheClusters is {show(cache.get('numCacheClusters'))} (the provider default is 1); at least 2 needed"


multi_az = resource_policy(
    Control(
        name="aws-elasticache-replication-group-multi-az",
        description="ElastiCache replication groups have a replica in another AZ with automatic failover.",
        category="availability",
        severity=Severity.MEDIUM,
        fsbp="ElastiCache.3",
        checkov=("CKV2_AWS_50",),
        remediation=(
            "Set automatic_failover_enabled=True, multi_az_enabled=True and num_cache_clusters >= 2 "
            "(the cache.numNodes, automaticFailover and multiAz stack settings)."
        ),
    ),
    REPLICATION_GROUP,
)(_multi_az)


def _snapshot_retention(cache, config):
    days = cache.number("snapshotRetentionLimit", 0.0)
    if days is not UNKNOWN and days < config["minimumDays"]:
        yield (
            f"snapshotRetentionLimit is {show(cache.get('snapshotRetentionLimit'))} (0 or unset turns snapshots off); "
            f"at least {show(config['minimumDays'])} days required"
        )


snapshot_retention = resource_policy(
    Control(
        name="aws-elasticache-replication-group-snapshot-retention",
        description="ElastiCache replication groups keep automatic snapshots for at least the configured number of days.",
        category="backups",
        severity=Severity.HIGH,
        fsbp="ElastiCache.1",
        checkov=("CKV_AWS_134",),
        remediation="Set snapshot_retention_limit (the cache.snapshotRetentionDays stack setting) and a snapshot_window.",
        config={
            "minimumDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 35,
                "default": 7,
                "description": "Fewest days of automatic snapshots (0 turns them off).",
            }
        },
    ),
    REPLICATION_GROUP,
)(_snapshot_retention)


def _auto_minor_upgrade(cache, config):
    if cache.flag("autoMinorVersionUpgrade", True) is False:
        yield "autoMinorVersionUpgrade is false"


auto_minor_upgrade = resource_policy(
    Control(
        name="aws-elasticache-replication-group-auto-minor-upgrade",
        description="ElastiCache replication groups take minor engine upgrades automatically.",
        category="patching",
        severity=Severity.HIGH,
        fsbp="ElastiCache.2",
        checkov=("CKV_AWS_322",),
        remediation="Leave auto_minor_version_upgrade at its default (true).",
    ),
    REPLICATION_GROUP,
)(_auto_minor_upgrade)


def _subnet_group(cache, config):
    yield from default_subnet_group(cache.get("subnetGroupName"), "subnetGroupName", "cache")


subnet_group = resource_policy(
    Control(
        name="aws-elasticache-replication-group-subnet-group",
        description="ElastiCache replication groups run in the stack's own cache subnet group.",
        category="public-exposure",
        severity=Severity.HIGH,
        fsbp="ElastiCache.7",
        checkov=("CKV_AWS_323",),
        remediation="Create an aws.elasticache.SubnetGroup over the isolated subnets and pass its name as subnet_group_name.",
    ),
    REPLICATION_GROUP,
)(_subnet_group)


# The pack serves exactly these, in this order.
POLICIES = [
    encrypted_at_rest,
    encrypted_in_transit,
    auth,
    multi_az,
    snapshot_retention,
    auto_minor_upgrade,
    subnet_group,
]
