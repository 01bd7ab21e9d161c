"""Which deployed resource each resource of a synth takes over, decided as the Pulumi engine does.

A stack already deployed holds its resources under their URNs. When the program registers a
resource, the engine looks for an old resource first under the new URN, then under each alias,
in order; the first found is taken over (updated in place, never replaced). A resource's aliases
are its own (a full URN, or a spec whose missing name, type and parent default to the resource's)
and, when its parent took over an old resource through an alias, the same resource under that
old parent (with the parent's old name as prefix where the child's name starts with the parent's
name). An old URN nobody takes over is deleted, and what replaces it is created anew.

    python -m tests.urns BEFORE.json AFTER.json

compares two synth documents: every old URN that is lost, then every resource taken over whose
inputs or options changed (key by key).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tools.synth import STACK_TYPE, make_urn

# Options whose change never touches the cloud resource: who the resource was, where it sits.
IDENTITY_OPTIONS = {"aliases"}


def urns_of(document: dict[str, Any]) -> list[str]:
    """The sorted URNs of a synth document: what a deployment of it leaves in the state."""
    return sorted(resource["urn"] for resource in document["resources"])


def takeovers(released: Iterable[str], document: dict[str, Any]) -> dict[str, str]:
    """Current URN -> the released URN it takes over (itself when unchanged), for every resource
    of `document` that takes one over."""
    olds = set(released)
    stack, project = document["stack"], document["project"]
    taken: dict[str, str] = {}
    through_alias: dict[str, str] = {}  # as the engine keeps it: the alias a resource matched
    for resource in document["resources"]:  # registration order: parents first
        urn = resource["urn"]
        for candidate in [urn, *_aliases(resource, through_alias, stack, project)]:
            if candidate in olds:
                taken[urn] = candidate
                if candidate != urn:
                    through_alias[urn] = candidate
                break
    return taken


def lost(released: Iterable[str], document: dict[str, Any]) -> list[str]:
    """Released URNs no resource of `document` takes over: a deploy would delete them."""
    released = sorted(released)
    kept = set(takeovers(released, document).values())
    return [urn for urn in released if urn not in kept]


def claimed_twice(released: Iterable[str], document: dict[str, Any]) -> list[str]:
    """Released URNs more than one resource takes over (the engine refuses such a program)."""
    seen: dict[str, int] = {}
    for old in takeovers(released, document).values():
        seen[old] = seen.get(old, 0) + 1
    return sorted(old for old, count in seen.items() if count > 1)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    """Released URN -> the input keys and options that differ in the resource taking it over."""
    old_by_urn = {r["urn"]: r for r in before["resources"]}
    taken = takeovers(old_by_urn, after)
    result: dict[str, list[str]] = {}
    for resource in after["resources"]:
        old_urn = taken.get(resource["urn"])
        if old_urn is None:
            continue
        old = old_by_urn[old_urn]
        keys = sorted(set(old["inputs"]) | set(resource["inputs"]))
        differ = [f"inputs.{k}" for k in keys if old["inputs"].get(k) != resource["inputs"].get(k)]
        options = sorted((set(old["options"]) | set(resource["options"])) - IDENTITY_OPTIONS)
        differ += [f"options.{k}" for k in options if old["options"].get(k) != resource["options"].get(k)]
        if differ:
            result[old_urn] = differ
    return result


def _aliases(resource: dict[str, Any], through_alias: dict[str, str], stack: str, project: str) -> list[str]:
    """The alias URNs the engine tries for `resource`, in its order, without repeats."""
    found: list[str] = []

    def add(urn: str) -> None:
        if urn not in found:
            found.append(urn)

    own = [_collapse(alias, resource, through_alias, stack, project) for alias in resource["options"]["aliases"]]
    for urn in own:
        add(urn)
    parent = resource["parent"]
    if parent and parent in through_alias:
        parent_name = parent.rsplit("::", 1)[1]
        old_parent = through_alias[parent]
        add(_inherited(resource["type"], resource["name"], parent_name, old_parent, stack, project))
        for urn in own:
            type_ = urn.split("::")[2].split("$")[-1]
            add(_inherited(type_, urn.rsplit("::", 1)[1], parent_name, old_parent, stack, project))
    return found


def _collapse(
    alias: dict[str, Any], resource: dict[str, Any], through_alias: dict[str, str], stack: str, project: str
) -> str:
    """One alias as a URN: what the spec leaves out is the resource's own name, type, parent."""
    if "urn" in alias:
        return alias["urn"]
    spec = alias.get("spec", {})
    parent = spec.get("parentUrn") or ""
    if parent:
        parent = through_alias.get(parent, parent)
    else:
        parent = resource["parent"] or ""
    if spec.get("noParent") or parent.split("::")[2:3] == [STACK_TYPE]:
        parent = ""
    return make_urn(
        spec.get("stack") or stack,
        spec.get("project") or project,
        parent,
        spec.get("type") or resource["type"],
        spec.get("name") or resource["name"],
    )


def _inherited(type_: str, name: str, parent_name: str, old_parent: str, stack: str, project: str) -> str:
    """The child's URN under its parent's old URN; a name made from the parent's follows it."""
    if name.startswith(parent_name):
        name = old_parent.rsplit("::", 1)[1] + name[len(parent_name) :]
    return make_urn(stack, project, old_parent, type_, name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.urns", description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="synth of the deployed program")
    parser.add_argument("after", type=Path, help="synth of the changed program")
    args = parser.parse_args(argv)
    before, after = (json.loads(path.read_text()) for path in (args.before, args.after))
    gone = lost(urns_of(before), after)
    for urn in gone:
        print(f"lost {urn}")
    for urn, keys in changes(before, after).items():
        print(f"changed {urn}: {', '.join(keys)}")
    print(f"{len(gone)} lost, {len(urns_of(before)) - len(gone)} kept", file=sys.stderr)
    return 1 if gone else 0


if __name__ == "__main__":
    raise SystemExit(main())
