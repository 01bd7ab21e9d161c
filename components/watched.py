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


@dataclass(frozen=True)
class WatchedCache:
    replication_group_id: pulumi.Input[str]
    nodes: int


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
