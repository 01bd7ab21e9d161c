"""Values as the Pulumi engine sends them to a policy, made plain.

What a policy sees (`args.props`) is the wire format after the provider's Check: camelCase keys,
provider defaults filled in (or, offline, absent where the default applies), every number a
float, JSON documents as strings, and, during preview, unknown values (sentinel strings the SDK's
proxy raises on). Policies here never touch the proxy: `plain()` turns it into ordinary dicts and
lists with unknowns replaced by `UNKNOWN`, and every accessor says what it returns for an unknown.
A check never reports a violation from a value it cannot know: the engine runs the pack again on
the known values before any resource is created.
"""

from __future__ import annotations

import enum
import fnmatch
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from pulumi_policy import proxy as _proxy


class Unknown(enum.Enum):
    """A value the engine does not know yet (preview). A one-member enum, so type checkers
    narrow `value is UNKNOWN` / `is not UNKNOWN` (PEP 484's idiom for sentinels)."""

    UNKNOWN = "<unknown>"

    def __repr__(self) -> str:
        return "<unknown>"

    __str__ = __repr__

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value; test `is UNKNOWN` first")


UNKNOWN: Final = Unknown.UNKNOWN
_SENTINELS = frozenset(
    getattr(_proxy, name) for name in dir(_proxy) if name.startswith("UNKNOWN_") and name.endswith("_VALUE")
)


def plain(value: Any) -> Any:
    """The SDK's unknown-checking proxies as plain dicts and lists, unknowns as `UNKNOWN`."""
    if isinstance(value, (_proxy._DictProxy, _proxy._ListProxy)):  # noqa: SLF001 (SDK proxies)
        value = value["__target"]
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, str) and value in _SENTINELS:
        return UNKNOWN
    return value


def has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_unknown(v) for v in value)
    return False


def lookup(value: Any, path: str, default: Any = None) -> Any:
    """`value["a"]["b"]` for path "a.b"; `default` when a key is missing (or null), `UNKNOWN`
    when any step is unknown."""
    for key in path.split("."):
        if value is UNKNOWN:
            return UNKNOWN
        if not isinstance(value, Mapping) or value.get(key) is None:
            return default
        value = value[key]
    return value


def flag(value: Any, default: bool | None = None) -> bool | None | Unknown:
    """A boolean input (accepts the provider's "true"/"false" strings)."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return default
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.lower(), default)
    return bool(value)


def number(value: Any, default: float | None = None) -> float | None | Unknown:
    """A numeric input: the engine sends every number as a float; strings are parsed."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None or isinstance(value, bool):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def items(value: Any) -> list | Unknown:
    """A list input; a missing list is empty."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def as_list(value: Any) -> list:
    """IAM-style "string or list of strings"."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


class BadJson(ValueError):
    pass


def json_document(value: Any) -> Any:
    """A JSON-string input parsed: None when absent, UNKNOWN when (partly) unknown; raises
    BadJson when the provider would reject it."""
    if value is UNKNOWN or value is None:
        return value
    if isinstance(value, (Mapping, list)):
        return value
    if not isinstance(value, str):
        raise BadJson(f"expected a JSON string, got {type(value).__name__}")
    if any(sentinel in value for sentinel in _SENTINELS):
        return UNKNOWN
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise BadJson(f"not valid JSON: {error.msg} at position {error.pos}") from None


def aws_managed_key(key: str) -> bool:
    """An AWS-managed KMS key (`alias/aws/<service>`), which the account cannot control."""
    return "alias/aws/" in key


def default_subnet_group(name: Any, key: str, what: str) -> Iterator[str]:
    """The problem with a subnet group `name` (the input `key`) that leaves `what` in the default
    subnet group, the default VPC's subnets: unset, or the group named "default"."""
    if name is UNKNOWN:
        return
    if name is None:
        yield f"{key} is not set, so the {what} lands in the default subnet group"
    elif name.lower() == "default":
        yield f"{key} is 'default'"


def show(value: Any) -> str:
    """A value as it appears in a violation message."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return repr(value) if isinstance(value, str) else str(value)


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
