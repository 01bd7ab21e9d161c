"""The alarms component on the real stacks: every watched resource has its alarms, each on the
right topic, on metrics CloudWatch publishes with dimension values taken from the watched
resources' outputs; the deployment alarm rolls the web service back; the rollback figure the
docs state.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

from components.alarm_catalogue import KINDS
from components.alarms import ROLLBACK_TARGET_SECONDS, ROLLBACK_TRAFFIC_SHIFT_SECONDS, Alarms
from settings import load_settings
from settings.instance_classes import db_memory_gib
from settings.stack_config import ROOT
from tests.observability import PUBLISHED, SOURCES, STACKS, source_values, stack
from tests.support import CUSTOM_ALARMS, Synth, config_with, plain
from tools.synth import is_secret

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
GIB = 1024**3

# Alarms that page (an outage, or one about to happen); everything else waits for working hours.
PAGING = {
    "slo-fast-burn",
    "alb-unhealthy-hosts-blue",
    "alb-unhealthy-hosts-green",
    "alb-healthy-hosts-low",
    "web-running-tasks-low",
    "worker-running-tasks-low",
    "database-free-storage-low",
    "database-connections-high",
    "web-deployment",
}


# Helpers


def settings_of(stack_name: str):
    return load_settings(stack_name, config_with(stack_name, {}))


def metric_alarms(s: Synth) -> list[dict[str, Any]]:
    return [r for r in s.children("alarms") if r["type"] == ALARM]


def all_alarms(s: Synth) -> list[dict[str, Any]]:
    return [r for r in s.children("alarms") if r["type"] in (ALARM, COMPOSITE)]


def short(s: Synth, alarm: dict[str, Any]) -> str:
    """The alarm's name without `<project>-<stack>-`."""
    name = alarm["outputs"].get("alarmName") or alarm["outputs"]["name"]
    return name.removeprefix(f"webapp-{s.document['stack']}-")


def alarm(s: Synth, name: str) -> dict[str, Any]:
    return next(a for a in all_alarms(s) if short(s, a) == name)


def metrics(alarm_: dict[str, Any]) -> list[dict[str, Any]]:
    """The metric (namespace, metricName, dimensions) of an alarm, or of each of its queries."""
    inputs = alarm_["inputs"]
    if "metricQueries" in inputs:
        return [q["metric"] for q in inputs["metricQueries"] if "metric" in q]
    return [{k: inputs[k] for k in ("namespace", "metricName", "dimensions")}]


def watching(s: Synth, dimension: str, value: str) -> dict[str, set[str]]:
    """Alarm name -> metric names, of the alarms with a metric whose `dimension` is `value`."""
    found: dict[str, set[str]] = {}
    for a in metric_alarms(s):
        for m in metrics(a):
            if m["dimensions"].get(dimension) == value:
                found.setdefault(short(s, a), set()).add(m["metricName"])
    return found


def watched_metrics(s: Synth, dimension: str, value: str) -> set[str]:
    return set().union(*watching(s, dimension, value).values())


def composite(s: Synth, kind: str = "web-deployment") -> dict[str, Any]:
    return alarm(s, kind)


def deployment_members(s: Synth, kind: str = "web-deployment") -> list[dict[str, Any]]:
    composite = alarm(s, kind)
    names = re.findall(r'ALARM\("([^"]+)"\)', composite["inputs"]["alarmRule"])
    by_name = {a["outputs"]["name"]: a for a in metric_alarms(s)}
    return [by_name[n] for n in names]


def detection_seconds(alarm_: dict[str, Any]) -> int:
    """How long a breach must last before this alarm fires: datapoints x period."""
    inputs = alarm_["inputs"]
    periods = [q["metric"]["period"] for q in inputs.get("metricQueries", []) if "metric" in q] or [inputs["period"]]
    return int(max(periods) * inputs["datapointsToAlarm"])


def observability_page() -> str:
    return (ROOT / "docs" / "observability.md").read_text()


# Coverage: every watched resource has its alarms


@STACKS
def test_every_ecs_service_has_cpu_memory_and_running_task_alarms(request, stack_name):
    s = stack(request, stack_name)
    for service in s.of_type("aws:ecs/service:Service"):
        seen = watched_metrics(s, "ServiceName", service["outputs"]["name"])
        assert seen == {"CPUUtilization", "MemoryUtilization", "RunningTaskCount"}, service["name"]


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


