"""The alarm catalogue: a kind names its alarms, and only a metric alarm kind has a threshold."""

from __future__ import annotations

import pytest

from components.alarm_catalogue import KINDS
from settings.alarms import AlarmSettings


def test_an_alarm_name_fills_the_kinds_placeholders():
    assert KINDS["alb-unhealthy-hosts-<colour>"].alarm_name(colour="blue") == "alb-unhealthy-hosts-blue"
    assert KINDS["cache-<n>-replication-lag"].alarm_name(n=2) == "cache-2-replication-lag"
    assert KINDS["database-cpu"].alarm_name() == "database-cpu"


@pytest.mark.parametrize(
    ("kind", "placeholders"),
    [("<service>-cpu", {}), ("database-cpu", {"service": "web"}), ("<service>-cpu", {"colour": "blue"})],
)
def test_an_alarm_name_needs_exactly_the_kinds_placeholders(kind, placeholders):
    with pytest.raises(ValueError, match="takes"):
        KINDS[kind].alarm_name(**placeholders)


COMPOSITES = ("web-deployment", "slo-fast-burn", "slo-slow-burn")


def test_every_metric_kind_has_a_threshold_and_timing():
    settings = AlarmSettings()
    for kind in KINDS.values():
        if kind.name not in COMPOSITES:
            assert kind.rule(settings).evaluation_periods >= 1, kind.name


@pytest.mark.parametrize("kind", COMPOSITES)
def test_a_composite_kind_has_no_threshold(kind):
    with pytest.raises(ValueError, match="composite"):
        KINDS[kind].rule(AlarmSettings())
    assert KINDS[kind].window(AlarmSettings()) == "as its members"
