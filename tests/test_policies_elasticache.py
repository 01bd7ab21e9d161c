"""ElastiCache policies: the compliant replication group, its breaks and the changes that stay
safe, which tests/test_policies.py runs; here the messages, sharded groups and the policy config."""

from tests.policy_support import (
    ACCOUNT,
    DELETE,
    UNKNOWN,
    PolicyTable,
    broken,
    document,
    messages,
    resource,
    variant_urn,
)

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/7d1c2b3a-0e4f-4a5b-8c6d-9e0f1a2b3c4d"
SECRET = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "value": "s3cr3t-token-of-sixty-four-characters-0123456789abcdefghijklmnop",
}
CACHE = resource(
    REPLICATION_GROUP,
    "cache",
    {
        "engine": "valkey",
        "engineVersion": "8.0",
        "description": "valkey 8.0 for test",
        "nodeType": "cache.r7g.large",
        "atRestEncryptionEnabled": True,
        "kmsKeyId": KEY,
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "authToken": SECRET,
        "automaticFailoverEnabled": True,
        "multiAzEnabled": True,
        "numCacheClusters": 2.0,
        "snapshotRetentionLimit": 7.0,
        "snapshotWindow": "02:00-03:00",
        "autoMinorVersionUpgrade": True,
        "subnetGroupName": "cache-subnets-1",
        "securityGroupIds": ["sg-0123456789abcdef0"],
        "port": 6379.0,
    },
)
BREAKS = {
    "at-rest-off": ("aws-elasticache-replication-group-encrypted-at-rest", ("atRestEncryptionEnabled",), False),
    "at-rest-implicit": ("aws-elasticache-replication-group-encrypted-at-rest", ("atRestEncryptionEnabled",), DELETE),
    "service-key": ("aws-elasticache-replication-group-encrypted-at-rest", ("kmsKeyId",), DELETE),
    "aws-managed-key": ("aws-elasticache-replication-group-encrypted-at-rest", ("kmsKeyId",), "alias/aws/elasticache"),
    "transit-off": ("aws-elasticache-replication-group-encrypted-in-transit", ("transitEncryptionEnabled",), False),
    "transit-unset": ("aws-elasticache-replication-group-encrypted-in-transit", ("transitEncryptionEnabled",), DELETE),
    "transit-preferred": (
        "aws-elasticache-replication-group-encrypted-in-transit",
        ("transitEncryptionMode",),
        "preferred",
    ),
    "no-auth": ("aws-elasticache-replication-group-auth", ("authToken",), DELETE),
    "no-failover": ("aws-elasticache-replication-group-multi-az", ("automaticFailoverEnabled",), False),
    "single-az": ("aws-elasticache-replication-group-multi-az", ("multiAzEnabled",), False),
    "one-node": ("aws-elasticache-replication-group-multi-az", ("numCacheClusters",), 1.0),
    "node-count-unset": ("aws-elasticache-replication-group-multi-az", ("numCacheClusters",), DELETE),
    "failover-unset": ("aws-elasticache-replication-group-multi-az", ("automaticFailoverEnabled",), DELETE),
    "multi-az-unset": ("aws-elasticache-replication-group-multi-az", ("multiAzEnabled",), DELETE),
    "snapshots-off": ("aws-elasticache-replication-group-snapshot-retention", ("snapshotRetentionLimit",), 0.0),
    "snapshots-1-day": ("aws-elasticache-replication-group-snapshot-retention", ("snapshotRetentionLimit",), 1.0),
    "snapshots-unset": ("aws-elasticache-replication-group-snapshot-retention", ("snapshotRetentionLimit",), DELETE),
    "no-minor-upgrades": ("aws-elasticache-replication-group-auto-minor-upgrade", ("autoMinorVersionUpgrade",), False),
    "default-subnet-group": ("aws-elasticache-replication-group-subnet-group", ("subnetGroupName",), "default"),
    "no-subnet-group": ("aws-elasticache-replication-group-subnet-group", ("subnetGroupName",), DELETE),
}
# Leaving out an input whose provider default is safe passes.
SAFE_CHANGES = {
    "omit-autoMinorVersionUpgrade": (None, ("autoMinorVersionUpgrade",), DELETE),
    "omit-transitEncryptionMode": (None, ("transitEncryptionMode",), DELETE),
}


def _rbac_instead_of_token(records):
    # An RBAC user group replaces the AUTH token.
    for field in ("inputs", "outputs"):
        records["cache"][field]["userGroupIds"] = ["app-users"]
        del records["cache"][field]["authToken"]


TABLE = (
    PolicyTable(CACHE)
    .breaks("cache", BREAKS)
    .breaks("cache", SAFE_CHANGES)
    .edits({"rbac-instead-of-token": (None, "cache", _rbac_instead_of_token)})
)


def test_preferred_transit_mode_says_plaintext_is_still_accepted(report):
    assert messages(
        report, "aws-elasticache-replication-group-encrypted-in-transit", variant_urn(CACHE, "transit-preferred")
    ) == ["transitEncryptionMode is 'preferred', so clients may still connect without TLS"]