@STACKS
def test_the_alb_has_error_latency_and_connection_alarms(request, stack_name):
    s = stack(request, stack_name)
    alb = s.one("aws:lb/loadBalancer:LoadBalancer")["outputs"]["arnSuffix"]
    assert {
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_Target_5XX_Count",
        "RequestCount",
        "TargetResponseTime",
        "RejectedConnectionCount",
    } <= watched_metrics(s, "LoadBalancer", alb)
    percentiles = {alarm(s, f"alb-latency-{p}")["inputs"]["extendedStatistic"] for p in ("p95", "p99")}
    assert percentiles == {"p95", "p99"}


@STACKS
def test_each_target_group_has_unhealthy_healthy_and_deployment_alarms(request, stack_name):
    s = stack(request, stack_name)
    groups = s.of_type("aws:lb/targetGroup:TargetGroup")
    assert len(groups) == 2
    for group in groups:
        colour = group["name"].rsplit("-", 1)[1]
        assert set(watching(s, "TargetGroup", group["outputs"]["arnSuffix"])) == {
            f"alb-unhealthy-hosts-{colour}",
            "alb-healthy-hosts-low",
            f"deploy-{colour}-5xx-rate",
            f"deploy-{colour}-latency-p95",
            f"deploy-{colour}-unhealthy",
        }


@STACKS
def test_the_web_acl_has_a_blocked_requests_alarm(request, stack_name):
    s = stack(request, stack_name)
    metric_name = s.one("aws:wafv2/webAcl:WebAcl")["outputs"]["visibilityConfig"]["metricName"]
    assert watching(s, "WebACL", metric_name) == {"waf-blocked-spike": {"BlockedRequests"}}


def test_the_alarm_names_output_lists_every_alarm(prod):
    assert sorted(prod.outputs["alarmNames"]) == sorted(
        a["outputs"].get("alarmName") or a["outputs"]["name"] for a in all_alarms(prod)
    )


# What each alarm watches: metrics CloudWatch publishes, on resources that exist


@STACKS
def test_every_alarm_metric_is_published_under_its_dimensions(request, stack_name):
    s = stack(request, stack_name)
    for a in metric_alarms(s):
        for m in metrics(a):
            published = PUBLISHED.get((m["namespace"], frozenset(m["dimensions"])), set())
            assert m["metricName"] in published, (a["name"], m)


@STACKS
def test_every_alarm_dimension_value_is_an_output_of_the_watched_resource(request, stack_name):
    s = stack(request, stack_name)
    for a in metric_alarms(s):
        for m in metrics(a):
            for dimension, value in m["dimensions"].items():
                assert value in source_values(s, dimension), (a["name"], dimension, value)


@STACKS
def test_alarms_depend_on_the_resources_they_watch(request, stack_name):
    # ServiceName is the exception: the alarms exist before the services they guard, which are
    # named from the settings (the value test above still checks it against the service).
    s = stack(request, stack_name)
    for a in metric_alarms(s):
        key = "metricQueries" if "metricQueries" in a["inputs"] else "dimensions"
        depended = {r["type"] for r in s.depends_on(a, key)}
        needed = {SOURCES[d][0] for m in metrics(a) for d in m["dimensions"] if d in SOURCES and d != "ServiceName"}
        assert needed <= depended, a["name"]


# Notifications


@STACKS
def test_every_alarm_notifies_its_severitys_topic_on_alarm_and_on_ok(request, stack_name):
    s = stack(request, stack_name)
    for a in all_alarms(s):
        severity = a["inputs"]["tags"]["severity"]
        topic = s.named(f"alarms-{severity}")
        assert a["inputs"]["actionsEnabled"] is True, a["name"]
        assert a["inputs"]["alarmActions"] == a["inputs"]["okActions"] == [topic["outputs"]["arn"]], a["name"]
        assert s.depends_on(a, "alarmActions") == s.depends_on(a, "okActions") == [topic], a["name"]
        assert a["inputs"]["alarmDescription"].startswith(f"[{severity}] "), a["name"]


def test_outages_page_and_slowness_waits_for_working_hours(staging):
    paging = {
        short(staging, a)
        for a in all_alarms(staging)
        if staging.depends_on(a, "alarmActions")[0]["name"] == "alarms-critical"
    }
    assert paging == PAGING


