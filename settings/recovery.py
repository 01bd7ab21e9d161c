"""Recovery site settings: the pilot light in `database.backupReplicationRegion` that a region-loss
recovery restores the database into (components/recovery_site.py). Built only when
`database.crossRegionBackups` is on."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Annotated

from pydantic import AfterValidator, Field

from .base import LogRetentionDays, Model, Problem
from .network import MAX_AZS, check_vpc_cidr, tier_subnet_cidr

# The site's tiers: subnets for the recovered services and for the restored data stores.
RECOVERY_TIERS = ("private", "isolated")
# Subnets are the VPC's prefix + 4 (settings.network); RDS and ElastiCache subnets need room for
# their ENIs, and a /28 (11 usable addresses) is the smallest subnet AWS allows.
MAX_RECOVERY_PREFIX = 24


class RecoverySettings(Model):
    # Not overlapping the primary VPC (network.vpcCidr), so the two can be peered for a fail-back
    # copy; 10.200.0.0/20 gives /24 subnets.
    vpc_cidr: Annotated[str, AfterValidator(check_vpc_cidr)] = "10.200.0.0/20"
    # RDS Multi-AZ and a DB subnet group need subnets in at least two AZs.
    az_count: int = Field(default=3, ge=2, le=MAX_AZS)
    flow_log_retention_days: LogRetentionDays = 365

    def problems(self, profile: str) -> Iterator[Problem]:
        prefix = ipaddress.IPv4Network(self.vpc_cidr).prefixlen
        if prefix > MAX_RECOVERY_PREFIX:
            yield Problem(
                "vpcCidr",
                f"must be /{MAX_RECOVERY_PREFIX} or larger so each subnet is at least /{MAX_RECOVERY_PREFIX + 4}",
                self.vpc_cidr,
            )

    def subnet_cidr(self, tier: str, az_index: int) -> str:
        """Same layout as the primary VPC (settings.network): stable when AZs are added."""
        return tier_subnet_cidr(self.vpc_cidr, tier, az_index)


def overlap_problems(recovery: RecoverySettings, primary_cidr: str) -> Iterator[Problem]:
    """The recovery VPC must not overlap the primary one: a peering (fail-back copy) and a DR
    stack's routes need distinct address spaces."""
    if ipaddress.IPv4Network(recovery.vpc_cidr).overlaps(ipaddress.IPv4Network(primary_cidr)):
        yield Problem("recovery.vpcCidr", f"overlaps network.vpcCidr ({primary_cidr})", recovery.vpc_cidr)
