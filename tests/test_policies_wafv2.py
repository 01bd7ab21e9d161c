"""WAFv2 policies, driven through the analyzer protocol: a compliant web ACL (inline rules, rule
resources or rule JSON) passes, each single broken property is caught by its policy alone,
unknowns never violate."""

import json

import pytest

from tests.policy_support import (
    ACCOUNT,
    DELETE,
    broken,
    document,
    fired,
    messages,
    renamed,
    resource,
    variant_urn,
    with_unknowns,
)

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_RULE = "aws:wafv2/webAclRule:WebAclRule"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
ACL_ARN = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/acl/0a1b2c3d"
LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:aws-waf-logs-test"


def visibility(name: str) -> dict:
    return {"cloudwatchMetricsEnabled": True, "metricName": name, "sampledRequestsEnabled": True}


def managed_rule(name: str, priority: float) -> dict:
    return {
        "name": name,
        "priority": priority,
        "overrideAction": {"none": {}},
        "statement": {"managedRuleGroupStatement": {"name": name, "vendorName": "AWS"}},
        "visibilityConfig": visibility(name),
    }


ACL = resource(
    WEB_ACL,
    "acl",
    {
        "scope": "REGIONAL",
        "defaultAction": {"allow": {}},
        "rules": [
            managed_rule("AWSManagedRulesCommonRuleSet", 10.0),
            managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 20.0),
        ],
        "visibilityConfig": visibility("acl"),
    },
)
ASSOC = resource(
    ASSOCIATION, "acl-alb", {"webAclArn": ACL_ARN, "resourceArn": "arn:alb"}, deps={"webAclArn": [ACL["urn"]]}
)
LOG = resource(
    LOGGING,
    "acl-logs",
    {"resourceArn": ACL_ARN, "logDestinationConfigs": [LOG_GROUP_ARN]},
    deps={"resourceArn": [ACL["urn"]]},
)
SCENARIO = [ACL, ASSOC, LOG]
ACL_BREAKS = {
    "no-rules": ("aws-wafv2-web-acl-managed-rules", ("rules",), []),
    "no-bad-inputs": ("aws-wafv2-web-acl-managed-rules", ("rules", 1), DELETE),
    "common-counts": ("aws-wafv2-web-acl-managed-rules", ("rules", 0, "overrideAction"), {"count": {}}),
    "cloudfront-scope": ("aws-wafv2-web-acl-managed-rules", ("scope",), "CLOUDFRONT"),
    "acl-metrics-off": ("aws-wafv2-web-acl-metrics", ("visibilityConfig", "cloudwatchMetricsEnabled"), False),
    "acl-samples-off": ("aws-wafv2-web-acl-metrics", ("visibilityConfig", "sampledRequestsEnabled"), False),
    "rule-metrics-off": (
        "aws-wafv2-web-acl-metrics",
        ("rules", 0, "visibilityConfig", "cloudwatchMetricsEnabled"),
        False,
    ),
}
LOG_BREAKS = {
    "badly-named-destination": (
        "aws-wafv2-web-acl-logging",
        ("logDestinationConfigs", 0),
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/waf/test",
    ),
}
WAF_POLICIES = sorted({policy for policy, _, _ in [*ACL_BREAKS.values(), *LOG_BREAKS.values()]})


@pytest.fixture(scope="module")
def report(policy_pack):
    return policy_pack.check(
        document(
            *SCENARIO,
            *broken(SCENARIO, 0, ACL_BREAKS),
            *broken(SCENARIO, 2, LOG_BREAKS),
            *renamed([ACL, ASSOC], "-unlogged"),
        )
    )


@pytest.mark.parametrize("policy", WAF_POLICIES)
def test_compliant_web_acl_passes(report, policy):
    assert messages(report, policy, ACL["urn"]) == []


@pytest.mark.parametrize("variant", ACL_BREAKS)
def test_each_broken_acl_property_is_caught_by_its_policy_alone(report, variant):
    assert fired(report, variant_urn(ACL, variant), WAF_POLICIES) == {ACL_BREAKS[variant][0]}


def test_a_log_destination_without_the_waf_prefix_is_caught(report):
    assert fired(report, variant_urn(ACL, "badly-named-destination"), WAF_POLICIES) == {"aws-wafv2-web-acl-logging"}


def test_an_acl_without_logging_configuration_is_caught(report):
    assert messages(report, "aws-wafv2-web-acl-logging", variant_urn(ACL, "unlogged")) == [
        "no WAFv2 logging configuration names it as resourceArn"
    ]


def test_a_rule_group_in_count_mode_blocks_nothing(report):
    assert messages(report, "aws-wafv2-web-acl-managed-rules", variant_urn(ACL, "common-counts")) == [
        "uses AWSManagedRulesCommonRuleSet only in count mode, so it blocks nothing"
    ]


def test_rules_declared_as_separate_resources_count(policy_pack):
    acl = resource(WEB_ACL, "bare", {**ACL["inputs"], "rules": []})
    rules = [
        resource(
            WEB_ACL_RULE,
            f"rule-{index}",
            {"webAclArn": ACL_ARN, **{k: v for k, v in rule.items()}},
            deps={"webAclArn": [acl["urn"]]},
        )
        for index, rule in enumerate(ACL["inputs"]["rules"])
    ]
    result = policy_pack.check(document(acl, *rules))
    assert messages(result, "aws-wafv2-web-acl-managed-rules") == []


def test_rules_given_as_json_count(policy_pack):
    rule_json = [
        {
            "Name": name,
            "Priority": priority,
            "OverrideAction": {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": {"Name": name, "VendorName": "AWS"}},
            "VisibilityConfig": {"CloudWatchMetricsEnabled": True, "MetricName": name, "SampledRequestsEnabled": True},
        }
        for priority, name in enumerate(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"])
    ]
    inputs = {k: v for k, v in ACL["inputs"].items() if k != "rules"}
    acl = resource(WEB_ACL, "json", {**inputs, "ruleJson": json.dumps(rule_json)})
    result = policy_pack.check(document(acl))
    assert [
        v.policy
        for v in result.violations
        if v.policy in ("aws-wafv2-web-acl-managed-rules", "aws-wafv2-web-acl-metrics")
    ] == []


def test_unknown_values_never_violate(policy_pack):
    result = policy_pack.check(document(*with_unknowns(*SCENARIO)))
    assert [v for v in result.violations if v.policy in WAF_POLICIES] == []
