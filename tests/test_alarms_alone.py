"""The alarms component built alone (tests.alarms_support.alone), named `monitoring` and with
settings away from the defaults: what it registers as a whole (its outputs, the topics and their
key, the subscriptions, the deployment composite, the dashboard), under which parent and provider,
and the rollback figures it computes. What each alarm watches is in test_alarms_alone_metrics.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.alarms import Alarms
from settings.alarms import AlarmSettings
from tests.alarms_support import (
    ALARM,
    COMPOSITE,
    KEY_ADMIN,
    alone,
    subject,
)
from tests.support import Synth, plain
from tools.synth import is_secret

TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
CRITICAL_ARN = "arn:aws:sns:us-east-1:123456789012:webapp-prod-alarms-critical"
WARNING_ARN = "arn:aws:sns:us-east-1:123456789012:webapp-prod-alarms-warning"
DEPLOY_MEMBERS = [
    f"webapp-prod-deploy-{colour}-{kind}"
    for colour in ("blue", "green")
    for kind in ("5xx-rate", "latency-p95", "unhealthy")
]


@pytest.fixture(scope="module")
def s() -> Synth:
    return alone(export_names=True)


def component(s: Synth) -> dict[str, Any]:
    return s.one("webapp:components:Alarms")


def named(s: Synth, name: str) -> dict[str, Any]:
    return s.named(f"monitoring-{name}")


# The component and its outputs


def test_the_component_outputs_its_topics_deployment_and_slo_alarms_and_dashboard(s):
    outputs = component(s)["outputs"]
    assert component(s)["name"] == "monitoring"
    assert {k: v for k, v in outputs.items() if k != "alarm_names"} == {
        "critical_topic_arn": CRITICAL_ARN,
        "warning_topic_arn": WARNING_ARN,
        "deployment_alarm_name": "webapp-prod-web-deployment",
        "slo_alarm_names": ["webapp-prod-slo-fast-burn", "webapp-prod-slo-slow-burn"],
        "dashboard_url": "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#dashboards/dashboard/webapp-prod",
    }


def test_the_alarm_names_output_lists_each_watched_things_alarms_then_the_composites(s):
    """`alarm_names` is what `python -m ops` and the stack's outputs list: every metric alarm in
    the order of the parts of the stack, the deployment composite, then the burn-rate ones."""
    caches = [
        f"cache-{node}-{kind}"
        for node in ("0001-001", "0001-002", "0002-001", "0002-002")
        for kind in ("cpu", "memory", "evictions", "replication-lag")
    ]
    expected = [
        "alb-5xx-rate",
        "alb-latency-p95",
        "alb-latency-p99",
        "alb-rejected-connections",
        "alb-unhealthy-hosts-blue",
        "alb-unhealthy-hosts-green",
        "alb-healthy-hosts-low",
        "api-cpu",
        "api-memory",
        "api-running-tasks-low",
        "database-cpu",
        "database-freeable-memory-low",
        "database-free-storage-low",
        "database-connections-high",
        "database-replica-1-lag",
        "database-replica-2-lag",
        *caches,
        "waf-blocked-spike",
        *(name.removeprefix("webapp-prod-") for name in DEPLOY_MEMBERS),
        "slo-fast-burn-1h",
        "slo-fast-burn-5m",
        "slo-slow-burn-6h",
        "slo-slow-burn-30m",
        "web-deployment",
        "slo-fast-burn",
        "slo-slow-burn",
    ]
    assert component(s)["outputs"]["alarm_names"] == [f"webapp-prod-{name}" for name in expected]
    assert len(s.of_type(ALARM) + s.of_type(COMPOSITE)) == len(expected)


def test_the_web_service_rolls_back_on_the_composite_and_each_of_its_members(s):
    """ECS's deployment alarms: the composite first, then its six members by name."""
    assert s.outputs["deploymentAlarmNames"] == ["webapp-prod-web-deployment", *DEPLOY_MEMBERS]


