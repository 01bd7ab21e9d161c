"""The web application firewall: association with the ALB, rules, metrics and logging."""

from __future__ import annotations

import pytest

from settings.edge import MANAGED_RULE_GROUPS
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
