"""What each alarm of the alarms component watches, built alone (tests.alarms_support.alone) with
settings and watched resources away from the defaults: the metric or metric-math queries AWS
evaluates (namespace, metric, dimensions, statistic, period), the thresholds computed from the
watched resources, the data missing on an outage, and the subject its description names."""

from __future__ import annotations

from typing import Any

import pytest

from tests.alarms_support import (
    BLUE,
    GREEN,
    LOAD_BALANCER,
    WatchedCache,
    WatchedDatabase,
    alone,
    subject,
)
from tests.support import Synth

ALB = "AWS/ApplicationELB"
LB = {"LoadBalancer": LOAD_BALANCER}
GIB = 1024**3


@pytest.fixture(scope="module")
def s() -> Synth:
    return alone()


def inputs(s: Synth, name: str) -> dict[str, Any]:
    return s.named(f"monitoring-{name}")["inputs"]


def metric(s: Synth, name: str) -> dict[str, Any]:
    """A single-metric alarm's metric and statistic, and its subject."""
    keys = ("namespace", "metricName", "dimensions", "statistic", "extendedStatistic")
    alarm = s.named(f"monitoring-{name}")
    return {**{k: alarm["inputs"][k] for k in keys if k in alarm["inputs"]}, "subject": subject(alarm)}


def query(query_id: str, metric_name: str, dimensions: dict[str, str], stat: str, period: int) -> dict[str, Any]:
    return {
        "id": query_id,
        "returnData": False,
        "metric": {
            "namespace": ALB,
            "metricName": metric_name,
            "dimensions": dimensions,
            "stat": stat,
            "period": period,
        },
    }


def result(expression: str, label: str) -> dict[str, Any]:
    return {"id": "result", "expression": expression, "label": label, "returnData": True}


# Load balancer


def test_the_alb_5xx_rate_is_both_5xx_counts_over_the_requests_of_its_period(s):
    alarm = inputs(s, "alb-5xx-rate")
    # alb5xxPercent's period (120 s here) for each metric: a math alarm has no period of its own.
    assert alarm["metricQueries"] == [
        query("elb", "HTTPCode_ELB_5XX_Count", LB, "Sum", 120),
        query("target", "HTTPCode_Target_5XX_Count", LB, "Sum", 120),
        query("requests", "RequestCount", LB, "Sum", 120),
        result("IF(requests > 0, 100 * (FILL(elb, 0) + FILL(target, 0)) / requests, 0)", "5xx rate (%)"),
    ]
    assert subject(s.named("monitoring-alb-5xx-rate")) == "ALB"


@pytest.mark.parametrize("percentile", ["p95", "p99"])
def test_the_alb_latency_percentiles_ignore_periods_of_few_requests(s, percentile):
    assert metric(s, f"alb-latency-{percentile}") == {
        "namespace": ALB,
        "metricName": "TargetResponseTime",
        "dimensions": LB,
        "extendedStatistic": percentile,
        "subject": "ALB",
    }
    # CloudWatch: `ignore` keeps the alarm's state when a period has too few samples for the
    # percentile to mean anything (a quiet night).
    assert inputs(s, f"alb-latency-{percentile}")["evaluateLowSampleCountPercentiles"] == "ignore"


def test_the_alb_rejected_connections_are_summed(s):
    assert metric(s, "alb-rejected-connections") == {
        "namespace": ALB,
        "metricName": "RejectedConnectionCount",
        "dimensions": LB,
        "statistic": "Sum",
        "subject": "ALB",
    }


@pytest.mark.parametrize(("colour", "group"), [("blue", BLUE), ("green", GREEN)])
def test_each_target_group_has_its_unhealthy_hosts_alarm(s, colour, group):
    assert metric(s, f"alb-unhealthy-hosts-{colour}") == {
        "namespace": ALB,
        "metricName": "UnHealthyHostCount",
        "dimensions": {**LB, "TargetGroup": group},
        "statistic": "Maximum",
        "subject": f"{colour} target group",
    }


