"""Policy config, reconciled as the Pulumi engine does (pkg/engine ReconcilePolicyPackConfig).

A `--policy-pack-config` file maps `all` or a policy name to an enforcement level or to
`{enforcementLevel?, <property>: value}`. Each policy starts at its default level and its
schema's defaults, then the pack's initial config applies, then `all`, then the per-policy
entries; the result is validated against each policy's JSON schema. Stricter than the engine in
one way: a name or property the pack does not know is an error, not silently ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from settings.stack_config import ROOT
from tools.policy_report import UsageError

CONFIG_DIR = ROOT / "policies" / "config"
LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


def read_policy_config(path: Path | None) -> dict[str, Any]:
    """A `--policy-pack-config` file: {"all" | policy: level | {enforcementLevel?, props...}}."""
    if path is None:
        return {}
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise UsageError(_missing_config(Path(path))) from None
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror}") from None
    if not text.strip():
        return {}
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: not valid JSON: {error.msg} (line {error.lineno})") from None
    if not isinstance(config, dict):
        raise UsageError(f"{path}: must be a JSON object of policy names")
    return config


def policy_config_path(stack: str) -> Path:
    """Where the stack's policy config lives: policies/config/<stack>.json."""
    return CONFIG_DIR / f"{stack}.json"


def stack_policy_config(stack: str) -> Path:
    """policies/config/<stack>.json; a UsageError saying how to create it when it is missing.

    Every stack has one: checking a stack against the pack's bare defaults would pass or fail
    it on levels nobody chose for it."""
    path = policy_config_path(stack)
    if not path.exists():
        raise UsageError(_missing_config(path))
    return path


def _missing_config(path: Path) -> str:
    path = path.resolve()
    if path.parent != CONFIG_DIR.resolve():
        return f"{_shown(path)}: no such file"
    return (
        f"no policy config for stack {path.stem}: {_shown(path)} does not exist; create it from staging's "
        f"(non-production levels) or prod's (the strict set), e.g. cp {_shown(policy_config_path('staging'))} "
        f"{_shown(path)}"
    )


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _split(name: str, value: Any) -> tuple[str | None, dict[str, Any]]:
    if isinstance(value, str):
        level, properties = value, {}
    elif isinstance(value, dict):
        properties = dict(value)
        level = properties.pop("enforcementLevel", None)
    else:
        raise UsageError(f"{name}: {json.dumps(value)} is not a valid value; must be a string or object")
    if level is not None and level not in LEVEL_VALUES:
        raise UsageError(f"{name}: {json.dumps(level)} is not a valid enforcement level ({', '.join(LEVEL_VALUES)})")
    return level, properties


def reconcile(info: analyzer_pb2.AnalyzerInfo, config: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """policy -> (enforcement level, properties): each policy's default level and its schema's
    defaults, the pack's initial config, then `all`, then per-policy entries. Raises UsageError
    listing unknown policy names and every schema violation."""
    schemas = {
        p.name: json_format.MessageToDict(p.configSchema, preserving_proto_field_name=True) for p in info.policies
    }
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for policy in info.policies:
        properties = schemas[policy.name].get("properties", {})
        defaults = {key: schema["default"] for key, schema in properties.items() if "default" in schema}
        result[policy.name] = (LEVELS[policy.enforcementLevel], defaults)
    # The engine reads an initial config entry without a level as advisory; so does this.
    initial = {
        name: (LEVELS[c.enforcementLevel], json_format.MessageToDict(c.properties))
        for name, c in info.initialConfig.items()
    }
    # Stricter than the engine, which ignores both: a typo would silently change nothing.
    unknown = sorted(set(config) - set(result) - {"all"})
    if unknown:
        raise UsageError(f"policy config names unknown policies: {', '.join(unknown)}")
    for layer in (initial, {name: _split(name, value) for name, value in config.items()}):
        all_level = layer.get("all", (None, {}))[0]
        if all_level:
            result = {name: (all_level, props) for name, (_, props) in result.items()}
        for name, (level, properties) in layer.items():
            if name == "all":
                continue
            current_level, current = result[name]
            result[name] = (level or current_level, {**current, **properties})
    problems = []
    for name, (_, properties) in result.items():
        schema = {"type": "object", **schemas[name]}
        extra = sorted(set(properties) - set(schema.get("properties", {})))
        if extra:
            problems.append(f"{name}: unknown properties {', '.join(extra)}")
        for error in jsonschema.Draft7Validator(schema).iter_errors(properties):
            where = ".".join(str(p) for p in error.absolute_path)
            problems.append(f"{name}: {where + ': ' if where else ''}{error.message}")
    if problems:
        raise UsageError("invalid policy config:\n" + "\n".join(problems))
    return result
