"""Helpers for the service-path tests (load balancer, firewall, services): a prod synth with every
optional feature of the service path turned on, and lookups of security group rules, listener
rules and the web service's resources."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

import composition
from components.common import ServiceLink
from settings.stack_config import read_stack_config
from tests.support import Synth, config_with, plain
from tools.synth import synthesize

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

# What the custom synth changes in the prod stack file.
EXISTING_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
TEST_CIDRS = ["203.0.113.0/24", "2001:db8::/32"]
CONFIG_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/web/api-AbCdEf:token::"
CONFIG_SECRET_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
# One more data store's link, as a store hands it to a service (beside the stack's own links).
LINK = ServiceLink(
    environment={"LEDGER_HOST": "ledger.internal", "LEDGER_PORT": "5432"},
    secrets={"LEDGER_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ledger-XyZ123:password::"},
    secret_arns=["arn:aws:secretsmanager:us-east-1:123456789012:secret:ledger-XyZ123"],
    key_arns=["arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"],
)


def _custom_overrides() -> dict[str, Any]:
    web = {
        **read_stack_config("prod")["webapp:services"][0],
        "secrets": {"API_TOKEN": CONFIG_SECRET},
        "secretKeyArns": [CONFIG_SECRET_KEY],
    }
    return {
        "webapp:dns": {"certificateArn": EXISTING_CERTIFICATE},
        "webapp:loadBalancer": {"tlsPolicy": "ELBSecurityPolicy-TLS13-1-3-2021-06", "testListenerCidrs": TEST_CIDRS},
        "webapp:firewall": {"managedRules": {"AWSManagedRulesSQLiRuleSet": "off"}},
        "webapp:services": [web],
    }


@cache
def _custom_document() -> str:
    """The prod stack with an existing certificate, another TLS 1.3 policy, an open test
    listener, a managed rule group off, config secrets, a data-store link and deployment alarms."""
    services = composition._services

    def linked_services(*args: Any, links: Any = None, **kwargs: Any) -> Any:
        links = dict(links or {})
        links["web"] = [*links.get("web", ()), LINK]
        return services(*args, links=links, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(composition, "_services", linked_services)
        return json.dumps(synthesize("prod", config_with("prod", _custom_overrides())))


def custom_synth() -> Synth:
    return Synth(json.loads(_custom_document()))


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
