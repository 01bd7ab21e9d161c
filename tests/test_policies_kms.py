"""KMS key policies: the compliant key (rotation, explicit account-bound key policy, 30-day
window) and its breaks, which tests/test_policies.py runs; here what only keys need (messages,
asymmetric keys, the protect option, a key policy that is not JSON)."""

import json

from tests.policy_support import ACCOUNT, DELETE, PolicyTable, document, messages, resource, variant_urn

KEY_TYPE = "aws:kms/key:Key"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-execution-role-1c0ed9c"
VIA_RDS = {"StringEquals": {"kms:ViaService": "rds.us-east-1.amazonaws.com"}}
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
            "Sid": "NamedConsumersDecrypt",
            "Effect": "Allow",
            "Principal": {"AWS": EXECUTION_ROLE},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": VIA_RDS,
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
PUBLIC = "aws-kms-key-policy-not-public"
WINDOW = "aws-kms-key-deletion-window"
NAMED = "aws-kms-key-policy-named-principals"
IN_ACCOUNT = {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "rds.us-east-1.amazonaws.com"}}
BREAKS = {
    "no-rotation": ("aws-kms-key-rotation", ("enableKeyRotation",), False),
    "rotation-default": ("aws-kms-key-rotation", ("enableKeyRotation",), DELETE),
    "rotation-two-years": ("aws-kms-key-rotation", ("rotationPeriodInDays",), 730.0),
    "public-statement": ((PUBLIC, NAMED), STATEMENT + ("Principal",), {"AWS": "*"}),
    "wildcard-principal-string": ((PUBLIC, NAMED), ("policy", "Statement", 0, "Principal"), "*"),
    # Bound to the account, but anyone in it that can call RDS may use the key.
    "account-bound-wildcard": (NAMED, STATEMENT, {**POLICY["Statement"][1], "Principal": "*", "Condition": IN_ACCOUNT}),
    "wildcard-among-named": (
        NAMED,
        STATEMENT,
        {**POLICY["Statement"][1], "Principal": {"AWS": [EXECUTION_ROLE, "*"]}, "Condition": IN_ACCOUNT},
    ),
    "not-principal": (
        NAMED,
        STATEMENT,
        {
            **{k: v for k, v in POLICY["Statement"][1].items() if k != "Principal"},
            "NotPrincipal": {"AWS": EXECUTION_ROLE},
        },
    ),
    "default-key-policy": (PUBLIC, ("policy",), DELETE),
    "lockout-check-bypassed": (PUBLIC, ("bypassPolicyLockoutSafetyCheck",), True),
    "seven-day-window": ("aws-kms-key-deletion-window", ("deletionWindowInDays",), 7.0),
    "disabled": ("aws-kms-key-deletion-window", ("isEnabled",), False),
}
# An unset deletion window is the safe default of 30 days.
SAFE_CHANGES = {"window-default": (None, ("deletionWindowInDays",), DELETE)}
TABLE = PolicyTable(KEY).breaks("key", BREAKS).breaks("key", SAFE_CHANGES)


def test_a_public_statement_is_named(report):
    assert messages(report, PUBLIC, variant_urn(KEY, "public-statement")) == [
        'statement NamedConsumersDecrypt allows {"AWS": "*"} without an account condition'
    ]


