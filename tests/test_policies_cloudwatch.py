"""CloudWatch policies: compliant log groups and alarms, their breaks and stateful resources
nobody watches, which tests/test_policies.py runs; here the messages, alarms tied by dimension
value alone, and the policy config."""

import pytest

from tests.policy_support import ACCOUNT, DELETE, PolicyTable, document, messages, removed, resource, variant_urn

KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:webapp-test-alarms"
LOG_GROUP = resource(
    "aws:cloudwatch/logGroup:LogGroup", "app-logs", {"name": "/ecs/test/web", "retentionInDays": 365.0, "kmsKeyId": KEY}
)
DB = resource("aws:rds/instance:Instance", "db", {"engine": "postgres", "identifier": "webapp-test-database"})
CACHE = resource(
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "cache",
    {"replicationGroupId": "webapp-test-cache", "engine": "valkey"},
)


def alarm(name: str, dimensions: dict, watched: dict) -> dict:
    return resource(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        name,
        {
            "comparisonOperator": "GreaterThanThreshold",
            "evaluationPeriods": 3.0,
            "metricName": "CPUUtilization",
            "period": 60.0,
            "statistic": "Average",
            "threshold": 80.0,
            "actionsEnabled": True,
            "alarmActions": [TOPIC],
            "okActions": [TOPIC],
            "dimensions": dimensions,
        },
        deps={"dimensions": [watched["urn"]], "alarmActions": []},
    )


DB_ALARM = alarm("db-cpu", {"DBInstanceIdentifier": "webapp-test-database"}, DB)
CACHE_ALARM = alarm("cache-cpu", {"ReplicationGroupId": "webapp-test-cache"}, CACHE)
LOG_BREAKS = {
    "retention-30": ("aws-cloudwatch-log-group-retention", ("retentionInDays",), 30.0),
    "never-expires": ("aws-cloudwatch-log-group-retention", ("retentionInDays",), DELETE),
    "unencrypted-logs": ("aws-cloudwatch-log-group-kms", ("kmsKeyId",), DELETE),
}
ALARM_BREAKS = {
    "actions-disabled": ("aws-cloudwatch-metric-alarm-actions", ("actionsEnabled",), False),
    "nobody-notified": ("aws-cloudwatch-metric-alarm-actions", ("alarmActions",), []),
}
COVERAGE = "aws-cloudwatch-metric-alarm-stateful-coverage"
# Every stateful resource needs an alarm.
UNWATCHED = {
    "unwatched-db": (COVERAGE, "db", removed("db-cpu")),
    "unwatched-cache": (COVERAGE, "cache", removed("cache-cpu")),
}
TABLE = (
    PolicyTable(LOG_GROUP, DB, CACHE, DB_ALARM, CACHE_ALARM)
    .breaks("app-logs", LOG_BREAKS)
    .breaks("db-cpu", ALARM_BREAKS)
    .edits(UNWATCHED)
)


@pytest.mark.parametrize("variant, subject", [("unwatched-db", DB), ("unwatched-cache", CACHE)])
def test_a_stateful_resource_without_an_alarm_is_named(report, variant, subject):
    assert messages(report, COVERAGE, variant_urn(subject, variant)) == ["no CloudWatch alarm watches its metrics"]


def test_an_alarm_matched_by_dimension_value_counts(policy_pack):
    # Identifiers written into the program (no property dependency) still tie an alarm to its resource.
    unlinked = dict(DB_ALARM, propertyDependencies={}, dependencies=[])
    result = policy_pack.check(document(DB, unlinked))
    assert messages(result, "aws-cloudwatch-metric-alarm-stateful-coverage") == []


def test_never_expiring_logs_pass_when_configured(policy_pack):
    group = resource("aws:cloudwatch/logGroup:LogGroup", "forever", {"kmsKeyId": KEY})
    result = policy_pack.check(document(group), {"aws-cloudwatch-log-group-retention": {"allowNeverExpire": True}})
    assert messages(result, "aws-cloudwatch-log-group-retention") == []


def test_minimum_retention_comes_from_the_policy_config(policy_pack):
    result = policy_pack.check(document(LOG_GROUP), {"aws-cloudwatch-log-group-retention": {"minimumDays": 400}})
    assert messages(result, "aws-cloudwatch-log-group-retention") == ["retentionInDays is 365; at least 400 required"]
