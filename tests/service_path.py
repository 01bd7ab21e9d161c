"""Helpers for the service-path tests (load balancer, firewall, services): lookups of security
group rules, listener rules and the web service's resources."""

from __future__ import annotations

import json

from tests.support import Synth, plain

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
WORLD = ("0.0.0.0/0", "::/0")


def depends_on_urn(resource: dict, key: str, urn: str) -> bool:
    return urn in resource["propertyDependencies"].get(key, [])


def child_of(stack: Synth, component: str, type_: str, name: str | None = None) -> dict:
    found = [r for r in stack.children(component) if r["type"] == type_ and (name is None or r["name"] == name)]
    assert len(found) == 1, f"expected one {type_} under {component}, found {[r['name'] for r in found]}"
    return found[0]


def alb_group(stack: Synth) -> dict:
    return child_of(stack, "alb", SECURITY_GROUP)


def service_group(stack: Synth, service: str) -> dict:
    return child_of(stack, service, SECURITY_GROUP)


def peer(stack: Synth, rule: dict) -> str:
    """Who a rule admits or sends to: a CIDR, the name of the referenced security group, or the
    name of the VPC endpoint whose prefix list it names."""
    inputs = rule["inputs"]
    if "referencedSecurityGroupId" in inputs:
        return stack.depends_on(rule, "referencedSecurityGroupId")[0]["name"]
    if "prefixListId" in inputs:
        return stack.depends_on(rule, "prefixListId")[0]["name"]
    return inputs.get("cidrIpv4") or inputs.get("cidrIpv6")


def ports(rule: dict) -> tuple[str, float, float]:
    inputs = rule["inputs"]
    return inputs["ipProtocol"], inputs.get("fromPort"), inputs.get("toPort")


def listener(stack: Synth, name: str) -> dict:
    return stack.one(LISTENER, name)


def policy_of(resource: dict) -> dict:
    """An IAM/S3/Logs policy document input as a dict."""
    for key in ("policy", "policyDocument", "assumeRolePolicy"):
        if key in resource["inputs"]:
            return json.loads(plain(resource["inputs"][key]))
    raise KeyError(f"{resource['name']} has no policy document")


def statements(resource: dict) -> list[dict]:
    return policy_of(resource)["Statement"]


def containers(stack: Synth, service: str) -> list[dict]:
    return json.loads(child_of(stack, service, TASK_DEFINITION)["inputs"]["containerDefinitions"])


def ecs_service(stack: Synth, service: str) -> dict:
    return child_of(stack, service, SERVICE)


def role(stack: Synth, service: str, role_name: str) -> dict:
    return child_of(stack, service, ROLE, f"{service}-{role_name}")


def role_policies(stack: Synth, service: str, role_resource: dict) -> list[dict]:
    return [
        p
        for p in stack.children(service)
        if p["type"] == ROLE_POLICY and stack.depends_on(p, "role") == [role_resource]
    ]


def allowed(stack: Synth, service: str, role_name: str, action: str) -> list[str]:
    """Resources the role's inline policies allow `action` on."""
    resources: list[str] = []
    for policy in role_policies(stack, service, role(stack, service, role_name)):
        for statement in statements(policy):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow" and action in actions:
                found = statement["Resource"]
                resources += found if isinstance(found, list) else [found]
    return sorted(resources)
