"""Final-snapshot policies: RDS instances and clusters and ElastiCache replication groups that
keep a final snapshot, and each way of losing it, which tests/test_policies.py runs; here the
messages and read replicas (exempt)."""

from tests.policy_support import DELETE, PolicyTable, document, messages, resource, variant_urn

INSTANCE = resource(
    "aws:rds/instance:Instance",
    "db",
    {
        "engine": "postgres",
        "identifier": "webapp-test-database",
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "webapp-test-database-final",
    },
)
CLUSTER = resource(
    "aws:rds/cluster:Cluster",
    "aurora",
    {
        "engine": "aurora-postgresql",
        "clusterIdentifier": "webapp-test-aurora",
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "webapp-test-aurora-final",
    },
)
CACHE = resource(
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "cache",
    {"engine": "valkey", "description": "valkey for test", "finalSnapshotIdentifier": "webapp-test-cache-final"},
)
INSTANCE_POLICY = "aws-rds-instance-final-snapshot"
CLUSTER_POLICY = "aws-rds-cluster-final-snapshot"
CACHE_POLICY = "aws-elasticache-replication-group-final-snapshot"
TABLE = (
    PolicyTable(INSTANCE, CLUSTER, CACHE)
    .breaks(
        "db",
        {
            "instance-skipped": (INSTANCE_POLICY, ("skipFinalSnapshot",), True),
            "instance-skipped-as-string": (INSTANCE_POLICY, ("skipFinalSnapshot",), "true"),
            "instance-unnamed": (INSTANCE_POLICY, ("finalSnapshotIdentifier",), DELETE),
            "instance-empty-name": (INSTANCE_POLICY, ("finalSnapshotIdentifier",), ""),
            # skipFinalSnapshot's provider default is false: leaving it out still takes the snapshot.
            "instance-skip-unset": (None, ("skipFinalSnapshot",), DELETE),
        },
    )
    .breaks(
        "aurora",
        {
            "cluster-skipped": (CLUSTER_POLICY, ("skipFinalSnapshot",), True),
            "cluster-unnamed": (CLUSTER_POLICY, ("finalSnapshotIdentifier",), DELETE),
        },
    )
    .breaks(
        "cache",
        {
            "cache-unnamed": (CACHE_POLICY, ("finalSnapshotIdentifier",), DELETE),
            "cache-empty-name": (CACHE_POLICY, ("finalSnapshotIdentifier",), ""),
        },
    )
)


def test_the_messages_say_what_is_lost(report):
    assert messages(report, INSTANCE_POLICY, variant_urn(INSTANCE, "instance-skipped")) == [
        "skipFinalSnapshot is true, so deleting or replacing the instance keeps no final snapshot"
    ]
    assert messages(report, CACHE_POLICY, variant_urn(CACHE, "cache-unnamed")) == [
        "finalSnapshotIdentifier is not set, so deleting or replacing the replication group keeps no final snapshot"
    ]


def test_a_read_replica_needs_no_final_snapshot(policy_pack):
    inputs = {k: v for k, v in INSTANCE["inputs"].items() if k != "finalSnapshotIdentifier"}
    replica = resource("aws:rds/instance:Instance", "replica", {**inputs, "replicateSourceDb": "webapp-test-database"})
    assert messages(policy_pack.check(document(replica)), INSTANCE_POLICY) == []


def test_each_break_tells_the_reviewer_what_is_lost(report):
    """The PR report shows these lines under the instance, the cluster or the replication group."""
    said = {
        variant: messages(report, policy, variant_urn(record, variant))
        for record, policy, variants in (
            (INSTANCE, INSTANCE_POLICY, ("instance-skipped-as-string", "instance-unnamed", "instance-empty-name")),
            (CLUSTER, CLUSTER_POLICY, ("cluster-skipped", "cluster-unnamed")),
            (CACHE, CACHE_POLICY, ("cache-unnamed", "cache-empty-name")),
        )
        for variant in variants
    }
    refuses = "the provider refuses to delete an instance without it unless skipFinalSnapshot is true"
    assert said == {
        "instance-skipped-as-string": [
            "skipFinalSnapshot is true, so deleting or replacing the instance keeps no final snapshot"
        ],
        "instance-unnamed": [f"finalSnapshotIdentifier is not set: {refuses}"],
        "instance-empty-name": [f"finalSnapshotIdentifier is '': {refuses}"],
        "cluster-skipped": ["skipFinalSnapshot is true, so deleting or replacing the cluster keeps no final snapshot"],
        "cluster-unnamed": [
            "finalSnapshotIdentifier is not set: without it, deleting the cluster keeps no final snapshot"
        ],
        "cache-unnamed": [
            "finalSnapshotIdentifier is not set, so deleting or replacing the replication group keeps no final snapshot"
        ],
        "cache-empty-name": [
            "finalSnapshotIdentifier is '', so deleting or replacing the replication group keeps no final snapshot"
        ],
    }
