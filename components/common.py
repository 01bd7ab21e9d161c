"""Helpers every component shares: the account context and IAM policy documents."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi
import pulumi_aws as aws

TYPE_PREFIX = "webapp:components"

T = TypeVar("T")


@dataclass(frozen=True)
class AwsContext:
    """Where the stack deploys, resolved once by the composition and handed to components."""

    account_id: str
    region: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, region: str | None = None, account: bool = True) -> str:
        region = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{region}:{self.account_id if account else ''}:{resource}"

    def service_principal(self, service: str) -> str:
        return f"{service}.amazonaws.com"


def child(parent: pulumi.Resource, **options: Any) -> pulumi.ResourceOptions:
    """Options for a component's child resource."""
    return pulumi.ResourceOptions(parent=parent, **options)


def tier_subnet(
    parent: pulumi.Resource, vpc_id: pulumi.Input[str], name: str, tier: str, index: int, zone: str, cidr: str
) -> aws.ec2.Subnet:
    """Subnet `index` of a tier in `zone`, named `<name>-<tier>-<index>` and tagged with its tier."""
    return aws.ec2.Subnet(
        f"{name}-{tier}-{index}",
        vpc_id=vpc_id,
        cidr_block=cidr,
        availability_zone=zone,
        # Nothing in these VPCs needs a public IP: the ALB and NAT gateways get their own.
        map_public_ip_on_launch=False,
        tags={"Name": f"{name}-{tier}-{zone}", "tier": tier},
        opts=child(parent),
    )


def provided(value: T | None, what: str) -> T:
    """An output attribute the SDK types as optional but the provider always sets in the
    configuration the component chose; fails loudly rather than passing None on."""
    if value is None:
        raise ValueError(f"the provider returned no {what}")
    return value


def policy_document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    """An IAM policy JSON string; statements may hold Outputs (ARNs of other resources)."""
    return pulumi.Output.from_input({"Version": "2012-10-17", "Statement": list(statements)}).apply(
        lambda doc: json.dumps(doc, sort_keys=True)
    )


def ecs_trust_policy() -> str:
    """The trust policy AWS documents for roles ECS itself assumes (the blue/green infrastructure
    role, lifecycle hook roles): ECS's calls to assume them are not documented to carry
    aws:SourceAccount, and a condition they fail would stop deploys."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        },
        sort_keys=True,
    )


def ecs_role(
    name: str, description: str, parent: pulumi.Resource, *statements: dict[str, Any]
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """A role ECS itself assumes (`ecs_trust_policy`), `name`, with one inline policy of
    `statements`, `<name>-policy`; the policy is returned so callers can wait for it."""
    role = aws.iam.Role(name, description=description, assume_role_policy=ecs_trust_policy(), opts=child(parent))
    policy = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy_document(*statements), opts=child(parent))
    return role, policy


def service_trust_policy(services: Sequence[str], context: AwsContext, source_arn: str | None = None) -> str:
    """Trust policy letting AWS services assume a role, only on behalf of this account (confused
    deputy protection with aws:SourceAccount, and aws:SourceArn when the caller is known)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": context.account_id}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": sorted(services) if len(services) > 1 else services[0]},
                    "Action": "sts:AssumeRole",
                    "Condition": condition,
                }
            ],
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class ServiceLink:
    """What a data store hands to the services that use it: the seam between the data tier and
    the Fargate services. Plain settings go to the container environment; credentials only ever
    travel as Secrets Manager references, which the execution role may read and decrypt, or are
    minted by the app itself with its task role (`task_statements`, e.g. IAM database auth)."""

    environment: Mapping[str, pulumi.Input[str]]
    # Container env name -> `valueFrom` (a secret ARN, optionally `<arn>:<json-key>::`).
    secrets: Mapping[str, pulumi.Input[str]]
    secret_arns: Sequence[pulumi.Input[str]]
    key_arns: Sequence[pulumi.Input[str]]
    # IAM statements the application's task role needs to use the store.
    task_statements: Sequence[Mapping[str, Any]] = ()


class Deferred:
    """An Output whose value comes from a resource made later in the program (a key policy naming
    roles made after the key's component). If the program fails before `resolve`, `fail` settles
    it with the error: what waits for it then fails too, instead of waiting forever."""

    def __init__(self) -> None:
        self.output, self._resolve = pulumi.deferred_output()
        self._settled = False

    def resolve(self, value: pulumi.Output[Any]) -> None:
        self._settled = True
        self._resolve(value)

    def fail(self, error: BaseException) -> None:
        if self._settled:
            return
        failed: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
        failed.set_exception(error)
        self.resolve(pulumi.Output.from_input(failed))
