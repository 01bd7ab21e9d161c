"""CloudWatch policies, driven through the analyzer protocol: compliant log groups and alarms
pass, each single break is caught by its policy alone, every stateful resource needs an alarm,
unknowns never violate."""

import pytest

from tests.policy_support import (
    ACCOUNT,
    DELETE,
    broken,
    document,
    edited,
    fired,
    messages,
    resource,
    variant_urn,
    with_unknowns,
)

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
SCENARIO = [LOG_GROUP, DB, CACHE, DB_ALARM, CACHE_ALARM]
BREAKS = {
    "retention-30": ("aws-cloudwatch-log-group-retention", 0, ("retentionInDays",), 30.0),
    "never-expires": ("aws-cloudwatch-log-group-retention", 0, ("retentionInDays",), DELETE),
    "unencrypted-logs": ("aws-cloudwatch-log-group-kms", 0, ("kmsKeyId",), DELETE),
    "actions-disabled": ("aws-cloudwatch-metric-alarm-actions", 3, ("actionsEnabled",), False),
    "nobody-notified": ("aws-cloudwatch-metric-alarm-actions", 3, ("alarmActions",), []),
}
CLOUDWATCH_POLICIES = sorted(
    {policy for policy, *_ in BREAKS.values()} | {"aws-cloudwatch-metric-alarm-stateful-coverage"}
)


def _remove(name):
    def edit(records):
        records[name] = None

    return edit


@pytest.fixture(scope="module")
def report(policy_pack):
    variants = [
        r
        for name, (_, index, path, value) in BREAKS.items()
        for r in broken(SCENARIO, index, {name: (None, path, value)})
    ]
    variants += edited(SCENARIO, "unwatched-db", _remove("db-cpu")) + edited(
        SCENARIO, "unwatched-cache", _remove("cache-cpu")
    )
    return policy_pack.check(document(*SCENARIO, *variants))


@pytest.mark.parametrize("policy", CLOUDWATCH_POLICIES)
def test_compliant_log_groups_and_alarms_pass(report, policy):
    assert [v for v in report.by_policy(policy) if v.urn in {r["urn"] for r in SCENARIO}] == []


@pytest.mark.parametrize("variant", BREAKS)
def test_each_break_is_caught_by_its_policy_alone(report, variant):
    policy, index, _, _ = BREAKS[variant]
    assert fired(report, variant_urn(SCENARIO[index], variant), CLOUDWATCH_POLICIES) == {policy}


@pytest.mark.parametrize("variant, subject", [("unwatched-db", DB), ("unwatched-cache", CACHE)])
def test_a_stateful_resource_without_an_alarm_is_caught(report, variant, subject):
    assert messages(report, "aws-cloudwatch-metric-alarm-stateful-coverage", variant_urn(subject, variant)) == [
        "no CloudWatch alarm watches its metrics"
    ]


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


def test_unknown_values_never_violate(policy_pack):
    result = policy_pack.check(document(*with_unknowns(*SCENARIO)))
    assert [v.line() for v in result.violations if v.policy in CLOUDWATCH_POLICIES] == []
