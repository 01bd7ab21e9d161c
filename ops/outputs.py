"""The stack outputs the commands read: from `pulumi stack output --json`, or a file of its output."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from settings.stack_config import ROOT

from .aws import OpsError

# What `pulumi stack output --json` prints for a secret output without --show-secrets.
SECRET_PLACEHOLDER = "[secret]"

Runner = Callable[..., subprocess.CompletedProcess]


class Outputs:
    """A stack's outputs; `require` names the missing output instead of raising KeyError."""

    def __init__(self, stack: str, values: dict[str, Any], source: str):
        self.stack = stack
        self.values = values
        self.source = source

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value in (None, "", SECRET_PLACEHOLDER) else value

    def problem(self, name: str) -> str | None:
        """Why a command cannot read output `name`: "missing", "secret", or None when it can."""
        value = self.values.get(name)
        if value is None or value == "":
            return "missing"
        return "secret" if value == SECRET_PLACEHOLDER else None

    def require(self, name: str) -> Any:
        problem = self.problem(name)
        if problem == "missing":
            raise OpsError(
                f"stack output `{name}` is missing from stack {self.stack} ({self.source}); "
                "is the stack deployed with the version of the program that exports it?"
            )
        if problem == "secret":
            raise OpsError(
                f"stack output `{name}` of stack {self.stack} is a secret; the commands read no secret outputs"
            )
        return self.values[name]

    def require_list(self, name: str) -> list[Any]:
        value = self.require(name)
        if not isinstance(value, list):
            raise OpsError(f"stack output `{name}` of stack {self.stack} should be a list (got {value!r})")
        return value


def load_outputs(stack: str, outputs_file: Path | None = None, run: Runner = subprocess.run) -> Outputs:
    """Outputs from `outputs_file` (JSON of `pulumi stack output --json`) or from the Pulumi CLI."""
    if outputs_file is not None:
        try:
            text = outputs_file.read_text()
        except OSError as error:
            raise OpsError(f"cannot read outputs file {outputs_file}: {error.strerror}") from None
        return Outputs(stack, _parse(text, str(outputs_file)), str(outputs_file))
    command = ["pulumi", "stack", "output", "--json", "--stack", stack]
    try:
        # In the project directory: the CLI finds the project (Pulumi.yaml) from its working directory.
        result = run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    except FileNotFoundError:
        raise OpsError(
            "the pulumi CLI is not installed; pass --outputs FILE with the output of "
            f"`pulumi stack output --json --stack {stack}`"
        ) from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise OpsError(f"`{' '.join(command)}` failed: {detail[-1] if detail else f'exit status {result.returncode}'}")
    return Outputs(stack, _parse(result.stdout, "pulumi stack output"), "pulumi stack output")


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        values = json.loads(text)
    except ValueError as error:
        raise OpsError(f"outputs from {source} are not JSON: {error}") from None
    if not isinstance(values, dict):
        raise OpsError(f"outputs from {source} should be a JSON object of output names")
    return values
