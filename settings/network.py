"""Network settings: VPC address space, AZ spread, NAT mode, endpoints and flow logs."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, field_validator

from .base import LogRetentionDays, Model, Problem

TIERS = ("public", "private", "isolated")
# The VPC is cut into four equal blocks (public, private, isolated, spare) and each block into
# MAX_AZS subnets. A subnet's CIDR depends only on its tier and AZ index, so going from 2 to 3
# AZs adds subnets without replacing any.
MAX_AZS = 4
_BLOCKS = 4
_SUBNET_NEW_BITS = 4  # log2(_BLOCKS * MAX_AZS)
# AWS accepts VPC CIDRs from /16 to /28.
_VPC_PREFIXES = (16, 28)
MIN_AZS = {"prod": 3, "staging": 2}
# Interface endpoints in the private subnets: one ENI (one address) per endpoint per subnet.
# Image pulls (ECR; the layers come through the S3 gateway endpoint), logs, secrets, and the
# tracing sidecar's X-Ray and STS calls: with them the tasks need no route to the internet.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts", "xray")

# What the subnets must hold, which sets the smallest VPC:
# - an ALB subnet must be /27 or larger with 8 free addresses (ELB User Guide, "Subnets for
#   your load balancer"); the NAT gateways there take one address each;
# - a private subnet holds one ENI per interface endpoint and one per Fargate task (awsvpc),
#   and a deployment runs the old and new tasks side by side at up to twice the service's
#   size (blue/green keeps both sets through the bake time, rolling runs up to 200%);
# - AWS reserves 5 addresses of every subnet.
ALB_SUBNET_PREFIX = 27
AWS_RESERVED_PER_SUBNET = 5
DEPLOYMENT_SURGE = 2


class NetworkSettings(Model):
    vpc_cidr: str = "10.0.0.0/16"
    az_count: int = Field(ge=1, le=MAX_AZS)
    nat_mode: Literal["per-az", "single"]
    interface_endpoints: bool = True
    # AZs that get a network interface of each interface endpoint, from the first (none: every
    # AZ). Tasks in the other AZs reach them across AZs; each endpoint bills per AZ-hour.
    interface_endpoint_az_count: int | None = Field(default=None, ge=1, le=MAX_AZS)
    flow_log_retention_days: LogRetentionDays = 365

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return check_vpc_cidr(value)

    def problems(self, profile: str) -> Iterator[Problem]:
        minimum = MIN_AZS[profile]
        if self.az_count < minimum:
            yield Problem("azCount", f"{profile} needs {minimum} to {MAX_AZS} availability zones", self.az_count)
        if profile == "prod" and self.nat_mode != "per-az":
            yield Problem("natMode", "prod needs one NAT gateway per AZ (per-az)", self.nat_mode)
        endpoint_azs = self.interface_endpoint_az_count
        if endpoint_azs is not None and endpoint_azs > self.az_count:
            yield Problem("interfaceEndpointAzCount", f"must be at most azCount ({self.az_count})", endpoint_azs)
        elif profile == "prod" and endpoint_azs is not None and endpoint_azs < self.az_count:
            # An AZ outage must not take the image pulls, logs and secrets of the others with it.
            yield Problem("interfaceEndpointAzCount", "prod places interface endpoints in every AZ", endpoint_azs)

    @property
    def endpoint_az_count(self) -> int:
        """How many AZs (the first ones) carry the interface endpoints."""
        return self.interface_endpoint_az_count or self.az_count

    @property
    def vpc_prefix(self) -> int:
        return ipaddress.IPv4Network(self.vpc_cidr).prefixlen

    def subnet_cidr(self, tier: str, az_index: int) -> str:
        """CIDR of the subnet of `tier` in the AZ at `az_index`; stable when AZs are added."""
        return tier_subnet_cidr(self.vpc_cidr, tier, az_index)


def check_vpc_cidr(value: str) -> str:
    """A VPC CIDR AWS accepts: IPv4, /16 to /28, a private (RFC 1918) range."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"not an IPv4 network CIDR: {exc}") from None
    low, high = _VPC_PREFIXES
    if not low <= network.prefixlen <= high:
        raise ValueError(f"prefix must be /{low} to /{high}, the VPC sizes AWS accepts")
    if not network.is_private:
        raise ValueError("must be a private (RFC 1918) range")
    return value


def tier_subnet_cidr(cidr: str, tier: str, az_index: int) -> str:
    """The subnet of `tier` in the AZ at `az_index` of the VPC `cidr`: four equal blocks (one per
    tier and a spare), each cut into MAX_AZS subnets."""
    vpc = ipaddress.IPv4Network(cidr)
    subnets = list(vpc.subnets(new_prefix=vpc.prefixlen + _SUBNET_NEW_BITS))
    return str(subnets[TIERS.index(tier) * MAX_AZS + az_index])


def private_subnet_addresses(network: NetworkSettings, max_tasks: int) -> tuple[int, int, int]:
    """(endpoint ENIs, tasks, total addresses) one private subnet must hold when the services
    together scale to `max_tasks` tasks, spread evenly over the AZs."""
    endpoints = len(INTERFACE_ENDPOINTS) if network.interface_endpoints else 0
    tasks = math.ceil(DEPLOYMENT_SURGE * max_tasks / network.az_count)
    return endpoints, tasks, endpoints + tasks + AWS_RESERVED_PER_SUBNET


def vpc_size_problems(network: NetworkSettings, max_tasks: int) -> Iterator[Problem]:
    """The VPC is too small when its subnets cannot hold what they must (see above)."""
    endpoints, tasks, needed = private_subnet_addresses(network, max_tasks)
    private_prefix = 32 - math.ceil(math.log2(needed))
    largest_subnet_prefix = min(ALB_SUBNET_PREFIX, private_prefix)
    largest_vpc_prefix = largest_subnet_prefix - _SUBNET_NEW_BITS
    prefix = network.vpc_prefix
    if prefix <= largest_vpc_prefix:
        return
    yield Problem(
        "vpcCidr",
        f"a /{prefix} VPC gives /{prefix + _SUBNET_NEW_BITS} subnets; it must be /{largest_vpc_prefix} or larger: "
        f"ALB subnets need /{ALB_SUBNET_PREFIX} and a private subnet must hold {needed} addresses "
        f"({endpoints} endpoint ENIs + {tasks} tasks at maxCount during a deployment + "
        f"{AWS_RESERVED_PER_SUBNET} AWS-reserved, /{private_prefix})",
        network.vpc_cidr,
    )
