"""Settings of what faces the internet: the domain and its certificate, the load balancer, and
the web application firewall in front of it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field

from .base import LogRetentionDays, Model, Problem

# AWS's TLS 1.3 security policies for ALB HTTPS listeners that keep TLS 1.2 as the floor with
# forward-secret AEAD ciphers only: the list Security Hub ELB.17 accepts (and the policy pack
# checks). The other TLS13 policies (-1-0, -1-1, -Ext1, -Ext2) re-admit TLS 1.0/1.1 or CBC/SHA-1.
TLS13_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
)
# Ports the ALB already serves to the whole internet; the test listener needs its own.
PUBLIC_PORTS = (80, 443)
# AWS managed rule groups the web ACL can run, in evaluation order (cheap IP reputation first).
ManagedRuleGroup = Literal[
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
]
MANAGED_RULE_GROUPS: tuple[ManagedRuleGroup, ...] = get_args(ManagedRuleGroup)
RuleMode = Literal["block", "count", "off"]
# HSTS max-age floor: one year, what browsers' preload lists and OWASP ask for.
HSTS_MIN_MAX_AGE_SECONDS = 31_536_000


def _tls_policy(value: str) -> str:
    if value not in TLS13_POLICIES:
        raise ValueError(f"must be one of AWS's TLS 1.3 policies with a TLS 1.2 floor: {', '.join(TLS13_POLICIES)}")
    return value


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"not an IPv4 or IPv6 CIDR: {exc}") from None
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]


class DnsSettings(Model):
    domain: str = Field(max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
    hosted_zone_id: str | None = Field(default=None, pattern=r"^Z[A-Z0-9]{1,31}$")
    certificate_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$"
    )

    def problems(self, profile: str) -> Iterator[Problem]:
        if not self.certificate_arn and not self.hosted_zone_id:
            yield Problem(
                "certificateArn", "set certificateArn, or hostedZoneId so a certificate can be validated by DNS", None
            )


class LoadBalancerSettings(Model):
    """The internet-facing ALB, its listeners and its access logs."""

    # The -Res- (restricted) policy: TLS 1.2 with AES-GCM/ChaCha20 ECDHE suites only; the plain
    # TLS13-1-2 policy still admits CBC suites.
    tls_policy: Annotated[str, AfterValidator(_tls_policy)] = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    # Strict-Transport-Security max-age the HTTPS listeners send (with includeSubDomains).
    hsts_max_age_seconds: int = HSTS_MIN_MAX_AGE_SECONDS
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)
    deletion_protection: bool
    desync_mitigation_mode: Literal["defensive", "strictest"] = "defensive"
    # S3 lifecycle expiry of the access logs.
    access_log_expiry_days: int = Field(ge=1, le=3650)
    # The test listener exposes the alternate (green) target group during a blue/green deploy.
    test_listener_port: int = Field(default=8443, ge=1, le=65535)
    test_listener_cidrs: list[Cidr] = []

    def problems(self, profile: str) -> Iterator[Problem]:
        if profile == "prod" and not self.deletion_protection:
            yield Problem("deletionProtection", "prod keeps deletion protection on", self.deletion_protection)
        if self.hsts_max_age_seconds < HSTS_MIN_MAX_AGE_SECONDS:
            yield Problem(
                "hstsMaxAgeSeconds",
                f"must be at least {HSTS_MIN_MAX_AGE_SECONDS} (one year)",
                self.hsts_max_age_seconds,
            )
        if self.test_listener_port in PUBLIC_PORTS:
            public = ", ".join(map(str, PUBLIC_PORTS))
            yield Problem("testListenerPort", f"must differ from the public ports {public}", self.test_listener_port)
        for index, cidr in enumerate(self.test_listener_cidrs):
            if ipaddress.ip_network(cidr).prefixlen == 0:
                yield Problem(
                    f"testListenerCidrs[{index}]", "the test listener must not be open to the whole internet", cidr
                )


class FirewallSettings(Model):
    """The WAFv2 web ACL in front of the ALB."""

    # Requests one client IP may send in any 5 minutes before it is blocked (AWS accepts 10+).
    rate_limit_per_5_minutes: int = Field(default=2000, ge=10, le=2_000_000_000)
    # Each AWS managed rule group blocks, only counts (to tune false positives), or is off.
    managed_rules: dict[ManagedRuleGroup, RuleMode]
    log_retention_days: LogRetentionDays = 365
