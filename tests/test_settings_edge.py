"""Settings of what faces the internet (settings/edge.py): the load balancer's and the firewall's
profile defaults, the certificate's source, and every rejection with its exact one-line message."""

from __future__ import annotations

import pytest

from settings import load_settings
from settings.edge import MANAGED_RULE_GROUPS
from tests.support import config_with, rejection


@pytest.mark.parametrize("stack, protected, days", [("prod", True, 365), ("staging", False, 30)])
def test_load_balancer_defaults_per_profile(stack, protected, days):
    settings = load_settings(stack, config_with(stack, {})).load_balancer
    assert (settings.deletion_protection, settings.access_log_expiry_days) == (protected, days)
    assert settings.tls_policy == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    assert (settings.test_listener_port, settings.test_listener_cidrs) == (8443, [])


@pytest.mark.parametrize("stack, mode", [("prod", "block"), ("staging", "count")])
def test_managed_rules_block_in_prod_and_count_in_staging(stack, mode):
    assert load_settings(stack, config_with(stack, {})).firewall.managed_rules == {g: mode for g in MANAGED_RULE_GROUPS}


def test_switching_one_managed_group_keeps_the_profile_mode_of_the_others():
    overrides = {"webapp:firewall": {"managedRules": {"AWSManagedRulesSQLiRuleSet": "count"}}}
    rules = load_settings("prod", config_with("prod", overrides)).firewall.managed_rules
    assert rules["AWSManagedRulesSQLiRuleSet"] == "count"
    assert rules["AWSManagedRulesCommonRuleSet"] == "block"


@pytest.mark.parametrize(
    "load_balancer, line",
    [
        (
            {"testListenerCidrs": ["10.0.0.300/32"]},
            "prod: loadBalancer.testListenerCidrs[0]: not an IPv4 or IPv6 CIDR: '10.0.0.300/32' does not appear to be "
            "an IPv4 or IPv6 network (got 10.0.0.300/32)",
        ),
        (
            {"testListenerCidrs": ["198.51.100.0/24", "office"]},
            "prod: loadBalancer.testListenerCidrs[1]: not an IPv4 or IPv6 CIDR: 'office' does not appear to be an "
            "IPv4 or IPv6 network (got office)",
        ),
        (
            {"testListenerCidrs": ["10.0.0.1/24"]},
            "prod: loadBalancer.testListenerCidrs[0]: not an IPv4 or IPv6 CIDR: 10.0.0.1/24 has host bits set (got 10.0.0.1/24)",
        ),
        (
            {"testListenerCidrs": ["::/0"]},
            "prod: loadBalancer.testListenerCidrs[0]: the test listener must not be open to the whole internet (got ::/0)",
        ),
        (
            {"tlsPolicy": "ELBSecurityPolicy-2016-08"},
            "prod: loadBalancer.tlsPolicy: must be one of AWS's TLS 1.3 policies with a TLS 1.2 floor: "
            "ELBSecurityPolicy-TLS13-1-2-2021-06, ELBSecurityPolicy-TLS13-1-2-Res-2021-06, "
            "ELBSecurityPolicy-TLS13-1-3-2021-06, ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04, "
            "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04, ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04 "
            "(got ELBSecurityPolicy-2016-08)",
        ),
        (
            {"tlsPolicy": "ELBSecurityPolicy-TLS13-1-0-2021-06"},
            "prod: loadBalancer.tlsPolicy: must be one of AWS's TLS 1.3 policies with a TLS 1.2 floor: "
            "ELBSecurityPolicy-TLS13-1-2-2021-06, ELBSecurityPolicy-TLS13-1-2-Res-2021-06, "
            "ELBSecurityPolicy-TLS13-1-3-2021-06, ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04, "
            "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04, ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04 "
            "(got ELBSecurityPolicy-TLS13-1-0-2021-06)",
        ),
        (
            {"deletionProtection": False},
            "prod: loadBalancer.deletionProtection: prod keeps deletion protection on (got false)",
        ),
        (
            {"hstsMaxAgeSeconds": 86400},
            "prod: loadBalancer.hstsMaxAgeSeconds: must be at least 31536000 (one year) (got 86400)",
        ),
        (
            {"testListenerPort": 443},
            "prod: loadBalancer.testListenerPort: must differ from the public ports 80, 443 (got 443)",
        ),
    ],
)
def test_load_balancer_rejections(load_balancer, line):
    assert rejection("prod", {"webapp:loadBalancer": load_balancer}) == [line]


def test_the_certificate_comes_from_its_arn_or_from_a_hosted_zone_that_validates_it():
    assert rejection("prod", {"webapp:dns": {"hostedZoneId": None}}) == [
        "prod: dns.certificateArn: set certificateArn, or hostedZoneId so a certificate can be validated by DNS "
        "(got nothing)"
    ]
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12
    settings = load_settings(
        "prod", config_with("prod", {"webapp:dns": {"hostedZoneId": None, "certificateArn": certificate}})
    )
    assert settings.dns.certificate_arn == certificate


def test_firewall_rejects_a_rule_mode_it_does_not_know():
    assert rejection("prod", {"webapp:firewall": {"managedRules": {"AWSManagedRulesSQLiRuleSet": "alert"}}}) == [
        "prod: firewall.managedRules.AWSManagedRulesSQLiRuleSet: input should be 'block', 'count' or 'off' (got alert)"
    ]


def test_firewall_rejects_a_managed_group_it_does_not_run():
    (line,) = rejection("prod", {"webapp:firewall": {"managedRules": {"AWSManagedRulesBotControlRuleSet": "block"}}})
    assert line.startswith("prod: firewall.managedRules.AWSManagedRulesBotControlRuleSet")
    assert line.endswith("(got AWSManagedRulesBotControlRuleSet)")