def test_too_few_healthy_hosts_is_judged_on_both_target_groups_together(s):
    """Only the colour serving production has targets between deploys: the minimum applies to
    the sum, with unhealthyHosts' period (180 s here), and no datapoint at all is the outage."""
    alarm = inputs(s, "alb-healthy-hosts-low")
    assert alarm["metricQueries"] == [
        query("blue", "HealthyHostCount", {**LB, "TargetGroup": BLUE}, "Minimum", 180),
        query("green", "HealthyHostCount", {**LB, "TargetGroup": GREEN}, "Minimum", 180),
        result("FILL(blue, 0) + FILL(green, 0)", "healthy hosts"),
    ]
    assert (alarm["threshold"], alarm["treatMissingData"]) == (3, "breaching")
    assert subject(s.named("monitoring-alb-healthy-hosts-low")) == "web target groups (minCount 3)"


# Services


SERVICE = {"ClusterName": "webapp-prod-ecs", "ServiceName": "webapp-prod-api"}


@pytest.mark.parametrize(("short", "metric_name"), [("cpu", "CPUUtilization"), ("memory", "MemoryUtilization")])
def test_each_service_has_its_average_cpu_and_memory_alarms(s, short, metric_name):
    assert metric(s, f"api-{short}") == {
        "namespace": "AWS/ECS",
        "metricName": metric_name,
        "dimensions": SERVICE,
        "statistic": "Average",
        "subject": "service api",
    }


def test_a_service_below_its_minimum_tasks_or_without_any_alarms(s):
    # Container Insights publishes no RunningTaskCount once no task runs: missing data breaches.
    assert metric(s, "api-running-tasks-low") == {
        "namespace": "ECS/ContainerInsights",
        "metricName": "RunningTaskCount",
        "dimensions": SERVICE,
        "statistic": "Minimum",
        "subject": "service api (minCount 4)",
    }
    alarm = inputs(s, "api-running-tasks-low")
    assert (alarm["threshold"], alarm["treatMissingData"]) == (4, "breaching")


# Database


RDS = {"namespace": "AWS/RDS", "dimensions": {"DBInstanceIdentifier": "webapp-prod-database"}}


@pytest.mark.parametrize(
    ("name", "metric_name", "statistic", "subject_", "threshold"),
    [
        ("database-cpu", "CPUUtilization", "Average", "database", 80),
        # 20% of the class's 7.5 GiB.
        ("database-freeable-memory-low", "FreeableMemory", "Average", "database (7.5 GiB)", round(7.5 * GIB * 0.2)),
        # 15% of the 333 GB allocated.
        (
            "database-free-storage-low",
            "FreeStorageSpace",
            "Minimum",
            "database (333 GB allocated)",
            round(333 * GIB * 0.15),
        ),
        # 7.5 GiB / 9531392 bytes a connection: 844 connections at most; 70% of them.
        ("database-connections-high", "DatabaseConnections", "Maximum", "database (max_connections 844)", 591),
    ],
)
def test_the_database_alarms_scale_with_its_class_and_storage(s, name, metric_name, statistic, subject_, threshold):
    assert metric(s, name) == {**RDS, "metricName": metric_name, "statistic": statistic, "subject": subject_}
    assert inputs(s, name)["threshold"] == threshold


def test_the_connection_limit_stops_at_postgres_5000():
    """RDS for PostgreSQL: max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000); a 64 GiB
    class would allow 7209."""
    big = alone(database=WatchedDatabase(identifier="webapp-prod-database", allocated_storage_gb=100, memory_gib=64))
    assert inputs(big, "database-connections-high")["threshold"] == 3500
    assert subject(big.named("monitoring-database-connections-high")) == "database (max_connections 5000)"


@pytest.mark.parametrize("number", [1, 2])
def test_each_read_replica_has_its_lag_alarm_numbered_from_one(s, number):
    assert metric(s, f"database-replica-{number}-lag") == {
        "namespace": "AWS/RDS",
        "metricName": "ReplicaLag",
        "dimensions": {"DBInstanceIdentifier": f"webapp-prod-database-replica-{number}"},
        "statistic": "Maximum",
        "subject": f"read replica {number}",
    }


# Cache

CACHE_METRICS = {
    "cpu": ("EngineCPUUtilization", "Average"),
    "memory": ("DatabaseMemoryUsagePercentage", "Average"),
    "evictions": ("Evictions", "Sum"),
    "replication-lag": ("ReplicationLag", "Maximum"),
}


