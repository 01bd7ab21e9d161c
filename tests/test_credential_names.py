"""The credential-name rule (policies/webapp_policies/names.py): each named example gets the same
verdict from the rule, from the stack settings and from the policy pack over the analyzer protocol.
(Not a tests/test_policies_<service>.py module: those hold the pack's per-service tables.)"""

from __future__ import annotations

import json

import pytest

from policies.webapp_policies.names import (
    ALLOWLIST_LABEL,
    allowlist_label,
    credential_problem,
    parse_allowlist,
    words,
)
from settings import ConfigError, load_settings
from tests.policy_support import document, messages, resource
from tests.support import ALLOWLISTED_WEB, WEB_SERVICE, config_with

POLICY = "aws-ecs-task-definition-no-secrets-in-environment"
WEB = WEB_SERVICE
# name -> the rule's verdict (None: accepted).
EXAMPLES = {
    "DB_PASS": "looks like a credential (the word PASS)",
    "dbPassword": "looks like a credential (the word PASSWORD)",
    "API_KEY": "looks like a credential (the word KEY)",
    "SIGNING_KEY": "looks like a credential (the word KEY)",
    "PRIVATE_KEY": "looks like a credential (the word KEY)",
    "PRIVATE_KEY_PEM": "looks like a credential (the word KEY)",
    "WEBHOOK_TOKEN_URL": "looks like a credential (the word TOKEN)",
    "PARTITION_KEY": "looks like a credential (the word KEY)",
    "AWS_SECRET_ACCESS_KEY": "is never allowed in plain environment (Security Hub ECS.8; AWS credentials come from the task role)",
    "CACHE_KEY_PREFIX": None,
    "KEY_ROTATION_DAYS": None,
    "MONKEY_BUSINESS": None,
    "BYPASS_CACHE": None,
    "DB_PASSWORD_FILE": None,
    "SIGNING_KEY_ID": None,
    "DB_SECRET_ARN": None,
}


@pytest.mark.parametrize(
    "name, split",
    [
        ("DB_PASSWORD_FILE", ["DB", "PASSWORD", "FILE"]),
        ("dbPassword2", ["DB", "PASSWORD", "2"]),
        ("APIKey", ["API", "KEY"]),
    ],
)
def test_names_split_into_words(name, split):
    assert words(name) == split


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_rule(name):
    assert credential_problem(name) == EXAMPLES[name]


def test_an_allowlisted_name_is_accepted_but_never_an_aws_key():
    assert credential_problem("PARTITION_KEY", ["PARTITION_KEY"]) is None
    assert credential_problem("AWS_SECRET_ACCESS_KEY", ["AWS_SECRET_ACCESS_KEY"]) is not None


# -- the settings ----------------------------------------------------------------------------------


def settings_lines(environment: dict[str, str], allowed: list[str] | None = None) -> list[str]:
    service = {**WEB, "environment": environment, **({"allowedPlainNames": allowed} if allowed else {})}
    try:
        load_settings("prod", config_with("prod", {"webapp:services": [service]}))
    except ConfigError as error:
        return error.lines
    return []


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_settings_agree(name):
    expected = EXAMPLES[name]
    lines = settings_lines({name: "x"})
    if expected is None:
        assert lines == []
    else:
        remedy = "put it in secrets as a Secrets Manager ARN, or in allowedPlainNames if it is none"
        assert lines == [f"prod: services[0].environment.{name}: {expected}: {remedy} (got [hidden])"]


def test_db_pass_as_a_plain_variable_is_one_line():
    assert len(settings_lines({"DB_PASS": "x"})) == 1


def test_the_settings_accept_an_allowlisted_name():
    assert settings_lines({"PARTITION_KEY": "tenant"}, ["PARTITION_KEY"]) == []


@pytest.mark.parametrize(
    "environment, allowed, line",
    [
        (
            {"AWS_SECRET_ACCESS_KEY": "x"},
            ["AWS_SECRET_ACCESS_KEY"],
            "prod: services[0].allowedPlainNames[0]: can never be allowed in plain environment (Security Hub ECS.8) "
            "(got AWS_SECRET_ACCESS_KEY)",
        ),
        (
            {},
            ["PARTITION_KEY"],
            "prod: services[0].allowedPlainNames[0]: is not a name of this service's environment (got PARTITION_KEY)",
        ),
        (
            {"CACHE_KEY_PREFIX": "v1"},
            ["CACHE_KEY_PREFIX"],
            "prod: services[0].allowedPlainNames[0]: the credential-name rule accepts it already; remove it "
            "(got CACHE_KEY_PREFIX)",
        ),
    ],
)
def test_an_allowlist_entry_must_be_a_needed_exception(environment, allowed, line):
    assert line in settings_lines(environment, allowed)


# -- the pack ------------------------------------------------------------------------------------


def task(name: str, environment: list[str], labels: dict[str, str] | None = None) -> dict:
    container = {
        "name": "web",
        "image": "nginx:1.27",
        "environment": [{"name": variable, "value": "x"} for variable in environment],
        **({"dockerLabels": labels} if labels else {}),
    }
    return resource("aws:ecs/taskDefinition:TaskDefinition", name, {"containerDefinitions": json.dumps([container])})


TASKS = {name: task(f"task-{index}", [name]) for index, name in enumerate(EXAMPLES)}
# Two names, as the task definition component writes them (allowlist_label): each is honoured.
ALLOWLISTED_NAMES = ["PARTITION_KEY", "S3_OBJECT_KEY"]
ALLOWLISTED = task("allowlisted", ALLOWLISTED_NAMES, {ALLOWLIST_LABEL: allowlist_label(ALLOWLISTED_NAMES)})


@pytest.fixture(scope="module")
def report(policy_pack):
    return policy_pack.check(document(*TASKS.values(), ALLOWLISTED))


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_pack_agrees(report, name):
    expected = EXAMPLES[name]
    found = messages(report, POLICY, TASKS[name]["urn"])
    if expected is None:
        assert found == []
    elif name == "AWS_SECRET_ACCESS_KEY":
        assert found == [f"container web: environment variable {name} {expected}"]
    else:
        assert found == [f"container web: environment variable {name} {expected}; pass it under secrets with valueFrom"]


def test_the_label_the_task_definition_writes_reads_back_as_its_names():
    """The task definition writes the allowlist as one Docker label value; the pack reads it back."""
    assert parse_allowlist(allowlist_label(["SORT_KEY", "PARTITION_KEY"])) == ["PARTITION_KEY", "SORT_KEY"]


def test_the_pack_honours_the_allowlist_label(report):
    assert messages(report, POLICY, ALLOWLISTED["urn"]) == []


def test_an_allowlist_in_the_settings_reaches_the_pack_through_the_synth(policy_pack, optional_staging):
    # Its only service is ALLOWLISTED_WEB: PARTITION_KEY in plain environment, allowlisted.
    assert ALLOWLISTED_WEB["allowedPlainNames"] == ["PARTITION_KEY"]
    stack = optional_staging
    (web_task,) = [t for t in stack.of_type("aws:ecs/taskDefinition:TaskDefinition") if "web" in t["name"]]
    (app, *_) = json.loads(web_task["inputs"]["containerDefinitions"])
    assert app["dockerLabels"] == {ALLOWLIST_LABEL: "PARTITION_KEY"}
    assert policy_pack.check(stack.document).by_policy(POLICY) == []
