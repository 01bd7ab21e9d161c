"""Alarm thresholds and where notifications go. Defaults follow the service's objectives: 5xx
> 1% for 5 minutes, p95 > 500 ms, p99 > 1 s, CPU > 80% / memory > 85% for 15 minutes, a bad
deploy rolled back within 2 minutes.
They are the same in every profile, so they live here rather than in `profiles.py`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, TypeVar

from pydantic import Field, field_validator, model_validator

from .base import Model, Problem

Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
HttpsUrl = Annotated[str, Field(pattern=r"^https://[^\s]+$")]
# Every metric these alarms watch (ALB, ECS, Container Insights, RDS, ElastiCache, WAF) is
# published once a minute: CloudWatch also accepts 10, 20 and 30 s periods, but only
# high-resolution metrics have data at that rate, so such an alarm would sit in
# INSUFFICIENT_DATA.
PERIOD_STEP_SECONDS = 60
# PutMetricAlarm: period x evaluation periods may span at most one day for periods under an
# hour, and at most seven days otherwise.
MAX_WINDOW_SECONDS = 86400
MAX_WINDOW_SECONDS_HOURLY = 7 * 86400


class Subscribers(Model):
    emails: list[Email] = []
    https_endpoints: list[HttpsUrl] = []

    @property
    def endpoints(self) -> list[tuple[str, str]]:
        """(SNS protocol, endpoint) of every subscriber."""
        return [("email", e) for e in self.emails] + [("https", u) for u in self.https_endpoints]


class SloSettings(Model):
    """The availability objective the error-budget (burn-rate) alarms defend: the share of ALB
    requests answered without a 5xx (ELB or target) over 30 days."""

    availability_percent: float = Field(default=99.9, gt=0, lt=100)

    @property
    def budget_percent(self) -> float:
        """The error budget: the share of requests that may fail, in percent."""
        return round(100 - self.availability_percent, 6)

    def problems(self, profile: str) -> Iterator[Problem]:
        # The fastest burn rate alarms at burn x budget; above 100% of requests it never fires.
        floor = 100 - 100 / MAX_BURN_RATE
        if self.availability_percent < floor:
            yield Problem(
                "availabilityPercent",
                f"a {MAX_BURN_RATE:g}x burn of its budget would need more than 100% errors: at least {floor:.2f}",
                self.availability_percent,
            )


# The fast-burn rate of the SLO alarms (Google SRE workbook: 2% of a 30-day budget in 1 hour).
MAX_BURN_RATE = 14.4


# The models' validators hand their work to plain functions: mutmut mutates no decorated function.
def whole_minutes(value: int) -> int:
    if value % PERIOD_STEP_SECONDS:
        raise ValueError("must be a multiple of 60 seconds (the watched metrics are published once a minute)")
    return value


class Rule(Model):
    """One alarm: threshold, and how long it must hold before the alarm fires."""

    threshold: float = Field(ge=0)
    period_seconds: int = Field(default=60, gt=0)
    evaluation_periods: int = Field(default=1, ge=1)
    datapoints_to_alarm: int = Field(default=1, ge=1)

    @field_validator("period_seconds")
    @classmethod
    def _period(cls, value: int) -> int:
        return whole_minutes(value)

    def problems(self, profile: str) -> Iterator[Problem]:
        if self.datapoints_to_alarm > self.evaluation_periods:
            yield Problem(
                "datapointsToAlarm",
                f"must not exceed evaluationPeriods ({self.evaluation_periods})",
                self.datapoints_to_alarm,
            )
        hourly = self.period_seconds >= 3600
        limit = MAX_WINDOW_SECONDS_HOURLY if hourly else MAX_WINDOW_SECONDS
        if self.window_seconds > limit:
            span = "seven days" if hourly else "one day (periods under an hour)"
            yield Problem(
                "evaluationPeriods",
                f"periodSeconds x evaluationPeriods must not exceed {span}: at most "
                f"{limit // self.period_seconds} periods of {self.period_seconds} s",
                self.evaluation_periods,
            )

    @property
    def window_seconds(self) -> int:
        """The span of data the alarm evaluates (period x evaluation periods)."""
        return self.period_seconds * self.evaluation_periods

    @property
    def seconds_to_alarm(self) -> int:
        """How long a breach must last before the alarm fires (datapoints x period)."""
        return self.period_seconds * self.datapoints_to_alarm

    def window(self) -> str:
        """`5 x 60 s`, or `3 of 5 x 60 s` for an M-of-N alarm."""
        of = "" if self.datapoints_to_alarm == self.evaluation_periods else f"{self.datapoints_to_alarm} of "
        return f"{of}{self.evaluation_periods} x {self.period_seconds} s"


class PercentRule(Rule):
    threshold: float = Field(ge=0, le=100)


R = TypeVar("R", bound=Rule)


def _rule(
    kind: type[R],
    threshold: float,
    period: int,
    evaluations: int,
    datapoints: int | None = None,
    *,
    meaning: str,
    alias: str | None = None,
) -> R:
    """A default for a Field: `kind` with these values; `meaning` goes to the docs table (`alarm-settings`)."""
    return Field(
        default_factory=lambda: kind(
            threshold=threshold,
            period_seconds=period,
            evaluation_periods=evaluations,
            datapoints_to_alarm=datapoints or evaluations,
        ),
        description=meaning,
        alias=alias,
    )


def with_rule_defaults(model: type[Model], data):
    """`albP95Seconds: {threshold: 0.8}` changes the threshold and keeps the rest of that
    alarm's defaults (the `model` field's), not those of a bare Rule."""
    if not isinstance(data, dict):
        return data
    merged = dict(data)
    for name, field in model.model_fields.items():
        key = field.alias or name
        if isinstance(merged.get(key), dict) and field.default_factory is not None:
            default = field.get_default(call_default_factory=True)
            if isinstance(default, Rule):
                merged[key] = {**default.model_dump(by_alias=True), **merged[key]}
    return merged


class AlarmSettings(Model):
    critical: Subscribers = Field(default=Subscribers(), description="who is paged: `emails`, `httpsEndpoints`")
    warning: Subscribers = Field(
        default=Subscribers(), description="who looks in working hours: `emails`, `httpsEndpoints`"
    )

    slo: SloSettings = Field(
        default=SloSettings(), description="`availabilityPercent`: the objective the burn-rate alarms defend"
    )

    # Load balancer
    alb_5xx_percent: PercentRule = _rule(
        PercentRule, 1, 60, 5, meaning="ALB + target 5xx, % of requests", alias="alb5xxPercent"
    )
    alb_p95_seconds: Rule = _rule(Rule, 0.5, 60, 10, meaning="p95 target response time, seconds")
    alb_p99_seconds: Rule = _rule(Rule, 1.0, 60, 10, meaning="p99 target response time, seconds")
    unhealthy_hosts: Rule = _rule(
        Rule,
        1,
        60,
        3,
        meaning="unhealthy targets per target group; its timing also applies to healthy hosts < minCount",
    )
    rejected_connections: Rule = _rule(Rule, 1, 60, 5, 3, meaning="connections the ALB rejected per period")
    # Services
    service_cpu_percent: PercentRule = _rule(PercentRule, 80, 300, 3, meaning="average CPU of each ECS service, %")
    service_memory_percent: PercentRule = _rule(
        PercentRule, 85, 300, 3, meaning="average memory of each ECS service, %"
    )
    # Database
    database_cpu_percent: PercentRule = _rule(PercentRule, 80, 300, 3, meaning="RDS CPU, %")
    database_freeable_memory_percent: PercentRule = _rule(
        PercentRule, 10, 300, 3, meaning="RDS freeable memory, % of the instance class's memory (alarm below)"
    )
    database_free_storage_percent: PercentRule = _rule(
        PercentRule, 10, 300, 2, meaning="RDS free storage, % of allocatedStorageGb (alarm below)"
    )
    database_connections_percent: PercentRule = _rule(
        PercentRule, 80, 300, 3, meaning="RDS connections, % of the class's default max_connections"
    )
    database_replica_lag_seconds: Rule = _rule(
        Rule, 30, 60, 5, 3, meaning="a read replica's lag behind the primary, seconds (RDS ReplicaLag)"
    )
    # Cache
    cache_cpu_percent: PercentRule = _rule(PercentRule, 80, 300, 3, meaning="cache engine CPU per node, %")
    cache_memory_percent: PercentRule = _rule(PercentRule, 80, 300, 3, meaning="cache memory used per node, %")
    cache_evictions: Rule = _rule(Rule, 100, 300, 3, meaning="keys evicted per node per period")
    cache_replication_lag_seconds: Rule = _rule(Rule, 1, 60, 5, 3, meaning="replica lag behind the primary, seconds")
    # Firewall
    waf_blocked_requests: Rule = _rule(Rule, 1000, 300, 1, meaning="requests the web ACL blocked per period")
    # Deployment (rollback) alarms: one-minute periods, one datapoint, so a bad version is
    # detected within a minute of its first errors.
    deployment_5xx_percent: PercentRule = _rule(
        PercentRule,
        5,
        60,
        1,
        meaning="deployment guard: target 5xx of one target group, % of its requests",
        alias="deployment5xxPercent",
    )
    # p95 above 2 s for 5 minutes rolls a deploy back (the release process's latency trigger).
    deployment_p95_seconds: Rule = _rule(
        Rule, 2.0, 60, 5, meaning="deployment guard: p95 target response time of one target group, seconds"
    )
    deployment_unhealthy_hosts: Rule = _rule(
        Rule, 1, 60, 1, meaning="deployment guard: unhealthy targets of one target group"
    )
    deployment_minimum_requests: int = Field(
        default=10,
        ge=1,
        description="requests a period below which a target group's 5xx rate and p95 are not judged",
    )

    @model_validator(mode="before")
    @classmethod
    def _partial_rules(cls, data):
        return with_rule_defaults(cls, data)

    def problems(self, profile: str) -> Iterator[Problem]:
        if profile == "prod" and not (self.critical.emails or self.critical.https_endpoints):
            # An alarm nobody receives is no alarm: prod pages someone.
            yield Problem("critical", "prod needs at least one critical subscriber (emails or httpsEndpoints)", None)
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, (Rule, SloSettings)):
                for problem in value.problems(profile):
                    yield problem.under(field.alias or name)


def settings_table(settings: AlarmSettings | None = None) -> str:
    """The docs table of `webapp:alarms` keys: key, default, meaning (defaults)."""
    settings = settings or AlarmSettings()
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for name, field in type(settings).model_fields.items():
        value = getattr(settings, name)
        key = field.alias or name
        if isinstance(value, Rule):
            default = f"{value.threshold:g} ({value.window()})"
        elif isinstance(value, Subscribers):
            default = "none"
        elif isinstance(value, SloSettings):
            default = f"{value.availability_percent:g}%"
        else:
            default = str(value)
        rows.append(f"| `{key}` | {default} | {field.description} |")
    return "\n".join(rows)
