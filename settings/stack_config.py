"""Read `Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a program; `ROOT`, the
repository root, for every module that reads a file of the project.

A stack file that cannot be read (missing, not YAML, a duplicate key, a key without a
namespace) raises `StackFileError`: one line, `file:line:col: message` where YAML gives a
position, so every tool reports it like any other config problem (exit status 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from . import PROJECT, ConfigError

# The repository root: Pulumi.yaml, the stack files and every package of the project live here.
ROOT = Path(__file__).resolve().parent.parent


class StackFileError(ConfigError):
    """The stack file itself is unusable: a one-line message."""

    def __init__(self, line: str):
        self.lines = [line]
        Exception.__init__(self, line)


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys as the Pulumi CLI's YAML reader does
    (PyYAML would keep the last one silently)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key} (first at line {first})", problem_mark=key_node.start_mark
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def project_name(root: Path = ROOT) -> str:
    return yaml.safe_load((root / "Pulumi.yaml").read_text())["name"]


def stack_names(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def unknown_stack(stack: str, root: Path = ROOT) -> StackFileError:
    """The error for a stack name without a stack file, listing the stacks that exist."""
    known = ", ".join(stack_names(root)) or "none"
    return StackFileError(f"stack {stack} does not exist: no Pulumi.{stack}.yaml (stacks: {known})")


def read_stack_config(stack: str, config_file: Path | None = None, root: Path = ROOT) -> dict[str, Any]:
    """The stack file's `config:` map, values parsed (objects stay objects).

    `secure:` values cannot be decrypted offline; they become a placeholder string, which
    the program treats like any other secret config value. Raises `StackFileError`.
    """
    path = config_file or root / f"Pulumi.{stack}.yaml"
    try:
        text = path.read_text()
    except FileNotFoundError:
        if config_file is None:
            raise unknown_stack(stack, root) from None
        raise StackFileError(f"{_shown(path)}: no such file") from None
    except OSError as error:
        raise StackFileError(f"{_shown(path)}: {error.strerror}") from None
    try:
        document = yaml.load(text, Loader=_StrictLoader) or {}
    except yaml.MarkedYAMLError as error:
        raise StackFileError(_yaml_line(path, error)) from None
    except yaml.YAMLError as error:
        # A reader error (a character YAML does not allow) spans two lines: one line, as promised.
        raise StackFileError(f"{_shown(path)}: {' '.join(str(error).split())}") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{_shown(path)}: must be a YAML mapping with a config: section")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{_shown(path)}: config: must be a mapping of namespace:key to value")
    for key in config:
        # The Pulumi CLI refuses these keys (`pulumi config set` adds the project's namespace).
        if not isinstance(key, str) or ":" not in key:
            raise StackFileError(f"{_shown(path)}: config key {key} has no namespace (write {PROJECT}:{key})")
        if key.count(":") > 1:
            raise StackFileError(f"{_shown(path)}: config key {key} must have the form namespace:name")
    return {key: _plain(value) for key, value in config.items()}


def _yaml_line(path: Path, error: yaml.MarkedYAMLError) -> str:
    """`file:line:col: problem (context at line N)`, positions 1-based as editors show them."""
    mark = error.problem_mark or error.context_mark
    where = f"{_shown(path)}:{mark.line + 1}:{mark.column + 1}" if mark else _shown(path)
    message = error.problem or error.context or "not valid YAML"
    if error.problem and error.context:
        line = f" at line {error.context_mark.line + 1}" if error.context_mark else ""
        message += f" ({error.context}{line})"
    return f"{where}: {message}"


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def runtime_config(config: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Config as the language host passes it: strings, objects as JSON; plus the secret keys."""
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        if isinstance(value, SecureValue):
            secret_keys.append(key)
            value = "[secret]"
        values[key] = value if isinstance(value, str) else json.dumps(value)
    return values, secret_keys


class SecureValue(str):
    """A `secure:` config value: ciphertext only the stack's secrets provider can read."""


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SecureValue(value["secure"])
    return value
