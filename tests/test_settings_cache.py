"""Validation of the cache settings (settings/cache.py): profile defaults and every rejection with its exact
line."""

from __future__ import annotations

import pytest

from settings import load_settings
from settings.instance_classes import CACHE_FAMILIES, split_class
from tests.support import config_with, rejection


def test_prod_cache_is_memory_optimised_graviton_on_valkey_8():
    cache = load_settings("prod", config_with("prod", {})).cache
    family = CACHE_FAMILIES[split_class(cache.node_type, "cache")[0]]
    assert family.graviton and family.memory_optimised
    assert (cache.engine, cache.engine_version.split(".")[0]) == ("valkey", "8")


@pytest.mark.parametrize(
    "stack, cache, line",
    [
        (
            "prod",
            {"snapshotRetentionDays": 36},
            "prod: cache.snapshotRetentionDays: input should be less than or equal to 35 (got 36)",
        ),
        (
            "prod",
            {"snapshotRetentionDays": -1},
            "prod: cache.snapshotRetentionDays: input should be greater than or equal to 0 (got -1)",
        ),
        (
            "prod",
            {"snapshotRetentionDays": 3},
            "prod: cache.snapshotRetentionDays: prod keeps snapshots at least 7 days (got 3)",
        ),
        (
            "staging",
            {"automaticFailover": True},
            "staging: cache.numNodes: automatic failover and Multi-AZ need at least 2 nodes (got 1)",
        ),
        (
            "prod",
            {"nodeType": "cache.r7g.medium"},
            "prod: cache.nodeType: cache.r7g comes in large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge "
            "(got cache.r7g.medium)",
        ),
        (
            "prod",
            {"nodeType": "db.r7g.large"},
            "prod: cache.nodeType: must look like cache.<family>.<size> (got db.r7g.large)",
        ),
        (
            "staging",
            {"nodeType": "cache.t2.small"},
            "staging: cache.nodeType: ElastiCache no longer creates clusters on cache.t2 nodes (got cache.t2.small)",
        ),
        (
            "prod",
            {"engineVersion": "9.9"},
            "prod: cache.engineVersion: ElastiCache valkey versions are 7.2, 8.0, 8.1 (got 9.9)",
        ),
        (
            "prod",
            {"engine": "redis", "engineVersion": "8.0"},
            "prod: cache.engineVersion: ElastiCache redis versions are 7.0, 7.1 (got 8.0)",
        ),
        ("prod", {"protect": False}, "prod: cache.protect: prod protects the cache from pulumi destroy (got false)"),
        (
            "prod",
            {"applyImmediately": True},
            "prod: cache.applyImmediately: prod applies changes in the maintenance window (got true)",
        ),
        (
            "prod",
            {"maintenanceWindow": "wed:02:30-wed:03:30"},
            "prod: cache.maintenanceWindow: overlaps snapshotWindow 02:00-03:00 (got wed:02:30-wed:03:30)",
        ),
    ],
)
def test_cache_rejections(stack, cache, line):
    assert rejection(stack, {"webapp:cache": cache}) == [line]


@pytest.mark.parametrize(
    "cache, lines",
    [
        (
            {"numNodes": 1},
            [
                "prod: cache.numNodes: prod runs at least 2 cache nodes (got 1)",
                "prod: cache.numNodes: automatic failover and Multi-AZ need at least 2 nodes (got 1)",
            ],
        ),
        (
            {"automaticFailover": False},
            [
                "prod: cache.automaticFailover: prod needs automatic failover and Multi-AZ (got false)",
                "prod: cache.automaticFailover: Multi-AZ needs automatic failover (got false)",
            ],
        ),
        ({"multiAz": False}, ["prod: cache.automaticFailover: prod needs automatic failover and Multi-AZ (got true)"]),
    ],
)
def test_prod_runs_two_nodes_with_automatic_failover_across_azs(cache, lines):
    assert rejection("prod", {"webapp:cache": cache}) == lines


def test_redis_7_is_accepted_with_its_own_parameter_group_family():
    cache = load_settings(
        "prod", config_with("prod", {"webapp:cache": {"engine": "redis", "engineVersion": "7.1"}})
    ).cache
    assert cache.parameter_group_family == "redis7"
