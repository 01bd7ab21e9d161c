"""The policy pack, service by service, through the analyzer protocol: each `tests/test_policies_<service>.py`
declares its compliant scenario and its cases in a `TABLE` (tests.policy_support.PolicyTable), and
these tests hold every table to the same three rules:

- the compliant scenario passes every policy of the service;
- each case fires exactly the policies it names, on the record it names, and none of the
  service's other policies on any of its records (a case that names none must pass);
- with any single value of the scenario unknown (preview), no policy of the service fires.

What only one service needs (messages, policy config, other documents) stays in its module.
"""

from __future__ import annotations

import importlib

import pytest

from settings.stack_config import ROOT
from tests.policy_support import PolicyTable, document, fired, with_unknowns

# Every policy test module with a TABLE (a module may test shared machinery instead, such as the
# credential-name rule); test_every_policy_of_the_pack_has_a_case_that_fires_it keeps them complete.
MODULES = {
    p.stem.removeprefix("test_policies_"): f"tests.{p.stem}" for p in (ROOT / "tests").glob("test_policies_*.py")
}
TABLES: dict[str, PolicyTable] = {
    service: table
    for service, module in sorted(MODULES.items())
    if isinstance(table := getattr(importlib.import_module(module), "TABLE", None), PolicyTable)
}
SERVICES = list(TABLES)


@pytest.mark.parametrize(
    "service, policy", [(service, policy) for service, table in TABLES.items() for policy in table.policies]
)
def test_the_compliant_scenario_passes(policy_pack, service, policy):
    table = TABLES[service]
    scenario = {r["urn"] for r in table.scenario}
    assert [v.line() for v in table.report(policy_pack).by_policy(policy) if v.urn in scenario] == []


@pytest.mark.parametrize(
    "service, variant", [(service, variant) for service, table in TABLES.items() for variant in table.cases]
)
def test_each_case_fires_exactly_its_policies(policy_pack, service, variant):
    table = TABLES[service]
    case = table.cases[variant]
    report = table.report(policy_pack)
    assert fired(report, case.on, table.policies) == case.fires
    assert {v.policy for v in report.violations if v.policy in table.policies and v.urn in case.urns} == case.fires


@pytest.mark.parametrize("service", SERVICES)
def test_unknown_values_never_violate(policy_pack, service):
    table = TABLES[service]
    fired = [
        f"{unknown} unknown: {v.line()}"
        for unknown, scenario in with_unknowns(*table.scenario)
        for v in policy_pack.check(document(*scenario)).violations
        if v.policy in table.policies
    ]
    assert fired == []


def test_every_policy_of_the_pack_has_a_case_that_fires_it(policy_pack):
    fired_by_a_case = {policy for table in TABLES.values() for case in table.cases.values() for policy in case.fires}
    assert sorted({p.name for p in policy_pack.info.policies} - fired_by_a_case) == []
