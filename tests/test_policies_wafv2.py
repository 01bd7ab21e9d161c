"""WAFv2 policies: the compliant web ACL, its breaks and an ACL without logging, which
tests/test_policies.py runs; here the messages, rules given as rule resources, rule group
associations or rule JSON, what ties a resource to its ACL, unknowns, and log destinations."""

import json

import pytest

from tests.policy_support import ACCOUNT, DELETE, UNKNOWN, PolicyTable, document, messages, resource, variant_urn

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_RULE = "aws:wafv2/webAclRule:WebAclRule"
RULE_GROUP_ASSOCIATION = "aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation"
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


MANAGED_RULES = "aws-wafv2-web-acl-managed-rules"
LOGGING_POLICY = "aws-wafv2-web-acl-logging"
COMMON, BAD_INPUTS = "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"


def test_each_break_tells_the_reviewer_what_is_wrong(report):
    """The PR report shows these lines under the web ACL."""
    said = {
        variant: [v.message for v in report.violations if v.urn == variant_urn(ACL, variant)] for variant in TABLE.cases
    }
    assert said == {
        "no-rules": [
            "has no rules, so only its default action applies",
            f"does not use the managed rule group {COMMON}",
            f"does not use the managed rule group {BAD_INPUTS}",
        ],
        "no-bad-inputs": [f"does not use the managed rule group {BAD_INPUTS}"],
        "common-counts": [f"uses {COMMON} only in count mode, so it blocks nothing"],
        "cloudfront-scope": ["scope is 'CLOUDFRONT'; a web ACL associated with a load balancer is REGIONAL"],
        "acl-metrics-off": ["visibilityConfig.cloudwatchMetricsEnabled is false"],
        "acl-samples-off": ["visibilityConfig.sampledRequestsEnabled is false"],
        "rule-metrics-off": ["rules[0].visibilityConfig.cloudwatchMetricsEnabled is false"],
        "badly-named-destination": [
            f"logs to arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/waf/test, whose name does not start with aws-waf-logs-"
        ],
        "unlogged": ["no WAFv2 logging configuration names it as resourceArn"],
    }


def common_only(name: str) -> dict:
    """A web ACL whose own rules hold the common rule set but not the known-bad-inputs one."""
    return resource(WEB_ACL, name, {**ACL["inputs"], "rules": ACL["inputs"]["rules"][:1]})


def association(name: str, acl: dict, override: str, deps: dict | None = None) -> dict:
    return resource(
        RULE_GROUP_ASSOCIATION,
        name,
        {
            "webAclArn": ACL_ARN,
            "ruleName": BAD_INPUTS,
            "priority": 20.0,
            "managedRuleGroup": {"name": BAD_INPUTS, "vendorName": "AWS"},
            "overrideAction": override,
            "visibilityConfig": visibility(BAD_INPUTS),
        },
        deps=deps or {"webAclArn": [acl["urn"]]},
    )


@pytest.mark.parametrize(
    "override, said", [("none", []), ("count", [f"uses {BAD_INPUTS} only in count mode, so it blocks nothing"])]
)
def test_a_rule_group_association_counts_unless_it_only_counts(policy_pack, override, said):
    # The association's override action is a string, "none" or "count" (the provider's values).
    acl = common_only("associated")
    result = policy_pack.check(document(acl, association("associated-bad-inputs", acl, override)))
    assert messages(result, MANAGED_RULES) == said


