"""Policy tests: build small synth documents (the format of tools.synth), run them through the
pack over the analyzer protocol, and read what it reports.

A resource's `inputs` are what `Analyze` sees and its `outputs` (the inputs unless given) what
`AnalyzeStack` sees. Values follow the wire format: camelCase, numbers as floats, JSON documents
as strings, and `UNKNOWN` where the engine does not know a value yet (preview).
"""

from __future__ import annotations

import copy
import json
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tools.policy_check import PolicyPack, Report

STACK = "test"
PROJECT = "webapp"
# What the engine sends for any value unknown during preview (plugin.UnknownStringValue).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
DELETE = object()
SIGNATURE = "4dabf18193072939515e22adb298388d"
ACCOUNT = "123456789012"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


def resource(
    type_: str,
    name: str,
    inputs: dict[str, Any],
    *,
    outputs: dict[str, Any] | None = None,
    deps: dict[str, list[str]] | None = None,
    protect: bool = False,
) -> dict[str, Any]:
    """One resource record as tools.synth writes it."""
    deps = deps or {}
    return {
        "urn": urn(type_, name),
        "type": type_,
        "name": name,
        "id": f"{name}-id",
        "custom": True,
        "parent": None,
        "provider": None,
        "inputs": inputs,
        "outputs": copy.deepcopy(inputs) if outputs is None else outputs,
        "propertyDependencies": deps,
        "options": {
            "protect": protect,
            "retainOnDelete": False,
            "ignoreChanges": [],
            "deleteBeforeReplace": False,
            "dependsOn": [],
            "additionalSecretOutputs": [],
            "customTimeouts": {},
        },
        "dependencies": sorted({u for urns in deps.values() for u in urns}),
    }


def document(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"project": PROJECT, "stack": STACK, "resources": list(resources), "outputs": {}}


def changed(value: Any, path: Iterable[Any], new: Any) -> Any:
    """A deep copy of `value` with the item at `path` (keys and indexes) replaced, or removed
    when `new` is DELETE. A string key path through a JSON-string value parses and re-dumps it."""
    path = list(path)
    if not path:
        return new
    result = copy.deepcopy(value)
    if isinstance(result, str):
        return json.dumps(changed(json.loads(result), path, new))
    head, rest = path[0], path[1:]
    if not rest and new is DELETE:
        del result[head]
    elif not rest and isinstance(result, list) and head == len(result):
        result.append(new)
    elif not rest:
        result[head] = new
    else:
        result[head] = changed(result[head], rest, new)
    return result


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """The path of every value nested in `value` (containers and leaves), root excluded; the
    signature key of a secret is part of the wire format, not a value."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if key == SIGNATURE:
            continue
        yield prefix + (key,)
        yield from paths(item, prefix + (key,))


def policy_names(pack: PolicyPack, module_prefix: str) -> list[str]:
    return [p.name for p in pack.info.policies if p.name.startswith(module_prefix)]


def messages(report: Report, policy: str, urn_: str | None = None) -> list[str]:
    return [v.message for v in report.by_policy(policy) if urn_ is None or v.urn == urn_]


def broken(scenario: list[dict[str, Any]], subject: int, breaks: dict[str, tuple]) -> list[dict[str, Any]]:
    """The scenario once per break {variant: (policy, path, new value or DELETE)}: resource
    `subject` changed at one path (in its inputs, and in its outputs where that place exists),
    every copy renamed with the suffix -<variant>."""
    found = []
    for variant, (_, path, value) in breaks.items():
        copies = [copy.deepcopy(r) for r in scenario]
        record = copies[subject]
        record["inputs"] = changed(record["inputs"], path, value)
        if _has(record["outputs"], path[:-1]) and (value is not DELETE or _has(record["outputs"], path)):
            record["outputs"] = changed(record["outputs"], path, value)
        found += renamed(copies, f"-{variant}")
    return found


def edited(scenario: list[dict[str, Any]], variant: str, edit) -> list[dict[str, Any]]:
    """The scenario with `edit(records by name)` applied to copies, renamed with -<variant>;
    for a break that is one change to the program but touches more than one field (an input
    and the property dependency it implies, a resource added or removed)."""
    copies = {r["name"]: copy.deepcopy(r) for r in scenario}
    edit(copies)
    return renamed([r for r in copies.values() if r is not None], f"-{variant}")


def variant_urn(record: dict[str, Any], variant: str) -> str:
    """The URN of `record`'s copy in the scenario of `variant` (see broken)."""
    return urn(record["type"], f"{record['name']}-{variant}")


