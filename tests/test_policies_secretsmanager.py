"""Secrets Manager policies: the encrypted, rotated secret and its breaks, which
tests/test_policies.py runs; here the message of a secret nobody rotates and the policy config."""

import pytest

from tests.policy_support import ACCOUNT, DELETE, UNKNOWN, PolicyTable, document, messages, resource, variant_urn

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
SECRET_BREAKS = {
    "default-key": ("aws-secretsmanager-secret-customer-managed-key", ("kmsKeyId",), DELETE),
    "aws-managed-key": ("aws-secretsmanager-secret-customer-managed-key", ("kmsKeyId",), "alias/aws/secretsmanager"),
}
# Reported on the secret the rotation rotates.
ROTATION_BREAKS = {
    "rotates-yearly": ("aws-secretsmanager-secret-rotation", ("rotationRules", "automaticallyAfterDays"), 365.0),
    # A schedule expression counts as rotation.
    "scheduled": (None, ("rotationRules",), {"scheduleExpression": "rate(30 days)"}),
}


def _remove_rotation(records):
    records["token-rotation"] = None


TABLE = (
    PolicyTable(SECRET, ROTATION)
    .breaks("token", SECRET_BREAKS)
    .breaks("token-rotation", ROTATION_BREAKS, on="token")
    .edits({"never-rotated": ("aws-secretsmanager-secret-rotation", "token", _remove_rotation)})
)


def test_a_secret_without_rotation_is_caught(report):
    assert messages(report, "aws-secretsmanager-secret-rotation", variant_urn(SECRET, "never-rotated")) == [
        "no secret rotation names it as secretId"
    ]


def test_exempt_secrets_follow_the_policy_config(policy_pack):
    result = policy_pack.check(document(SECRET), {"aws-secretsmanager-secret-rotation": {"exemptSecrets": ["tok*"]}})
    assert messages(result, "aws-secretsmanager-secret-rotation") == []


def test_each_break_tells_the_reviewer_what_is_wrong(report):
    """The PR report shows these lines under the secret: the key it uses, or how often it rotates
    against the longest interval allowed."""
    said = {
        variant: [
            line
            for policy in ("aws-secretsmanager-secret-customer-managed-key", "aws-secretsmanager-secret-rotation")
            for line in messages(report, policy, variant_urn(SECRET, variant))
        ]
        for variant in ("default-key", "aws-managed-key", "rotates-yearly")
    }
    assert said == {
        "default-key": ["kmsKeyId is not set, so the secret uses the AWS-managed key aws/secretsmanager"],
        "aws-managed-key": ["kmsKeyId 'alias/aws/secretsmanager' is an AWS-managed key"],
        "rotates-yearly": ["rotates every 365 days; at most 90"],
    }


def test_a_rotation_of_exactly_the_longest_interval_passes(policy_pack):
    quarterly = {**ROTATION, "inputs": {**ROTATION["inputs"], "rotationRules": {"automaticallyAfterDays": 90.0}}}
    quarterly["outputs"] = quarterly["inputs"]
    assert messages(policy_pack.check(document(SECRET, quarterly)), "aws-secretsmanager-secret-rotation") == []


def test_the_secrets_around_an_exempt_one_are_still_checked(policy_pack):
    """One before it and one after it, by name and in the document."""
    alpha, zulu = (
        resource("aws:secretsmanager/secret:Secret", name, {"name": f"webapp/test/{name}", "kmsKeyId": KEY})
        for name in ("alpha", "zulu")
    )
    result = policy_pack.check(
        document(alpha, SECRET, zulu), {"aws-secretsmanager-secret-rotation": {"exemptSecrets": ["tok*"]}}
    )
    assert sorted(v.urn for v in result.by_policy("aws-secretsmanager-secret-rotation")) == [alpha["urn"], zulu["urn"]]


def rotation_of(name: str, secret: dict, rules: dict, deps: dict | None = None) -> dict:
    return resource(
        ROTATION["type"],
        name,
        {**ROTATION["inputs"], "secretId": secret["outputs"]["arn"], "rotationRules": rules},
        deps=deps or {"secretId": [secret["urn"]]},
    )


def test_only_a_rotation_whose_secret_id_names_the_secret_rotates_it(policy_pack):
    # A rotation of another secret that takes some other input from this one does not rotate it.
    other = resource(
        SECRET["type"],
        "other",
        {"kmsKeyId": KEY},
        outputs={"kmsKeyId": KEY, "arn": f"{SECRET['outputs']['arn']}-other"},
    )
    elsewhere = rotation_of(
        "other-rotation",
        other,
        {"automaticallyAfterDays": 30.0},
        deps={"secretId": [other["urn"]], "rotationLambdaArn": [SECRET["urn"]]},
    )
    result = policy_pack.check(document(SECRET, other, elsewhere))
    assert {v.urn: v.message for v in result.by_policy("aws-secretsmanager-secret-rotation")} == {
        SECRET["urn"]: "no secret rotation names it as secretId"
    }


@pytest.mark.parametrize(
    "first",
    [{"scheduleExpression": "rate(30 days)"}, {"automaticallyAfterDays": UNKNOWN}],
    ids=["scheduled", "unknown"],
)
def test_every_rotation_of_a_secret_is_held_to_the_longest_interval(policy_pack, first):
    # Two rotations of one secret fight over its one rotation configuration: a passing (or not yet
    # known) first one does not excuse a yearly second one.
    rotations = [rotation_of("first", SECRET, first), rotation_of("second", SECRET, {"automaticallyAfterDays": 365.0})]
    result = policy_pack.check(document(SECRET, *rotations))
    assert messages(result, "aws-secretsmanager-secret-rotation", SECRET["urn"]) == [
        "rotates every 365 days; at most 90"
    ]
