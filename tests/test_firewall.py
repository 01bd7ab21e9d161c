"""The web application firewall: association with the ALB, rules, metrics and logging.

The first tests read the firewall built alone (tests.components_support) from prod's settings with
another rate limit, log retention and a mix of managed rule modes; the others read it in the
stacks."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.firewall import Firewall, FirewallArgs
from settings import StackSettings
from settings.edge import MANAGED_RULE_GROUPS, FirewallSettings
from tests.components_support import CONTEXT, LOG_KEY, build, settings_with
from tests.service_path import statements
from tests.support import Synth

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


def acl(stack: Synth) -> dict:
    return stack.one(WEB_ACL)


def rules(stack: Synth) -> dict[str, dict]:
    return {rule["name"]: rule for rule in acl(stack)["inputs"]["rules"]}


def managed_modes(stack: Synth) -> dict[str, str]:
    """Managed group -> "block" or "count", from each rule's override action."""
    return {
        rule["statement"]["managedRuleGroupStatement"]["name"]: next(iter(rule["overrideAction"])).replace(
            "none", "block"
        )
        for rule in rules(stack).values()
        if "managedRuleGroupStatement" in rule["statement"]
    }


ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/webapp-prod-alb/50dc6c495c0c9188"
MIXED = {
    "rateLimitPer5Minutes": 1500,
    "logRetentionDays": 90,
    "managedRules": {"AWSManagedRulesCommonRuleSet": "count", "AWSManagedRulesKnownBadInputsRuleSet": "off"},
}


@pytest.fixture(scope="module")
def settings() -> StackSettings:
    return settings_with("prod", {"webapp:firewall": MIXED})


