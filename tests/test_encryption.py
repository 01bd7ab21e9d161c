"""Customer-managed keys: rotation, deletion window, policy, aliases, protection, regions."""

from __future__ import annotations

import json

import pytest

from components.common import AwsContext
from components.encryption import KeyArgs, key_policy
from tests.support import Synth

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
CONTEXT = AwsContext(account_id="123456789012", region="us-east-1")


def key_of(stack: Synth, component: str) -> dict:
    return next(r for r in stack.children(component) if r["type"] == KEY)


def statements(key: dict) -> list[dict]:
    return json.loads(key["inputs"]["policy"])["Statement"]


def via_services(key: dict) -> list[str]:
    return next(s for s in statements(key) if s["Sid"] == "ServicesUseThroughIntegration")["Condition"]["StringEquals"][
        "kms:ViaService"
    ]


def test_every_key_rotates_and_waits_30_days_before_deletion(prod):
    keys = prod.of_type(KEY)
    assert keys
    for key in keys:
        assert key["inputs"]["enableKeyRotation"] is True
        assert key["inputs"]["deletionWindowInDays"] == 30.0


def test_no_key_policy_grants_a_wildcard_principal_without_a_condition(prod):
    for key in prod.of_type(KEY):
        for statement in statements(key):
            if statement["Principal"] in ("*", {"AWS": "*"}):
                assert statement.get("Condition"), (key["name"], statement["Sid"])


def test_account_administers_every_key(prod):
    for key in prod.of_type(KEY):
        admin = next(s for s in statements(key) if s["Sid"] == "AccountAdministers")
        assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


@pytest.mark.parametrize(
    "component, services",
    [
        ("database-encryption", ["rds.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"]),
        ("cache-encryption", ["elasticache.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"]),
    ],
)
def test_data_keys_are_usable_only_through_their_services_in_this_account(prod, component, services):
    key = key_of(prod, component)
    statement = next(s for s in statements(key) if s["Sid"] == "ServicesUseThroughIntegration")
    assert via_services(key) == services
    assert statement["Condition"]["StringEquals"]["kms:CallerAccount"] == "123456789012"


def test_logs_key_lets_cloudwatch_logs_encrypt_only_this_accounts_log_groups(prod):
    statement = next(s for s in statements(key_of(prod, "logs")) if s["Sid"] == "CloudWatchLogsEncrypts")
    assert statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:*"
    )


def test_each_key_has_a_stack_scoped_alias(prod):
    for key in prod.of_type(KEY):
        alias = next(r for r in prod.of_type(ALIAS) if key["urn"] in r["propertyDependencies"]["targetKeyId"])
        component = prod.by_urn[key["parent"]]["name"]
        assert alias["inputs"]["name"] == f"alias/prod-{component}"


def test_prod_protects_every_key(prod):
    assert all(key["options"]["protect"] for key in prod.of_type(KEY))


def test_staging_keys_can_be_destroyed_with_the_stack(staging):
    data_keys = [key_of(staging, "database-encryption"), key_of(staging, "cache-encryption")]
    assert not any(key["options"]["protect"] for key in data_keys)


def test_a_key_in_another_region_names_that_regions_services():
    policy = json.loads(
        key_policy(KeyArgs(context=CONTEXT, description="copies", via_services=("rds",), logs=True, region="us-west-2"))
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ServicesUseThroughIntegration"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "rds.us-west-2.amazonaws.com"
    ]
    assert by_sid["CloudWatchLogsEncrypts"]["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
