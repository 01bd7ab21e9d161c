"""Property-level differences between two input trees, as reviewers read them.

Paths use the inputs' camelCase names: `tags.Name`, `ingress[0].fromPort`. A string that holds a
JSON document (a task definition's container definitions, an IAM, bucket or KMS key policy, a
dashboard body) is parsed and compared as a structure, so one changed environment variable is one
path instead of the whole escaped string. Lists of objects that each carry a unique `name` (container
definitions, environment variables, secrets) or `Sid` (policy statements) are matched by that key:
`containerDefinitions[web].environment[DATABASE_NAME].value`. A secret (Pulumi's wire-format
secret marker, or an input its resource declares as a secret output) is compared but never shown.
"""

from __future__ import annotations

import json
from typing import Any

from tools.synth import is_secret

MASK = "[secret]"
UNKNOWN = "(known after apply)"
_IDENTITY_KEYS = ("name", "Sid")


def masked(value: Any) -> Any:
    """`value` with every secret replaced by MASK."""
    if is_secret(value):
        return MASK
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    return value["value"] if is_secret(value) else value


def _document(value: Any) -> Any:
    """A JSON object or array held in a string, parsed; anything else as it is."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def differences(old: Any, new: Any, path: str = "", secret: bool = False) -> list[tuple[str, Any, Any]]:
    """(path, old, new) for every leaf that differs; secrets masked; None stands for absent."""
    if is_secret(old) or is_secret(new) or secret:
        return [] if _plain(old) == _plain(new) else [(path, _mask_present(old), _mask_present(new))]
    old, new = _document(old), _document(new)
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += differences(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(old, list) and isinstance(new, list):
        return _list_differences(old, new, path)
    if old == new:
        return []
    return [(path, masked(old), masked(new))]


def _mask_present(value: Any) -> Any:
    return None if value is None else MASK


def _list_differences(old: list, new: list, path: str) -> list[tuple[str, Any, Any]]:
    key = _identity(old, new)
    if key is not None:
        before = {item[key]: item for item in old}
        after = {item[key]: item for item in new}
        found = []
        for name in sorted(set(before) | set(after)):
            found += differences(before.get(name), after.get(name), f"{path}[{name}]")
        return found
    if len(old) != len(new) and all(not isinstance(i, dict | list) for i in old + new):
        # A list of scalars that grew or shrank (subnet ids, CIDRs): one entry, both lists.
        return [(path, masked(old), masked(new))]
    found = []
    for index in range(max(len(old), len(new))):
        found += differences(
            old[index] if index < len(old) else None, new[index] if index < len(new) else None, f"{path}[{index}]"
        )
    return found


def _identity(old: list, new: list) -> str | None:
    """The key that names each object of both lists uniquely, if there is one."""
    items = old + new
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in _IDENTITY_KEYS:
        if all(isinstance(item.get(key), str) for item in items) and all(
            len({item[key] for item in side}) == len(side) for side in (old, new)
        ):
            return key
    return None


# Outputs that stay the same for a new resource: the account, the place, a status, the tags.
_STABLE_OUTPUTS = frozenset(
    {"ownerId", "createDate", "keyUsage", "state", "status", "region", "zoneId", "availabilityZoneId", "tagsAll"}
)


def computed_values(record: dict[str, Any]) -> set[str]:
    """Output strings AWS or Pulumi's autonaming assign (ids, ARNs, endpoints, generated names): a
    replacement gets new ones, so an input of another resource that holds one changes too."""
    given = set(record["inputs"])
    given_values = {v for v in _leaves(record["inputs"]) if isinstance(v, str)}
    values = {str(record["id"])} if record.get("id") and record["id"] not in given_values else set()
    for key, value in record["outputs"].items():
        if key not in given and key not in _STABLE_OUTPUTS:
            values |= {v for v in _leaves(value) if isinstance(v, str) and len(v) >= 8}
    return values


def _leaves(value: Any):
    value = _plain(value)
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def mentions(value: Any, strings: set[str]) -> bool:
    """Whether any of `strings` occurs in `value` (a secret counts: it may embed them)."""
    text = json.dumps(_plain(value))
    return any(s in text for s in strings)
