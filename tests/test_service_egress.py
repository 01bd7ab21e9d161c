"""Where a service's tasks may connect, built alone (tests.components_support) as FargateService
makes it: HTTPS to S3's prefix list and to the interface endpoints, to the internet only when
the settings opt in, each rule and the tasks' security group named in the EC2 console."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.service_egress import EGRESS_TO_INTERNET_TAG, EgressTargets, egress_rules, security_group_tags
from settings.services import ServiceSettings
from tests.components_support import ENDPOINT_SG, VPC, build, settings_with
from tests.support import Synth

S3_PREFIX_LIST = "pl-63a5400a"
RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def web(egress_to_internet: bool = False) -> ServiceSettings:
    return settings_with("prod", {}).web_service.model_copy(update={"egress_to_internet": egress_to_internet})


def rules(settings: ServiceSettings, endpoint_security_group_id: str | None = ENDPOINT_SG) -> Synth:
    class Service(pulumi.ComponentResource):
        def __init__(self) -> None:
            super().__init__("webapp:components:FargateService", "web", None, None)
            group = aws.ec2.SecurityGroup("web-tasks", vpc_id=VPC, opts=pulumi.ResourceOptions(parent=self))
            targets = EgressTargets(S3_PREFIX_LIST, endpoint_security_group_id)
            egress_rules("web", settings, group, targets, parent=self)

    def program() -> None:
        Service()

    return build("prod", program)


def https(stack: Synth, role: str, description: str, **destination: str) -> dict:
    return {
        "securityGroupId": stack.named("web-tasks")["id"],
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "description": description,
        "tags": {"Name": f"web-{role}"},
        **destination,
    }


def test_the_tasks_reach_s3_and_the_interface_endpoints_over_https_only():
    stack = rules(web())
    assert {r["name"]: r["inputs"] for r in stack.of_type(RULE)} == {
        "web-to-s3": https(
            stack, "to-s3", "HTTPS to S3 through the gateway endpoint (ECR image layers)", prefixListId=S3_PREFIX_LIST
        ),
        "web-to-endpoints": https(
            stack,
            "to-endpoints",
            "HTTPS to the interface endpoints (ECR, Logs, Secrets Manager, STS, X-Ray)",
            referencedSecurityGroupId=ENDPOINT_SG,
        ),
    }


def test_without_interface_endpoints_there_is_no_rule_to_them():
    assert [r["name"] for r in rules(web(), endpoint_security_group_id=None).of_type(RULE)] == ["web-to-s3"]


def test_a_service_that_opts_in_also_reaches_the_internet_over_https():
    stack = rules(web(egress_to_internet=True))
    assert stack.named("web-out-https")["inputs"] == https(
        stack, "out-https", "HTTPS to the internet through NAT (egressToInternet)", cidrIpv4="0.0.0.0/0"
    )


def test_every_rule_is_a_child_of_the_service():
    stack = rules(web(egress_to_internet=True))
    parent = stack.one("webapp:components:FargateService")["urn"]
    assert [r["parent"] for r in stack.of_type(RULE)] == [parent] * 3


def test_the_tasks_security_group_is_named_and_tagged_for_the_pack_when_it_reaches_the_internet():
    assert security_group_tags("web", web()) == {"Name": "web-tasks"}
    assert security_group_tags("web", web(egress_to_internet=True)) == {
        "Name": "web-tasks",
        EGRESS_TO_INTERNET_TAG: "true",
    }
