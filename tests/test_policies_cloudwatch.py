"""CloudWatch policies: compliant log groups and alarms, their breaks and stateful resources
nobody watches, which tests/test_policies.py runs; here the messages, delivery log groups, alarms
tied by dimension value alone or by a metric query, and the policy config."""

import pytest

from tests.policy_support import (
    ACCOUNT,
    DELETE,
    UNKNOWN,
    PolicyTable,
    document,
    messages,
    removed,
    resource,
    variant_urn,
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
LOG_BREAKS = {
    "retention-30": ("aws-cloudwatch-log-group-retention", ("retentionInDays",), 30.0),
    "never-expires": ("aws-cloudwatch-log-group-retention", ("retentionInDays",), DELETE),
    "unencrypted-logs": ("aws-cloudwatch-log-group-kms", ("kmsKeyId",), DELETE),
}
ALARM_BREAKS = {
    "actions-disabled": ("aws-cloudwatch-metric-alarm-actions", ("actionsEnabled",), False),
    "nobody-notified": ("aws-cloudwatch-metric-alarm-actions", ("alarmActions",), []),
}
# actionsEnabled left out is AWS's default, true.
SAFE_ALARM_CHANGES = {"actions-enabled-default": (None, ("actionsEnabled",), DELETE)}
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
    .breaks("db-cpu", SAFE_ALARM_CHANGES)
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


def test_each_break_tells_the_reviewer_what_is_wrong(report):
    """The PR report shows these lines under the log group or the alarm."""
    said = {
        variant: messages(report, policy, variant_urn(LOG_GROUP if variant in LOG_BREAKS else DB_ALARM, variant))
        for variant, (policy, _, _) in {**LOG_BREAKS, **ALARM_BREAKS}.items()
    }
    assert said == {
        "retention-30": ["retentionInDays is 30; at least 365 required"],
        "never-expires": ["retentionInDays is not set, so events never expire"],
        "unencrypted-logs": ["kmsKeyId is not set"],
        "actions-disabled": ["actionsEnabled is false"],
        "nobody-notified": ["alarmActions is empty"],
    }


def test_a_delivery_log_group_keeps_the_retention_aws_forces(policy_pack):
    # The provider sets a DELIVERY-class log group's retention itself (2 days) and ignores ours;
    # a standard log group with the same retention is still held to the minimum.
    groups = [
        resource(LOG_GROUP["type"], name, {**LOG_GROUP["inputs"], "logGroupClass": log_class, "retentionInDays": 2.0})
        for name, log_class in (("delivery", "DELIVERY"), ("standard", "STANDARD"))
    ]
    result = policy_pack.check(document(*groups))
    assert {v.urn: v.message for v in result.by_policy("aws-cloudwatch-log-group-retention")} == {
        groups[1]["urn"]: "retentionInDays is 2; at least 365 required"
    }


def query_alarm(name: str, dimensions: dict, deps: dict) -> dict:
    """An alarm on a metric query (the form of the SLO and latency alarms) instead of a metric."""
    query = {
        "id": "cpu",
        "returnData": True,
        "metric": {
            "namespace": "AWS/RDS",
            "metricName": "CPUUtilization",
            "period": 60.0,
            "stat": "Average",
            "dimensions": dimensions,
        },
    }
    inputs = {
        k: v for k, v in DB_ALARM["inputs"].items() if k not in ("metricName", "period", "statistic", "dimensions")
    }
    return resource(DB_ALARM["type"], name, {**inputs, "metricQueries": [query]}, deps=deps)


def test_an_alarm_on_a_metric_query_matched_by_dimension_value_counts(policy_pack):
    unlinked = query_alarm("db-cpu-query", {"DBInstanceIdentifier": "webapp-test-database"}, {})
    assert messages(policy_pack.check(document(DB, unlinked)), COVERAGE) == []


def test_an_alarm_on_a_metric_query_tied_by_dependency_counts(policy_pack):
    # AWS generates the identifier when the program sets none: only the dependency ties the two.
    generated = resource(DB["type"], "generated-db", {"engine": "postgres"})
    linked = query_alarm(
        "generated-db-cpu", {"DBInstanceIdentifier": "db-generated"}, {"metricQueries": [generated["urn"]]}
    )
    assert messages(policy_pack.check(document(generated, linked)), COVERAGE) == []


def test_an_alarm_matched_by_dimension_value_watches_only_the_resource_it_names(policy_pack):
    unlinked = dict(DB_ALARM, propertyDependencies={}, dependencies=[])
    result = policy_pack.check(document(DB, CACHE, unlinked))
    assert {v.urn: v.message for v in result.by_policy(COVERAGE)} == {
        CACHE["urn"]: "no CloudWatch alarm watches its metrics"
    }


def test_a_configured_type_without_a_known_dimension_is_watched_only_by_dependency(policy_pack):
    # The pack knows which dimension names an instance or a replication group; for another type
    # the config adds, an alarm naming it by value alone is not enough.
    cluster = resource("aws:rds/cluster:Cluster", "aurora", {"clusterIdentifier": "webapp-test-aurora"})
    by_value = resource(
        DB_ALARM["type"],
        "aurora-cpu",
        {**DB_ALARM["inputs"], "dimensions": {"DBClusterIdentifier": "webapp-test-aurora"}},
    )
    config = {COVERAGE: {"statefulTypes": ["aws:rds/cluster:Cluster"]}}
    result = policy_pack.check(document(cluster, by_value), config)
    assert {v.urn: v.message for v in result.by_policy(COVERAGE)} == {
        cluster["urn"]: "no CloudWatch alarm watches its metrics"
    }


@pytest.mark.parametrize("metric", ["dimensions", "metricQueries"])
def test_an_alarm_whose_metric_is_unknown_leaves_the_verdict_to_the_next_preview(policy_pack, metric):
    # It may name the database once known, so no resource is reported unwatched until then.
    unknown = resource(
        DB_ALARM["type"],
        "unknown-cpu",
        {**{k: v for k, v in DB_ALARM["inputs"].items() if k != "dimensions"}, metric: UNKNOWN},
    )
    assert messages(policy_pack.check(document(DB, unknown)), COVERAGE) == []
