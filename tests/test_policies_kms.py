"""KMS key policies, driven through the analyzer protocol: a compliant key (rotation, explicit
account-bound key policy, 30-day window) passes, each single break is caught by its policy alone,
the key policy is read from its JSON string, unknowns never violate."""

import json

import pytest

from tests.policy_support import (
    ACCOUNT,
    DELETE,
    broken,
    document,
    fired,
    messages,
    resource,
    variant_urn,
    with_unknowns,
)

KEY_TYPE = "aws:kms/key:Key"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "ServicesUseThroughIntegration",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "rds.us-east-1.amazonaws.com"}
            },
        },
    ],
}
KEY = resource(
    KEY_TYPE,
    "key",
    {"description": "test data", "enableKeyRotation": True, "deletionWindowInDays": 30.0, "policy": json.dumps(POLICY)},
    protect=True,
)
STATEMENT = ("policy", "Statement", 1)
BREAKS = {
    "no-rotation": ("aws-kms-key-rotation", ("enableKeyRotation",), False),
    "rotation-default": ("aws-kms-key-rotation", ("enableKeyRotation",), DELETE),
    "rotation-two-years": ("aws-kms-key-rotation", ("rotationPeriodInDays",), 730.0),
    "public-statement": ("aws-kms-key-policy-not-public", STATEMENT + ("Condition",), DELETE),
    "wildcard-principal-string": ("aws-kms-key-policy-not-public", ("policy", "Statement", 0, "Principal"), "*"),
    "only-via-service": (
        "aws-kms-key-policy-not-public",
        STATEMENT + ("Condition", "StringEquals", "kms:CallerAccount"),
        DELETE,
    ),
    "default-key-policy": ("aws-kms-key-policy-not-public", ("policy",), DELETE),
    "lockout-check-bypassed": ("aws-kms-key-policy-not-public", ("bypassPolicyLockoutSafetyCheck",), True),
    "seven-day-window": ("aws-kms-key-deletion-window", ("deletionWindowInDays",), 7.0),
    "disabled": ("aws-kms-key-deletion-window", ("isEnabled",), False),
}
KMS_POLICIES = sorted({policy for policy, _, _ in BREAKS.values()})


@pytest.fixture(scope="module")
def report(policy_pack):
    safe = broken([KEY], 0, {"window-default": (None, ("deletionWindowInDays",), DELETE)})
    return policy_pack.check(document(KEY, *broken([KEY], 0, BREAKS), *safe))


@pytest.mark.parametrize("policy", KMS_POLICIES)
def test_compliant_key_passes(report, policy):
    assert messages(report, policy, KEY["urn"]) == []


@pytest.mark.parametrize("variant", BREAKS)
def test_each_break_is_caught_by_its_policy_alone(report, variant):
    assert fired(report, variant_urn(KEY, variant), KMS_POLICIES) == {BREAKS[variant][0]}


def test_an_unset_deletion_window_is_the_safe_default_of_30_days(report):
    assert fired(report, variant_urn(KEY, "window-default"), KMS_POLICIES) == set()


def test_a_public_statement_is_named(report):
    assert messages(report, "aws-kms-key-policy-not-public", variant_urn(KEY, "public-statement")) == [
        'statement ServicesUseThroughIntegration allows {"AWS": "*"} without an account condition'
    ]


def test_asymmetric_keys_are_not_asked_to_rotate(policy_pack):
    signing = resource(
        KEY_TYPE,
        "signing",
        {
            **KEY["inputs"],
            "customerMasterKeySpec": "ECC_NIST_P256",
            "keyUsage": "SIGN_VERIFY",
            "enableKeyRotation": False,
        },
    )
    assert messages(policy_pack.check(document(signing)), "aws-kms-key-rotation") == []


def test_protect_is_required_when_configured(policy_pack):
    unprotected = resource(KEY_TYPE, "key", KEY["inputs"], protect=False)
    result = policy_pack.check(document(unprotected), {"aws-kms-key-deletion-window": {"requireProtect": True}})
    assert messages(result, "aws-kms-key-deletion-window") == ["the protect resource option is off"]


def test_a_key_policy_that_is_not_json_is_reported(policy_pack):
    result = policy_pack.check(document(resource(KEY_TYPE, "bad", {**KEY["inputs"], "policy": "{"})))
    assert messages(result, "aws-kms-key-policy-not-public")[0].startswith("policy is not valid JSON")


def test_unknown_values_never_violate(policy_pack):
    result = policy_pack.check(document(*with_unknowns(KEY)))
    assert [v.line() for v in result.violations if v.policy in KMS_POLICIES] == []