def test_subscriptions_follow_the_config(prod):
    config = settings_of("prod").alarms
    for severity in ("critical", "warning"):
        topic = prod.named(f"alarms-{severity}")
        subscribed = {
            (r["inputs"]["protocol"], r["inputs"]["endpoint"])
            for r in prod.of_type(SUBSCRIPTION)
            if prod.depends_on(r, "topic") == [topic]
        }
        assert subscribed == set(getattr(config, severity).endpoints) != set()


@STACKS
def test_topics_are_encrypted_with_a_key_cloudwatch_may_publish_with(request, stack_name):
    s = stack(request, stack_name)
    for topic in [r for r in s.children("alarms") if r["type"] == TOPIC]:
        (key,) = s.depends_on(topic, "kmsMasterKeyId")
        assert topic["inputs"]["kmsMasterKeyId"] == key["outputs"]["arn"]
        statements = json.loads(key["inputs"]["policy"])["Statement"]
        publish = [
            st
            for st in statements
            if st["Effect"] == "Allow" and "cloudwatch.amazonaws.com" in st["Principal"].get("Service", [])
        ]
        assert publish and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(publish[0]["Action"]), topic["name"]


def test_the_topics_key_is_protected_in_prod_only(prod, staging):
    assert prod.named("alarms-topics-key")["options"]["protect"] is True
    assert staging.named("alarms-topics-key")["options"]["protect"] is False


# CloudWatch's rules for alarm definitions


@STACKS
def test_metric_math_alarms_set_timing_per_metric_and_return_one_result(request, stack_name):
    s = stack(request, stack_name)
    for a in [a for a in metric_alarms(s) if "metricQueries" in a["inputs"]]:
        inputs, queries = a["inputs"], a["inputs"]["metricQueries"]
        assert not {"period", "statistic", "extendedStatistic", "namespace", "metricName"} & set(inputs), a["name"]
        assert [q["returnData"] for q in queries].count(True) == 1, a["name"]
        ids = [q["id"] for q in queries]
        assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-z][a-zA-Z0-9_]*", i) for i in ids), a["name"]
        for q in queries:
            if "metric" in q:
                assert q["metric"]["period"] and q["metric"]["stat"], (a["name"], q["id"])
            else:
                referenced = set(re.findall(r"\b[a-z][a-zA-Z0-9_]*\b", q["expression"])) - {"IF", "FILL"}
                assert referenced <= set(ids) - {q["id"]}, (a["name"], referenced)


@STACKS
def test_single_metric_alarms_set_one_statistic_and_a_period(request, stack_name):
    s = stack(request, stack_name)
    for a in [a for a in metric_alarms(s) if "metricQueries" not in a["inputs"]]:
        inputs = a["inputs"]
        assert inputs["period"] and inputs["namespace"] and inputs["metricName"], a["name"]
        assert ("statistic" in inputs) != ("extendedStatistic" in inputs), a["name"]


@STACKS
def test_alarm_evaluation_settings_are_ones_cloudwatch_accepts(request, stack_name):
    s = stack(request, stack_name)
    alarms = metric_alarms(s)
    for a in alarms:
        inputs = a["inputs"]
        periods = [q["metric"]["period"] for q in inputs.get("metricQueries", []) if "metric" in q] or [
            inputs["period"]
        ]
        assert all(p % 60 == 0 and p * inputs["evaluationPeriods"] <= 86400 for p in periods), a["name"]
        assert 1 <= inputs["datapointsToAlarm"] <= inputs["evaluationPeriods"], a["name"]
        assert inputs["treatMissingData"] in {"missing", "ignore", "breaching", "notBreaching"}, a["name"]
        assert inputs["comparisonOperator"] in {
            "GreaterThanThreshold",
            "GreaterThanOrEqualToThreshold",
            "LessThanThreshold",
            "LessThanOrEqualToThreshold",
        }, a["name"]
        assert isinstance(inputs["threshold"], float) and inputs["threshold"] >= 0, a["name"]
        assert len(inputs["name"]) <= 255 and len(inputs["alarmDescription"]) <= 1024, a["name"]
    assert len({a["inputs"]["name"] for a in alarms}) == len(alarms)


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


@STACKS
def test_task_count_alarms_fire_below_each_services_scaling_minimum(request, stack_name):
    s = stack(request, stack_name)
    minimum = {
        t["inputs"]["resourceId"].rsplit("/", 1)[1]: t["inputs"]["minCapacity"]
        for t in s.of_type("aws:appautoscaling/target:Target")
    }
    for service, floor in minimum.items():
        low = alarm(s, f"{service}-running-tasks-low")["inputs"]
        assert (low["comparisonOperator"], low["threshold"]) == ("LessThanThreshold", floor)
    healthy = alarm(s, "alb-healthy-hosts-low")["inputs"]
    assert (healthy["comparisonOperator"], healthy["threshold"]) == ("LessThanThreshold", minimum["web"])


