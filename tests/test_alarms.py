"""The alarms component on the real stacks, what holds for every alarm: it is listed in the stack's
outputs, it watches metrics CloudWatch publishes with dimension values taken from the watched
resources' outputs (and depends on them), its definition is one CloudWatch accepts, and it is of
a kind of the alarm catalogue. Each part of the stack's alarms is in its own
tests/test_alarms_<part>.py; the shared queries are in tests/alarms_support.py.
"""

from __future__ import annotations

import re

from components.alarm_catalogue import KINDS
from tests.alarms_support import all_alarms, metric_alarms, metrics, short
from tests.observability import PUBLISHED, SOURCES, STACKS, source_values, stack


def test_the_alarm_names_output_lists_every_alarm(prod):
    assert sorted(prod.outputs["alarmNames"]) == sorted(
        a["outputs"].get("alarmName") or a["outputs"]["name"] for a in all_alarms(prod)
    )


# What each alarm watches: metrics CloudWatch publishes, on resources that exist


@STACKS
def test_every_alarm_metric_is_published_under_its_dimensions(request, stack_name):
    s = stack(request, stack_name)
    for a in metric_alarms(s):
        for m in metrics(a):
            published = PUBLISHED.get((m["namespace"], frozenset(m["dimensions"])), set())
            assert m["metricName"] in published, (a["name"], m)


@STACKS
def test_every_alarm_dimension_value_is_an_output_of_the_watched_resource(request, stack_name):
    s = stack(request, stack_name)
    for a in metric_alarms(s):
        for m in metrics(a):
            for dimension, value in m["dimensions"].items():
                assert value in source_values(s, dimension), (a["name"], dimension, value)


@STACKS
def test_alarms_depend_on_the_resources_they_watch(request, stack_name):
    # ServiceName is the exception: the alarms exist before the services they guard, which are
    # named from the settings (the value test above still checks it against the service).
    s = stack(request, stack_name)
    for a in metric_alarms(s):
        key = "metricQueries" if "metricQueries" in a["inputs"] else "dimensions"
        depended = {r["type"] for r in s.depends_on(a, key)}
        needed = {SOURCES[d][0] for m in metrics(a) for d in m["dimensions"] if d in SOURCES and d != "ServiceName"}
        assert needed <= depended, a["name"]


# CloudWatch's rules for alarm definitions


@STACKS
def test_metric_math_alarms_set_timing_per_metric_and_return_one_result(request, stack_name):
    s = stack(request, stack_name)
    for a in [a for a in metric_alarms(s) if "metricQueries" in a["inputs"]]:
        inputs, queries = a["inputs"], a["inputs"]["metricQueries"]
        assert not {"period", "statistic", "extendedStatistic", "namespace", "metricName"} & set(inputs), a["name"]
        assert [q["returnData"] for q in queries].count(True) == 1, a["name"]
        ids = [q["id"] for q in queries]
        assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-z][a-zA-Z0-9_]*", i) for i in ids), a["name"]
        for q in queries:
            if "metric" in q:
                assert q["metric"]["period"] and q["metric"]["stat"], (a["name"], q["id"])
            else:
                referenced = set(re.findall(r"\b[a-z][a-zA-Z0-9_]*\b", q["expression"])) - {"IF", "FILL"}
                assert referenced <= set(ids) - {q["id"]}, (a["name"], referenced)


@STACKS
def test_single_metric_alarms_set_one_statistic_and_a_period(request, stack_name):
    s = stack(request, stack_name)
    for a in [a for a in metric_alarms(s) if "metricQueries" not in a["inputs"]]:
        inputs = a["inputs"]
        assert inputs["period"] and inputs["namespace"] and inputs["metricName"], a["name"]
        assert ("statistic" in inputs) != ("extendedStatistic" in inputs), a["name"]


@STACKS
def test_alarm_evaluation_settings_are_ones_cloudwatch_accepts(request, stack_name):
    s = stack(request, stack_name)
    alarms = metric_alarms(s)
    for a in alarms:
        inputs = a["inputs"]
        periods = [q["metric"]["period"] for q in inputs.get("metricQueries", []) if "metric" in q] or [
            inputs["period"]
        ]
        assert all(p % 60 == 0 and p * inputs["evaluationPeriods"] <= 86400 for p in periods), a["name"]
        assert 1 <= inputs["datapointsToAlarm"] <= inputs["evaluationPeriods"], a["name"]
        assert inputs["treatMissingData"] in {"missing", "ignore", "breaching", "notBreaching"}, a["name"]
        assert inputs["comparisonOperator"] in {
            "GreaterThanThreshold",
            "GreaterThanOrEqualToThreshold",
            "LessThanThreshold",
            "LessThanOrEqualToThreshold",
        }, a["name"]
        assert isinstance(inputs["threshold"], float) and inputs["threshold"] >= 0, a["name"]
        assert len(inputs["name"]) <= 255 and len(inputs["alarmDescription"]) <= 1024, a["name"]
    assert len({a["inputs"]["name"] for a in alarms}) == len(alarms)


# The alarm catalogue


def test_every_alarm_is_a_kind_of_the_catalogue_and_every_kind_exists(prod, staging, optional_prod):
    patterns = {kind: re.compile(re.sub(r"<[a-z]+>", "[a-z0-9-]+", kind)) for kind in KINDS}
    used = set()
    # Read replicas are off in both stack files; the optional prod variant has two.
    for s in (prod, staging, optional_prod):
        for a in all_alarms(s):
            kinds = [k for k, p in patterns.items() if p.fullmatch(short(s, a))]
            assert kinds, short(s, a)
            used.update(kinds)
    assert used == set(KINDS)
