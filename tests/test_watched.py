"""What the alarms watch: the cache's member clusters, by the ids ElastiCache gives them (the
`CacheClusterId` dimension of the AWS/ElastiCache metrics is `<group>-<suffix>`)."""

from __future__ import annotations

from components.watched import WatchedCache


def test_a_cache_without_cluster_mode_has_its_nodes_numbered_from_001():
    assert WatchedCache(replication_group_id="webapp-prod-cache", nodes=3).node_suffixes() == ["001", "002", "003"]


def test_a_single_node_cache_has_one_member():
    assert WatchedCache(replication_group_id="webapp-staging-cache", nodes=1).node_suffixes() == ["001"]


def test_in_cluster_mode_each_shard_numbers_its_primary_and_replicas_from_001():
    cache = WatchedCache(replication_group_id="webapp-prod-cache", nodes=6, shards=2, replicas_per_shard=2)
    assert cache.node_suffixes() == ["0001-001", "0001-002", "0001-003", "0002-001", "0002-002", "0002-003"]


def test_in_cluster_mode_a_shard_without_replicas_is_its_primary_alone():
    cache = WatchedCache(replication_group_id="webapp-prod-cache", nodes=3, shards=3)
    assert cache.node_suffixes() == ["0001-001", "0002-001", "0003-001"]


def test_adding_a_shard_keeps_the_others_ids():
    before = WatchedCache(replication_group_id="g", nodes=4, shards=2, replicas_per_shard=1).node_suffixes()
    after = WatchedCache(replication_group_id="g", nodes=6, shards=3, replicas_per_shard=1).node_suffixes()
    assert after[: len(before)] == before
