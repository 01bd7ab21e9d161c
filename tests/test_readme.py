"""The README documents what a user can configure."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import BaseModel

from settings import StackSettings
from settings.stack_config import ROOT


def config_keys(model: type[BaseModel]) -> Iterator[str]:
    """Every YAML key of the settings model, nested ones included."""
    for name, field in model.model_fields.items():
        yield field.alias or name
        for inner in getattr(field.annotation, "__args__", ()) + (field.annotation,):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                yield from config_keys(inner)


def test_every_config_key_is_in_the_readme():
    documented = set(re.findall(r"[A-Za-z0-9]+", (ROOT / "README.md").read_text()))
    internal = {"stack"}
    assert sorted(set(config_keys(StackSettings)) - internal - documented) == []
