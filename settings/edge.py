"""Settings of what faces the internet: the domain and its certificate."""

from __future__ import annotations

from typing import Iterator, Optional

from pydantic import Field

from .base import Model, Problem


class DnsSettings(Model):
    domain: str = Field(max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
    hosted_zone_id: Optional[str] = Field(default=None, pattern=r"^Z[A-Z0-9]{1,31}$")
    certificate_arn: Optional[str] = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$"
    )

    def problems(self, tier: str) -> Iterator[Problem]:
        if not self.certificate_arn and not self.hosted_zone_id:
            yield Problem("certificateArn", "set certificateArn, or hostedZoneId so a certificate can be validated by DNS", None)


class LoadBalancerSettings(Model):
    """The internet-facing ALB (issue: service path)."""

    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)


class FirewallSettings(Model):
    """The WAFv2 web ACL in front of the ALB (issue: service path)."""

    rate_limit_per_5_minutes: int = Field(default=2000, ge=10, le=2_000_000_000)
