"""Helpers for the change-review tests: a head synth made by editing a copy of a base synth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support import copied

Document = dict[str, Any]


def edited(base: Document, edit: Callable[[Document], None]) -> Document:
    """A deep copy of `base` after `edit` changed it in place."""
    head = copied(base)
    edit(head)
    return head


def resource(document: Document, name: str) -> dict[str, Any]:
    return next(r for r in document["resources"] if r["name"] == name)


def of_type(document: Document, type_: str) -> list[dict[str, Any]]:
    return [r for r in document["resources"] if r["type"] == type_]


def without_component(document: Document, component_type: str) -> None:
    """Drop a component and everything it parents, as removing it from the program would."""
    gone = {r["urn"] for r in document["resources"] if r["type"] == component_type}
    while True:
        more = {r["urn"] for r in document["resources"] if r["parent"] in gone} - gone
        if not more:
            break
        gone |= more
    document["resources"] = [r for r in document["resources"] if r["urn"] not in gone]


def renamed(record: dict[str, Any], name: str) -> None:
    record["urn"] = f"{record['urn'].rsplit('::', 1)[0]}::{name}"
    record["name"] = name
