"""The usage profile of one run: the model defaults, the stack's `webapp:usage`, then a
`--usage` file (YAML or JSON, the same camelCase keys) over both."""

from __future__ import annotations

from pathlib import Path

import yaml

from settings import ConfigError, with_usage
from settings.base import Problem
from settings.cost import UsageSettings


def resolve(stack_usage: UsageSettings, usage_file: Path | None) -> UsageSettings:
    """The stack's usage with the file's keys laid over it. Raises ConfigError (one line per
    problem, naming the file and the key) for a file that cannot be read or does not validate."""
    if usage_file is None:
        return stack_usage
    try:
        overrides = yaml.safe_load(usage_file.read_text())
    except OSError as error:
        raise ConfigError(str(usage_file), [Problem("usage", "cannot read the usage file", error.strerror)]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "the file"
        raise ConfigError(str(usage_file), [Problem("usage", "not YAML or JSON", where)]) from None
    return with_usage(stack_usage, overrides or {}, str(usage_file))
