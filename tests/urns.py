"""Which deployed resource each resource of a synth takes over, decided as the Pulumi engine does.

The engine's takeover rules (URN, then each alias, then the parent's alias) are in tools.urns,
which tools.diff shares; this module checks a synth against the URNs a release left in state.

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

from tools.urns import takeovers

# Options whose change never touches the cloud resource: who the resource was, where it sits.
IDENTITY_OPTIONS = {"aliases"}


def urns_of(document: dict[str, Any]) -> list[str]:
    """The sorted URNs of a synth document: what a deployment of it leaves in the state."""
    return sorted(resource["urn"] for resource in document["resources"])


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
