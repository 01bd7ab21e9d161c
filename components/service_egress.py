"""Where a Fargate service's tasks may open connections, created as children of the service's
component (`FargateService`): HTTPS to the interface endpoints' security group and to S3 (the
gateway endpoint's prefix list: ECR image layers), and, only when the service's settings opt in
(`egressToInternet`), HTTPS to the internet through NAT. The data stores add their own rule
(`FargateService.allow_to`). Nothing else leaves the tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.services import ServiceSettings

from .common import child

# The tag the policy pack reads to tell an intended internet egress rule from a mistake.
EGRESS_TO_INTERNET_TAG = "webapp:egress-to-internet"


@dataclass(frozen=True)
class EgressTargets:
    """What the network offers the services' tasks."""

    # The S3 gateway endpoint's prefix list (pl-...).
    s3_prefix_list_id: pulumi.Input[str]
    # The interface endpoints' security group; None when the VPC has no interface endpoints.
    endpoint_security_group_id: pulumi.Input[str] | None = None
    # The interface endpoints: a service's first tasks pull their image through them.
    endpoints: Sequence[pulumi.Resource] = ()


def security_group_tags(name: str, settings: ServiceSettings) -> dict[str, str]:
    """The tasks' security group's tags; an opted-in internet egress says so for the pack."""
    tags = {"Name": f"{name}-tasks"}
    if settings.egress_to_internet:
        tags[EGRESS_TO_INTERNET_TAG] = "true"
    return tags


def egress_rules(
    name: str,
    settings: ServiceSettings,
    security_group: aws.ec2.SecurityGroup,
    targets: EgressTargets,
    parent: pulumi.Resource,
) -> list[aws.vpc.SecurityGroupEgressRule]:
    """The tasks' egress rules `{name}-to-endpoints`, `{name}-to-s3` and, opted in,
    `{name}-out-https`."""

    def https(role: str, description: str, **destination: pulumi.Input[str]) -> aws.vpc.SecurityGroupEgressRule:
        return aws.vpc.SecurityGroupEgressRule(
            f"{name}-{role}",
            security_group_id=security_group.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description=description,
            tags={"Name": f"{name}-{role}"},
            opts=child(parent),
            **destination,
        )

    rules = [
        https(
            "to-s3",
            "HTTPS to S3 through the gateway endpoint (ECR image layers)",
            prefix_list_id=targets.s3_prefix_list_id,
        )
    ]
    if targets.endpoint_security_group_id is not None:
        rules.append(
            https(
                "to-endpoints",
                "HTTPS to the interface endpoints (ECR, Logs, Secrets Manager, STS, X-Ray)",
                referenced_security_group_id=targets.endpoint_security_group_id,
            )
        )
    if settings.egress_to_internet:
        rules.append(https("out-https", "HTTPS to the internet through NAT (egressToInternet)", cidr_ipv4="0.0.0.0/0"))
    return rules