@STACKS
def test_the_every_task_is_gone_alarms_fire_when_their_metric_stops(request, stack_name):
    """With no task left, Container Insights publishes no RunningTaskCount and the target groups
    report no HealthyHostCount: the missing datapoints are the outage, so they must breach."""
    s = stack(request, stack_name)
    services = [t["inputs"]["resourceId"].rsplit("/", 1)[1] for t in s.of_type("aws:appautoscaling/target:Target")]
    gone = [f"{service}-running-tasks-low" for service in services] + ["alb-healthy-hosts-low"]
    assert {name: alarm(s, name)["inputs"]["treatMissingData"] for name in gone} == dict.fromkeys(gone, "breaching")


# Deployment alarm and rollback


@STACKS
def test_the_composite_names_both_colours_5xx_latency_and_unhealthy_alarms(request, stack_name):
    s = stack(request, stack_name)
    members = deployment_members(s)
    groups = {g["outputs"]["arnSuffix"] for g in s.of_type("aws:lb/targetGroup:TargetGroup")}
    watched = set()
    for member in members:
        (target_group,) = {m["dimensions"]["TargetGroup"] for m in metrics(member)}
        names = {m["metricName"] for m in metrics(member)}
        kind = {"UnHealthyHostCount": "unhealthy", "TargetResponseTime": "latency"}.get(min(names - {"RequestCount"}))
        watched.add((target_group, kind or "5xx"))
    assert len(members) == 6
    assert watched == set(itertools.product(groups, {"5xx", "latency", "unhealthy"}))
    assert {r["urn"] for r in s.depends_on(composite(s), "alarmRule")} == {m["urn"] for m in members}


@STACKS
def test_a_slow_version_rolls_back_on_p95_above_two_seconds_for_five_minutes(request, stack_name):
    s = stack(request, stack_name)
    for colour in ("blue", "green"):
        latency = alarm(s, f"deploy-{colour}-latency-p95")["inputs"]
        (p95,) = [q["metric"] for q in latency["metricQueries"] if q.get("metric", {}).get("stat") == "p95"]
        assert p95["metricName"] == "TargetResponseTime" and p95["period"] == 60
        assert (latency["threshold"], latency["evaluationPeriods"], latency["datapointsToAlarm"]) == (2.0, 5, 5)
        assert "IF(requests >= 10" in latency["metricQueries"][-1]["expression"]


def test_the_web_service_rolls_back_on_the_composite_alarm_and_its_members(prod):
    deployment = composite(prod)
    members = [m["outputs"]["name"] for m in deployment_members(prod)]
    web = next(r for r in prod.of_type("aws:ecs/service:Service") if r["outputs"]["name"] == "web")
    assert web["inputs"]["alarms"] == {
        "alarmNames": [deployment["outputs"]["alarmName"], *members],
        "enable": True,
        "rollback": True,
    }
    assert prod.outputs["deploymentAlarmName"] == deployment["outputs"]["alarmName"]


def error_members(s: Synth) -> list[dict[str, Any]]:
    return [m for m in deployment_members(s) if "latency" not in m["outputs"]["name"]]


@STACKS
def test_a_failing_deploy_is_rolled_back_within_two_minutes(request, stack_name):
    s = stack(request, stack_name)
    seconds = max(detection_seconds(m) for m in error_members(s)) + ROLLBACK_TRAFFIC_SHIFT_SECONDS
    assert seconds < ROLLBACK_TARGET_SECONDS == 120
    assert seconds == Alarms.rollback_seconds(settings_of(stack_name).alarms)


@STACKS
def test_a_slow_deploy_is_rolled_back_after_its_five_slow_minutes(request, stack_name):
    s = stack(request, stack_name)
    latency = [m for m in deployment_members(s) if "latency" in m["outputs"]["name"]]
    seconds = max(detection_seconds(m) for m in latency) + ROLLBACK_TRAFFIC_SHIFT_SECONDS
    assert seconds == Alarms.latency_rollback_seconds(settings_of(stack_name).alarms) == 5 * 60 + 30


