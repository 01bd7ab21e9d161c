"""Secrets Manager policies: the encrypted, rotated secret and its breaks, which
tests/test_policies.py runs; here the message of a secret nobody rotates and the policy config."""

from tests.policy_support import ACCOUNT, DELETE, PolicyTable, document, messages, resource, variant_urn

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
