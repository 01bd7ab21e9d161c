"""The error-budget (burn-rate) alarms of components/slo.py: each composite needs both of its
windows over the budget rate, and the thresholds follow the availability objective."""

from __future__ import annotations

import pytest

from tests.alarms_support import alarm, deployment_members, short


@pytest.mark.parametrize(
    ("kind", "severity", "windows"),
    [
        ("slo-fast-burn", "critical", {"slo-fast-burn-1h": (3600, 1.44), "slo-fast-burn-5m": (300, 1.44)}),
        ("slo-slow-burn", "warning", {"slo-slow-burn-6h": (21600, 0.6), "slo-slow-burn-30m": (1800, 0.6)}),
    ],
)
def test_a_burn_alarm_needs_both_windows_over_the_budget_rate(prod, kind, severity, windows):
    burn = alarm(prod, kind)
    assert burn["outputs"]["alarmName"] == f"webapp-prod-{kind}"
    assert burn["inputs"]["tags"]["severity"] == severity
    assert " AND " in burn["inputs"]["alarmRule"] and " OR " not in burn["inputs"]["alarmRule"]
    members = {short(prod, m): m["inputs"] for m in deployment_members(prod, kind)}
    assert set(members) == set(windows)
    for name, (period, threshold) in windows.items():
        inputs = members[name]
        queried = {q["metric"]["metricName"]: q["metric"]["period"] for q in inputs["metricQueries"] if "metric" in q}
        assert queried == dict.fromkeys(("HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "RequestCount"), period)
        assert (inputs["threshold"], inputs["evaluationPeriods"]) == (threshold, 1)
        # CloudWatch: period x evaluation periods at most one day.
        assert period * inputs["evaluationPeriods"] <= 86400


def test_the_burn_thresholds_follow_the_availability_objective(optional_staging):
    # Its availability objective is 99.5%: half a percent of error budget.
    s = optional_staging
    assert alarm(s, "slo-fast-burn-1h")["inputs"]["threshold"] == pytest.approx(14.4 * 0.5)
    assert alarm(s, "slo-slow-burn-30m")["inputs"]["threshold"] == pytest.approx(6 * 0.5)
