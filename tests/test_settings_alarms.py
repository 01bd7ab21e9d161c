"""`webapp:alarms`: seed defaults, partial overrides, and every rejection with its exact line."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from settings import alarms, load_settings
from settings.alarms import MAX_BURN_RATE, AlarmSettings, Rule, settings_table
from tests.support import config_with, rejection


def _alarms(stack: str = "prod", **section: Any) -> AlarmSettings:
    return load_settings(stack, config_with(stack, {"webapp:alarms": section})).alarms


def test_defaults_follow_the_seed():
    s = AlarmSettings()
    # (threshold, minutes the breach must last) per the seed's alert configuration.
    seen = {
        "5xx %": (s.alb_5xx_percent.threshold, s.alb_5xx_percent.seconds_to_alarm / 60),
        "p95 s": (s.alb_p95_seconds.threshold, s.alb_p95_seconds.seconds_to_alarm / 60),
        "p99 s": (s.alb_p99_seconds.threshold, s.alb_p99_seconds.seconds_to_alarm / 60),
        "cpu %": (s.service_cpu_percent.threshold, s.service_cpu_percent.seconds_to_alarm / 60),
        "memory %": (s.service_memory_percent.threshold, s.service_memory_percent.seconds_to_alarm / 60),
    }
    assert seen == {"5xx %": (1, 5), "p95 s": (0.5, 10), "p99 s": (1, 10), "cpu %": (80, 15), "memory %": (85, 15)}


def test_deployment_alarms_use_one_minute_periods_and_one_datapoint():
    s = AlarmSettings()
    for rule in (s.deployment_5xx_percent, s.deployment_unhealthy_hosts):
        assert (rule.period_seconds, rule.evaluation_periods, rule.datapoints_to_alarm) == (60, 1, 1)


def test_a_slow_deploy_rolls_back_after_p95_above_two_seconds_for_five_minutes():
    rule = AlarmSettings().deployment_p95_seconds
    assert (rule.threshold, rule.seconds_to_alarm) == (2.0, 300)


def test_the_availability_objective_is_three_nines_with_a_tenth_of_a_percent_of_budget():
    slo = _alarms().slo
    assert (slo.availability_percent, slo.budget_percent) == (99.9, 0.1)


def test_a_partial_override_keeps_the_rest_of_that_alarms_defaults():
    rule = _alarms(albP95Seconds={"threshold": 0.8}).alb_p95_seconds
    assert rule == Rule(threshold=0.8, period_seconds=60, evaluation_periods=10, datapoints_to_alarm=10)


def test_the_5xx_keys_are_spelled_as_written():
    # pydantic's camelCase of `alb_5xx_percent` is `alb5XxPercent`; the key users write is not.
    assert _alarms(alb5xxPercent={"threshold": 2}, deployment5xxPercent={"threshold": 3}).alb_5xx_percent.threshold == 2


def test_hourly_periods_may_span_up_to_seven_days():
    rule = _alarms(wafBlockedRequests={"periodSeconds": 3600, "evaluationPeriods": 168}).waf_blocked_requests
    assert rule.window_seconds == 7 * 86400


def test_the_lowest_objective_a_fast_burn_can_alarm_on_is_accepted():
    # At 14.4x a budget of 100 / 14.4 % is all requests failing: the burn-rate alarm can still fire.
    floor = 100 - 100 / MAX_BURN_RATE
    assert _alarms(slo={"availabilityPercent": floor}).slo.availability_percent == floor


def test_periods_under_an_hour_may_span_exactly_one_day():
    rule = _alarms(serviceCpuPercent={"evaluationPeriods": 288}).service_cpu_percent
    assert rule.window_seconds == 86400


def test_an_alarms_section_that_is_not_a_mapping_is_rejected_by_name():
    assert rejection("prod", {"webapp:alarms": "loud"}) == [
        "prod: alarms: input should be a valid dictionary or instance of AlarmSettings (got loud)"
    ]


PERIOD = "must be a multiple of 60 seconds (the watched metrics are published once a minute)"


@pytest.mark.parametrize(
    "section, line",
    [
        (
            {"alb5xxPercent": {"threshold": 101}},
            "prod: alarms.alb5xxPercent.threshold: input should be less than or equal to 100 (got 101)",
        ),
        (
            {"databaseFreeStoragePercent": {"threshold": -1}},
            "prod: alarms.databaseFreeStoragePercent.threshold: input should be greater than or equal to 0 (got -1)",
        ),
        (
            {"albP95Seconds": {"threshold": -0.5}},
            "prod: alarms.albP95Seconds.threshold: input should be greater than or equal to 0 (got -0.5)",
        ),
        (
            {"unhealthyHosts": {"periodSeconds": 0}},
            "prod: alarms.unhealthyHosts.periodSeconds: input should be greater than 0 (got 0)",
        ),
        (
            {"serviceCpuPercent": {"periodSeconds": -300}},
            "prod: alarms.serviceCpuPercent.periodSeconds: input should be greater than 0 (got -300)",
        ),
        ({"unhealthyHosts": {"periodSeconds": 45}}, f"prod: alarms.unhealthyHosts.periodSeconds: {PERIOD} (got 45)"),
        # CloudWatch takes 30 s periods, but only high-resolution metrics have data that often.
        (
            {"deployment5xxPercent": {"periodSeconds": 30}},
            f"prod: alarms.deployment5xxPercent.periodSeconds: {PERIOD} (got 30)",
        ),
        (
            {"serviceCpuPercent": {"evaluationPeriods": 2, "datapointsToAlarm": 3}},
            "prod: alarms.serviceCpuPercent.datapointsToAlarm: must not exceed evaluationPeriods (2) (got 3)",
        ),
        (
            {"serviceCpuPercent": {"evaluationPeriods": 289}},
            "prod: alarms.serviceCpuPercent.evaluationPeriods: periodSeconds x evaluationPeriods must not exceed "
            "one day (periods under an hour): at most 288 periods of 300 s (got 289)",
        ),
        (
            {"wafBlockedRequests": {"periodSeconds": 3600, "evaluationPeriods": 169}},
            "prod: alarms.wafBlockedRequests.evaluationPeriods: periodSeconds x evaluationPeriods must not exceed "
            "seven days: at most 168 periods of 3600 s (got 169)",
        ),
        (
            {"deploymentMinimumRequests": 0},
            "prod: alarms.deploymentMinimumRequests: input should be greater than or equal to 1 (got 0)",
        ),
        (
            {"critical": {"httpsEndpoints": ["http://hooks.example.com/alarm"]}},
            r"prod: alarms.critical.httpsEndpoints[0]: must match ^https://[^\s]+$ (got http://hooks.example.com/alarm)",
        ),
        ({"albP95": {"threshold": 2}}, "prod: alarms.albP95: unknown key (got {'threshold': 2})"),
        (
            {"slo": {"availabilityPercent": 100}},
            "prod: alarms.slo.availabilityPercent: input should be less than 100 (got 100)",
        ),
        (
            {"slo": {"availabilityPercent": 90}},
            "prod: alarms.slo.availabilityPercent: a 14.4x burn of its budget would need more than 100% errors: "
            "at least 93.06 (got 90.0)",
        ),
        (
            {"deploymentP95Seconds": {"threshold": -1}},
            "prod: alarms.deploymentP95Seconds.threshold: input should be greater than or equal to 0 (got -1)",
        ),
    ],
)
def test_alarm_rejections(section, line):
    assert rejection("prod", {"webapp:alarms": section}) == [line]


def test_prod_must_page_someone():
    assert rejection("prod", {"webapp:alarms": {"critical": {"emails": []}}}) == [
        "prod: alarms.critical: prod needs at least one critical subscriber (emails or httpsEndpoints) (got nothing)"
    ]


def test_staging_may_run_without_subscribers():
    assert load_settings("staging", config_with("staging", {"webapp:alarms": None})).alarms.critical.emails == []


def test_a_fresh_import_builds_the_same_alarm_defaults_and_docs_table():
    # The alarms' defaults are built once, when settings/alarms.py is imported (`_rule`), before
    # any test runs. The module's code run again, as a module object of its own (sys.modules and
    # the classes every other test uses stay as they are), must build the same defaults and the
    # same docs table (`alarm-settings`).
    spec = importlib.util.spec_from_file_location(alarms.__name__, alarms.__file__)
    assert spec is not None and spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    assert fresh.AlarmSettings is not AlarmSettings
    assert fresh.AlarmSettings().model_dump(by_alias=True) == AlarmSettings().model_dump(by_alias=True)
    assert fresh.settings_table() == settings_table()
