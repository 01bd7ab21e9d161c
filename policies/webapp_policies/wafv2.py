"""WAFv2 web ACLs in front of the load balancer: rules, metrics and logging."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy, stack_policy
from .values import UNKNOWN, BadJson, has_unknown, lookup, show

WEB_ACL = ("aws:wafv2/webAcl:WebAcl",)
WEB_ACL_RULE = ("aws:wafv2/webAclRule:WebAclRule",)
RULE_GROUP_ASSOCIATION = ("aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation",)
WEB_ACL_ASSOCIATION = ("aws:wafv2/webAclAssociation:WebAclAssociation",)
LOGGING_CONFIGURATION = ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",)
LOG_DESTINATION_PREFIX = "aws-waf-logs-"


def _counting(override):
    """Whether an override action turns a rule group into count mode (UNKNOWN if unknown)."""
    if override is UNKNOWN:
        return UNKNOWN
    if isinstance(override, str):
        return override == "count"
    return lookup(override, "count") is not None or lookup(override, "Count") is not None


def _inline_rules(acl):
    """(managed rule group name or None, counts only) for the ACL's own rules, or UNKNOWN; an
    unknown name or override stays in its pair (the check waits for it), while an unknown in the
    rest of a rule (its metric name, say) does not hide a missing rule group."""
    rules = acl.items("rules")
    if rules is UNKNOWN:
        return UNKNOWN
    found = [
        (lookup(rule, "statement.managedRuleGroupStatement.name"), _counting(lookup(rule, "overrideAction")))
        for rule in rules
    ]
    try:
        document = acl.json("ruleJson")
    except BadJson:
        document = None
    if document is UNKNOWN:
        return UNKNOWN
    for rule in document if isinstance(document, list) else []:
        found.append(
            (
                lookup(rule, "Statement.ManagedRuleGroupStatement.Name"),
                _counting(lookup(rule, "OverrideAction")),
            )
        )
    return found


def _side_by_side_rules(stack, acl):
    found = []
    for rule in stack.referencing(acl, WEB_ACL_RULE, "webAclArn"):
        found.append((rule.get("statement.managedRuleGroupStatement.name"), _counting(rule.get("overrideAction"))))
    for association in stack.referencing(acl, RULE_GROUP_ASSOCIATION, "webAclArn"):
        found.append((association.get("managedRuleGroup.name"), _counting(association.get("overrideAction"))))
    return found


def _managed_rules(stack, config):
    for acl in stack.of_type(WEB_ACL):
        inline = _inline_rules(acl)
        if inline is UNKNOWN:
            continue
        rules = inline + _side_by_side_rules(stack, acl)
        if has_unknown(rules):
            continue
        if not rules:
            yield acl.urn, "has no rules, so only its default action applies"
        for group in config["requiredManagedRuleGroups"]:
            modes = [counting for name, counting in rules if name == group]
            if not modes:
                yield acl.urn, f"does not use the managed rule group {group}"
            elif all(modes):
                yield acl.urn, f"uses {group} only in count mode, so it blocks nothing"
        scope = acl.get("scope")
        if stack.referencing(acl, WEB_ACL_ASSOCIATION, "webAclArn") and scope not in ("REGIONAL", UNKNOWN):
            yield acl.urn, f"scope is {show(scope)}; a web ACL associated with a load balancer is REGIONAL"


managed_rules = stack_policy(
    Control(
        name="aws-wafv2-web-acl-managed-rules",
        description="Web ACLs block with rules, including AWS's managed baseline rule groups.",
        category="public-exposure",
        severity=Severity.MEDIUM,
        fsbp="WAF.10",
        checkov=("CKV_AWS_175", "CKV_AWS_192", "CKV2_AWS_76"),
        remediation=(
            "Add managed_rule_group_statement rules for each required AWS managed rule group with "
            "override_action none (not count); a web ACL for an ALB has scope REGIONAL."
        ),
        config={
            "requiredManagedRuleGroups": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"],
                "description": "AWS managed rule groups every web ACL uses in blocking mode.",
            }
        },
    ),
    WEB_ACL + WEB_ACL_RULE + RULE_GROUP_ASSOCIATION + WEB_ACL_ASSOCIATION,
)(_managed_rules)


def _metrics_problems(where: str, visibility) -> list[str]:
    problems = []
    for key in ("cloudwatchMetricsEnabled", "sampledRequestsEnabled"):
        value = lookup(visibility, key)
        if value is not UNKNOWN and value is not True:
            problems.append(f"{where}visibilityConfig.{key} is {show(value)}")
    return problems


def _metrics(resource, config):
    yield from _metrics_problems("", resource.get("visibilityConfig", {}))
    rules = resource.items("rules")
    for index, rule in enumerate([] if rules is UNKNOWN else rules):
        yield from _metrics_problems(f"rules[{index}].", lookup(rule, "visibilityConfig", {}))
    try:
        document = resource.json("ruleJson")
    except BadJson as error:
        yield f"ruleJson is {error}"
        return
    for index, rule in enumerate(document if isinstance(document, list) else []):
        visibility = lookup(rule, "VisibilityConfig", {})
        for key in ("CloudWatchMetricsEnabled", "SampledRequestsEnabled"):
            if lookup(visibility, key) is not True:
                yield f"ruleJson[{index}].VisibilityConfig.{key} is {show(lookup(visibility, key))}"


metrics = resource_policy(
    Control(
        name="aws-wafv2-web-acl-metrics",
        description="Web ACLs and every rule publish CloudWatch metrics and keep sampled requests.",
        category="monitoring",
        severity=Severity.MEDIUM,
        fsbp="WAF.12",
        remediation="Set visibility_config={cloudwatch_metrics_enabled: True, sampled_requests_enabled: True, metric_name: ...} on the web ACL and on each rule.",
    ),
    WEB_ACL + WEB_ACL_RULE + RULE_GROUP_ASSOCIATION,
)(_metrics)


def _destination_name(arn: str) -> str:
    """The name part of a log destination ARN (log group, S3 bucket or Firehose stream)."""
    resource = arn.split(":", 5)[-1]
    if resource.startswith("log-group:"):
        return resource[len("log-group:") :].split(":")[0]
    return resource.split("/", 1)[-1] if "/" in resource else resource


def _logging(stack, config):
    for acl in stack.of_type(WEB_ACL):
        configurations = stack.referencing(acl, LOGGING_CONFIGURATION, "resourceArn")
        if not configurations:
            yield acl.urn, "no WAFv2 logging configuration names it as resourceArn"
        for configuration in configurations:
            destinations = configuration.items("logDestinationConfigs")
            if destinations is UNKNOWN:
                continue
            for arn in destinations:
                if isinstance(arn, str) and not _destination_name(arn).startswith(LOG_DESTINATION_PREFIX):
                    yield acl.urn, f"logs to {arn}, whose name does not start with {LOG_DESTINATION_PREFIX}"


logging = stack_policy(
    Control(
        name="aws-wafv2-web-acl-logging",
        description="Web ACLs log requests to a destination named aws-waf-logs-*.",
        category="logging",
        severity=Severity.MEDIUM,
        securityhub=("WAF.11",),
        checkov=("CKV2_AWS_31",),
        remediation=(
            "Create an aws.wafv2.WebAclLoggingConfiguration with resource_arn=<web ACL arn> and "
            "log_destination_configs=[<log group arn>] for a log group named aws-waf-logs-<name>."
        ),
    ),
    WEB_ACL + LOGGING_CONFIGURATION,
)(_logging)


# The pack serves exactly these, in this order.
POLICIES = [
    managed_rules,
    metrics,
    logging,
]
