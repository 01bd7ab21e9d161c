"""The stack's CloudWatch dashboard: one page of widgets for the error budget (the burn-rate
alarms' states and the burn rate), the ALB, each service, the database, the cache and the web
ACL, on the same metrics the alarms watch, in the stack's region.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.alarms import MAX_BURN_RATE, SloSettings

from .alarm_catalogue import SLOW_BURN_RATE
from .watched import Watched

ALB = "AWS/ApplicationELB"


@dataclass(frozen=True)
class SloPanel:
    """The availability objective and its burn-rate composite alarms, shown on the dashboard."""

    slo: SloSettings
    alarm_arns: Sequence[pulumi.Input[str]]


def dashboard(
    resource_name: str,
    dashboard_name: str,
    watched: Watched,
    region: str,
    opts: pulumi.ResourceOptions,
    slo: SloPanel | None = None,
) -> aws.cloudwatch.Dashboard:
    """The dashboard of what `watched` names, once its identifiers are known."""
    lb = watched.load_balancer
    values: dict[str, Any] = {
        "slo_alarms": list(slo.alarm_arns) if slo else [],
        "budget": slo.slo.budget_percent if slo else None,
        "lb": lb.arn_suffix,
        "tgs": dict(lb.target_groups),
        "services": [{"name": s.name, "cluster": s.cluster_name, "service": s.service_name} for s in watched.services],
        "acl": watched.web_acl_metric_name,
        "db": watched.database.identifier if watched.database else None,
        "cache": watched.cache.replication_group_id if watched.cache else None,
        "cache_nodes": watched.cache.node_suffixes() if watched.cache else [],
    }
    body = pulumi.Output.from_input(values).apply(lambda v: json.dumps(dashboard_body(v, region), sort_keys=True))
    return aws.cloudwatch.Dashboard(resource_name, dashboard_name=dashboard_name, dashboard_body=body, opts=opts)


def dashboard_url(board: aws.cloudwatch.Dashboard, region: str) -> pulumi.Output[str]:
    """Where the console shows the dashboard."""
    return pulumi.Output.concat(
        "https://",
        region,
        ".console.aws.amazon.com/cloudwatch/home?region=",
        region,
        "#dashboards/dashboard/",
        board.dashboard_name,
    )


def _widget(
    title: str, metrics: list[list[Any]], region: str, stat: str = "Sum", period: int = 60, **extra: Any
) -> dict:
    return {
        "type": "metric",
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "view": "timeSeries",
            "metrics": metrics,
            "region": region,
            "stat": stat,
            "period": period,
            **extra,
        },
    }


def dashboard_body(v: dict[str, Any], region: str) -> dict[str, Any]:
    """Widgets for the ALB, each service, the database, the cache and the web ACL, from the
    resolved values `dashboard` gathers. A metric row is [namespace, metric, dimension name, value, ..., {options}]; an expression row is
    [{"expression", "label", "id"}]."""
    lb = ["LoadBalancer", v["lb"]]
    widgets = [*_slo_widgets(v, lb, region)] + [
        _widget("Requests", [[ALB, "RequestCount", *lb]], region),
        _widget(
            "5xx rate (%)",
            [
                [ALB, "HTTPCode_ELB_5XX_Count", *lb, {"id": "elb", "visible": False}],
                [ALB, "HTTPCode_Target_5XX_Count", *lb, {"id": "target", "visible": False}],
                [ALB, "RequestCount", *lb, {"id": "requests", "visible": False}],
                [{"expression": "100 * (FILL(elb, 0) + FILL(target, 0)) / requests", "label": "5xx %", "id": "rate"}],
            ],
            region,
        ),
        _widget(
            "Target response time (s)",
            [[ALB, "TargetResponseTime", *lb, {"stat": p, "label": p}] for p in ("p50", "p95", "p99")],
            region,
            stat="p95",
        ),
        _widget(
            "Healthy hosts per target group",
            [[ALB, "HealthyHostCount", "TargetGroup", tg, *lb, {"label": colour}] for colour, tg in v["tgs"].items()],
            region,
            stat="Minimum",
        ),
    ]
    for service in v["services"]:
        dims = ["ClusterName", service["cluster"], "ServiceName", service["service"]]
        widgets.append(
            _widget(
                f"{service['name']}: CPU / memory (%)",
                [["AWS/ECS", "CPUUtilization", *dims], ["AWS/ECS", "MemoryUtilization", *dims]],
                region,
                stat="Average",
            )
        )
        widgets.append(
            _widget(
                f"{service['name']}: tasks",
                [
                    ["ECS/ContainerInsights", "RunningTaskCount", *dims],
                    ["ECS/ContainerInsights", "DesiredTaskCount", *dims],
                ],
                region,
                stat="Average",
            )
        )
    if v["db"]:
        db = ["DBInstanceIdentifier", v["db"]]
        widgets += [
            _widget(
                "Database CPU (%) / connections",
                [["AWS/RDS", "CPUUtilization", *db], ["AWS/RDS", "DatabaseConnections", *db, {"yAxis": "right"}]],
                region,
                stat="Average",
            ),
            _widget("Database free storage (bytes)", [["AWS/RDS", "FreeStorageSpace", *db]], region, stat="Minimum"),
            _widget(
                "Database latency (s)",
                [["AWS/RDS", "ReadLatency", *db], ["AWS/RDS", "WriteLatency", *db]],
                region,
                stat="Average",
            ),
        ]
    if v["cache"]:
        # ElastiCache publishes per member cluster: "<replication group>-001", "-0001-001", ...
        nodes = [["CacheClusterId", f"{v['cache']}-{suffix}"] for suffix in v["cache_nodes"]]
        widgets.append(
            _widget(
                "Cache CPU / memory (%) and hit rate",
                [
                    ["AWS/ElastiCache", metric, *node, {"yAxis": axis}]
                    for node in nodes
                    for metric, axis in (
                        ("EngineCPUUtilization", "left"),
                        ("DatabaseMemoryUsagePercentage", "left"),
                        ("CacheHitRate", "right"),
                    )
                ],
                region,
                stat="Average",
            )
        )
    waf = ["WebACL", v["acl"], "Region", region, "Rule", "ALL"]
    widgets.append(
        _widget(
            "WAF allowed / blocked",
            [["AWS/WAFV2", "AllowedRequests", *waf], ["AWS/WAFV2", "BlockedRequests", *waf]],
            region,
        )
    )
    return {"widgets": widgets}


def _slo_widgets(v: dict[str, Any], lb: list[Any], region: str) -> list[dict]:
    """The burn-rate alarms' states, and the 5xx ratio as a multiple of the error budget over
    5 minutes with the fast (14.4x) and slow (6x) burn thresholds drawn on it."""
    if not v["slo_alarms"]:
        return []
    status = {
        "type": "alarm",
        "width": 24,
        "height": 2,
        "properties": {"title": "Error budget burn (SLO alarms)", "alarms": sorted(v["slo_alarms"])},
    }
    burn = _widget(
        "Error budget burn rate (x budget, 5 min)",
        [
            [ALB, "HTTPCode_ELB_5XX_Count", *lb, {"id": "elb", "visible": False}],
            [ALB, "HTTPCode_Target_5XX_Count", *lb, {"id": "target", "visible": False}],
            [ALB, "RequestCount", *lb, {"id": "requests", "visible": False}],
            [
                {
                    "expression": f"100 * (FILL(elb, 0) + FILL(target, 0)) / requests / {v['budget']:g}",
                    "label": "burn rate",
                    "id": "burn",
                }
            ],
        ],
        region,
        period=300,
        annotations={
            "horizontal": [
                {"label": "fast burn (pages with the 1 h window)", "value": MAX_BURN_RATE},
                {"label": "slow burn (warns with the 6 h window)", "value": SLOW_BURN_RATE},
            ]
        },
    )
    return [status, burn]
