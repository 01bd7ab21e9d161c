"""Secrets Manager policies, driven through the analyzer protocol: an encrypted, rotated secret
passes, each single break is caught by its policy alone, unknowns never violate."""

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

KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f"
SECRET = resource(
    "aws:secretsmanager/secret:Secret",
    "token",
    {"name": "webapp/test/cache-auth", "kmsKeyId": KEY},
    outputs={
        "name": "webapp/test/cache-auth",
        "kmsKeyId": KEY,
        "arn": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:webapp/test/cache-auth-AbC123",
    },
)
ROTATION = resource(
    "aws:secretsmanager/secretRotation:SecretRotation",
    "token-rotation",
    {
        "secretId": SECRET["outputs"]["arn"],
        "rotationLambdaArn": "arn:lambda",
        "rotationRules": {"automaticallyAfterDays": 30.0},
    },
    deps={"secretId": [SECRET["urn"]]},
)
SCENARIO = [SECRET, ROTATION]
BREAKS = {
    "default-key": ("aws-secretsmanager-secret-customer-managed-key", 0, ("kmsKeyId",), DELETE),
    "aws-managed-key": ("aws-secretsmanager-secret-customer-managed-key", 0, ("kmsKeyId",), "alias/aws/secretsmanager"),
    "rotates-yearly": ("aws-secretsmanager-secret-rotation", 1, ("rotationRules", "automaticallyAfterDays"), 365.0),
}
SECRETS_POLICIES = sorted({policy for policy, *_ in BREAKS.values()})


def _remove_rotation(records):
    records["token-rotation"] = None


@pytest.fixture(scope="module")
def report(policy_pack):
    variants = [
        r
        for name, (_, index, path, value) in BREAKS.items()
        for r in broken(SCENARIO, index, {name: (None, path, value)})
    ]
    schedule = broken(SCENARIO, 1, {"scheduled": (None, ("rotationRules",), {"scheduleExpression": "rate(30 days)"})})
    return policy_pack.check(
        document(*SCENARIO, *variants, *edited(SCENARIO, "never-rotated", _remove_rotation), *schedule)
    )


@pytest.mark.parametrize("policy", SECRETS_POLICIES)
def test_compliant_secret_passes(report, policy):
    assert messages(report, policy, SECRET["urn"]) == []


@pytest.mark.parametrize("variant", BREAKS)
def test_each_break_is_caught_by_its_policy_alone(report, variant):
    assert fired(report, variant_urn(SECRET, variant), SECRETS_POLICIES) == {BREAKS[variant][0]}


def test_a_secret_without_rotation_is_caught(report):
    assert messages(report, "aws-secretsmanager-secret-rotation", variant_urn(SECRET, "never-rotated")) == [
        "no secret rotation names it as secretId"
    ]


def test_a_rotation_schedule_expression_counts(report):
    assert fired(report, variant_urn(SECRET, "scheduled"), SECRETS_POLICIES) == set()


def test_exempt_secrets_follow_the_policy_config(policy_pack):
    result = policy_pack.check(document(SECRET), {"aws-secretsmanager-secret-rotation": {"exemptSecrets": ["tok*"]}})
    assert messages(result, "aws-secretsmanager-secret-rotation") == []


def test_unknown_values_never_violate(policy_pack):
    result = policy_pack.check(document(*with_unknowns(*SCENARIO)))
    assert [v.line() for v in result.violations if v.policy in SECRETS_POLICIES] == []
