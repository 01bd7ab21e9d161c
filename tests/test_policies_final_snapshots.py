"""Final-snapshot policies, driven through the analyzer protocol: RDS instances and clusters and
ElastiCache replication groups that keep a final snapshot pass, each way of losing it is caught
by its policy alone, replicas are exempt, unknowns never violate."""

import pytest

from tests.policy_support import DELETE, broken, document, fired, messages, resource, variant_urn, with_unknowns

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
SNAPSHOT_POLICIES = [INSTANCE_POLICY, CLUSTER_POLICY, CACHE_POLICY]
# subject: (record, {variant: (policy, path, new value or DELETE)})
BREAKS = {
    "instance": (
        INSTANCE,
        {
            "skipped": (INSTANCE_POLICY, ("skipFinalSnapshot",), True),
            "skipped-as-string": (INSTANCE_POLICY, ("skipFinalSnapshot",), "true"),
            "unnamed": (INSTANCE_POLICY, ("finalSnapshotIdentifier",), DELETE),
            "empty-name": (INSTANCE_POLICY, ("finalSnapshotIdentifier",), ""),
        },
    ),
    "cluster": (
        CLUSTER,
        {
            "skipped": (CLUSTER_POLICY, ("skipFinalSnapshot",), True),
            "unnamed": (CLUSTER_POLICY, ("finalSnapshotIdentifier",), DELETE),
        },
    ),
    "cache": (CACHE, {"unnamed": (CACHE_POLICY, ("finalSnapshotIdentifier",), DELETE)}),
}
CASES = [(subject, variant) for subject, (_, breaks) in BREAKS.items() for variant in breaks]


@pytest.fixture(scope="module")
def report(policy_pack):
    variants = [r for record, breaks in BREAKS.values() for r in broken([record], 0, breaks)]
    # skipFinalSnapshot's provider default is false: leaving it out still takes the snapshot.
    defaults = broken([INSTANCE], 0, {"skip-unset": (None, ("skipFinalSnapshot",), DELETE)})
    return policy_pack.check(document(INSTANCE, CLUSTER, CACHE, *variants, *defaults))


@pytest.mark.parametrize("record", [INSTANCE, CLUSTER, CACHE], ids=["instance", "cluster", "cache"])
def test_a_resource_that_keeps_a_final_snapshot_passes(report, record):
    assert fired(report, record["urn"], SNAPSHOT_POLICIES) == set()


@pytest.mark.parametrize("subject, variant", CASES, ids=[f"{s}-{v}" for s, v in CASES])
def test_each_way_of_losing_the_final_snapshot_is_caught_by_its_policy_alone(report, subject, variant):
    record, breaks = BREAKS[subject]
    assert fired(report, variant_urn(record, variant), SNAPSHOT_POLICIES) == {breaks[variant][0]}


def test_leaving_skip_final_snapshot_out_keeps_the_snapshot(report):
    assert fired(report, variant_urn(INSTANCE, "skip-unset"), SNAPSHOT_POLICIES) == set()


def test_the_messages_say_what_is_lost(report):
    assert messages(report, INSTANCE_POLICY, variant_urn(INSTANCE, "skipped")) == [
        "skipFinalSnapshot is true, so deleting or replacing the instance keeps no final snapshot"
    ]
    assert messages(report, CACHE_POLICY, variant_urn(CACHE, "unnamed")) == [
        "finalSnapshotIdentifier is not set, so deleting or replacing the replication group keeps no final snapshot"
    ]


def test_a_read_replica_needs_no_final_snapshot(policy_pack):
    inputs = {k: v for k, v in INSTANCE["inputs"].items() if k != "finalSnapshotIdentifier"}
    replica = resource("aws:rds/instance:Instance", "replica", {**inputs, "replicateSourceDb": "webapp-test-database"})
    assert messages(policy_pack.check(document(replica)), INSTANCE_POLICY) == []


def test_unknown_values_never_violate(policy_pack):
    result = policy_pack.check(document(*with_unknowns(INSTANCE, CLUSTER, CACHE)))
    assert [v for v in result.violations if v.policy in SNAPSHOT_POLICIES] == []
