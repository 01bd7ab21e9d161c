"""Error-budget (burn-rate) alarms on the availability objective, multi-window and
multi-burn-rate as in the Google SRE workbook ("Alerting on SLOs"):

- fast burn, 14.4x the budget rate over 1 hour AND over 5 minutes (2% of a 30-day budget spent
  in an hour): `<project>-<stack>-slo-fast-burn`, a composite that pages;
- slow burn, 6x over 6 hours AND over 30 minutes (5% of the budget in 6 hours):
  `<project>-<stack>-slo-slow-burn`, a composite that warns.

The long window makes the alarm significant (enough budget spent), the short one makes it reset
soon after the errors stop. Each window is one metric-math alarm on the ALB's 5xx ratio,
(HTTPCode_ELB_5XX_Count + HTTPCode_Target_5XX_Count) / RequestCount, with a period equal to
the window and one evaluation period: the ratio over the whole window, within CloudWatch's
limit of period x evaluation periods (one day). A quiet period (no request) spends no budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.alarms import SloSettings

from .alarm_catalogue import KINDS
from .alarm_factory import AlarmFactory, expression, metric_query
from .dashboard import ALB
from .watched import WatchedLoadBalancer

# Composite kind -> the kinds of its two windows (long, short); their timing and burn rate are
# the kinds' fixed rules in the catalogue.
BURNS: dict[str, tuple[str, str]] = {
    "slo-fast-burn": ("slo-fast-burn-1h", "slo-fast-burn-5m"),
    "slo-slow-burn": ("slo-slow-burn-6h", "slo-slow-burn-30m"),
}


@dataclass(frozen=True)
class BurnAlarms:
    members: list[aws.cloudwatch.MetricAlarm]
    # Composite kind -> the composite alarm.
    composites: dict[str, aws.cloudwatch.CompositeAlarm]


def burn_rate_alarms(factory: AlarmFactory, lb: WatchedLoadBalancer, slo: SloSettings) -> BurnAlarms:
    """The four window alarms and the two composites that join them."""
    members: list[aws.cloudwatch.MetricAlarm] = []
    composites: dict[str, aws.cloudwatch.CompositeAlarm] = {}
    subject = f"ALB, {slo.availability_percent:g}% availability"
    for composite, windows in BURNS.items():
        pair = [_ratio_alarm(factory, lb, slo, kind, subject) for kind in windows]
        members += pair
        composites[composite] = factory.composite(composite, subject, pair, "AND")
    return BurnAlarms(members, composites)


def threshold_percent(slo: SloSettings, burn_rate: float) -> float:
    """The 5xx ratio (%) at which the budget burns `burn_rate` times as fast as it may."""
    return round(burn_rate * slo.budget_percent, 6)


def _ratio_alarm(
    factory: AlarmFactory, lb: WatchedLoadBalancer, slo: SloSettings, kind: str, subject: str
) -> aws.cloudwatch.MetricAlarm:
    dims = {"LoadBalancer": lb.arn_suffix}
    rule = KINDS[kind].rule(factory.settings)
    return factory.alarm(
        kind,
        subject,
        threshold=threshold_percent(slo, rule.threshold),
        metric_queries=[
            metric_query("elb", ALB, "HTTPCode_ELB_5XX_Count", dims, "Sum", rule.period_seconds),
            metric_query("target", ALB, "HTTPCode_Target_5XX_Count", dims, "Sum", rule.period_seconds),
            metric_query("requests", ALB, "RequestCount", dims, "Sum", rule.period_seconds),
            expression("IF(requests > 0, 100 * (FILL(elb, 0) + FILL(target, 0)) / requests, 0)", "5xx ratio (%)"),
        ],
    )


def composite_names(alarms: BurnAlarms) -> list[pulumi.Output[str]]:
    return [alarm.alarm_name for alarm in alarms.composites.values()]