def test_without_a_database_or_a_cache_neither_has_alarms():
    bare = alone(database=None, cache=None)
    names = component(bare)["outputs"]["alarm_names"]
    assert names and not [n for n in names if n.startswith(("webapp-prod-database-", "webapp-prod-cache-"))]


def test_every_resource_is_a_child_of_the_component_through_its_provider():
    """The composition hands the component the stack's provider: every resource must reach AWS
    through it (its region, its default tags), and be deleted with the component."""
    s = alone(provider=True)
    provider = s.one("pulumi:providers:aws")["urn"]
    comp, key = component(s)["urn"], s.one("webapp:components:EncryptionKey")["urn"]
    custom = [r for r in s.resources if r["custom"] and r["type"] != "pulumi:providers:aws"]
    assert {r["name"] for r in custom if r["parent"] == key} == {"monitoring-topics-key", "monitoring-topics-alias"}
    assert [r["name"] for r in custom if r["parent"] not in (comp, key)] == []
    assert s.one("webapp:components:EncryptionKey")["parent"] == comp
    assert {r["provider"].rsplit("::", 1)[0] for r in custom} == {provider}


# Notifications: the topics, their key, their subscribers


def test_the_topics_key_is_protected_administered_and_lets_cloudwatch_publish(s):
    key = named(s, "topics-key")
    assert key["options"]["protect"] is True
    assert key["inputs"]["description"] == "SNS alarm topics"
    statements = {st["Sid"]: st for st in json.loads(key["inputs"]["policy"])["Statement"]}
    assert statements["KeyAdministrators"]["Principal"] == {"AWS": KEY_ADMIN}
    # CloudWatch encrypts the message it publishes to an encrypted topic with the topic's key
    # (Amazon SNS Developer Guide, "Enable compatibility between event sources ... and encrypted
    # topics"): without this grant every alarm notification is dropped.
    assert statements["ServicesPublish"]["Principal"] == {"Service": ["cloudwatch.amazonaws.com"]}


def test_each_severity_has_its_topic_encrypted_with_the_topics_key(s):
    key = named(s, "topics-key")
    topics = {r["name"]: r for r in s.of_type(TOPIC)}
    assert {name: t["inputs"]["name"] for name, t in topics.items()} == {
        "monitoring-critical": "webapp-prod-alarms-critical",
        "monitoring-warning": "webapp-prod-alarms-warning",
    }
    for topic in topics.values():
        assert topic["inputs"]["kmsMasterKeyId"] == key["outputs"]["arn"]
        assert s.depends_on(topic, "kmsMasterKeyId") == [key]


def test_each_subscriber_is_subscribed_to_its_severitys_topic_named_after_its_endpoint(s):
    subscriptions = {
        r["name"]: (r["inputs"]["topic"], r["inputs"]["protocol"], plain(r["inputs"]["endpoint"]))
        for r in s.of_type(SUBSCRIPTION)
    }
    assert subscriptions == {
        "monitoring-critical-email-d876c66b": (CRITICAL_ARN, "email", "oncall@example.com"),
        "monitoring-critical-https-16615b31": (
            CRITICAL_ARN,
            "https",
            "https://events.example.com/integration/abc/enqueue",
        ),
        "monitoring-warning-email-a96e3689": (WARNING_ARN, "email", "team@example.com"),
    }


def test_only_https_endpoints_are_secrets(s):
    """An incident tool's URL carries its integration key; an email address is shown in the
    preview as it is, so a reviewer sees who is paged."""
    secret = {r["inputs"]["protocol"]: is_secret(r["inputs"]["endpoint"]) for r in s.of_type(SUBSCRIPTION)}
    assert secret == {"email": False, "https": True}


