"""What may leave the VPC: every interface endpoint has a policy bound to known accounts, and no
security group egresses to the whole internet unless the program marked it as intended."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy, stack_policy
from .documents import account_restricted, principal_is_public, statements
from .security_groups import SECURITY_GROUP, STANDALONE_RULES, group_rules
from .values import UNKNOWN, BadJson, show

VPC_ENDPOINT = ("aws:ec2/vpcEndpoint:VpcEndpoint",)
# The tag the program writes on a security group whose internet egress a setting asked for.
EGRESS_TO_INTERNET_TAG = "webapp:egress-to-internet"


def _endpoint_policy(endpoint, config):
    interface = endpoint.get("vpcEndpointType", "Gateway") == "Interface"
    try:
        document = endpoint.json("policy")
    except BadJson as error:
        yield f"policy is {error}"
        return
    if document is UNKNOWN:
        return
    if document is None:
        if interface:
            yield "policy is not set, so the endpoint admits any principal to any resource (AWS's full-access default)"
        return
    for index, statement in enumerate(statements(document)):
        public = principal_is_public(statement.get("Principal"))
        if statement.get("Effect") == "Allow" and public and not account_restricted(statement):
            yield f"statement {statement.get('Sid', index)} allows {show(statement.get('Principal'))} without an account condition"


endpoint_policy = resource_policy(
    Control(
        name="aws-ec2-vpc-endpoint-policy",
        description=(
            "Every interface VPC endpoint has an endpoint policy, and no endpoint policy lets any "
            "principal in without an account condition."
        ),
        category="least-privilege",
        severity=Severity.MEDIUM,
        remediation=(
            "Give the endpoint a policy allowing only this account's principals on this account's "
            'resources: Principal "*" with StringEquals aws:PrincipalAccount and aws:ResourceAccount.'
        ),
    ),
    VPC_ENDPOINT,
)(_endpoint_policy)


def _internet_egress(stack, config):
    for urn, rules in group_rules(stack).items():
        group = stack.by_urn[urn]
        tag = group.get(f"tags.{EGRESS_TO_INTERNET_TAG}", "")
        if tag is UNKNOWN or str(tag).lower() == "true":
            continue
        for rule, declared_by in rules:
            if rule.direction == "egress" and rule.known() and rule.world():
                yield (
                    declared_by.urn,
                    f"{group.name} sends {rule.shown()}, and is not tagged {EGRESS_TO_INTERNET_TAG}=true",
                )


internet_egress = stack_policy(
    Control(
        name="aws-ec2-security-group-internet-egress",
        description=(
            "No security group sends traffic to the whole internet (0.0.0.0/0, ::/0) unless it is "
            f"tagged {EGRESS_TO_INTERNET_TAG}=true, which the program writes only when a setting asks for it."
        ),
        category="least-privilege",
        severity=Severity.HIGH,
        remediation=(
            "Send AWS API traffic to the VPC endpoints' security group and S3's prefix list; when a "
            "service must call the internet, set services[].egressToInternet: true."
        ),
    ),
    SECURITY_GROUP + STANDALONE_RULES,
)(_internet_egress)


# The pack serves exactly these, in this order.
POLICIES = [
    endpoint_policy,
    internet_egress,
]
