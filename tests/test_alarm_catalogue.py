"""The alarm catalogue: a kind names its alarms, only a metric alarm kind has a threshold, and the
documented alarm table is the catalogue's."""

from __future__ import annotations

import pytest

from components.alarm_catalogue import KINDS, alarm_table
from settings.alarms import AlarmSettings
from settings.stack_config import ROOT
from tools.docs import find_blocks


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


def test_the_documented_alarm_table_is_the_one_the_catalogue_renders():
    # What the on-call reads when an alarm fires (docs/observability.md): each alarm's condition,
    # window, setting, severity and what to do, as the catalogue gives them to the alarms.
    page = ROOT / "docs" / "observability.md"
    text = page.read_text()
    (block,) = [block for block in find_blocks(page, text) if block.name == "alarm-table"]
    assert block.content(text) == alarm_table()
