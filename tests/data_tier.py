"""Lookups for the data-tier tests: what a data store's security group admits, what the services
receive from it, where a value appears among the resource inputs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.support import Synth
from tools.synth import is_secret

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def security_group_of(stack: Synth, component: str) -> dict:
    return next(r for r in stack.children(component) if r["type"] == SECURITY_GROUP)


def admitted(stack: Synth, group: dict) -> list[tuple[str | None, str | None, float, float]]:
    """(source security group name, CIDR or prefix list, from port, to port) of every rule into
    `group`, sorted."""
    result = []
    for rule in stack.rules_of(INGRESS_RULE, group):
        sources = stack.depends_on(rule, "referencedSecurityGroupId")
        inputs = rule["inputs"]
        result.append(
            (
                sources[0]["name"] if sources else None,
                inputs.get("cidrIpv4") or inputs.get("cidrIpv6") or inputs.get("prefixListId"),
                inputs["fromPort"],
                inputs["toPort"],
            )
        )
    return sorted(result, key=str)


def service_security_groups(stack: Synth) -> list[str]:
    """Names of the security groups the ECS services run their tasks in, sorted."""
    return sorted(
        resource["name"]
        for service in stack.of_type(ECS_SERVICE)
        for resource in stack.depends_on(service, "networkConfiguration")
        if resource["type"] == SECURITY_GROUP
    )


def app_containers(stack: Synth) -> list[dict]:
    """The application container of every task definition (the one named like its service)."""
    containers = []
    for task in stack.of_type(TASK_DEFINITION):
        definitions = json.loads(task["inputs"]["containerDefinitions"])
        containers.append(next(c for c in definitions if task["name"] == f"{c['name']}-task"))
    return containers


def environment(container: dict) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("environment", [])}


def secrets(container: dict) -> dict[str, str]:
    return {item["name"]: item["valueFrom"] for item in container.get("secrets", [])}


def inputs_holding(stack: Synth, value: str) -> dict[tuple[str, str], list[Any]]:
    """(type, name) of a resource -> each input leaf that contains `value`: a secret (wire-format
    wrapper) or a plain string (also inside JSON documents such as container definitions)."""
    found: dict[tuple[str, str], list[Any]] = {}
    for resource in stack.resources:
        for leaf in _leaves(resource["inputs"]):
            text = json.dumps(leaf["value"]) if is_secret(leaf) else leaf
            if isinstance(text, str) and value in text:
                found.setdefault((resource["type"], resource["name"]), []).append(leaf)
    return found


def _leaves(node: Any) -> Iterator[Any]:
    """Leaves of an input tree; a secret wrapper counts as one leaf."""
    if isinstance(node, dict) and not is_secret(node):
        for item in node.values():
            yield from _leaves(item)
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item)
    else:
        yield node
