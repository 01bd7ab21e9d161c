"""Alarm thresholds and where notifications go. Defaults follow seed 002 (5xx > 1% for 5
minutes, p95 > 500 ms, p99 > 1 s, CPU > 80% / memory > 85% for 15 minutes, rollback < 2 min)."""

from __future__ import annotations

from typing import Annotated, Iterator

from pydantic import Field, field_validator, model_validator

from .base import Model, Problem

Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
HttpsUrl = Annotated[str, Field(pattern=r"^https://[^\s]+$")]
# CloudWatch: 10, 20 or 30 s (high-resolution metrics) or a multiple of 60 s; and the periods
# an alarm evaluates may span at most one day.
HIGH_RESOLUTION_PERIODS = (10, 20, 30)
MAX_EVALUATION_SECONDS = 86400


class Subscribers(Model):
    emails: list[Email] = []
    https_endpoints: list[HttpsUrl] = []


class Rule(Model):
    """One alarm: threshold, and how long it must hold before the alarm fires."""

    threshold: float = Field(ge=0)
    period_seconds: int = Field(default=60, gt=0)
    evaluation_periods: int = Field(default=1, ge=1)
    datapoints_to_alarm: int = Field(default=1, ge=1)

    @field_validator("period_seconds")
    @classmethod
    def _period(cls, value: int) -> int:
        if value not in HIGH_RESOLUTION_PERIODS and value % 60:
            raise ValueError("CloudWatch accepts 10, 20, 30 or a multiple of 60 seconds")
        return value

    def problems(self, tier: str) -> Iterator[Problem]:
        if self.datapoints_to_alarm > self.evaluation_periods:
            yield Problem(
                "datapointsToAlarm", f"must not exceed evaluationPeriods ({self.evaluation_periods})", self.datapoints_to_alarm
            )
        if self.period_seconds * self.evaluation_periods > MAX_EVALUATION_SECONDS:
            yield Problem(
                "evaluationPeriods",
                f"periods x evaluationPeriods must not exceed one day ({self.period_seconds} s periods)",
                self.evaluation_periods,
            )

    @property
    def seconds_to_alarm(self) -> int:
        """How long a breach must last before the alarm fires (datapoints x period)."""
        return self.period_seconds * self.datapoints_to_alarm


class PercentRule(Rule):
    threshold: float = Field(ge=0, le=100)


def _rule(kind: type[Rule], threshold: float, period: int, evaluations: int, datapoints: int | None = None):
    """A default for a Field: `kind` with these values."""
    return Field(
        default_factory=lambda: kind(
            threshold=threshold,
            period_seconds=period,
            evaluation_periods=evaluations,
            datapoints_to_alarm=datapoints or evaluations,
        )
    )


class AlarmSettings(Model):
    critical: Subscribers = Subscribers()
    warning: Subscribers = Subscribers()

    # Load balancer
    alb_5xx_percent: PercentRule = _rule(PercentRule, 1, 60, 5)
    alb_p95_seconds: Rule = _rule(Rule, 0.5, 60, 10)
    alb_p99_seconds: Rule = _rule(Rule, 1.0, 60, 10)
    unhealthy_hosts: Rule = _rule(Rule, 1, 60, 3)
    rejected_connections: Rule = _rule(Rule, 1, 60, 5, 3)
    # Services
    service_cpu_percent: PercentRule = _rule(PercentRule, 80, 300, 3)
    service_memory_percent: PercentRule = _rule(PercentRule, 85, 300, 3)
    # Database
    database_cpu_percent: PercentRule = _rule(PercentRule, 80, 300, 3)
    database_freeable_memory_percent: PercentRule = _rule(PercentRule, 10, 300, 3)
    database_free_storage_percent: PercentRule = _rule(PercentRule, 10, 300, 2)
    database_connections_percent: PercentRule = _rule(PercentRule, 80, 300, 3)
    # Cache
    cache_cpu_percent: PercentRule = _rule(PercentRule, 80, 300, 3)
    cache_memory_percent: PercentRule = _rule(PercentRule, 80, 300, 3)
    cache_evictions: Rule = _rule(Rule, 100, 300, 3)
    cache_replication_lag_seconds: Rule = _rule(Rule, 1, 60, 5, 3)
    # Firewall
    waf_blocked_requests: Rule = _rule(Rule, 1000, 300, 1)
    # Deployment (rollback) alarms: one-minute periods, one datapoint, so a bad version is
    # detected within a minute of its first errors.
    deployment_5xx_percent: PercentRule = _rule(PercentRule, 5, 60, 1)
    deployment_unhealthy_hosts: Rule = _rule(Rule, 1, 60, 1)
    # Below this many requests a minute the 5xx rate of a target group is not judged.
    deployment_minimum_requests: int = Field(default=10, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _partial_rules(cls, data):
        """`albP95Seconds: {threshold: 0.8}` changes the threshold and keeps the rest of that
        alarm's defaults, not those of a bare Rule."""
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if isinstance(merged.get(key), dict) and field.default_factory is not None:
                default = field.default_factory()
                if isinstance(default, Rule):
                    merged[key] = {**default.model_dump(by_alias=True), **merged[key]}
        return merged

    def problems(self, tier: str) -> Iterator[Problem]:
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, Rule):
                for problem in value.problems(tier):
                    yield problem.under(field.alias or name)
