"""Composes the stack from its validated settings: one provider, the keys, then each tier."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.common import AwsContext
from components.encryption import EncryptionKey, KeyArgs
from components.network import Network, NetworkArgs
from settings import StackSettings


def build(settings: StackSettings) -> dict[str, Any]:
    """Create every resource of the stack; returns the stack outputs."""
    provider = aws.Provider("aws", region=settings.region, default_tags={"tags": settings.default_tags()})
    invoke = pulumi.InvokeOptions(provider=provider)
    context = AwsContext(
        account_id=aws.get_caller_identity(opts=invoke).account_id,
        region=settings.region,
        partition=aws.get_partition(opts=invoke).partition,
    )
    zones = aws.get_availability_zones(state="available", opts=invoke).names
    prod = settings.tier == "prod"
    opts = pulumi.ResourceOptions(provider=provider)

    logs_key = EncryptionKey(
        "logs",
        KeyArgs(context=context, description="CloudWatch Logs of the stack", logs=True, protect=prod),
        opts=opts,
    )
    network = Network(
        "network",
        NetworkArgs(settings=settings.network, context=context, availability_zones=zones, log_key_arn=logs_key.arn),
        opts=opts,
    )

    return {
        "region": settings.region,
        "vpcId": network.vpc_id,
        "publicSubnetIds": network.public_subnet_ids,
        "privateSubnetIds": network.private_subnet_ids,
        "isolatedSubnetIds": network.isolated_subnet_ids,
    }