def test_a_rule_resource_in_count_mode_blocks_nothing(policy_pack):
    acl = common_only("ruled")
    counting = {**managed_rule(BAD_INPUTS, 20.0), "overrideAction": {"count": {}}}
    rule = resource(
        WEB_ACL_RULE, "ruled-bad-inputs", {"webAclArn": ACL_ARN, **counting}, deps={"webAclArn": [acl["urn"]]}
    )
    assert messages(policy_pack.check(document(acl, rule)), MANAGED_RULES) == [
        f"uses {BAD_INPUTS} only in count mode, so it blocks nothing"
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


def json_rules(name: str, *rules: dict) -> dict:
    """A web ACL whose rules are given as rule JSON (the WAFv2 API's own casing)."""
    inputs = {k: v for k, v in ACL["inputs"].items() if k != "rules"}
    return resource(WEB_ACL, name, {**inputs, "ruleJson": json.dumps(list(rules))})


def json_rule(name: str, priority: int, **changes) -> dict:
    return {
        "Name": name,
        "Priority": priority,
        "OverrideAction": {"None": {}},
        "Statement": {"ManagedRuleGroupStatement": {"Name": name, "VendorName": "AWS"}},
        "VisibilityConfig": {"CloudWatchMetricsEnabled": True, "MetricName": name, "SampledRequestsEnabled": True},
        **changes,
    }


def test_rules_given_as_json_count(policy_pack):
    acl = json_rules("json", json_rule(COMMON, 0), json_rule(BAD_INPUTS, 1))
    result = policy_pack.check(document(acl))
    assert [
        v.policy
        for v in result.violations
        if v.policy in ("aws-wafv2-web-acl-managed-rules", "aws-wafv2-web-acl-metrics")
    ] == []


def test_a_rule_given_as_json_in_count_mode_blocks_nothing(policy_pack):
    acl = json_rules("json-counting", json_rule(COMMON, 0), json_rule(BAD_INPUTS, 1, OverrideAction={"Count": {}}))
    assert messages(policy_pack.check(document(acl)), MANAGED_RULES) == [
        f"uses {BAD_INPUTS} only in count mode, so it blocks nothing"
    ]


def test_a_rule_given_as_json_without_metrics_is_named(policy_pack):
    unseen = {"CloudWatchMetricsEnabled": False, "MetricName": BAD_INPUTS, "SampledRequestsEnabled": True}
    acl = json_rules("json-unseen", json_rule(COMMON, 0), json_rule(BAD_INPUTS, 1, VisibilityConfig=unseen))
    assert messages(policy_pack.check(document(acl)), "aws-wafv2-web-acl-metrics") == [
        "ruleJson[1].VisibilityConfig.CloudWatchMetricsEnabled is false"
    ]


def _other_acls(kind: str, acl: dict, other: dict) -> dict:
    """A resource of `other` web ACL (by its webAclArn, or resourceArn for a logging
    configuration) that takes one other input from `acl`: a rule or a rule group association
    named after it, an association with the load balancer, a logging configuration."""
    if kind == "rule":
        return resource(
            WEB_ACL_RULE,
            "other-rule",
            {"webAclArn": ACL_ARN, **managed_rule(BAD_INPUTS, 20.0)},
            deps={"webAclArn": [other["urn"]], "name": [acl["urn"]]},
        )
    if kind == "rule-group-association":
        return association("other-association", other, "none", {"webAclArn": [other["urn"]], "ruleName": [acl["urn"]]})
    if kind == "load-balancer-association":
        return resource(
            ASSOCIATION,
            "other-alb",
            {"webAclArn": ACL_ARN, "resourceArn": "arn:alb"},
            deps={"webAclArn": [other["urn"]], "resourceArn": [acl["urn"]]},
        )
    return resource(
        LOGGING,
        "other-logs",
        {"resourceArn": ACL_ARN, "logDestinationConfigs": [LOG_GROUP_ARN]},
        deps={"resourceArn": [other["urn"]], "logDestinationConfigs": [acl["urn"]]},
    )


@pytest.mark.parametrize(
    "kind, policy, said",
    [
        ("rule", MANAGED_RULES, [f"does not use the managed rule group {BAD_INPUTS}"]),
        ("rule-group-association", MANAGED_RULES, [f"does not use the managed rule group {BAD_INPUTS}"]),
        ("load-balancer-association", MANAGED_RULES, [f"does not use the managed rule group {BAD_INPUTS}"]),
        ("logging-configuration", LOGGING_POLICY, ["no WAFv2 logging configuration names it as resourceArn"]),
    ],
)
def test_only_the_input_naming_the_web_acl_makes_a_resource_its_own(policy_pack, kind, policy, said):
    """A rule, association or logging configuration is a web ACL's through webAclArn (resourceArn
    for logging); another ACL's that takes some other input from this one is not this one's."""
    acl = resource(WEB_ACL, "edge", {**common_only("edge")["inputs"], "scope": "CLOUDFRONT"})
    other = resource(WEB_ACL, "other", ACL["inputs"])
    result = policy_pack.check(document(acl, other, _other_acls(kind, acl, other)))
    assert messages(result, policy, acl["urn"]) == said


def test_a_web_acl_whose_rule_resource_is_unknown_is_judged_at_the_next_preview(policy_pack):
    acl = common_only("pending")
    rule = resource(
        WEB_ACL_RULE,
        "pending-rule",
        {"webAclArn": ACL_ARN, **managed_rule(BAD_INPUTS, 20.0), "statement": UNKNOWN},
        deps={"webAclArn": [acl["urn"]]},
    )
    assert messages(policy_pack.check(document(acl, rule)), MANAGED_RULES) == []


def test_a_missing_rule_group_is_named_while_the_rest_of_a_rule_is_unknown(policy_pack):
    # The metric name of the rule that is there tells nothing about the rule group that is not.
    acl = common_only("unnamed-metric")
    acl["inputs"]["rules"][0]["visibilityConfig"] = {**visibility(COMMON), "metricName": UNKNOWN}
    assert messages(policy_pack.check(document(acl)), MANAGED_RULES) == [
        f"does not use the managed rule group {BAD_INPUTS}"
    ]


@pytest.mark.parametrize("unknown", ["rules", "rule-resource"])
def test_the_web_acls_after_one_judged_at_the_next_preview_are_still_checked(policy_pack, unknown):
    pending = resource(WEB_ACL, "a-pending", {**ACL["inputs"], "rules": UNKNOWN if unknown == "rules" else []})
    records = [pending, common_only("zz-checked")]
    if unknown == "rule-resource":
        records.append(
            resource(
                WEB_ACL_RULE,
                "a-pending-rule",
                {"webAclArn": ACL_ARN, **managed_rule(COMMON, 10.0), "overrideAction": UNKNOWN},
                deps={"webAclArn": [pending["urn"]]},
            )
        )
    result = policy_pack.check(document(*records))
    assert {v.urn: v.message for v in result.by_policy(MANAGED_RULES)} == {
        records[1]["urn"]: f"does not use the managed rule group {BAD_INPUTS}"
    }


@pytest.mark.parametrize(
    "destination",
    [
        f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/aws-waf-logs-test",
        f"arn:aws:s3:::aws-waf-logs-{ACCOUNT}-test",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:aws-waf-logs-web/test",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:aws-waf-logs-test:*",
    ],
    ids=["firehose", "s3", "log-group-with-a-path", "log-group-with-its-suffix"],
)
def test_each_kind_of_log_destination_is_judged_by_its_name(policy_pack, destination):
    """WAF logs to a CloudWatch log group, an S3 bucket or a Firehose stream whose name starts
    with aws-waf-logs-; the name is the part of the ARN after log-group:, ::: or deliverystream/."""
    log = resource(
        LOGGING, "acl-logs", {**LOG["inputs"], "logDestinationConfigs": [destination]}, deps=LOG["propertyDependencies"]
    )
    assert messages(policy_pack.check(document(ACL, log)), LOGGING_POLICY) == []


def test_every_logging_configuration_of_a_web_acl_is_checked(policy_pack):
    # Two configurations of one web ACL fight over its one logging configuration: one whose
    # destinations are not known yet does not excuse a badly named one.
    pending = resource(
        LOGGING, "acl-logs-a", {**LOG["inputs"], "logDestinationConfigs": UNKNOWN}, deps=LOG["propertyDependencies"]
    )
    bad = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/waf/test"
    badly_named = resource(
        LOGGING, "acl-logs-b", {**LOG["inputs"], "logDestinationConfigs": [bad]}, deps=LOG["propertyDependencies"]
    )
    result = policy_pack.check(document(ACL, pending, badly_named))
    assert messages(result, LOGGING_POLICY) == [f"logs to {bad}, whose name does not start with aws-waf-logs-"]