def fired(report: Report, urn_: str, policies: Iterable[str]) -> set[str]:
    """Which of `policies` report a violation on `urn_`."""
    wanted = set(policies)
    return {v.policy for v in report.violations if v.urn == urn_ and v.policy in wanted}


def renamed(resources: list[dict[str, Any]], suffix: str) -> list[dict[str, Any]]:
    """Copies of `resources` with `suffix` added to every name, links rewritten to match."""
    urns = {r["urn"]: urn(r["type"], r["name"] + suffix) for r in resources}
    found = []
    for record in resources:
        record = copy.deepcopy(record)
        record["name"] += suffix
        record["urn"] = urns[record["urn"]]
        record["propertyDependencies"] = {
            k: [urns.get(u, u) for u in v] for k, v in record["propertyDependencies"].items()
        }
        record["dependencies"] = [urns.get(u, u) for u in record["dependencies"]]
        found.append(record)
    return found


def with_unknowns(*resources: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The scenario `resources` once per value nested in any of them (in its inputs and, at the
    same place, its outputs), that value replaced with the unknown sentinel: (which value, that
    scenario), each to be checked as a stack of its own, as the engine previews one stack. Only
    the changed record is a copy; the others are the scenario's own records under their own
    names, so the pack's remembered answer for each of them applies (RememberingAnalyzer), and a
    check analyzes one resource instead of the whole scenario."""
    for index, record in enumerate(resources):
        every = dict.fromkeys(list(paths(record["inputs"])) + list(paths(record["outputs"])))
        for path in every:
            unknown = dict(record)
            for field in ("inputs", "outputs"):
                if _has(record[field], path):
                    unknown[field] = changed(record[field], path, UNKNOWN)
            where = f"{record['name']} {'.'.join(map(str, path))}"
            yield where, [*resources[:index], unknown, *resources[index + 1 :]]


def _has(value: Any, path: tuple) -> bool:
    for key in path:
        if isinstance(value, str) and value and value[0] in "[{":
            value = json.loads(value)
        if (
            isinstance(value, dict)
            and key in value
            or isinstance(value, list)
            and isinstance(key, int)
            and key < len(value)
        ):
            value = value[key]
        else:
            return False
    return True


# One harness for every service's policy tests (tests/test_policies.py runs it over each module's
# TABLE): the compliant scenario passes, each case fires exactly its policies, unknowns never fire.


@dataclass(frozen=True)
class Case:
    """One variant of the compliant scenario: its records (renamed with -<variant>), the URN of
    the record the violations are reported on, and the policies it must fire (none: the variant
    must pass)."""

    records: list[dict[str, Any]]
    on: str
    fires: frozenset[str]

    @property
    def urns(self) -> set[str]:
        return {r["urn"] for r in self.records}


def _policies(fires: str | Iterable[str] | None) -> frozenset[str]:
    if fires is None:
        return frozenset()
    return frozenset([fires] if isinstance(fires, str) else fires)


class PolicyTable:
    """A service's compliant scenario and its cases, built with `breaks`, `edits` and `variant`;
    `report` checks the scenario and every case in one document, once per pack."""

    def __init__(self, *scenario: dict[str, Any], policies: Iterable[str] = ()):
        self.scenario = list(scenario)
        self.cases: dict[str, Case] = {}
        self._extra = set(policies)
        # By the pack itself, not its id(): a pack closed and freed may leave its id to the next
        # one (a test process forked after an earlier run, as the mutation run's are), which
        # would get the earlier pack's report.
        self._reports: weakref.WeakKeyDictionary[PolicyPack, Report] = weakref.WeakKeyDictionary()

    @property
    def policies(self) -> list[str]:
        """The policies these tests are about: every policy a case fires, and `policies`."""
        return sorted(self._extra.union(*(case.fires for case in self.cases.values())))

    def breaks(self, subject: str, table: dict[str, tuple], on: str | None = None) -> PolicyTable:
        """One case per {variant: (fires, path, new value or DELETE)}: the scenario record named
        `subject` changed at one path (see `broken`), reported on `on` (default: the subject)."""
        index = next(i for i, r in enumerate(self.scenario) if r["name"] == subject)
        for variant, (fires, path, value) in table.items():
            self._add(variant, broken(self.scenario, index, {variant: (None, path, value)}), on or subject, fires)
        return self

    def edits(self, table: dict[str, tuple]) -> PolicyTable:
        """One case per {variant: (fires, reported on, edit(records by name))} (see `edited`);
        the record reported on may be one the edit adds."""
        for variant, (fires, on, edit) in table.items():
            self._add(variant, edited(self.scenario, variant, edit), on, fires)
        return self

    def variant(self, variant: str, records: list[dict[str, Any]], on: str, fires=None) -> PolicyTable:
        """A case made of some scenario records, unchanged or edited by the caller."""
        self._add(variant, renamed(records, f"-{variant}"), on, fires)
        return self

    def _add(self, variant: str, records: list[dict[str, Any]], on: str, fires) -> None:
        if variant in self.cases:
            raise ValueError(f"variant {variant} twice")
        (reported,) = [r["urn"] for r in records if r["name"] == f"{on}-{variant}"]
        self.cases[variant] = Case(records, reported, _policies(fires))

    def document(self) -> dict[str, Any]:
        return document(*self.scenario, *(r for case in self.cases.values() for r in case.records))

    def report(self, pack: PolicyPack) -> Report:
        if pack not in self._reports:
            self._reports[pack] = pack.check(self.document())
        return self._reports[pack]


def removed(name: str):
    """An edit (see `edited`) that drops the record `name` from the scenario."""

    def edit(records: dict[str, Any]) -> None:
        records[name] = None

    return edit


# The session pack's answers, kept by the process beyond its session (RememberingAnalyzer): a
# mutation run forks each mutant's tests from a process that ran them on the unmutated program, so
# a mutant of the program (not of the pack) re-checks only the resources it changed, where each
# fork's new pack process re-checked every resource of every stack (about 3 CPU-s a mutant).
# tests.mutation_support empties it for a mutant of the pack itself.
UNMUTATED_PACK_ANSWERS: dict[tuple[bytes, ...], Any] = {}


class RememberingAnalyzer:
    """The pack's analyzer stub, answering an Analyze or AnalyzeStack it has already answered
    under the same Configure and ConfigureStack from memory: a policy's verdict on a resource (on
    the stack) depends on nothing else (the engine calls Analyze with exactly these three), and
    re-checking a real stack after one mutation re-sends some 170 unchanged resources. `answers`,
    when given, is a memory shared with earlier analyzers of the same pack code."""

    def __init__(self, stub: Any, answers: dict[tuple[bytes, ...], Any] | None = None):
        self._stub = stub
        self._context: tuple[bytes, ...] = ()
        self._answers: dict[tuple[bytes, ...], Any] = {} if answers is None else answers

    def Configure(self, request: Any, **kwargs: Any) -> Any:  # noqa: N802 (gRPC method name)
        self._context = (request.SerializeToString(deterministic=True),)
        return self._stub.Configure(request, **kwargs)

    def ConfigureStack(self, request: Any, **kwargs: Any) -> Any:  # noqa: N802
        self._context = (*self._context[:1], request.SerializeToString(deterministic=True))
        return self._stub.ConfigureStack(request, **kwargs)

    def Analyze(self, request: Any, **kwargs: Any) -> Any:  # noqa: N802
        return self._answer("Analyze", request, **kwargs)

    def AnalyzeStack(self, request: Any, **kwargs: Any) -> Any:  # noqa: N802
        return self._answer("AnalyzeStack", request, **kwargs)

    def _answer(self, method: str, request: Any, **kwargs: Any) -> Any:
        key = (method.encode(), *self._context, request.SerializeToString(deterministic=True))
        if key not in self._answers:
            self._answers[key] = getattr(self._stub, method)(request, **kwargs)
        return self._answers[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stub, name)
