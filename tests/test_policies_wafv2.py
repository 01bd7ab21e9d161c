"""WAFv2 policies: the compliant web ACL, its breaks and an ACL without logging, which
tests/test_policies.py runs; here the messages, and rules given as rule resources or rule JSON."""

import json

from tests.policy_support import ACCOUNT, DELETE, PolicyTable, document, messages, resource, variant_urn

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
TABLE = (
    PolicyTable(ACL, ASSOC, LOG)
    .breaks("acl", ACL_BREAKS)
    .breaks("acl-logs", LOG_BREAKS, on="acl")
    .variant("unlogged", [ACL, ASSOC], on="acl", fires="aws-wafv2-web-acl-logging")
)


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
