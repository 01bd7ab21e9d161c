"""Cluster mode of the cache (`cache.clusterMode`): shards, replicas per shard, the configuration
endpoint the services receive, per-node alarms named by node id, and AWS's rules."""

from __future__ import annotations

import pytest

from tests.components_support import alarms
from tests.data_tier import app_containers, environment
from tests.support import CLUSTER_MODE, Synth, rejection

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ENABLED = CLUSTER_MODE


@pytest.fixture(scope="module")
def clustered(optional_prod: Synth) -> Synth:
    """Prod with a cluster-mode cache of three shards of one replica (tests.support.optional_prod)."""
    return optional_prod


def test_three_shards_of_one_replica_make_a_cluster_mode_group(clustered):
    inputs = clustered.one(GROUP)["inputs"]
    assert (inputs["clusterMode"], inputs["numNodeGroups"], inputs["replicasPerNodeGroup"]) == ("enabled", 3, 1)
    assert "numCacheClusters" not in inputs
    assert (inputs["automaticFailoverEnabled"], inputs["multiAzEnabled"]) == (True, True)


def test_the_parameter_group_enables_cluster_mode(clustered):
    parameters = clustered.one("aws:elasticache/parameterGroup:ParameterGroup")["inputs"]["parameters"]
    assert {"name": "cluster-enabled", "value": "yes"} in parameters


def test_the_services_receive_the_configuration_endpoint(clustered):
    endpoint = clustered.outputs["cacheConfigurationEndpoint"]
    assert endpoint.startswith("clustercfg.")
    assert "cachePrimaryEndpoint" not in clustered.outputs
    for container in app_containers(clustered):
        env = environment(container)
        assert (env["CACHE_HOST"], env["CACHE_CLUSTER_MODE"]) == (endpoint, "enabled")
        assert "CACHE_READER_HOST" not in env


def test_every_node_has_its_alarms_named_by_its_node_id(clustered):
    names = {a["inputs"]["name"] for a in clustered.of_type(ALARM)}
    nodes = [f"{shard:04d}-{node:03d}" for shard in (1, 2, 3) for node in (1, 2)]
    for node in nodes:
        assert f"webapp-prod-cache-{node}-cpu" in names
        assert f"webapp-prod-cache-{node}-replication-lag" in names
    dimensions = {
        a["inputs"]["dimensions"]["CacheClusterId"]
        for a in clustered.of_type(ALARM)
        if a["inputs"]["name"].endswith("-cpu") and "-cache-" in a["inputs"]["name"]
    }
    group_id = clustered.outputs["cacheReplicationGroupId"]
    assert dimensions == {f"{group_id}-{node}" for node in nodes}


def test_adding_a_shard_keeps_every_alarm_of_the_others(clustered):
    # The alarms component alone, watching three shards and then four.
    three, four = (alarms("prod", {"webapp:cache": {**ENABLED, "shards": n, "replicasPerShard": 1}}) for n in (3, 4))
    before = {a["urn"] for a in three.of_type(ALARM)}
    after = {a["urn"] for a in four.of_type(ALARM)}
    assert before < after
    assert {urn for urn in after - before if "-cache-0004-" not in urn} == set()
    # Alone, the component names the cache's alarms as it does in the stack.
    assert cache_alarms(three) == cache_alarms(clustered)


def cache_alarms(stack: Synth) -> set[str]:
    return {a["urn"] for a in stack.of_type(ALARM) if a["name"].startswith("alarms-cache-")}


def test_cluster_mode_disabled_keeps_the_node_count_and_endpoints(prod):
    inputs = prod.one(GROUP)["inputs"]
    assert (inputs["clusterMode"], inputs["numCacheClusters"]) == ("disabled", 2)
    assert {"cachePrimaryEndpoint", "cacheReaderEndpoint"} <= set(prod.outputs)


@pytest.mark.parametrize(
    ("cache", "line"),
    [
        ({**ENABLED, "shards": 501}, "prod: cache.shards: input should be less than or equal to 500 (got 501)"),
        ({**ENABLED, "shards": 0}, "prod: cache.shards: input should be greater than or equal to 1 (got 0)"),
        (
            {**ENABLED, "replicasPerShard": 6},
            "prod: cache.replicasPerShard: input should be less than or equal to 5 (got 6)",
        ),
        (
            {**ENABLED, "replicasPerShard": 0},
            "prod: cache.replicasPerShard: Multi-AZ needs at least 1 replica per shard (got 0)",
        ),
    ],
)
def test_aws_limits_are_refused_naming_the_key(cache, line):
    assert rejection("prod", {"webapp:cache": cache}) == [line]


def test_switching_cluster_mode_alone_is_refused_because_it_replaces_the_group():
    assert rejection("prod", {"webapp:cache": {"clusterMode": "enabled"}}) == [
        "prod: cache.clusterMode: changing cluster mode from disabled replaces the replication group "
        "(a new, empty cache at a new endpoint); to do that on purpose set cache.deployedClusterMode: enabled too "
        "(got enabled)"
    ]


def test_cluster_mode_needs_automatic_failover():
    lines = rejection(
        "staging", {"webapp:cache": {**ENABLED, "replicasPerShard": 0, "automaticFailover": False, "multiAz": False}}
    )
    assert lines == ["staging: cache.automaticFailover: cluster mode enabled needs automatic failover (got false)"]
