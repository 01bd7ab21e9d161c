"""The availability objective's burn-rate alarms (components/slo.py): each window's ratio of the
ALB's 5xx responses to its requests, read from the metrics CloudWatch publishes for the stack's
load balancer, against the burn rate's share of the error budget."""

from __future__ import annotations

import pytest

from components.slo import threshold_percent
from settings.alarms import SloSettings

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def metric(query_id: str, name: str, load_balancer: str, period: int) -> dict:
    return {
        "id": query_id,
        "returnData": False,
        "metric": {
            "namespace": "AWS/ApplicationELB",
            "metricName": name,
            "dimensions": {"LoadBalancer": load_balancer},
            "stat": "Sum",
            "period": period,
        },
    }


@pytest.mark.parametrize(
    "alarm, period, threshold",
    [
        # 99.9% availability: a 0.1% budget, burnt 14.4 times (fast) or 6 times (slow) its rate.
        ("slo-fast-burn-1h", 3600, 1.44),
        ("slo-fast-burn-5m", 300, 1.44),
        ("slo-slow-burn-6h", 21600, 0.6),
        ("slo-slow-burn-30m", 1800, 0.6),
    ],
)
def test_each_window_alarms_on_the_albs_5xx_ratio_over_its_burn_rate_share_of_the_budget(
    prod, alarm, period, threshold
):
    (found,) = [r["inputs"] for r in prod.of_type(ALARM) if r["inputs"]["name"] == f"webapp-prod-{alarm}"]
    load_balancer = prod.one("aws:lb/loadBalancer:LoadBalancer")["outputs"]["arnSuffix"]
    assert found["threshold"] == threshold
    assert found["comparisonOperator"] == "GreaterThanThreshold"
    assert found["metricQueries"] == [
        metric("elb", "HTTPCode_ELB_5XX_Count", load_balancer, period),
        metric("target", "HTTPCode_Target_5XX_Count", load_balancer, period),
        metric("requests", "RequestCount", load_balancer, period),
        {
            "id": "result",
            "expression": "IF(requests > 0, 100 * (FILL(elb, 0) + FILL(target, 0)) / requests, 0)",
            "label": "5xx ratio (%)",
            "returnData": True,
        },
    ]
    assert found["alarmDescription"].startswith("[warning] ALB, 99.9% availability: ")


@pytest.mark.parametrize(
    "composite, severity, windows",
    [("slo-fast-burn", "critical", ("1h", "5m")), ("slo-slow-burn", "warning", ("6h", "30m"))],
)
def test_each_burn_pages_when_both_its_windows_alarm_and_says_which_objective(prod, composite, severity, windows):
    (found,) = [
        r["inputs"]
        for r in prod.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")
        if r["inputs"]["alarmName"] == f"webapp-prod-{composite}"
    ]
    assert found["alarmRule"] == " AND ".join(f'ALARM("webapp-prod-{composite}-{window}")' for window in windows)
    assert found["alarmDescription"].startswith(f"[{severity}] ALB, 99.9% availability: ")


def test_a_threshold_is_kept_to_a_millionth_of_a_percent():
    # The product of a burn rate and a budget carries float noise beyond it (14.4 x 0.1 is
    # 1.4400000000000002), which a plan would show as a change from one release to the next.
    assert threshold_percent(SloSettings(availabilityPercent=99.876543), 14.4) == 1.777781
    assert threshold_percent(SloSettings(availabilityPercent=99.9), 14.4) == 1.44
