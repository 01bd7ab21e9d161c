"""Secrets Manager secrets (e.g. the cache AUTH token): encryption and rotation. The RDS master
password is managed by RDS itself (aws-rds-instance-managed-master-password)."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy, stack_policy
from .values import UNKNOWN, aws_managed_key, matches_any, show

SECRET = ("aws:secretsmanager/secret:Secret",)
ROTATION = ("aws:secretsmanager/secretRotation:SecretRotation",)


def _customer_managed_key(secret, config):
    key = secret.get("kmsKeyId")
    if key is UNKNOWN:
        return
    if key is None:
        yield "kmsKeyId is not set, so the secret uses the AWS-managed key aws/secretsmanager"
    elif aws_managed_key(key):
        yield f"kmsKeyId {show(key)} is an AWS-managed key"


customer_managed_key = resource_policy(
    Control(
        name="aws-secretsmanager-secret-customer-managed-key",
        description="Secrets are encrypted with a customer-managed KMS key, not aws/secretsmanager.",
        category="encryption",
        severity=Severity.MEDIUM,
        checkov=("CKV_AWS_149",),
        remediation="Set kms_key_id to a customer-managed key whose policy allows secretsmanager via kms:ViaService.",
    ),
    SECRET,
)(_customer_managed_key)


def _rotation(stack, config):
    for secret in stack.of_type(SECRET):
        if matches_any(secret.name, config["exemptSecrets"]):
            continue
        rotations = stack.referencing(secret, ROTATION, "secretId")
        if not rotations:
            yield secret.urn, "no secret rotation names it as secretId"
        for rotation_ in rotations:
            if rotation_.get("rotationRules.scheduleExpression") is not None:
                continue
            days = rotation_.number("rotationRules.automaticallyAfterDays")
            if days is UNKNOWN:
                continue
            if days is None or days > config["maximumDays"]:
                yield secret.urn, f"rotates every {show(days)} days; at most {show(config['maximumDays'])}"


rotation = stack_policy(
    Control(
        name="aws-secretsmanager-secret-rotation",
        description="Secrets rotate automatically at least every 90 days.",
        category="credential-rotation",
        severity=Severity.MEDIUM,
        fsbp="SecretsManager.1",
        securityhub=("SecretsManager.4",),
        checkov=("CKV2_AWS_57", "CKV_AWS_304"),
        remediation=(
            "Create an aws.secretsmanager.SecretRotation for the secret with a rotation Lambda and "
            "rotation_rules.automatically_after_days <= 90 (or a schedule_expression)."
        ),
        config={
            "maximumDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 1000,
                "default": 90,
                "description": "Longest interval between rotations.",
            },
            "exemptSecrets": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Resource names (glob patterns) of secrets rotated some other way.",
            },
        },
    ),
    SECRET + ROTATION,
)(_rotation)


# The pack serves exactly these, in this order.
POLICIES = [
    customer_managed_key,
    rotation,
]
