"""Read `Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a program; `ROOT`, the
repository root, for every module that reads a file of the project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

# The repository root: Pulumi.yaml, the stack files and every package of the project live here.
ROOT = Path(__file__).resolve().parent.parent


def project_name(root: Path = ROOT) -> str:
    return yaml.safe_load((root / "Pulumi.yaml").read_text())["name"]


def stack_names(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def read_stack_config(stack: str, config_file: Path | None = None, root: Path = ROOT) -> dict[str, Any]:
    """The stack file's `config:` map, values parsed (objects stay objects).

    `secure:` values cannot be decrypted offline; they become a placeholder string, which
    the program treats like any other secret config value.
    """
    path = config_file or root / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text()) or {}
    config = document.get("config") or {}
    return {key: _plain(value) for key, value in config.items()}


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
