"""CloudWatch: log groups (retention, encryption) and alarms (actions, coverage of the data tier)."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy, stack_policy
from .values import UNKNOWN, has_unknown, lookup, show

LOG_GROUP = ("aws:cloudwatch/logGroup:LogGroup",)
METRIC_ALARM = ("aws:cloudwatch/metricAlarm:MetricAlarm",)
# Alarm dimension naming each stateful type, with the output holding the dimension's value.
DIMENSIONS = {
    "aws:rds/instance:Instance": ("DBInstanceIdentifier", "identifier"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("ReplicationGroupId", "replicationGroupId"),
}


def _log_group_retention(group, config):
    if group.get("logGroupClass") == "DELIVERY":
        return  # AWS forces 2 days on delivery log groups.
    days = group.number("retentionInDays", 0.0)
    if days is UNKNOWN:
        return
    if days == 0:
        if not config["allowNeverExpire"]:
            yield "retentionInDays is not set, so events never expire"
    elif days < config["minimumDays"]:
        yield f"retentionInDays is {show(days)}; at least {show(config['minimumDays'])} required"


log_group_retention = resource_policy(
    Control(
        name="aws-cloudwatch-log-group-retention",
        description="Log groups keep events for at least the configured number of days.",
        category="logging",
        severity=Severity.MEDIUM,
        securityhub=("CloudWatch.16",),
        checkov=("CKV_AWS_66", "CKV_AWS_338"),
        remediation="Set retention_in_days to an allowed value of at least the minimum (the *.logRetentionDays stack settings).",
        config={
            "minimumDays": {
                "type": "integer",
                "minimum": 1,
                "default": 365,
                "description": "Fewest days of retention.",
            },
            "allowNeverExpire": {
                "type": "boolean",
                "default": False,
                "description": "Accept retention_in_days unset or 0 (never expire).",
            },
        },
    ),
    LOG_GROUP,
)(_log_group_retention)


def _log_group_kms(group, config):
    if group.get("kmsKeyId") is None:
        yield "kmsKeyId is not set"


log_group_kms = resource_policy(
    Control(
        name="aws-cloudwatch-log-group-kms",
        description="Log groups are encrypted with a customer-managed KMS key.",
        category="encryption",
        severity=Severity.MEDIUM,
        checkov=("CKV_AWS_158",),
        remediation="Set kms_key_id to a customer-managed key whose policy lets logs.<region>.amazonaws.com use it.",
    ),
    LOG_GROUP,
)(_log_group_kms)


def _alarm_actions(alarm, config):
    if alarm.flag("actionsEnabled", True) is False:
        yield "actionsEnabled is false"
    actions = alarm.items("alarmActions")
    if actions is not UNKNOWN and not actions:
        yield "alarmActions is empty"


alarm_actions = resource_policy(
    Control(
        name="aws-cloudwatch-metric-alarm-actions",
        description="Alarms notify someone: actions are enabled and at least one alarm action is set.",
        category="monitoring",
        severity=Severity.HIGH,
        securityhub=("CloudWatch.15", "CloudWatch.17"),
        checkov=("CKV_AWS_319",),
        remediation="Set alarm_actions=[<SNS topic ARN>] (and ok_actions), and leave actions_enabled at true.",
    ),
    METRIC_ALARM,
)(_alarm_actions)


def _watches(alarm, resource) -> bool:
    """Whether an alarm's metric (or metric query) is about `resource`: by the property
    dependencies of its dimensions, or, for dimensions written into the program, by value."""
    linked = [urn for key in ("dimensions", "metricQueries") for urn in alarm.property_dependencies.get(key, ())]
    if linked:
        return resource.urn in linked
    dimension, output = DIMENSIONS.get(resource.type, (None, None))
    value = resource.get(output) if output else None
    if not isinstance(value, str):
        return False
    queries = alarm.items("metricQueries")
    dimension_sets = [alarm.get("dimensions")] + [
        lookup(q, "metric.dimensions") for q in ([] if queries is UNKNOWN else queries)
    ]
    return any(isinstance(d, dict) and d.get(dimension) == value for d in dimension_sets)


def _stateful_coverage(stack, config):
    alarms = stack.of_type(METRIC_ALARM)
    for resource in stack.of_type(config["statefulTypes"]):
        if not any(_watches(alarm, resource) for alarm in alarms):
            # An alarm whose metric is not known yet (preview) may be this resource's.
            if any(has_unknown(alarm.get("dimensions")) or has_unknown(alarm.get("metricQueries")) for alarm in alarms):
                continue
            yield resource.urn, "no CloudWatch alarm watches its metrics"


stateful_coverage = stack_policy(
    Control(
        name="aws-cloudwatch-metric-alarm-stateful-coverage",
        description="Every stateful resource (database, cache) has at least one alarm on its metrics.",
        category="monitoring",
        severity=Severity.MEDIUM,
        remediation="Create aws.cloudwatch.MetricAlarm resources on the resource's metrics (CPU, free storage/memory, connections) with alarm actions.",
        config={
            "statefulTypes": {
                "type": "array",
                "items": {"type": "string"},
                "default": sorted(DIMENSIONS),
                "description": "Resource types that must have an alarm.",
            }
        },
    ),
    tuple(DIMENSIONS) + METRIC_ALARM,
)(_stateful_coverage)


# The pack serves exactly these, in this order.
POLICIES = [
    log_group_retention,
    log_group_kms,
    alarm_actions,
    stateful_coverage,
]
