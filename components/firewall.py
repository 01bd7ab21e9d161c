"""WAFv2 regional web ACL in front of the ALB.

Rules, in evaluation order: a per-IP rate limit (blocks), then the AWS managed groups (IP
reputation, common rule set, known bad inputs, SQL injection), each blocking, only counting (to
tune false positives without breaking anything) or off, as the settings say. CloudWatch metrics
and request sampling on the ACL and every rule. Full request logs go to a KMS-encrypted
CloudWatch log group named `aws-waf-logs-...` (the prefix WAF requires), with the query string
and the `authorization` and `cookie` headers redacted so no credential or token lands in the
logs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.edge import MANAGED_RULE_GROUPS, FirewallSettings

from .common import TYPE_PREFIX, AwsContext, child, policy_document

RATE_WINDOW_SECONDS = 300
REDACTED_HEADERS = ("authorization", "cookie")


@dataclass(frozen=True)
class FirewallArgs:
    settings: FirewallSettings
    context: AwsContext
    # The resource the ACL protects: the ALB.
    resource_arn: pulumi.Input[str]
    log_key_arn: pulumi.Input[str]


class Firewall(pulumi.ComponentResource):
    """Web ACL with rate limiting and AWS managed rules, associated with the ALB, logging to
    CloudWatch Logs."""

    def __init__(self, name: str, args: FirewallArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:Firewall", name, None, opts)
        settings = args.settings
        prefix = f"{pulumi.get_stack()}-{name}"

        rules = [
            aws.wafv2.WebAclRuleArgs(
                name="rate-limit",
                priority=0,
                action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                        limit=settings.rate_limit_per_5_minutes,
                        aggregate_key_type="IP",
                        evaluation_window_sec=RATE_WINDOW_SECONDS,
                    )
                ),
                visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(**_visibility(f"{prefix}-rate-limit")),
            )
        ]
        for group in MANAGED_RULE_GROUPS:
            mode = settings.managed_rules.get(group, "off")
            if mode == "off":
                continue
            override = (
                aws.wafv2.WebAclRuleOverrideActionArgs(count=aws.wafv2.WebAclRuleOverrideActionCountArgs())
                if mode == "count"
                else aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs())
            )
            rules.append(
                aws.wafv2.WebAclRuleArgs(
                    name=group,
                    # Priorities follow MANAGED_RULE_GROUPS, so switching one group off or on
                    # never reorders the others.
                    priority=1 + MANAGED_RULE_GROUPS.index(group),
                    override_action=override,
                    statement=aws.wafv2.WebAclRuleStatementArgs(
                        managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                            name=group, vendor_name="AWS"
                        )
                    ),
                    visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(**_visibility(f"{prefix}-{group}")),
                )
            )

        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            description="Rate limit and AWS managed rules in front of the ALB",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(**_visibility(prefix)),
            opts=child(self),
        )
        self.web_acl_arn: pulumi.Output[str] = self.web_acl.arn
        self.web_acl_name: pulumi.Output[str] = self.web_acl.name
        # The `WebACL` dimension of the ACL's CloudWatch metrics (not its name).
        self.metric_name: pulumi.Output[str] = self.web_acl.visibility_config.metric_name

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"aws-waf-logs-{prefix}",
            retention_in_days=settings.log_retention_days,
            kms_key_id=args.log_key_arn,
            opts=child(self),
        )
        delivery = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-delivery",
            policy_name=f"{prefix}-log-delivery",
            policy_document=_log_delivery_policy(self.log_group.arn, args.context),
            opts=child(self),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[
                *(
                    aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                        single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
                    )
                    for header in REDACTED_HEADERS
                ),
                # Tokens often travel in query strings (password reset links, OAuth callbacks).
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    query_string=aws.wafv2.WebAclLoggingConfigurationRedactedFieldQueryStringArgs()
                ),
            ],
            opts=child(self, depends_on=[delivery]),
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-association",
            resource_arn=args.resource_arn,
            web_acl_arn=self.web_acl.arn,
            opts=child(self),
        )
        self.register_outputs(
            {"web_acl_arn": self.web_acl_arn, "web_acl_name": self.web_acl_name, "log_group": self.log_group.name}
        )


def _visibility(metric_name: str) -> aws.wafv2.WebAclVisibilityConfigArgsDict:
    """CloudWatch metrics and sampled requests, for the ACL and for each rule (typed, so the
    checker matches its keys against the visibility-config arguments it is spread into)."""
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric_name, "sampled_requests_enabled": True}


def _log_delivery_policy(log_group_arn: pulumi.Input[str], context: AwsContext) -> pulumi.Output[str]:
    """CloudWatch Logs resource policy letting the log delivery service write WAF logs of this
    account into this log group only (what WAF would otherwise add on its own, account-wide)."""
    return policy_document(
        {
            "Sid": "WafLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": pulumi.Output.from_input(log_group_arn).apply(lambda arn: f"{arn}:*"),
            "Condition": {
                "StringEquals": {"aws:SourceAccount": context.account_id},
                "ArnLike": {"aws:SourceArn": context.arn("logs", "*")},
            },
        }
    )
