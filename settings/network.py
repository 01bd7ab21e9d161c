"""Network settings: VPC address space, AZ spread, NAT mode, endpoints and flow logs."""

from __future__ import annotations

import ipaddress
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
_SMALLEST_AWS_SUBNET = 28
LARGEST_VPC_PREFIX = _SMALLEST_AWS_SUBNET - _SUBNET_NEW_BITS  # /24
MIN_AZS = {"prod": 3, "staging": 2}


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
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"not an IPv4 network CIDR: {exc}") from None
        if not 16 <= network.prefixlen <= LARGEST_VPC_PREFIX:
            raise ValueError(
                f"prefix must be /16 to /{LARGEST_VPC_PREFIX} so that {len(TIERS)} tiers x "
                f"{MAX_AZS} AZs of subnets (at least /{_SMALLEST_AWS_SUBNET}) fit in the VPC"
            )
        if not network.is_private:
            raise ValueError("must be a private (RFC 1918) range")
        return value

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

    def subnet_cidr(self, tier: str, az_index: int) -> str:
        """CIDR of the subnet of `tier` in the AZ at `az_index`; stable when AZs are added."""
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        subnets = list(vpc.subnets(new_prefix=vpc.prefixlen + _SUBNET_NEW_BITS))
        return str(subnets[TIERS.index(tier) * MAX_AZS + az_index])
