"""What a change to the program does to each resource: match base and head, classify, flag.

Resources are matched as the engine takes them over (tools.urns): by URN, or through the head
resource's `aliases` (its own, or its parent's). A base resource no head resource claims is deleted; a head resource with no base is
created; a pair whose URN changed without an alias is still a delete plus a create (what Pulumi
does), and the reason says so. A matched pair is compared on its inputs (the desired state the
engine hands the provider) and on the options Pulumi keeps in state (protect, retainOnDelete,
deleteBeforeReplace); paths in the head's `ignoreChanges` are skipped. A change to a force-new
input (tools.diff.replacements) is a replace; so is a change of provider. A replaced resource gets
new ids and ARNs, so every input of another resource that holds one becomes unknown until apply,
which may replace that resource in turn, as `pulumi preview` shows.

Only custom resources (with cloud or provider state) are reported; components hold no state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tools.diff.replacements import FORCE_NEW, forcing
from tools.diff.values import UNKNOWN, computed_values, differences, masked, mentions
from tools.urns import takeovers

ACTIONS = ("create", "update", "replace", "delete")
# Listing order: what can lose data first.
SEVERITY = ("replace", "delete", "create", "update")
STATE_OPTIONS = ("protect", "retainOnDelete", "deleteBeforeReplace")
# Types whose replacement or deletion loses data or access to it.
STATEFUL = {
    "aws:rds/instance:Instance": "database",
    "aws:rds/cluster:Cluster": "database",
    "aws:elasticache/replicationGroup:ReplicationGroup": "cache",
    "aws:elasticache/cluster:Cluster": "cache",
    "aws:kms/key:Key": "KMS key",
    "aws:s3/bucket:Bucket": "log bucket",
    "aws:secretsmanager/secret:Secret": "secret",
}


@dataclass
class Change:
    """One resource that a deployment of the head would create, update, replace or delete."""

    urn: str
    type: str
    action: str
    properties: list[dict[str, Any]] = field(default_factory=list)
    protected: bool = False
    blocking: bool = False
    reason: str = ""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass
class Report:
    changes: list[Change]
    same: int

    def summary(self) -> dict[str, int]:
        counts = {action: 0 for action in ACTIONS}
        for change in self.changes:
            counts[change.action] += 1
        return {**counts, "same": self.same}

    @property
    def blocking(self) -> list[Change]:
        return [c for c in self.changes if c.blocking]

    def as_json(self) -> dict[str, Any]:
        return {"summary": self.summary(), "changes": [asdict(c) for c in self.changes]}


def compare(base: dict[str, Any], head: dict[str, Any]) -> Report:
    """The changes that take the `base` synth to the `head` synth."""
    old = {r["urn"]: r for r in base["resources"] if r["custom"]}
    new = {r["urn"]: r for r in head["resources"] if r["custom"]}
    # head URN -> the base URN it takes over, under its own URN or through an alias.
    matched = {u: b for u, b in takeovers([r["urn"] for r in base["resources"]], head).items() if b in old}
    changes: list[Change] = []
    replaced: dict[str, set[str]] = {}  # head URN -> the values a replacement renews
    same = 0
    # Synth order is dependency order: a replaced dependency is known before its dependents.
    for record in head["resources"]:
        urn = record["urn"]
        if urn not in new:
            continue
        if urn not in matched:
            changes.append(Change(urn, record["type"], "create", protected=record["options"]["protect"]))
            continue
        change = _compare_pair(old[matched[urn]], record, replaced)
        if change is None:
            same += 1
            continue
        if change.action == "replace":
            replaced[urn] = computed_values(old[matched[urn]])
        changes.append(change)
    claimed = set(matched.values())
    changes += [
        Change(u, r["type"], "delete", protected=r["options"]["protect"]) for u, r in old.items() if u not in claimed
    ]
    _explain_renames(changes, old, new)
    for change in changes:
        _flag(change, old.get(change.urn) or new[change.urn])
    changes.sort(key=lambda c: (not c.blocking, SEVERITY.index(c.action), c.urn))
    return Report(changes, same)


def _compare_pair(base: dict[str, Any], head: dict[str, Any], replaced: dict[str, set[str]]) -> Change | None:
    ignored = head["options"].get("ignoreChanges") or []
    secret_keys = set(head["options"].get("additionalSecretOutputs") or [])
    found: list[tuple[str, Any, Any]] = []
    for key in sorted(set(base["inputs"]) | set(head["inputs"])):
        found += differences(base["inputs"].get(key), head["inputs"].get(key), key, secret=key in secret_keys)
    found = [f for f in found if not _ignored(f[0], ignored)]
    changed = {path.split(".", 1)[0].split("[", 1)[0] for path, _, _ in found}
    for key, urns in sorted(head["propertyDependencies"].items()):
        renewed = set().union(*(replaced.get(u, set()) for u in urns))
        if key not in changed and renewed and mentions(head["inputs"].get(key), renewed):
            found.append((key, masked(base["inputs"].get(key)), UNKNOWN))
    for option in STATE_OPTIONS:
        before, after = base["options"].get(option, False), head["options"].get(option, False)
        if before != after:
            found.append((f"options.{option}", before, after))
    reasons = []
    provider_before, provider_after = _provider(base), _provider(head)
    if provider_before != provider_after:
        found.append(("provider", provider_before, provider_after))
        reasons.append("its provider changed")
    elif provider_after in replaced:
        reasons.append("its provider is replaced")
    if not found and not reasons:
        return None
    forced = sorted({p for p in (forcing(head["type"], path) for path, _, _ in found) if p})
    if forced:
        rule = FORCE_NEW[head["type"]]
        reasons.insert(0, f"{', '.join(forced)} forces a new resource ({rule.source})")
    action = "replace" if reasons else "update"
    if action == "update" and head["type"] not in FORCE_NEW:
        reasons.append("type missing from the force-new table: this may be a replace")
    if action == "replace" and head["options"].get("deleteBeforeReplace"):
        reasons.append("deleted before its replacement is created")
    properties = [{"path": path, "old": before, "new": after} for path, before, after in found]
    return Change(head["urn"], head["type"], action, properties, base["options"]["protect"], reason="; ".join(reasons))


def _ignored(path: str, ignored: list[str]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in ignored)


def _provider(record: dict[str, Any]) -> str | None:
    reference = record.get("provider")
    return reference.rsplit("::", 1)[0] if reference else None


def _explain_renames(changes: list[Change], old: dict[str, Any], new: dict[str, Any]) -> None:
    """A delete and a create of the same type and name, or with the same inputs: a URN change."""
    deletes = [c for c in changes if c.action == "delete"]
    for create in (c for c in changes if c.action == "create"):
        record = new[create.urn]
        for delete in deletes:
            was = old[delete.urn]
            if was["type"] == record["type"] and (was["name"] == record["name"] or was["inputs"] == record["inputs"]):
                create.reason = f"URN changed without an alias (was {delete.urn}): Pulumi creates this one"
                delete.reason = (
                    f"URN changed without an alias (now {create.urn}): Pulumi deletes this one; "
                    "an `aliases` option on the new resource would keep it"
                )
                deletes.remove(delete)
                break


def _flag(change: Change, record: dict[str, Any]) -> None:
    """Blocking: replacing or deleting a protected or a stateful resource."""
    if change.action not in ("replace", "delete"):
        return
    verb = "replaces" if change.action == "replace" else "deletes"
    problems = []
    if change.protected:
        problems.append(f"{verb} a protected resource (Pulumi refuses until `protect` is lifted)")
    kind = STATEFUL.get(change.type)
    if kind:
        problems.append(f"{verb} a stateful resource ({kind}): its data does not carry over")
        if change.action == "delete" and record["options"].get("retainOnDelete"):
            problems.append("retainOnDelete keeps it in AWS, unmanaged")
    if problems:
        change.blocking = True
        change.reason = "; ".join(["blocking: " + "; ".join(problems), *([change.reason] if change.reason else [])])