def cache_alarms(s: Synth) -> dict[str, dict[str, Any]]:
    return {
        name: metric(s, name)
        for name in (r["name"].removeprefix("monitoring-") for r in s.resources)
        if name.startswith("cache-")
    }


def expected_cache(nodes: dict[str, str], kinds: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """label -> member cluster id, each with these kinds of alarms."""
    return {
        f"cache-{label}-{kind}": {
            "namespace": "AWS/ElastiCache",
            "metricName": CACHE_METRICS[kind][0],
            "dimensions": {"CacheClusterId": node},
            "statistic": CACHE_METRICS[kind][1],
            "subject": f"cache node {label}",
        }
        for label, node in nodes.items()
        for kind in kinds
    }


def test_in_cluster_mode_each_node_is_named_by_its_id_and_watched_for_lag(s):
    """After a failover any node may be the primary, so each one has a lag alarm (a primary
    publishes no ReplicationLag: missing, not breaching)."""
    ids = ("0001-001", "0001-002", "0002-001", "0002-002")
    assert cache_alarms(s) == expected_cache({i: f"webapp-prod-cache-{i}" for i in ids}, tuple(CACHE_METRICS))


def test_without_cluster_mode_the_nodes_are_numbered_from_one():
    pair = alone(cache=WatchedCache(replication_group_id="webapp-prod-cache", nodes=2))
    nodes = {"1": "webapp-prod-cache-001", "2": "webapp-prod-cache-002"}
    assert cache_alarms(pair) == expected_cache(nodes, tuple(CACHE_METRICS))


def test_a_single_cache_node_has_no_lag_alarm():
    single = alone(cache=WatchedCache(replication_group_id="webapp-prod-cache", nodes=1))
    assert cache_alarms(single) == expected_cache({"1": "webapp-prod-cache-001"}, ("cpu", "memory", "evictions"))


# Firewall


def test_the_web_acl_alarm_sums_the_blocked_requests_of_all_its_rules_in_the_region(s):
    # AWS/WAFV2 publishes a regional web ACL's metrics under WebACL, Region and Rule (ALL: the
    # ACL as a whole).
    assert metric(s, "waf-blocked-spike") == {
        "namespace": "AWS/WAFV2",
        "metricName": "BlockedRequests",
        "dimensions": {"WebACL": "webapp-prod-waf-metric", "Region": "us-east-1", "Rule": "ALL"},
        "statistic": "Sum",
        "subject": "web ACL",
    }


# Deployment members


@pytest.mark.parametrize(("colour", "group"), [("blue", BLUE), ("green", GREEN)])
def test_a_colours_5xx_rate_is_judged_from_the_minimum_requests(s, colour, group):
    dims = {**LB, "TargetGroup": group}
    alarm = s.named(f"monitoring-deploy-{colour}-5xx-rate")
    assert alarm["inputs"]["metricQueries"] == [
        query("errors", "HTTPCode_Target_5XX_Count", dims, "Sum", 120),
        query("requests", "RequestCount", dims, "Sum", 120),
        result("IF(requests >= 25, 100 * FILL(errors, 0) / requests, 0)", "target 5xx rate (%)"),
    ]
    assert subject(alarm) == f"{colour} target group"


@pytest.mark.parametrize(("colour", "group"), [("blue", BLUE), ("green", GREEN)])
def test_a_colours_p95_is_judged_from_the_minimum_requests(s, colour, group):
    dims = {**LB, "TargetGroup": group}
    alarm = s.named(f"monitoring-deploy-{colour}-latency-p95")
    assert alarm["inputs"]["metricQueries"] == [
        query("p95", "TargetResponseTime", dims, "p95", 180),
        query("requests", "RequestCount", dims, "Sum", 180),
        result("IF(requests >= 25, FILL(p95, 0), 0)", "target p95 (s)"),
    ]
    assert subject(alarm) == f"{colour} target group"


@pytest.mark.parametrize(("colour", "group"), [("blue", BLUE), ("green", GREEN)])
def test_a_colours_unhealthy_targets_fail_its_deploy(s, colour, group):
    assert metric(s, f"deploy-{colour}-unhealthy") == {
        "namespace": ALB,
        "metricName": "UnHealthyHostCount",
        "dimensions": {**LB, "TargetGroup": group},
        "statistic": "Maximum",
        "subject": f"{colour} target group",
    }
