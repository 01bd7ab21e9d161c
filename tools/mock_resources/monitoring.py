"""What AWS returns for monitoring: log groups and their resource policy, metric and composite
alarms, the dashboard, and the SNS topics and subscriptions (an email one pending confirmation)."""

from __future__ import annotations

from tools.mock_resources.context import Generator, MockContext, State


def _log_group(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=512)
    return {"id": name, "name": name, "arn": ctx.arn("logs", f"log-group:{name}")}


def _alarm(ctx: MockContext) -> State:
    name = ctx.physical_name("name") if ctx.inputs.get("name") else ctx.physical_name("alarmName")
    return {"id": name, "alarmName": name, "arn": ctx.arn("cloudwatch", f"alarm:{name}")}


def _dashboard(ctx: MockContext) -> State:
    name = ctx.physical_name("dashboardName")
    return {"id": name, "dashboardName": name, "dashboardArn": ctx.arn("cloudwatch", f"dashboard/{name}", region=False)}


def _topic(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=256)
    arn = ctx.arn("sns", name)
    return {"id": arn, "arn": arn, "name": name}


MONITORING: dict[str, Generator] = {
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": lambda c: {"id": c.inputs.get("policyName")},
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": lambda c: {
        "id": f"{c.inputs.get('topic')}:{c.uuid()}",
        "arn": f"{c.inputs.get('topic')}:{c.uuid()}",
        "pendingConfirmation": c.inputs.get("protocol") == "email",
    },
}
