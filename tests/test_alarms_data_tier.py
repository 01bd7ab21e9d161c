"""The alarms of the data tier (components/alarms.py: database, cache): the database's and every
cache node's alarms, replication lag only where there are replicas, and the thresholds that follow
the database's allocated storage and its class's connection limit."""

from __future__ import annotations

from settings.instance_classes import db_memory_gib
from tests.alarms_support import alarm, settings_of, watched_metrics
from tests.observability import STACKS, stack

GIB = 1024**3


@STACKS
def test_the_database_has_cpu_memory_storage_and_connection_alarms(request, stack_name):
    s = stack(request, stack_name)
    db = s.one("aws:rds/instance:Instance")
    assert watched_metrics(s, "DBInstanceIdentifier", db["outputs"]["identifier"]) == {
        "CPUUtilization",
        "FreeableMemory",
        "FreeStorageSpace",
        "DatabaseConnections",
    }


@STACKS
def test_every_cache_node_has_cpu_memory_and_eviction_alarms(request, stack_name):
    s = stack(request, stack_name)
    for node in s.one("aws:elasticache/replicationGroup:ReplicationGroup")["outputs"]["memberClusters"]:
        assert {"EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions"} <= watched_metrics(
            s, "CacheClusterId", node
        ), node


def test_replication_lag_is_alarmed_on_every_node_of_a_group_with_replicas(prod, staging):
    nodes = prod.one("aws:elasticache/replicationGroup:ReplicationGroup")["outputs"]["memberClusters"]
    assert len(nodes) > 1
    assert all("ReplicationLag" in watched_metrics(prod, "CacheClusterId", node) for node in nodes)
    (single,) = staging.one("aws:elasticache/replicationGroup:ReplicationGroup")["outputs"]["memberClusters"]
    assert "ReplicationLag" not in watched_metrics(staging, "CacheClusterId", single)


# Thresholds that follow the watched resources


@STACKS
def test_free_storage_threshold_is_a_share_of_the_allocated_storage(request, stack_name):
    s = stack(request, stack_name)
    allocated = s.one("aws:rds/instance:Instance")["inputs"]["allocatedStorage"]
    share = settings_of(stack_name).alarms.database_free_storage_percent.threshold / 100
    assert alarm(s, "database-free-storage-low")["inputs"]["threshold"] == round(allocated * GIB * share)


@STACKS
def test_connection_threshold_is_a_share_of_the_classs_max_connections(request, stack_name):
    s = stack(request, stack_name)
    memory = db_memory_gib(s.one("aws:rds/instance:Instance")["inputs"]["instanceClass"]) * GIB
    max_connections = min(memory // 9531392, 5000)  # RDS PostgreSQL's default max_connections
    share = settings_of(stack_name).alarms.database_connections_percent.threshold / 100
    assert alarm(s, "database-connections-high")["inputs"]["threshold"] == round(max_connections * share)