@pytest.fixture(scope="module")
def alone(settings) -> Synth:
    """The firewall alone in front of an ALB, through the stack's provider as the composition
    builds it, with the ACL's metric dimension (what the alarms watch) as the output `metric_name`."""

    def program() -> None:
        provider = aws.Provider("aws", region=CONTEXT.region)
        firewall = Firewall(
            "firewall",
            FirewallArgs(settings=settings.firewall, context=CONTEXT, resource_arn=ALB, log_key_arn=LOG_KEY),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        pulumi.export("metric_name", firewall.metric_name)

    return build("prod", program)


def visibility(metric_name: str) -> dict:
    return {"cloudwatchMetricsEnabled": True, "metricName": metric_name, "sampledRequestsEnabled": True}


def test_every_resource_of_the_firewall_is_its_own_and_made_through_the_provider_it_is_given(alone):
    component = alone.one("webapp:components:Firewall")["urn"]
    provider = alone.one("pulumi:providers:aws")["urn"]
    resources = [r for r in alone.resources if r["custom"] and r["type"].startswith("aws:")]
    assert len(resources) == 5
    for resource in resources:
        assert resource["parent"] == component, resource["name"]
        assert resource["provider"].startswith(f"{provider}::"), resource["name"]


def test_the_acl_allows_by_default_limits_each_ip_then_runs_each_managed_group_as_configured(alone, settings):
    # A group counting only reports what it would block (override action count), a blocking one
    # keeps its own actions (none), one switched off is left out and the others keep their
    # priority; metrics and sampled requests on the ACL and on each rule, each under its own name.
    acl = alone.one("aws:wafv2/webAcl:WebAcl", "firewall-acl")["inputs"]
    assert acl == {
        "description": "Rate limit and AWS managed rules in front of the ALB",
        "scope": "REGIONAL",
        "defaultAction": {"allow": {}},
        "visibilityConfig": visibility("prod-firewall"),
        "rules": [
            {
                "name": "rate-limit",
                "priority": 0,
                "action": {"block": {}},
                "statement": {
                    "rateBasedStatement": {
                        "limit": settings.firewall.rate_limit_per_5_minutes,
                        "aggregateKeyType": "IP",
                        "evaluationWindowSec": 300,
                    }
                },
                "visibilityConfig": visibility("prod-firewall-rate-limit"),
            },
            *(
                {
                    "name": group,
                    "priority": priority,
                    "overrideAction": {override: {}},
                    "statement": {"managedRuleGroupStatement": {"name": group, "vendorName": "AWS"}},
                    "visibilityConfig": visibility(f"prod-firewall-{group}"),
                }
                for group, priority, override in (
                    ("AWSManagedRulesAmazonIpReputationList", 1, "none"),
                    ("AWSManagedRulesCommonRuleSet", 2, "count"),
                    ("AWSManagedRulesSQLiRuleSet", 4, "none"),
                )
            ),
        ],
    }
    assert alone.outputs["metric_name"] == "prod-firewall"


def test_a_managed_group_the_settings_do_not_name_is_off():
    # The profiles name every group; a FirewallSettings made another way may name fewer, and a
    # group it leaves out must not start blocking traffic.
    chosen = FirewallSettings(managed_rules={"AWSManagedRulesCommonRuleSet": "count"})

    def program() -> None:
        Firewall("firewall", FirewallArgs(settings=chosen, context=CONTEXT, resource_arn=ALB, log_key_arn=LOG_KEY))

    rules = build("prod", program).one("aws:wafv2/webAcl:WebAcl")["inputs"]["rules"]
    assert [(rule["name"], rule.get("overrideAction")) for rule in rules] == [
        ("rate-limit", None),
        ("AWSManagedRulesCommonRuleSet", {"count": {}}),
    ]


def test_the_acl_is_associated_with_the_resource_it_protects(alone):
    association = alone.one("aws:wafv2/webAclAssociation:WebAclAssociation", "firewall-association")
    assert association["inputs"] == {
        "resourceArn": ALB,
        "webAclArn": alone.one("aws:wafv2/webAcl:WebAcl")["outputs"]["arn"],
    }


def test_full_logs_go_redacted_to_an_encrypted_aws_waf_logs_group_kept_as_configured(alone, settings):
    # WAF logs only to a log group whose name starts with aws-waf-logs-.
    group = alone.one(LOG_GROUP, "firewall-logs")
    assert group["inputs"] == {
        "name": "aws-waf-logs-prod-firewall",
        "retentionInDays": settings.firewall.log_retention_days,
        "kmsKeyId": LOG_KEY,
    }
    logging = alone.one(LOGGING, "firewall-logging")
    assert logging["inputs"] == {
        "resourceArn": alone.one("aws:wafv2/webAcl:WebAcl")["outputs"]["arn"],
        "logDestinationConfigs": [group["outputs"]["arn"]],
        "redactedFields": [
            {"singleHeader": {"name": "authorization"}},
            {"singleHeader": {"name": "cookie"}},
            {"queryString": {}},
        ],
    }
    # The delivery policy first: without it WAF adds an account-wide one of its own.
    delivery = alone.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "firewall-log-delivery")
    assert logging["options"]["dependsOn"] == [delivery["urn"]]


def test_only_this_accounts_log_delivery_may_write_into_the_waf_log_group(alone):
    delivery = alone.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "firewall-log-delivery")["inputs"]
    arn = alone.one(LOG_GROUP)["outputs"]["arn"]
    assert delivery["policyName"] == "prod-firewall-log-delivery"
    assert json.loads(delivery["policyDocument"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WafLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{arn}:*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": "123456789012"},
                    "ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:*"},
                },
            }
        ],
    }


def test_the_firewall_registers_its_acl_and_log_group(alone):
    acl = alone.one("aws:wafv2/webAcl:WebAcl")
    assert alone.one("webapp:components:Firewall")["outputs"] == {
        "web_acl_arn": acl["outputs"]["arn"],
        "web_acl_name": acl["outputs"]["name"],
        "log_group": "aws-waf-logs-prod-firewall",
    }