def sharded(**shards) -> dict:
    """The compliant group in cluster mode: numNodeGroups shards instead of numCacheClusters."""
    inputs = {k: v for k, v in CACHE["inputs"].items() if k != "numCacheClusters"}
    return resource(REPLICATION_GROUP, "sharded", {**inputs, "numNodeGroups": 2.0, **shards})


def test_sharded_groups_need_a_replica_per_shard(policy_pack):
    result = policy_pack.check(document(sharded(replicasPerNodeGroup=0.0)))
    assert messages(result, "aws-elasticache-replication-group-multi-az") == [
        "replicasPerNodeGroup is 0, so shards have no replica"
    ]


def test_a_sharded_group_without_replicas_per_shard_has_none(policy_pack):
    # The provider's replicas_per_node_group defaults to 0 (no replica in any shard).
    result = policy_pack.check(document(sharded()))
    assert messages(result, "aws-elasticache-replication-group-multi-az") == [
        "replicasPerNodeGroup is not set, so shards have no replica"
    ]


def test_a_sharded_group_with_one_replica_per_shard_passes(policy_pack):
    result = policy_pack.check(document(sharded(replicasPerNodeGroup=1.0)))
    assert messages(result, "aws-elasticache-replication-group-multi-az") == []


def test_a_sharded_group_whose_replica_count_is_unknown_is_judged_at_the_next_preview(policy_pack):
    result = policy_pack.check(document(sharded(replicasPerNodeGroup=UNKNOWN)))
    assert messages(result, "aws-elasticache-replication-group-multi-az") == []


def test_minimum_snapshot_days_come_from_the_policy_config(policy_pack):
    config = {"aws-elasticache-replication-group-snapshot-retention": {"minimumDays": 1}}
    result = policy_pack.check(
        document(*broken([CACHE], 0, {"three": (None, ("snapshotRetentionLimit",), 3.0)})), config
    )
    assert messages(result, "aws-elasticache-replication-group-snapshot-retention") == []


def test_an_unset_snapshot_retention_fails_even_a_one_day_minimum(policy_pack):
    # Unset is 0 days: no automatic snapshots at all.
    config = {"aws-elasticache-replication-group-snapshot-retention": {"minimumDays": 1}}
    result = policy_pack.check(
        document(*broken([CACHE], 0, {"unset": (None, ("snapshotRetentionLimit",), DELETE)})), config
    )
    assert messages(result, "aws-elasticache-replication-group-snapshot-retention") == [
        "snapshotRetentionLimit is not set (0 or unset turns snapshots off); at least 1 days required"
    ]


def test_a_default_subnet_group_says_why_it_is_one(report):
    subnet_group = "aws-elasticache-replication-group-subnet-group"
    assert messages(report, subnet_group, variant_urn(CACHE, "no-subnet-group")) == [
        "subnetGroupName is not set, so the cache lands in the default subnet group"
    ]
    assert messages(report, subnet_group, variant_urn(CACHE, "default-subnet-group")) == [
        "subnetGroupName is 'default'"
    ]


def test_each_break_tells_the_reviewer_what_is_wrong(report):
    """The PR report shows these lines under the replication group: each names the setting and
    what it holds (or that it is not set, and what the provider then does)."""
    said = {
        variant: [line for policy in TABLE.policies for line in messages(report, policy, variant_urn(CACHE, variant))]
        for variant in BREAKS
    }
    assert said == {
        "at-rest-off": ["atRestEncryptionEnabled is false (set it explicitly: the default is false for redis)"],
        "at-rest-implicit": ["atRestEncryptionEnabled is not set (set it explicitly: the default is false for redis)"],
        "service-key": ["kmsKeyId is not set, so data at rest uses the service-managed key"],
        "aws-managed-key": ["kmsKeyId 'alias/aws/elasticache' is an AWS-managed key"],
        "transit-off": ["transitEncryptionEnabled is false"],
        "transit-unset": ["transitEncryptionEnabled is not set"],
        "transit-preferred": ["transitEncryptionMode is 'preferred', so clients may still connect without TLS"],
        "no-auth": ["neither authToken nor userGroupIds is set, so any client that reaches the port gets in"],
        "no-failover": ["automaticFailoverEnabled is false (the provider default is false)"],
        "single-az": ["multiAzEnabled is false (the provider default is false)"],
        "one-node": ["numCacheClusters is 1 (the provider default is 1); at least 2 needed"],
        "node-count-unset": ["numCacheClusters is not set (the provider default is 1); at least 2 needed"],
        "failover-unset": ["automaticFailoverEnabled is not set (the provider default is false)"],
        "multi-az-unset": ["multiAzEnabled is not set (the provider default is false)"],
        "snapshots-off": ["snapshotRetentionLimit is 0 (0 or unset turns snapshots off); at least 7 days required"],
        "snapshots-1-day": ["snapshotRetentionLimit is 1 (0 or unset turns snapshots off); at least 7 days required"],
        "snapshots-unset": [
            "snapshotRetentionLimit is not set (0 or unset turns snapshots off); at least 7 days required"
        ],
        "no-minor-upgrades": ["autoMinorVersionUpgrade is false"],
        "default-subnet-group": ["subnetGroupName is 'default'"],
        "no-subnet-group": ["subnetGroupName is not set, so the cache lands in the default subnet group"],
    }
