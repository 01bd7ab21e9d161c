"""What the alarms and the dashboard watch: the identifiers CloudWatch publishes each resource's
metrics under (its dimension values), taken from the resources' outputs, and the figures the
thresholds scale with (task minimums, storage, memory)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class WatchedLoadBalancer:
    arn_suffix: pulumi.Input[str]
    # Target group colour -> ARN suffix ("targetgroup/<name>/<id>").
    target_groups: Mapping[str, pulumi.Input[str]]
    # The web service's minimum task count: fewer healthy hosts than this is an outage.
    minimum_healthy_hosts: int


@dataclass(frozen=True)
class WatchedService:
    name: str
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    minimum_tasks: int


@dataclass(frozen=True)
class WatchedDatabase:
    identifier: pulumi.Input[str]
    allocated_storage_gb: int
    memory_gib: float
    # The read replicas' identifiers, in order (replica n is the n-th).
    replicas: Sequence[pulumi.Input[str]] = ()


@dataclass(frozen=True)
class WatchedCache:
    replication_group_id: pulumi.Input[str]
    # Cluster mode disabled: the nodes of the one shard.
    nodes: int
    # Cluster mode enabled: shards of 1 + replicas_per_shard nodes each (0 shards: disabled).
    shards: int = 0
    replicas_per_shard: int = 0

    def node_suffixes(self) -> list[str]:
        """The member clusters' ids after `<group>-`: ElastiCache names them `001`, `002`, ... and,
        in cluster mode, `<shard>-<node>` (`0001-001`), so adding a shard adds ids and keeps the others."""
        if self.shards:
            return [
                f"{s:04d}-{n:03d}" for s in range(1, self.shards + 1) for n in range(1, self.replicas_per_shard + 2)
            ]
        return [f"{n:03d}" for n in range(1, self.nodes + 1)]


@dataclass(frozen=True)
class Watched:
    """Everything the stack watches."""

    load_balancer: WatchedLoadBalancer
    services: Sequence[WatchedService]
    # The web ACL's CloudWatch metric name (its visibility config's `metric_name`): the value of
    # the `WebACL` dimension of AWS/WAFV2 metrics, which is not the ACL's name.
    web_acl_metric_name: pulumi.Input[str]
    database: WatchedDatabase | None = None
    cache: WatchedCache | None = None
