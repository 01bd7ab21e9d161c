"""Reading the stack config from the Pulumi runtime, for `__main__.py`.

`pulumi.Config` reads one key at a time and cannot list keys, but rejecting typos needs every
key of the project namespace, so this reads the runtime's config map (what the language host
passed) directly.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from . import ConfigError, StackSettings, load_settings


def current_config() -> dict[str, Any]:
    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {key: _parse(value) for key, value in raw.items()}


def settings_or_exit() -> StackSettings:
    """The validated settings, or the problems on stderr, one per line, and exit status 2."""
    stack = pulumi.get_stack()
    try:
        return load_settings(stack, current_config())
    except ConfigError as error:
        print("\n".join(error.lines), file=sys.stderr)
        raise SystemExit(2) from None


def _parse(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    # Only structured values are JSON; a scalar such as "2" or "true" stays as typed in the
    # stack file and pydantic coerces it where a number or boolean is expected.
    return parsed if isinstance(parsed, (dict, list)) else value
