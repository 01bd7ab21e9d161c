"""The dashboard alone: its body from given identifiers (dashboard_body, called directly) in
another region than the stacks', widget by widget (what an on-call engineer reads: titles,
metrics, dimensions, statistics, periods, axes), and the Dashboard resource built under the mocks
from what the alarms component watches."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.dashboard import SloPanel, dashboard, dashboard_body, dashboard_url
from components.watched import Watched, WatchedCache, WatchedDatabase, WatchedLoadBalancer, WatchedService
from settings.alarms import SloSettings
from tests.components_support import build
from tests.support import Synth

REGION = "eu-west-1"
LB = "app/webapp-prod-alb/50dc6c495c0c9188"
BLUE = "targetgroup/webapp-prod-blue/943f017f100becff"
GREEN = "targetgroup/webapp-prod-green/a1b2c3d4e5f60718"
ALARM = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:"
# Out of order: the status widget lists them sorted.
SLO_ALARMS = [f"{ALARM}webapp-prod-slo-slow-burn", f"{ALARM}webapp-prod-slo-fast-burn"]
VALUES: dict[str, Any] = {
    "slo_alarms": SLO_ALARMS,
    "budget": 0.25,
    "lb": LB,
    "tgs": {"blue": BLUE, "green": GREEN},
    # The service's name on the dashboard, its cluster and its ECS service name all differ.
    "services": [
        {"name": "web", "cluster": "webapp-prod-ecs", "service": "webapp-prod-web-svc"},
        {"name": "worker", "cluster": "webapp-prod-ecs", "service": "webapp-prod-worker-svc"},
    ],
    "acl": "webapp-prod-waf-metric",
    "db": "webapp-prod-database",
    "cache": "webapp-prod-cache",
    "cache_nodes": ["0001-001", "0002-001"],
}
ELB = "AWS/ApplicationELB"
ON_LB = ["LoadBalancer", LB]


def body(**changes: Any) -> dict[str, Any]:
    return dashboard_body({**VALUES, **changes}, REGION)


def titles(board: dict[str, Any]) -> list[str]:
    return [widget["properties"]["title"] for widget in board["widgets"]]


def widget(title: str) -> dict[str, Any]:
    return next(w for w in body()["widgets"] if w["properties"]["title"] == title)


def graph(title: str, metrics: list[list[Any]], stat: str = "Sum", period: int = 60, **extra: Any) -> dict[str, Any]:
    """A half-width time series of these metrics in REGION, as the console draws it."""
    return {
        "type": "metric",
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "view": "timeSeries",
            "metrics": metrics,
            "region": REGION,
            "stat": stat,
            "period": period,
            **extra,
        },
    }


def test_the_widgets_come_slo_first_then_the_alb_each_service_the_database_cache_and_waf():
    assert titles(body()) == [
        "Error budget burn (SLO alarms)",
        "Error budget burn rate (x budget, 5 min)",
        "Requests",
        "5xx rate (%)",
        "Target response time (s)",
        "Healthy hosts per target group",
        "web: CPU / memory (%)",
        "web: tasks",
        "worker: CPU / memory (%)",
        "worker: tasks",
        "Database CPU (%) / connections",
        "Database free storage (bytes)",
        "Database latency (s)",
        "Cache CPU / memory (%) and hit rate",
        "WAF allowed / blocked",
    ]


def test_the_slo_status_widget_spans_the_page_with_the_burn_alarms_sorted():
    assert widget("Error budget burn (SLO alarms)") == {
        "type": "alarm",
        "width": 24,
        "height": 2,
        "properties": {"title": "Error budget burn (SLO alarms)", "alarms": sorted(SLO_ALARMS)},
    }


def test_the_burn_rate_is_the_5xx_share_over_the_budget_each_5_minutes_against_both_thresholds():
    title = "Error budget burn rate (x budget, 5 min)"
    assert widget(title) == graph(
        title,
        [
            [ELB, "HTTPCode_ELB_5XX_Count", *ON_LB, {"id": "elb", "visible": False}],
            [ELB, "HTTPCode_Target_5XX_Count", *ON_LB, {"id": "target", "visible": False}],
            [ELB, "RequestCount", *ON_LB, {"id": "requests", "visible": False}],
            [
                {
                    "expression": "100 * (FILL(elb, 0) + FILL(target, 0)) / requests / 0.25",
                    "label": "burn rate",
                    "id": "burn",
                }
            ],
        ],
        period=300,
        annotations={
            "horizontal": [
                {"label": "fast burn (pages with the 1 h window)", "value": 14.4},
                {"label": "slow burn (warns with the 6 h window)", "value": 6.0},
            ]
        },
    )


def test_without_slo_alarms_there_are_no_slo_widgets():
    assert titles(body(slo_alarms=[], budget=None))[:2] == ["Requests", "5xx rate (%)"]


def test_requests_are_summed_each_minute():
    assert widget("Requests") == graph("Requests", [[ELB, "RequestCount", *ON_LB]])


def test_the_5xx_rate_adds_elb_and_target_errors_over_requests():
    assert widget("5xx rate (%)") == graph(
        "5xx rate (%)",
        [
            [ELB, "HTTPCode_ELB_5XX_Count", *ON_LB, {"id": "elb", "visible": False}],
            [ELB, "HTTPCode_Target_5XX_Count", *ON_LB, {"id": "target", "visible": False}],
            [ELB, "RequestCount", *ON_LB, {"id": "requests", "visible": False}],
            [{"expression": "100 * (FILL(elb, 0) + FILL(target, 0)) / requests", "label": "5xx %", "id": "rate"}],
        ],
    )


def test_response_time_shows_the_median_and_the_tails():
    assert widget("Target response time (s)") == graph(
        "Target response time (s)",
        [[ELB, "TargetResponseTime", *ON_LB, {"stat": p, "label": p}] for p in ("p50", "p95", "p99")],
        stat="p95",
    )


def test_healthy_hosts_show_each_target_groups_minimum_by_colour():
    assert widget("Healthy hosts per target group") == graph(
        "Healthy hosts per target group",
        [
            [ELB, "HealthyHostCount", "TargetGroup", BLUE, *ON_LB, {"label": "blue"}],
            [ELB, "HealthyHostCount", "TargetGroup", GREEN, *ON_LB, {"label": "green"}],
        ],
        stat="Minimum",
    )


@pytest.mark.parametrize("name", ["web", "worker"])
def test_each_service_shows_its_average_cpu_memory_and_task_counts(name):
    on_service = ["ClusterName", "webapp-prod-ecs", "ServiceName", f"webapp-prod-{name}-svc"]
    assert widget(f"{name}: CPU / memory (%)") == graph(
        f"{name}: CPU / memory (%)",
        [["AWS/ECS", "CPUUtilization", *on_service], ["AWS/ECS", "MemoryUtilization", *on_service]],
        stat="Average",
    )
    # Container Insights publishes the task counts (the stack's cluster has it on).
    assert widget(f"{name}: tasks") == graph(
        f"{name}: tasks",
        [
            ["ECS/ContainerInsights", "RunningTaskCount", *on_service],
            ["ECS/ContainerInsights", "DesiredTaskCount", *on_service],
        ],
        stat="Average",
    )


def test_the_database_shows_cpu_with_connections_on_the_right_axis_its_free_storage_and_latency():
    on_db = ["DBInstanceIdentifier", "webapp-prod-database"]
    board = body()
    assert board["widgets"][10:13] == [
        graph(
            "Database CPU (%) / connections",
            [["AWS/RDS", "CPUUtilization", *on_db], ["AWS/RDS", "DatabaseConnections", *on_db, {"yAxis": "right"}]],
            stat="Average",
        ),
        # The period's lowest free space: the moment the disk was closest to full.
        graph("Database free storage (bytes)", [["AWS/RDS", "FreeStorageSpace", *on_db]], stat="Minimum"),
        graph(
            "Database latency (s)",
            [["AWS/RDS", "ReadLatency", *on_db], ["AWS/RDS", "WriteLatency", *on_db]],
            stat="Average",
        ),
    ]


def test_the_cache_shows_each_member_clusters_cpu_and_memory_left_and_hit_rate_right():
    metrics = [
        ["AWS/ElastiCache", metric, "CacheClusterId", f"webapp-prod-cache-{node}", {"yAxis": axis}]
        for node in ("0001-001", "0002-001")
        for metric, axis in (
            ("EngineCPUUtilization", "left"),
            ("DatabaseMemoryUsagePercentage", "left"),
            ("CacheHitRate", "right"),
        )
    ]
    title = "Cache CPU / memory (%) and hit rate"
    assert widget(title) == graph(title, metrics, stat="Average")


def test_the_waf_shows_allowed_and_blocked_requests_of_all_rules_in_the_region():
    # AWS/WAFV2 publishes a regional web ACL's totals under WebACL, Region and Rule=ALL.
    on_acl = ["WebACL", "webapp-prod-waf-metric", "Region", REGION, "Rule", "ALL"]
    assert widget("WAF allowed / blocked") == graph(
        "WAF allowed / blocked",
        [["AWS/WAFV2", "AllowedRequests", *on_acl], ["AWS/WAFV2", "BlockedRequests", *on_acl]],
    )


def test_without_a_database_or_a_cache_their_widgets_are_left_out():
    left = titles(body(db=None, cache=None, cache_nodes=[]))
    assert left[-2:] == ["worker: tasks", "WAF allowed / blocked"]


# The Dashboard resource, built under the mocks.

WATCHED = Watched(
    load_balancer=WatchedLoadBalancer(
        arn_suffix=LB, target_groups={"blue": BLUE, "green": GREEN}, minimum_healthy_hosts=2
    ),
    services=[
        WatchedService(name=s["name"], cluster_name=s["cluster"], service_name=s["service"], minimum_tasks=1)
        for s in VALUES["services"]
    ],
    web_acl_metric_name="webapp-prod-waf-metric",
    database=WatchedDatabase(identifier="webapp-prod-database", allocated_storage_gb=50, memory_gib=8),
    # Cluster mode, two shards of one node each: "0001-001", "0002-001".
    cache=WatchedCache(replication_group_id="webapp-prod-cache", nodes=2, shards=2, replicas_per_shard=0),
)


def board_of(watched: Watched, slo: SloPanel | None) -> Synth:
    """The dashboard `webapp-prod` of `watched`, through a provider of REGION, with its console
    address as the stack output `url`."""

    def program() -> None:
        provider = aws.Provider("aws", region=REGION)
        board = dashboard("dashboard", "webapp-prod", watched, REGION, pulumi.ResourceOptions(provider=provider), slo)
        pulumi.export("url", dashboard_url(board, REGION))

    return build("prod", program)


@pytest.fixture(scope="module")
def board() -> Synth:
    return board_of(WATCHED, SloPanel(SloSettings(availability_percent=99.75), SLO_ALARMS))


def test_the_dashboard_is_named_as_asked_and_draws_what_it_watches(board):
    # Keys sorted: the body's text does not depend on the order the program writes them in, so
    # a reordering in the code shows no change in a plan.
    assert board.one("aws:cloudwatch/dashboard:Dashboard")["inputs"] == {
        "dashboardName": "webapp-prod",
        "dashboardBody": json.dumps(body(), sort_keys=True),
    }


def test_the_dashboard_takes_the_options_it_is_given(board):
    provider = board.one("pulumi:providers:aws")
    assert board.one("aws:cloudwatch/dashboard:Dashboard")["provider"] == f"{provider['urn']}::{provider['id']}"


def test_the_console_address_opens_the_dashboard_in_its_region(board):
    assert board.outputs["url"] == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/webapp-prod"
    )


def test_without_an_slo_database_or_cache_the_dashboard_draws_the_rest():
    watched = Watched(load_balancer=WATCHED.load_balancer, services=WATCHED.services, web_acl_metric_name="acl-metric")
    stack = board_of(watched, None)
    drawn = json.loads(stack.one("aws:cloudwatch/dashboard:Dashboard")["inputs"]["dashboardBody"])
    assert drawn == body(slo_alarms=[], budget=None, acl="acl-metric", db=None, cache=None, cache_nodes=[])