def test_an_account_bound_wildcard_principal_is_named(report):
    assert messages(report, NAMED, variant_urn(KEY, "account-bound-wildcard")) == [
        "statement NamedConsumersDecrypt allows the wildcard principal '*'"
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


def test_a_key_without_rotation_says_what_it_has(report):
    """The reader learns whether rotation was switched off or left to the provider's default."""
    assert messages(report, "aws-kms-key-rotation", variant_urn(KEY, "no-rotation")) == [
        "enableKeyRotation is false (the provider default is false)"
    ]
    assert messages(report, "aws-kms-key-rotation", variant_urn(KEY, "rotation-default")) == [
        "enableKeyRotation is not set (the provider default is false)"
    ]


def test_a_rotation_period_over_the_maximum_names_both(report):
    assert messages(report, "aws-kms-key-rotation", variant_urn(KEY, "rotation-two-years")) == [
        "rotationPeriodInDays is 730; at most 365"
    ]


def test_a_rotation_period_of_exactly_the_maximum_passes(policy_pack):
    yearly = resource(KEY_TYPE, "yearly", {**KEY["inputs"], "rotationPeriodInDays": 365.0})
    assert messages(policy_pack.check(document(yearly)), "aws-kms-key-rotation") == []


def test_a_statement_without_a_sid_is_named_by_its_position(policy_pack):
    unnamed = {k: v for k, v in POLICY["Statement"][1].items() if k != "Sid"}
    public = {"Statement": [POLICY["Statement"][0], {**unnamed, "Principal": {"AWS": "*"}}], "Version": "2012-10-17"}
    key = resource(KEY_TYPE, "unnamed", {**KEY["inputs"], "policy": json.dumps(public)})
    result = policy_pack.check(document(key))
    assert messages(result, PUBLIC) == ['statement 1 allows {"AWS": "*"} without an account condition']
    assert messages(result, NAMED) == ['statement 1 allows the wildcard principal {"AWS": "*"}']


def test_a_wildcard_after_a_deny_statement_is_still_found(policy_pack):
    """A Deny statement is passed over, not the end of the review: the Allow statements after it
    are read too."""
    deny = {"Sid": "DenyOutsideRds", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    wildcard = {**POLICY["Statement"][1], "Principal": "*", "Condition": IN_ACCOUNT}
    policy = {**POLICY, "Statement": [POLICY["Statement"][0], deny, wildcard]}
    key = resource(KEY_TYPE, "denied", {**KEY["inputs"], "policy": json.dumps(policy)})
    assert messages(policy_pack.check(document(key)), NAMED) == [
        "statement NamedConsumersDecrypt allows the wildcard principal '*'"
    ]


def test_each_break_tells_the_reviewer_what_is_wrong(report):
    """The PR report shows these lines under the key: each names the setting or the statement and
    what it holds."""
    said = {
        variant: [
            line for policy in (PUBLIC, NAMED, WINDOW) for line in messages(report, policy, variant_urn(KEY, variant))
        ]
        for variant in BREAKS
        if not TABLE.cases[variant].fires.isdisjoint((PUBLIC, NAMED, WINDOW))
    }
    assert said == {
        "public-statement": [
            'statement NamedConsumersDecrypt allows {"AWS": "*"} without an account condition',
            'statement NamedConsumersDecrypt allows the wildcard principal {"AWS": "*"}',
        ],
        "wildcard-principal-string": [
            "statement AccountAdministers allows '*' without an account condition",
            "statement AccountAdministers allows the wildcard principal '*'",
        ],
        "account-bound-wildcard": ["statement NamedConsumersDecrypt allows the wildcard principal '*'"],
        "wildcard-among-named": [
            f'statement NamedConsumersDecrypt allows the wildcard principal {{"AWS": ["{EXECUTION_ROLE}", "*"]}}'
        ],
        "not-principal": [f'statement NamedConsumersDecrypt allows everyone but {{"AWS": "{EXECUTION_ROLE}"}}'],
        "default-key-policy": ["policy is not set, so the key gets AWS's default policy instead of a reviewed one"],
        "lockout-check-bypassed": ["bypassPolicyLockoutSafetyCheck is true"],
        "seven-day-window": ["deletionWindowInDays is 7; at least 30 required"],
        "disabled": ["isEnabled is false"],
    }


def test_an_unnamed_not_principal_statement_is_named_by_its_position(policy_pack):
    unnamed = {k: v for k, v in POLICY["Statement"][1].items() if k not in ("Sid", "Principal")}
    everyone_but = {**unnamed, "NotPrincipal": {"AWS": EXECUTION_ROLE}}
    policy = {**POLICY, "Statement": [POLICY["Statement"][0], everyone_but]}
    key = resource(KEY_TYPE, "everyone-but", {**KEY["inputs"], "policy": json.dumps(policy)})
    assert messages(policy_pack.check(document(key)), NAMED) == [
        f'statement 1 allows everyone but {{"AWS": "{EXECUTION_ROLE}"}}'
    ]
