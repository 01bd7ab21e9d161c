"""Test helpers: synthesize a stack under the mocks and query what it registered."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

from settings import ConfigError, load_settings
from settings.stack_config import read_stack_config
from tools.synth import is_secret, synthesize

# A web service as a test stack names it: images pinned by digest in the stack's private ECR, as
# prod requires (the digests are made up).
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
DIGEST = "sha256:3fa996850b6d6489298c9e7877588859972a024455c43c3f3d0ef201e69e6ff8"
WEB_SERVICE = {
    "name": "web",
    "kind": "web",
    "image": f"{REGISTRY}/webapp:1.4.2@{DIGEST}",
    "tracingImage": f"{REGISTRY}/aws-xray-daemon:3.3.14@{DIGEST}",
    "healthCheckPath": "/healthz",
}


class Synth:
    """The synth document of one stack, with lookups by type, name and URN."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.resources: list[dict[str, Any]] = document["resources"]
        self.by_urn = {r["urn"]: r for r in self.resources}
        self.outputs = document["outputs"]

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_]

    def one(self, type_: str, name: str | None = None) -> dict[str, Any]:
        found = [r for r in self.of_type(type_) if name is None or r["name"] == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r['name'] for r in found]}"
        return found[0]

    def named(self, name: str) -> dict[str, Any]:
        return next(r for r in self.resources if r["name"] == name)

    def children(self, parent_name: str) -> list[dict[str, Any]]:
        parents = {r["urn"] for r in self.resources if r["name"] == parent_name and not r["custom"]}
        return [r for r in self.resources if r["parent"] in parents]

    def depends_on(self, resource: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """The resources an input of `resource` came from."""
        return [self.by_urn[u] for u in resource["propertyDependencies"].get(key, [])]

    def route_table_of(self, subnet: dict[str, Any]) -> dict[str, Any]:
        """The route table a subnet is associated with."""
        association = next(
            r
            for r in self.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
            if subnet["urn"] in r["propertyDependencies"]["subnetId"]
        )
        return self.depends_on(association, "routeTableId")[0]

    def routes_of(self, table: dict[str, Any]) -> list[dict[str, Any]]:
        """The routes of a route table."""
        return [
            r for r in self.of_type("aws:ec2/route:Route") if table["urn"] in r["propertyDependencies"]["routeTableId"]
        ]

    def rules_of(self, rule_type: str, group: dict[str, Any]) -> list[dict[str, Any]]:
        """Standalone ingress or egress rules (`rule_type`) of a security group."""
        return [
            r for r in self.of_type(rule_type) if group["urn"] in r["propertyDependencies"].get("securityGroupId", [])
        ]


def primary_region(stack: Synth) -> Synth:
    """The stack without its recovery site (the pilot light in the backup region), for tests of
    what the primary region runs."""
    return Synth(
        {
            **stack.document,
            "resources": [r for r in stack.resources if "webapp:components:RecoverySite" not in r["urn"]],
        }
    )


def config_with(stack: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The stack file's config with sections replaced or merged: {"webapp:network": {...}}.
    A dict merges into the section; anything else (lists, scalars, None to drop) replaces it."""
    config = copy.deepcopy(read_stack_config(stack))
    for key, value in overrides.items():
        if value is None:
            config.pop(key, None)
        elif isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


@cache
def _synth_cached(stack: str, overrides_json: str) -> str:
    overrides = json.loads(overrides_json)
    config = config_with(stack, overrides) if overrides else None
    return json.dumps(synthesize(stack, config=config))


def synth(stack: str, overrides: dict[str, Any] | None = None) -> Synth:
    """Synthesize `stack` (with config overrides); cached per process, returns a fresh copy."""
    return Synth(json.loads(_synth_cached(stack, json.dumps(overrides or {}, sort_keys=True))))


def plain(value: Any) -> Any:
    """A wire value without its secret marker."""
    return value["value"] if is_secret(value) else value


def walk(value: Any) -> Iterator[Any]:
    """Every nested value (dict values, list items) of an input tree."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def rejection(stack: str, overrides: dict[str, Any]) -> list[str]:
    """The error lines a stack config with these overrides is rejected with."""
    try:
        load_settings(stack, config_with(stack, overrides))
    except ConfigError as error:
        return error.lines
    raise AssertionError(f"{stack} config with {overrides} was accepted")
