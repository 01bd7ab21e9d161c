"""components/alarm_factory.py, built alone under an alarms component (tests.components_support):
how every alarm of the stack looks. A metric alarm of a catalogue kind is named after the stack
and its kind, says on its description what it watches, when it fires and what to do, takes its
threshold and timing from the settings, and notifies its severity's topic of ALARM and OK; a
composite joins its members' ALARM states; both are children of the alarms component."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.alarm_factory import AlarmFactory, expression, metric_query
from tests.components_support import build, settings_with
from tests.support import Synth

CRITICAL = "arn:aws:sns:us-east-1:123456789012:webapp-prod-critical"
WARNING = "arn:aws:sns:us-east-1:123456789012:webapp-prod-warning"
ALB = {"LoadBalancer": "app/webapp-prod-alb/50dc6c495c0c9188"}
# The p95 latency rule away from its defaults.
SETTINGS = settings_with(
    "prod",
    {
        "webapp:alarms": {
            "albP95Seconds": {"threshold": 1.5, "periodSeconds": 300, "evaluationPeriods": 4, "datapointsToAlarm": 3}
        }
    },
).alarms


class Alarms(pulumi.ComponentResource):
    def __init__(self) -> None:
        super().__init__("webapp:components:Alarms", "alarms", None, None)
        factory = AlarmFactory(
            parent=self,
            resource_prefix="alarms",
            name_prefix="webapp-prod",
            settings=SETTINGS,
            topics={"critical": CRITICAL, "warning": WARNING},
        )
        p95 = factory.alarm(
            "alb-latency-p95",
            "webapp-prod-alb",
            namespace="AWS/ApplicationELB",
            metric_name="TargetResponseTime",
            dimensions=ALB,
            extended_statistic="p95",
        )
        blue = factory.alarm(
            "alb-unhealthy-hosts-<colour>",
            "blue target group",
            fill={"colour": "blue"},
            threshold=2,
            missing="breaching",
            namespace="AWS/ApplicationELB",
            metric_name="UnHealthyHostCount",
            dimensions={"TargetGroup": "targetgroup/webapp-prod-blue/943f017f100becff"},
            statistic="Maximum",
        )
        factory.alarm(
            "alb-5xx-rate",
            "webapp-prod-alb",
            metric_queries=[
                metric_query("errors", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", ALB, "Sum", 60),
                expression("100 * errors / requests", "5xx %"),
            ],
        )
        factory.composite("slo-fast-burn", "web", [p95, blue], "AND", aliases=[pulumi.Alias(name="slo-page")])


@pytest.fixture(scope="module")
def alarms() -> Synth:
    def program() -> None:
        Alarms()

    return build("prod", program)


def inputs(alarms: Synth, name: str) -> dict[str, Any]:
    return alarms.named(f"alarms-{name}")["inputs"]


def test_a_metric_alarm_is_named_described_and_timed_by_its_kind_and_the_settings(alarms):
    rule = SETTINGS.alb_p95_seconds
    assert inputs(alarms, "alb-latency-p95") == {
        "name": "webapp-prod-alb-latency-p95",
        "alarmDescription": "[warning] webapp-prod-alb: `TargetResponseTime` p95 > 1.5 s (3 of 4 x 300 s). Look at "
        "the database and cache alarms and the service's CPU; scale out if tasks are saturated.",
        "comparisonOperator": "GreaterThanThreshold",
        "threshold": rule.threshold,
        "period": rule.period_seconds,
        "evaluationPeriods": rule.evaluation_periods,
        "datapointsToAlarm": rule.datapoints_to_alarm,
        "treatMissingData": "notBreaching",
        "actionsEnabled": True,
        "alarmActions": [WARNING],
        "okActions": [WARNING],
        "tags": {"severity": "warning"},
        "namespace": "AWS/ApplicationELB",
        "metricName": "TargetResponseTime",
        "dimensions": ALB,
        "extendedStatistic": "p95",
    }


def test_an_alarm_of_a_kind_with_placeholders_is_named_after_them_and_can_set_its_threshold_and_missing_data(alarms):
    alarm = inputs(alarms, "alb-unhealthy-hosts-blue")
    assert alarm["name"] == "webapp-prod-alb-unhealthy-hosts-blue"
    assert alarm["alarmDescription"].startswith("[critical] blue target group: `UnHealthyHostCount` (Maximum)")
    assert (alarm["threshold"], alarm["treatMissingData"], alarm["comparisonOperator"]) == (
        2,
        "breaching",
        "GreaterThanOrEqualToThreshold",
    )
    # A critical kind pages: its severity's topic, for ALARM and for OK.
    assert (alarm["alarmActions"], alarm["okActions"], alarm["tags"]) == (
        [CRITICAL],
        [CRITICAL],
        {"severity": "critical"},
    )


def test_a_metric_math_alarm_compares_only_its_expression_and_has_no_period_of_its_own(alarms):
    alarm = inputs(alarms, "alb-5xx-rate")
    assert "period" not in alarm and "metricName" not in alarm
    assert alarm["metricQueries"] == [
        {
            "id": "errors",
            "returnData": False,
            "metric": {
                "namespace": "AWS/ApplicationELB",
                "metricName": "HTTPCode_Target_5XX_Count",
                "dimensions": ALB,
                "stat": "Sum",
                "period": 60,
            },
        },
        {"id": "result", "expression": "100 * errors / requests", "label": "5xx %", "returnData": True},
    ]
    assert alarm["threshold"] == SETTINGS.alb_5xx_percent.threshold


def test_a_composite_alarm_joins_its_members_alarm_states_and_pages_its_severitys_topic(alarms):
    assert inputs(alarms, "slo-fast-burn") == {
        "alarmName": "webapp-prod-slo-fast-burn",
        "alarmDescription": "[critical] web: `slo-fast-burn-1h` and `slo-fast-burn-5m` (composite), both in ALARM. "
        "The error budget burns 14.4x too fast (2% of 30 days' budget an hour): users get errors now. Check the "
        "latest deploy (`python -m ops status`) and the web service's logs; roll back if it started with one.",
        "alarmRule": 'ALARM("webapp-prod-alb-latency-p95") AND ALARM("webapp-prod-alb-unhealthy-hosts-blue")',
        "actionsEnabled": True,
        "alarmActions": [CRITICAL],
        "okActions": [CRITICAL],
        "tags": {"severity": "critical"},
    }
    # A composite renamed keeps its history through the aliases it is given.
    assert alarms.named("alarms-slo-fast-burn")["options"]["aliases"] == [
        {"spec": {"name": "slo-page", "parentUrn": ""}}
    ]


def test_every_alarm_is_a_child_of_the_alarms_component(alarms):
    component = alarms.one("webapp:components:Alarms")["urn"]
    assert {r["name"]: r["parent"] for r in alarms.resources if r["custom"]} == dict.fromkeys(
        ("alarms-alb-latency-p95", "alarms-alb-unhealthy-hosts-blue", "alarms-alb-5xx-rate", "alarms-slo-fast-burn"),
        component,
    )
