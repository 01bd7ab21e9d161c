"""What CloudWatch publishes and where each metric dimension's values come from: shared by the
tests of the alarms and of the dashboard, which must only use metrics that exist on resources that
exist.

PUBLISHED is the part of CloudWatch's metric catalogue the stack uses: per namespace, the
dimension set a metric is published under, and the metrics published with it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Synth

PUBLISHED: dict[tuple[str, frozenset[str]], set[str]] = {
    ("AWS/ApplicationELB", frozenset({"LoadBalancer"})): {
        "RequestCount",
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "RejectedConnectionCount",
    },
    ("AWS/ApplicationELB", frozenset({"LoadBalancer", "TargetGroup"})): {
        "RequestCount",
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "HealthyHostCount",
        "UnHealthyHostCount",
    },
    ("AWS/ECS", frozenset({"ClusterName", "ServiceName"})): {"CPUUtilization", "MemoryUtilization"},
    ("ECS/ContainerInsights", frozenset({"ClusterName", "ServiceName"})): {"RunningTaskCount", "DesiredTaskCount"},
    ("AWS/RDS", frozenset({"DBInstanceIdentifier"})): {
        "CPUUtilization",
        "FreeableMemory",
        "FreeStorageSpace",
        "DatabaseConnections",
        "ReadLatency",
        "WriteLatency",
    },
    ("AWS/ElastiCache", frozenset({"CacheClusterId"})): {
        "EngineCPUUtilization",
        "DatabaseMemoryUsagePercentage",
        "Evictions",
        "ReplicationLag",
        "CacheHitRate",
    },
    ("AWS/WAFV2", frozenset({"WebACL", "Region", "Rule"})): {"AllowedRequests", "BlockedRequests"},
}
# Dimension -> the watched resource type and the output holding the dimension's value.
SOURCES = {
    "LoadBalancer": ("aws:lb/loadBalancer:LoadBalancer", "arnSuffix"),
    "TargetGroup": ("aws:lb/targetGroup:TargetGroup", "arnSuffix"),
    "ClusterName": ("aws:ecs/cluster:Cluster", "name"),
    "ServiceName": ("aws:ecs/service:Service", "name"),
    "DBInstanceIdentifier": ("aws:rds/instance:Instance", "identifier"),
    "CacheClusterId": ("aws:elasticache/replicationGroup:ReplicationGroup", "memberClusters"),
    "WebACL": ("aws:wafv2/webAcl:WebAcl", "visibilityConfig.metricName"),
}

STACKS = pytest.mark.parametrize("stack_name", ["prod", "staging"])


def stack(request, name: str) -> Synth:
    return request.getfixturevalue(name)


def output(resource: dict[str, Any], path: str) -> Any:
    value = resource["outputs"]
    for part in path.split("."):
        value = value[part]
    return value


def source_values(s: Synth, dimension: str) -> set[str]:
    """Every value the dimension can take in this stack: the outputs of the watched resources."""
    if dimension == "Region":
        return {s.outputs["region"]}
    if dimension == "Rule":
        return {"ALL"}  # WAF's aggregate over every rule of the web ACL
    type_, path = SOURCES[dimension]
    values: set[str] = set()
    for resource in s.of_type(type_):
        value = output(resource, path)
        values.update(value if isinstance(value, list) else [value])
    return values
