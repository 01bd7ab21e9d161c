"""Customer-managed KMS keys: rotation, key policy, deletion safety."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy
from .documents import account_restricted, principal_is_public, statements
from .values import UNKNOWN, BadJson, show

KEY = ("aws:kms/key:Key",)


def _rotation(key, config):
    spec = key.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT")
    if spec is UNKNOWN or spec != "SYMMETRIC_DEFAULT":
        return  # AWS rotates only symmetric encryption keys.
    if key.flag("enableKeyRotation", False) is False:
        yield f"enableKeyRotation is {show(key.get('enableKeyRotation'))} (the provider default is false)"
    period = key.number("rotationPeriodInDays")
    if period is not None and period is not UNKNOWN and period > config["maximumRotationPeriodDays"]:
        yield f"rotationPeriodInDays is {show(period)}; at most {show(config['maximumRotationPeriodDays'])}"


rotation = resource_policy(
    Control(
        name="aws-kms-key-rotation",
        description="Symmetric customer-managed KMS keys rotate their key material at least yearly.",
        category="encryption",
        severity=Severity.MEDIUM,
        securityhub=("KMS.4",),
        checkov=("CKV_AWS_7",),
        remediation="Set enable_key_rotation=True (rotation_period_in_days defaults to 365).",
        config={
            "maximumRotationPeriodDays": {
                "type": "integer",
                "minimum": 90,
                "maximum": 2560,
                "default": 365,
                "description": "Longest rotation period allowed.",
            }
        },
    ),
    KEY,
)(_rotation)


def _policy_not_public(key, config):
    if key.flag("bypassPolicyLockoutSafetyCheck", False) is True:
        yield "bypassPolicyLockoutSafetyCheck is true"
    try:
        document = key.json("policy")
    except BadJson as error:
        yield f"policy is {error}"
        return
    if document is UNKNOWN:
        return
    if document is None:
        yield "policy is not set, so the key gets AWS's default policy instead of a reviewed one"
        return
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") == "Allow" and principal_is_public(statement.get("Principal")):
            if not account_restricted(statement):
                yield f"statement {statement.get('Sid', index)} allows {show(statement.get('Principal'))} without an account condition"


policy_not_public = resource_policy(
    Control(
        name="aws-kms-key-policy-not-public",
        description="KMS key policies grant nothing to everyone: a wildcard principal is always tied to this account by a condition.",
        category="public-exposure",
        severity=Severity.CRITICAL,
        fsbp="KMS.5",
        checkov=("CKV_AWS_33", "CKV2_AWS_64"),
        remediation=(
            "Write an explicit key policy: administer from the account root, and when a statement "
            'must use Principal {"AWS": "*"} (e.g. with kms:ViaService) add a kms:CallerAccount or '
            "aws:PrincipalAccount condition. Never set bypass_policy_lockout_safety_check."
        ),
    ),
    KEY,
)(_policy_not_public)


def _policy_named_principals(key, config):
    # aws-kms-key-policy-not-public reports a missing policy or one that is not JSON.
    for index, statement in enumerate(statements(key.known_json("policy"))):
        if statement.get("Effect") != "Allow":
            continue
        if principal_is_public(statement.get("Principal")):
            yield f"statement {statement.get('Sid', index)} allows the wildcard principal {show(statement.get('Principal'))}"
        elif "NotPrincipal" in statement:
            yield f"statement {statement.get('Sid', index)} allows everyone but {show(statement.get('NotPrincipal'))}"


policy_named_principals = resource_policy(
    Control(
        name="aws-kms-key-policy-named-principals",
        description=(
            "No KMS key policy statement allows a wildcard principal, even one bound to the account: "
            "every principal that may use or manage a key is named."
        ),
        category="least-privilege",
        severity=Severity.HIGH,
        remediation=(
            "Name the principals: the account root (kms:*, AWS's default statement that enables IAM "
            "policies), the key administrator roles, the roles that use the key (with kms:ViaService), "
            "and service principals bound by aws:SourceAccount or an encryption context."
        ),
    ),
    KEY,
)(_policy_named_principals)


def _deletion_window(key, config):
    days = key.number("deletionWindowInDays", 30.0)
    if days is not UNKNOWN and days < config["minimumDays"]:
        yield f"deletionWindowInDays is {show(days)}; at least {show(config['minimumDays'])} required"
    if key.flag("isEnabled", True) is False:
        yield "isEnabled is false"
    if config["requireProtect"] and not key.protect:
        yield "the protect resource option is off"


deletion_window = resource_policy(
    Control(
        name="aws-kms-key-deletion-window",
        description="KMS keys are enabled and, once scheduled for deletion, wait long enough to be recovered.",
        category="deletion-safety",
        severity=Severity.CRITICAL,
        fsbp="KMS.3",
        checkov=("CKV_AWS_227",),
        remediation=(
            "Leave deletion_window_in_days at 30 (or at least the minimum), keep is_enabled=True, "
            "and with requireProtect give the key the protect=True resource option: deleting a key "
            "makes everything encrypted with it, backups included, unreadable."
        ),
        config={
            "minimumDays": {
                "type": "integer",
                "minimum": 7,
                "maximum": 30,
                "default": 30,
                "description": "Shortest deletion window allowed (KMS allows 7-30 days).",
            },
            "requireProtect": {
                "type": "boolean",
                "default": False,
                "description": "Also require Pulumi's protect resource option.",
            },
        },
    ),
    KEY,
)(_deletion_window)


# The pack serves exactly these, in this order.
POLICIES = [
    rotation,
    policy_not_public,
    policy_named_principals,
    deletion_window,
]
