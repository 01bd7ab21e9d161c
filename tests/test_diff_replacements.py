"""The force-new table behind replace predictions covers every type the stacks use, correctly named."""

from __future__ import annotations

import importlib
import inspect
import keyword
import re

import pytest

from tools.diff.replacements import FORCE_NEW, TF_DOCS, forcing, untabled


def _custom_types(*synths) -> set[str]:
    return {r["type"] for s in synths for r in s.resources if r["custom"]}


def test_every_resource_type_of_both_stacks_has_a_force_new_entry(prod, staging):
    assert untabled(_custom_types(prod, staging)) == []


def test_a_type_missing_from_the_table_is_reported():
    assert untabled({"aws:dynamodb/table:Table", "webapp:components:Cache"}) == ["aws:dynamodb/table:Table"]


def test_every_aws_entry_cites_the_terraform_provider_page_of_its_resource():
    for type_, rule in FORCE_NEW.items():
        if type_.startswith("aws:"):
            assert rule.source.startswith(TF_DOCS) and re.fullmatch(r"[a-z0-9_]+", rule.source[len(TF_DOCS) :]), type_


def _input_names(type_: str) -> set[str]:
    """The resource's input names in the wire format (camelCase), from its pulumi SDK class."""
    package, module, name = re.fullmatch(r"(\w+):([\w/]+):(\w+)", type_).groups()
    # A module named after a Python keyword gets a trailing underscore (aws:lambda -> pulumi_aws.lambda_).
    submodule = module.split("/")[0] + ("_" if keyword.iskeyword(module.split("/")[0]) else "")
    path = f"pulumi_{package}" if module.startswith("index") else f"pulumi_{package}.{submodule}"
    resource_class = getattr(importlib.import_module(path), name)
    params = [p for p in inspect.signature(resource_class._internal_init).parameters if p not in ("__self__", "opts")]
    return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), p) for p in params}


@pytest.mark.parametrize("type_", sorted(t for t in FORCE_NEW if not t.startswith("pulumi:")))
def test_every_listed_property_is_an_input_of_its_type(type_):
    assert set(FORCE_NEW[type_].properties) - _input_names(type_) == set()


def test_a_nested_path_falls_under_its_force_new_input():
    task = "aws:ecs/taskDefinition:TaskDefinition"
    assert forcing(task, "containerDefinitions[web].image") == "containerDefinitions"
    assert forcing("aws:rds/instance:Instance", "instanceClass") is None
    assert forcing("aws:rds/instance:Instance", "dbName") == "dbName"
