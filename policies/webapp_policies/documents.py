"""IAM-style policy documents (IAM policies, KMS key policies, S3 bucket policies): their
statements, and who a statement lets in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .values import as_list


def statements(document: Any) -> list[dict]:
    if not isinstance(document, Mapping):
        return []
    found = document.get("Statement")
    if isinstance(found, Mapping):
        return [dict(found)]
    return [dict(s) for s in found if isinstance(s, Mapping)] if isinstance(found, list) else []


def principal_is_public(principal: Any) -> bool:
    """`"*"`, `{"AWS": "*"}` (or "*" among several): anyone, in any account."""
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in as_list(v) for v in principal.values())
    return False


# Condition keys that tie a statement with a wildcard principal to known accounts or callers.
ACCOUNT_CONDITION_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalArn",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "kms:CallerAccount",
    )
)


def account_restricted(statement: Mapping) -> bool:
    """Whether a statement's Condition limits it to known accounts, principals or networks."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    return any(
        isinstance(tests, Mapping) and any(str(key).lower() in ACCOUNT_CONDITION_KEYS for key in tests)
        for tests in condition.values()
    )