def test_the_docs_state_the_rollback_figures():
    page = observability_page()
    stated = re.findall(r"failing deploy is rolled back within \*\*(\d+) s\*\*", page)
    assert stated == [str(Alarms.rollback_seconds(settings_of("prod").alarms))]
    slow = re.findall(r"slow version is rolled back within \*\*(\d+) s\*\*", page)
    assert slow == [str(Alarms.latency_rollback_seconds(settings_of("prod").alarms))]


@pytest.fixture(scope="module")
def custom(optional_staging: Synth) -> Synth:
    """Staging with the subscribers and deployment alarm of tests.support.CUSTOM_ALARMS."""
    return optional_staging


def test_every_configured_subscriber_is_subscribed_to_its_topic(custom):
    critical = custom.named("alarms-critical")
    topics = {
        (r["inputs"]["protocol"], plain(r["inputs"]["endpoint"])): custom.depends_on(r, "topic")
        for r in custom.of_type(SUBSCRIPTION)
    }
    assert topics == {
        ("email", "oncall@example.com"): [critical],
        ("email", "lead@example.com"): [critical],
        ("https", "https://events.example.com/integration/abc/enqueue"): [critical],
    }


def test_https_endpoints_are_secrets_in_state(custom):
    """An incident-tool URL carries its integration key."""
    https = [r for r in custom.of_type(SUBSCRIPTION) if r["inputs"]["protocol"] == "https"]
    assert https and all(is_secret(r["inputs"]["endpoint"]) for r in https)
    assert all(is_secret(r["outputs"]["endpoint"]) for r in https)


def test_the_rollback_figure_follows_the_deployment_alarm_settings(custom):
    alarms = load_settings("staging", config_with("staging", {"webapp:alarms": CUSTOM_ALARMS})).alarms
    measured = max(detection_seconds(m) for m in error_members(custom)) + ROLLBACK_TRAFFIC_SHIFT_SECONDS
    assert measured == Alarms.rollback_seconds(alarms) == 2 * 120 + ROLLBACK_TRAFFIC_SHIFT_SECONDS


# The alarm catalogue


def test_every_alarm_is_a_kind_of_the_catalogue_and_every_kind_exists(prod, staging, optional_prod):
    patterns = {kind: re.compile(re.sub(r"<[a-z]+>", "[a-z0-9-]+", kind)) for kind in KINDS}
    used = set()
    # Read replicas are off in both stack files; the optional prod variant has two.
    for s in (prod, staging, optional_prod):
        for a in all_alarms(s):
            kinds = [k for k, p in patterns.items() if p.fullmatch(short(s, a))]
            assert kinds, short(s, a)
            used.update(kinds)
    assert used == set(KINDS)


# Error budget (burn-rate) alarms


@pytest.mark.parametrize(
    ("kind", "severity", "windows"),
    [
        ("slo-fast-burn", "critical", {"slo-fast-burn-1h": (3600, 1.44), "slo-fast-burn-5m": (300, 1.44)}),
        ("slo-slow-burn", "warning", {"slo-slow-burn-6h": (21600, 0.6), "slo-slow-burn-30m": (1800, 0.6)}),
    ],
)
def test_a_burn_alarm_needs_both_windows_over_the_budget_rate(prod, kind, severity, windows):
    burn = alarm(prod, kind)
    assert burn["outputs"]["alarmName"] == f"webapp-prod-{kind}"
    assert burn["inputs"]["tags"]["severity"] == severity
    assert " AND " in burn["inputs"]["alarmRule"] and " OR " not in burn["inputs"]["alarmRule"]
    members = {short(prod, m): m["inputs"] for m in deployment_members(prod, kind)}
    assert set(members) == set(windows)
    for name, (period, threshold) in windows.items():
        inputs = members[name]
        queried = {q["metric"]["metricName"]: q["metric"]["period"] for q in inputs["metricQueries"] if "metric" in q}
        assert queried == dict.fromkeys(("HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "RequestCount"), period)
        assert (inputs["threshold"], inputs["evaluationPeriods"]) == (threshold, 1)
        # CloudWatch: period x evaluation periods at most one day.
        assert period * inputs["evaluationPeriods"] <= 86400


def test_the_burn_thresholds_follow_the_availability_objective(optional_staging):
    # Its availability objective is 99.5%: half a percent of error budget.
    s = optional_staging
    assert alarm(s, "slo-fast-burn-1h")["inputs"]["threshold"] == pytest.approx(14.4 * 0.5)
    assert alarm(s, "slo-slow-burn-30m")["inputs"]["threshold"] == pytest.approx(6 * 0.5)
