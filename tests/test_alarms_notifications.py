"""Where the alarms go (components/alarms.py, notifications): each alarm on its severity's topic on
ALARM and on OK, outages paging and slowness waiting for working hours, the subscribers of the
config (an https endpoint a secret), and the topics' key that CloudWatch may publish with."""

from __future__ import annotations

import json

import pytest

from tests.alarms_support import all_alarms, settings_of, short
from tests.observability import STACKS, stack
from tests.support import Synth, plain
from tools.synth import is_secret

TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


@STACKS
def test_every_alarm_notifies_its_severitys_topic_on_alarm_and_on_ok(request, stack_name):
    s = stack(request, stack_name)
    for a in all_alarms(s):
        severity = a["inputs"]["tags"]["severity"]
        topic = s.named(f"alarms-{severity}")
        assert a["inputs"]["actionsEnabled"] is True, a["name"]
        assert a["inputs"]["alarmActions"] == a["inputs"]["okActions"] == [topic["outputs"]["arn"]], a["name"]
        assert s.depends_on(a, "alarmActions") == s.depends_on(a, "okActions") == [topic], a["name"]
        assert a["inputs"]["alarmDescription"].startswith(f"[{severity}] "), a["name"]


# Alarms that page (an outage, or one about to happen); everything else waits for working hours.
PAGING = {
    "slo-fast-burn",
    "alb-unhealthy-hosts-blue",
    "alb-unhealthy-hosts-green",
    "alb-healthy-hosts-low",
    "web-running-tasks-low",
    "worker-running-tasks-low",
    "database-free-storage-low",
    "database-connections-high",
    "web-deployment",
}


def test_outages_page_and_slowness_waits_for_working_hours(staging):
    paging = {
        short(staging, a)
        for a in all_alarms(staging)
        if staging.depends_on(a, "alarmActions")[0]["name"] == "alarms-critical"
    }
    assert paging == PAGING


def test_subscriptions_follow_the_config(prod):
    config = settings_of("prod").alarms
    for severity in ("critical", "warning"):
        topic = prod.named(f"alarms-{severity}")
        subscribed = {
            (r["inputs"]["protocol"], r["inputs"]["endpoint"])
            for r in prod.of_type(SUBSCRIPTION)
            if prod.depends_on(r, "topic") == [topic]
        }
        assert subscribed == set(getattr(config, severity).endpoints) != set()


@STACKS
def test_topics_are_encrypted_with_a_key_cloudwatch_may_publish_with(request, stack_name):
    s = stack(request, stack_name)
    for topic in [r for r in s.children("alarms") if r["type"] == TOPIC]:
        (key,) = s.depends_on(topic, "kmsMasterKeyId")
        assert topic["inputs"]["kmsMasterKeyId"] == key["outputs"]["arn"]
        statements = json.loads(key["inputs"]["policy"])["Statement"]
        publish = [
            st
            for st in statements
            if st["Effect"] == "Allow" and "cloudwatch.amazonaws.com" in st["Principal"].get("Service", [])
        ]
        assert publish and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(publish[0]["Action"]), topic["name"]


def test_the_topics_key_is_protected_in_prod_only(prod, staging):
    assert prod.named("alarms-topics-key")["options"]["protect"] is True
    assert staging.named("alarms-topics-key")["options"]["protect"] is False


@pytest.fixture(scope="module")
def custom(optional_staging: Synth) -> Synth:
    """Staging with the subscribers and deployment alarm of tests.support.CUSTOM_ALARMS."""
    return optional_staging


def test_every_configured_subscriber_is_subscribed_to_its_topic(custom):
    critical = custom.named("alarms-critical")
    topics = {
        (r["inputs"]["protocol"], plain(r["inputs"]["endpoint"])): custom.depends_on(r, "topic")
        for r in custom.of_type(SUBSCRIPTION)
    }
    assert topics == {
        ("email", "oncall@example.com"): [critical],
        ("email", "lead@example.com"): [critical],
        ("https", "https://events.example.com/integration/abc/enqueue"): [critical],
    }


def test_https_endpoints_are_secrets_in_state(custom):
    """An incident-tool URL carries its integration key."""
    https = [r for r in custom.of_type(SUBSCRIPTION) if r["inputs"]["protocol"] == "https"]
    assert https and all(is_secret(r["inputs"]["endpoint"]) for r in https)
    assert all(is_secret(r["outputs"]["endpoint"]) for r in https)
