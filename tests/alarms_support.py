"""Queries over the alarms component of a synth, shared by the tests/test_alarms*.py modules: its
metric and composite alarms, an alarm by its short name, the metrics (and dimension values) an
alarm watches, and the member alarms of a composite.

The alarms' tests mirror components/alarms.py: tests/test_alarms.py what holds for every alarm
(published metrics, the watched resources, CloudWatch's rules, the catalogue's kinds), then one
module per part of the stack: test_alarms_service_path.py (load balancer, services, firewall),
test_alarms_data_tier.py (database, cache), test_alarms_notifications.py (topics and
subscriptions), test_alarms_rollback.py (the deployment alarm) and test_alarms_slo.py (the
error-budget burn-rate alarms of components/slo.py).
"""

from __future__ import annotations

import re
from typing import Any

from settings import load_settings
from tests.support import Synth, config_with

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"


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


def deployment_members(s: Synth, kind: str = "web-deployment") -> list[dict[str, Any]]:
    composite = alarm(s, kind)
    names = re.findall(r'ALARM\("([^"]+)"\)', composite["inputs"]["alarmRule"])
    by_name = {a["outputs"]["name"]: a for a in metric_alarms(s)}
    return [by_name[n] for n in names]
