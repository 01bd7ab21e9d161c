"""ElastiCache (Redis OSS / Valkey) settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field

from .base import LogRetentionDays, Model, Problem
from .instance_classes import (
    CACHE_ENGINE_VERSIONS,
    DATA_TIERING_FAMILIES,
    cache_engine_problem,
    cache_node_problem,
    split_class,
)
from .windows import daily_window, overlaps, weekly_window

MIN_PROD_SNAPSHOT_DAYS = 7
# ElastiCache limits of a cluster-mode-enabled replication group (ElastiCache User Guide,
# "Quotas"): up to 500 shards (node groups), 0 to 5 replicas per shard.
MAX_SHARDS = 500
MAX_REPLICAS_PER_SHARD = 5
ClusterMode = Literal["disabled", "enabled"]
MaxmemoryPolicy = Literal[
    "volatile-lru",
    "allkeys-lru",
    "volatile-lfu",
    "allkeys-lfu",
    "volatile-random",
    "allkeys-random",
    "volatile-ttl",
    "noeviction",
]
MAXMEMORY_POLICIES: tuple[MaxmemoryPolicy, ...] = get_args(MaxmemoryPolicy)


class CacheSettings(Model):
    engine: Literal["redis", "valkey"] = "valkey"
    engine_version: str = Field(default="8.0", pattern=r"^\d+\.\d+$")
    node_type: str
    # Cluster mode disabled: one shard of `numNodes` nodes (a primary and its replicas).
    num_nodes: int = Field(ge=1, le=6)
    # Cluster mode enabled: the keyspace split over `shards`, each a primary and
    # `replicasPerShard` replicas; the services get the configuration endpoint.
    cluster_mode: ClusterMode = "disabled"
    shards: int = Field(default=1, ge=1, le=MAX_SHARDS)
    replicas_per_shard: int = Field(default=1, ge=0, le=MAX_REPLICAS_PER_SHARD)
    # The cluster mode the stack's replication group was created with. Changing clusterMode
    # replaces the group; the settings cannot see the deployed state, so this marker must be
    # changed with it, on purpose (docs/data-tier.md, "Cluster mode").
    deployed_cluster_mode: ClusterMode = "disabled"
    automatic_failover: bool
    multi_az: bool
    # Pulumi `protect`: `pulumi destroy` and replacements stop at the replication group and its key.
    protect: bool
    apply_immediately: bool
    snapshot_retention_days: int = Field(default=7, ge=0, le=35)
    snapshot_window: Annotated[str, AfterValidator(daily_window)] = "02:00-03:00"
    maintenance_window: Annotated[str, AfterValidator(weekly_window)] = "sun:05:30-sun:06:30"
    maxmemory_policy: MaxmemoryPolicy = "volatile-lru"
    log_retention_days: LogRetentionDays = 365

    @property
    def parameter_group_family(self) -> str:
        return CACHE_ENGINE_VERSIONS[self.engine][self.engine_version]

    @property
    def clustered(self) -> bool:
        return self.cluster_mode == "enabled"

    @property
    def node_count(self) -> int:
        """Every node of the group: primaries and replicas."""
        return self.shards * (1 + self.replicas_per_shard) if self.clustered else self.num_nodes

    @property
    def data_tiering(self) -> bool:
        """r6gd nodes keep less-used data on their local SSD: ElastiCache requires data tiering
        on for them, and refuses it on every other node type."""
        family, _ = split_class(self.node_type, "cache") or ("", "")
        return family in DATA_TIERING_FAMILIES

    def problems(self, profile: str) -> Iterator[Problem]:
        yield from self._cluster_mode_problems()
        if profile == "prod":
            if not self.clustered and self.num_nodes < 2:
                yield Problem("numNodes", "prod runs at least 2 cache nodes", self.num_nodes)
            if not (self.automatic_failover and self.multi_az):
                yield Problem(
                    "automaticFailover", "prod needs automatic failover and Multi-AZ", self.automatic_failover
                )
            if self.snapshot_retention_days < MIN_PROD_SNAPSHOT_DAYS:
                yield Problem(
                    "snapshotRetentionDays",
                    f"prod keeps snapshots at least {MIN_PROD_SNAPSHOT_DAYS} days",
                    self.snapshot_retention_days,
                )
            if not self.protect:
                yield Problem("protect", "prod protects the cache from pulumi destroy", self.protect)
            if self.apply_immediately:
                yield Problem(
                    "applyImmediately", "prod applies changes in the maintenance window", self.apply_immediately
                )
        yield from self._engine_problems()
        if (self.automatic_failover or self.multi_az) and not self.clustered and self.num_nodes < 2:
            yield Problem("numNodes", "automatic failover and Multi-AZ need at least 2 nodes", self.num_nodes)
        if self.multi_az and not self.automatic_failover:
            yield Problem("automaticFailover", "Multi-AZ needs automatic failover", self.automatic_failover)
        if overlaps(self.snapshot_window, self.maintenance_window):
            yield Problem(
                "maintenanceWindow", f"overlaps snapshotWindow {self.snapshot_window}", self.maintenance_window
            )

    def _cluster_mode_problems(self) -> Iterator[Problem]:
        if self.cluster_mode != self.deployed_cluster_mode:
            yield Problem(
                "clusterMode",
                f"changing cluster mode from {self.deployed_cluster_mode} replaces the replication group "
                "(a new, empty cache at a new endpoint); to do that on purpose set "
                f"cache.deployedClusterMode: {self.cluster_mode} too",
                self.cluster_mode,
            )
        if not self.clustered:
            return
        if self.multi_az and self.replicas_per_shard < 1:
            yield Problem("replicasPerShard", "Multi-AZ needs at least 1 replica per shard", self.replicas_per_shard)
        if not self.automatic_failover:
            yield Problem("automaticFailover", "cluster mode enabled needs automatic failover", self.automatic_failover)

    def _engine_problems(self) -> Iterator[Problem]:
        node_problem = cache_node_problem(self.node_type)
        if node_problem:
            yield Problem("nodeType", node_problem, self.node_type)
        versions = CACHE_ENGINE_VERSIONS[self.engine]
        if self.engine_version not in versions:
            yield Problem(
                "engineVersion", f"ElastiCache {self.engine} versions are {', '.join(versions)}", self.engine_version
            )
        elif not node_problem:
            engine_problem = cache_engine_problem(self.node_type, self.engine, self.engine_version)
            if engine_problem:
                yield Problem("nodeType", engine_problem, self.node_type)
