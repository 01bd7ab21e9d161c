"""Which deployed resource each resource of a synth takes over, decided as the Pulumi engine does.

A stack already deployed holds its resources under their URNs. When the program registers a
resource, the engine looks for an old resource first under the new URN, then under each alias,
in order; the first found is taken over (updated in place, never replaced). A resource's aliases
are its own (a full URN, or a spec whose missing name, type and parent default to the resource's)
and, when its parent took over an old resource through an alias, the same resource under that
old parent (with the parent's old name as prefix where the child's name starts with the parent's
name). An old URN nobody takes over is deleted, and what replaces it is created anew.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tools.synth import STACK_TYPE, make_urn


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
    parent: str = spec.get("parentUrn") or ""
    parent = through_alias.get(parent, parent) if parent else (resource["parent"] or "")
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
