"""The dashboard on the real stacks: JSON of metric widgets in the stack's region, graphing
metrics CloudWatch publishes for resources that exist, covering every part of the stack."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tests.observability import PUBLISHED, STACKS, source_values, stack
from tests.support import Synth

COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"


def test_the_dashboard_shows_the_slo_burn_alarms_and_the_burn_rate(prod):
    body = json.loads(prod.one("aws:cloudwatch/dashboard:Dashboard")["inputs"]["dashboardBody"])
    status, burn = body["widgets"][:2]
    composites = {a["outputs"]["alarmName"]: a["outputs"]["arn"] for a in prod.of_type(COMPOSITE)}
    assert status["type"] == "alarm"
    assert status["properties"]["alarms"] == sorted(
        composites[f"webapp-prod-slo-{speed}-burn"] for speed in ("fast", "slow")
    )
    assert burn["properties"]["metrics"][-1][0]["expression"].endswith("/ requests / 0.1")
    assert [line["value"] for line in burn["properties"]["annotations"]["horizontal"]] == [14.4, 6.0]


def dashboard_rows(s: Synth) -> Iterator[tuple[dict[str, Any], list[Any]]]:
    body = json.loads(s.one("aws:cloudwatch/dashboard:Dashboard")["inputs"]["dashboardBody"])
    for widget in body["widgets"]:
        for row in widget["properties"].get("metrics", []):
            yield widget, row


def row_metric(row: list[Any]) -> tuple[str, str, dict[str, str]]:
    """[namespace, metric, name, value, ..., {options}] -> (namespace, metric, dimensions)."""
    fields = [f for f in row if not isinstance(f, dict)]
    namespace, metric, pairs = fields[0], fields[1], fields[2:]
    assert len(pairs) % 2 == 0, row
    return namespace, metric, dict(zip(pairs[::2], pairs[1::2], strict=True))


@STACKS
def test_the_dashboard_is_json_of_metric_widgets_in_the_stacks_region(request, stack_name):
    s = stack(request, stack_name)
    body = json.loads(s.one("aws:cloudwatch/dashboard:Dashboard")["inputs"]["dashboardBody"])
    assert body["widgets"]
    for widget in body["widgets"]:
        if widget["type"] == "alarm":
            continue
        assert widget["type"] == "metric" and widget["properties"]["region"] == s.outputs["region"]
        assert widget["properties"]["metrics"], widget["properties"]["title"]


@STACKS
def test_the_dashboard_graphs_published_metrics_of_existing_resources(request, stack_name):
    s = stack(request, stack_name)
    for widget, row in dashboard_rows(s):
        if "expression" in row[0]:
            continue
        namespace, metric, dimensions = row_metric(row)
        assert metric in PUBLISHED.get((namespace, frozenset(dimensions)), set()), row
        for dimension, value in dimensions.items():
            assert value in source_values(s, dimension), (widget["properties"]["title"], dimension, value)


@STACKS
def test_dashboard_expressions_use_metrics_of_their_widget(request, stack_name):
    s = stack(request, stack_name)
    for widget, row in dashboard_rows(s):
        if "expression" not in row[0]:
            continue
        ids = {r[-1].get("id") for r in widget["properties"]["metrics"] if isinstance(r[-1], dict)}
        assert {"expression", "label", "id"} <= set(row[0])
        referenced = set(re.findall(r"\b[a-z][a-zA-Z0-9_]*\b", row[0]["expression"])) - {"FILL"}
        assert referenced and referenced <= ids - {row[0]["id"]}, row


def test_the_dashboard_covers_every_part_of_the_stack(staging):
    graphed: set[tuple[str, str, str]] = set()
    for _, row in dashboard_rows(staging):
        if "expression" in row[0]:
            graphed.add(("expression", "", row[0]["label"]))
            continue
        namespace, metric, dimensions = row_metric(row)
        options = row[-1] if isinstance(row[-1], dict) else {}
        graphed.add((namespace, metric, options.get("stat", "")))
        graphed.update((namespace, metric, f"{k}={v}") for k, v in dimensions.items())
    services = staging.outputs["serviceNames"]
    groups = [g["outputs"]["arnSuffix"] for g in staging.of_type("aws:lb/targetGroup:TargetGroup")]
    expected = (
        {("AWS/ApplicationELB", "RequestCount", ""), ("expression", "", "5xx %")}
        | {("AWS/ApplicationELB", "TargetResponseTime", p) for p in ("p50", "p95", "p99")}
        | {("AWS/ApplicationELB", "HealthyHostCount", f"TargetGroup={g}") for g in groups}
        | {
            (ns, m, f"ServiceName={svc}")
            for svc in services
            for ns, m in (
                ("AWS/ECS", "CPUUtilization"),
                ("AWS/ECS", "MemoryUtilization"),
                ("ECS/ContainerInsights", "RunningTaskCount"),
            )
        }
        | {("AWS/RDS", m, "") for m in ("CPUUtilization", "DatabaseConnections", "FreeStorageSpace", "ReadLatency")}
        | {
            ("AWS/ElastiCache", m, "")
            for m in ("EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "CacheHitRate")
        }
        | {("AWS/WAFV2", m, "") for m in ("AllowedRequests", "BlockedRequests")}
    )
    assert expected <= graphed


def test_the_dashboard_url_output_opens_the_dashboard(prod):
    name = prod.one("aws:cloudwatch/dashboard:Dashboard")["outputs"]["dashboardName"]
    region = prod.outputs["region"]
    assert prod.outputs["dashboardUrl"] == (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{name}"
    )
