"""The deployment alarm (components/alarms.py, deployment): the composite over both colours' 5xx,
latency and unhealthy alarms that ECS rolls the web service back on, the rollback figures it
gives (a failing deploy within two minutes, a slow one after its five slow minutes) and the
figures the docs state."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from components.alarms import ROLLBACK_TARGET_SECONDS, ROLLBACK_TRAFFIC_SHIFT_SECONDS, Alarms
from settings import load_settings
from settings.stack_config import ROOT
from tests.alarms_support import alarm, deployment_members, metrics, settings_of
from tests.observability import STACKS, stack
from tests.support import CUSTOM_ALARMS, Synth, config_with


def composite(s: Synth, kind: str = "web-deployment") -> dict[str, Any]:
    return alarm(s, kind)


def detection_seconds(alarm_: dict[str, Any]) -> int:
    """How long a breach must last before this alarm fires: datapoints x period."""
    inputs = alarm_["inputs"]
    periods = [q["metric"]["period"] for q in inputs.get("metricQueries", []) if "metric" in q] or [inputs["period"]]
    return int(max(periods) * inputs["datapointsToAlarm"])


def observability_page() -> str:
    return (ROOT / "docs" / "observability.md").read_text()


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


def test_the_rollback_figure_follows_the_deployment_alarm_settings(custom):
    alarms = load_settings("staging", config_with("staging", {"webapp:alarms": CUSTOM_ALARMS})).alarms
    measured = max(detection_seconds(m) for m in error_members(custom)) + ROLLBACK_TRAFFIC_SHIFT_SECONDS
    assert measured == Alarms.rollback_seconds(alarms) == 2 * 120 + ROLLBACK_TRAFFIC_SHIFT_SECONDS