def test_removing_a_subscriber_keeps_the_others_subscriptions():
    """Subscriptions are named after their endpoint, not their position: an email subscription
    replaced must be confirmed again by its recipient."""
    lead = {"critical": {"emails": ["lead@example.com"]}}
    both = alone({"critical": {"emails": ["oncall@example.com", "lead@example.com"]}})
    assert {r["name"] for r in alone(lead).of_type(SUBSCRIPTION)} < {r["name"] for r in both.of_type(SUBSCRIPTION)}


# The deployment composite and the dashboard


def test_the_deployment_composite_pages_when_any_member_alarms_and_keeps_its_former_name(s):
    composite = named(s, "web-deployment")
    assert composite["type"] == COMPOSITE
    assert composite["inputs"]["alarmRule"] == " OR ".join(f'ALARM("{m}")' for m in DEPLOY_MEMBERS)
    assert subject(composite) == "web service"
    assert composite["inputs"]["alarmActions"] == [CRITICAL_ARN]
    # Formerly `<component>-deployment`: the alias takes the deployed alarm over without a
    # replacement (which would leave ECS watching a deleted alarm during the update).
    assert composite["options"]["aliases"] == [{"spec": {"name": "monitoring-deployment", "parentUrn": ""}}]
    assert {r["name"] for r in s.depends_on(composite, "alarmRule")} == {
        f"monitoring-{m.removeprefix('webapp-prod-')}" for m in DEPLOY_MEMBERS
    }


def test_the_dashboard_is_the_stacks_and_shows_the_burn_rate_composites(s):
    board = named(s, "dashboard")
    assert board["type"] == "aws:cloudwatch/dashboard:Dashboard"
    assert board["inputs"]["dashboardName"] == "webapp-prod"
    widgets = json.loads(board["inputs"]["dashboardBody"])["widgets"]
    burn = [named(s, f"slo-{speed}-burn")["outputs"]["arn"] for speed in ("fast", "slow")]
    assert widgets[0]["properties"] == {"alarms": burn, "title": "Error budget burn (SLO alarms)"}
    # The burn rate in multiples of the 99.5% objective's budget, from the stack's region.
    rate = next(
        w["properties"] for w in widgets if w["properties"].get("title", "").startswith("Error budget burn rate")
    )
    assert rate["metrics"][-1][0]["expression"].endswith("/ requests / 0.5")
    assert rate["region"] == "us-east-1"


def test_the_burn_rate_alarms_follow_the_availability_objective(s):
    # 99.5%: half a percent of error budget, burnt 14.4x too fast.
    assert named(s, "slo-fast-burn-1h")["inputs"]["threshold"] == pytest.approx(14.4 * 0.5)
    assert named(s, "slo-fast-burn-1h")["type"] == ALARM


# The rollback figures


def rules(**rules: dict[str, int]) -> AlarmSettings:
    return AlarmSettings.model_validate(rules)


@pytest.mark.parametrize(
    ("five_xx", "unhealthy", "seconds"),
    [
        # 3 one-minute datapoints of 5xx, then the traffic shift.
        ({"evaluationPeriods": 3, "datapointsToAlarm": 3}, {}, 3 * 60 + 30),
        # The unhealthy targets' 2 x 120 s is the slower one.
        ({}, {"periodSeconds": 120, "evaluationPeriods": 2, "datapointsToAlarm": 2}, 2 * 120 + 30),
    ],
)
def test_a_failing_deploy_rolls_back_after_the_slower_error_alarm_and_the_traffic_shift(five_xx, unhealthy, seconds):
    settings = rules(deployment5xxPercent=five_xx, deploymentUnhealthyHosts=unhealthy)
    assert Alarms.rollback_seconds(settings) == seconds


def test_a_slow_deploy_rolls_back_after_its_latency_datapoints_and_the_traffic_shift():
    settings = rules(deploymentP95Seconds={"periodSeconds": 120, "evaluationPeriods": 4, "datapointsToAlarm": 3})
    assert Alarms.latency_rollback_seconds(settings) == 3 * 120 + 30
