"""How every alarm of the stack is made: one metric or composite alarm of a catalogue kind
(`alarm_catalogue.KINDS`), named `<project>-<stack>-<kind name>`, described from its kind, on its
severity's topic for ALARM and OK, parented to the alarms component. `alarms.py` and `slo.py`
decide what to watch; this module decides how an alarm looks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.alarms import AlarmSettings

from .alarm_catalogue import KINDS
from .common import child


@dataclass(frozen=True)
class AlarmFactory:
    # The alarms component: the children's parent and the prefix of their resource names.
    parent: pulumi.ComponentResource
    resource_prefix: str
    # `<project>-<stack>`: the prefix of every alarm's name.
    name_prefix: str
    settings: AlarmSettings
    # Severity -> SNS topic ARN.
    topics: Mapping[str, pulumi.Input[str]]

    def alarm(
        self,
        kind: str,
        subject: str,
        *,
        fill: Mapping[str, object] | None = None,
        threshold: pulumi.Input[float] | None = None,
        missing: str = "notBreaching",
        **metric: Any,
    ) -> aws.cloudwatch.MetricAlarm:
        """One metric alarm of `KINDS[kind]`, on its severity's topic, named after its kind with
        `fill` in the placeholders. `metric` is either namespace/metric_name/dimensions/statistic
        (or extended_statistic), or metric_queries."""
        spec = KINDS[kind]
        name = spec.alarm_name(**(fill or {}))
        rule = spec.rule(self.settings)
        topic = self.topics[spec.severity]
        timing = {} if "metric_queries" in metric else {"period": rule.period_seconds}
        return aws.cloudwatch.MetricAlarm(
            f"{self.resource_prefix}-{name}",
            name=f"{self.name_prefix}-{name}",
            alarm_description=f"[{spec.severity}] {subject}: {spec.metric} {spec.when(self.settings)} "
            f"({rule.window()}). {spec.action}",
            comparison_operator=spec.comparison,
            threshold=rule.threshold if threshold is None else threshold,
            evaluation_periods=rule.evaluation_periods,
            datapoints_to_alarm=rule.datapoints_to_alarm,
            treat_missing_data=missing,
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
            tags={"severity": spec.severity},
            **timing,
            **metric,
            opts=child(self.parent),
        )

    def composite(
        self,
        kind: str,
        subject: str,
        members: Sequence[aws.cloudwatch.MetricAlarm],
        operator: str,
        aliases: Sequence[pulumi.Alias] = (),
    ) -> aws.cloudwatch.CompositeAlarm:
        """A composite alarm of `KINDS[kind]`: its members' ALARM states joined by `operator`
        (`OR`: any member; `AND`: all of them at once)."""
        spec = KINDS[kind]
        name = spec.alarm_name()
        topic = self.topics[spec.severity]
        rule = pulumi.Output.all(*[m.name for m in members]).apply(
            lambda names: f" {operator} ".join(f'ALARM("{n}")' for n in names)
        )
        return aws.cloudwatch.CompositeAlarm(
            f"{self.resource_prefix}-{name}",
            alarm_name=f"{self.name_prefix}-{name}",
            alarm_description=f"[{spec.severity}] {subject}: {spec.watches}, {spec.condition}. {spec.action}",
            alarm_rule=rule,
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
            tags={"severity": spec.severity},
            opts=child(self.parent, aliases=list(aliases)),
        )


def metric_query(
    query_id: str, namespace: str, metric_name: str, dimensions: Mapping[str, Any], stat: str, period: int
) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    """One metric of a metric-math alarm; only the expression's result is compared."""
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=query_id,
        return_data=False,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace=namespace, metric_name=metric_name, dimensions=dict(dimensions), stat=stat, period=period
        ),
    )


def expression(text: str, label: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    """The one query whose result the alarm compares with its threshold."""
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(id="result", expression=text, label=label, return_data=True)