def test_web_acl_is_regional_and_associated_with_the_alb(prod):
    assert acl(prod)["inputs"]["scope"] == "REGIONAL"
    association = prod.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert prod.depends_on(association, "resourceArn") == [prod.one("aws:lb/loadBalancer:LoadBalancer")]
    assert prod.depends_on(association, "webAclArn") == [acl(prod)]
    assert prod.outputs["webAclArn"] == acl(prod)["outputs"]["arn"]


def test_rate_rule_blocks_an_ip_above_2000_requests_per_5_minutes(prod):
    rule = rules(prod)["rate-limit"]
    assert rule["action"] == {"block": {}}
    statement = rule["statement"]["rateBasedStatement"]
    assert (statement["limit"], statement["aggregateKeyType"], statement["evaluationWindowSec"]) == (
        2000.0,
        "IP",
        300.0,
    )


def test_rate_rule_is_evaluated_first(prod):
    assert min(rules(prod).values(), key=lambda r: r["priority"])["name"] == "rate-limit"


def test_prod_blocks_with_every_aws_managed_group(prod):
    assert managed_modes(prod) == {group: "block" for group in MANAGED_RULE_GROUPS}
    assert all(
        r["statement"]["managedRuleGroupStatement"]["vendorName"] == "AWS"
        for r in rules(prod).values()
        if r["name"] != "rate-limit"
    )


def test_staging_runs_managed_groups_in_count_mode(staging):
    assert managed_modes(staging) == {group: "count" for group in MANAGED_RULE_GROUPS}
    assert rules(staging)["rate-limit"]["action"] == {"block": {}}


def test_a_managed_group_switched_off_is_absent_and_the_others_keep_their_priority(prod, optional_prod):
    custom = optional_prod
    assert "AWSManagedRulesSQLiRuleSet" not in rules(custom)
    kept = {name: rule["priority"] for name, rule in rules(custom).items()}
    assert kept == {name: rule["priority"] for name, rule in rules(prod).items() if name in kept}


def test_priorities_are_unique(prod):
    priorities = [rule["priority"] for rule in rules(prod).values()]
    assert len(set(priorities)) == len(priorities)


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_metrics_and_sampling_on_the_acl_and_every_rule(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    configs = [acl(stack)["inputs"]["visibilityConfig"]] + [r["visibilityConfig"] for r in rules(stack).values()]
    assert all(c["cloudwatchMetricsEnabled"] and c["sampledRequestsEnabled"] for c in configs)
    names = [c["metricName"] for c in configs]
    assert len(set(names)) == len(names)


def test_logs_go_to_an_encrypted_aws_waf_logs_group(prod):
    logging = prod.one(LOGGING)
    assert prod.depends_on(logging, "resourceArn") == [acl(prod)]
    (group,) = prod.depends_on(logging, "logDestinationConfigs")
    assert group["type"] == LOG_GROUP
    assert group["inputs"]["name"].startswith("aws-waf-logs-")
    assert prod.depends_on(group, "kmsKeyId") == [prod.one("aws:kms/key:Key", "logs-key")]
    assert group["inputs"]["retentionInDays"] == 365.0


def test_logs_redact_the_query_string_and_the_authorization_and_cookie_headers(prod):
    redacted = prod.one(LOGGING)["inputs"]["redactedFields"]
    assert sorted(field["singleHeader"]["name"] for field in redacted if "singleHeader" in field) == [
        "authorization",
        "cookie",
    ]
    assert [field for field in redacted if "queryString" in field] == [{"queryString": {}}]


def test_only_log_delivery_of_this_account_may_write_the_waf_logs(prod):
    policy = prod.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    group = prod.depends_on(prod.one(LOGGING), "logDestinationConfigs")[0]
    (statement,) = statements(policy)
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Resource"] == f"{group['outputs']['arn']}:*"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert policy["urn"] in prod.one(LOGGING)["options"]["dependsOn"]
