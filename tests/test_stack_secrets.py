"""Stack config files are committed: they hold no plaintext secret, only `secure:` ciphertext.

A secret belongs in the stack's secrets provider (`pulumi config set --secret`, which writes
`secure: <ciphertext>` encrypted with the stack's KMS key) or in Secrets Manager, referenced by
ARN. The scan flags a string under a secret-sounding key, and any value shaped like a credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from settings.stack_config import ROOT, SecureValue, read_stack_config, stack_names

SECRET_KEY = re.compile(
    r"password|passwd|passphrase|secret|token|api[-_]?key|private[-_]?key|credential|access[-_]?key", re.I
)
# Names of, pointers to and switches for secrets are not secrets (`passwordSecretArn`, `tokenName`).
REFERENCE_KEY = re.compile(r"(arn|name|id|ids|enabled|path|days)$", re.I)
SECRET_VALUE = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Pulumi access token": re.compile(r"\bpul-[0-9a-f]{40}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "URL with a password": re.compile(r"://[^/\s:@]+:[^/\s@]+@"),
}


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and set(value) == {"secure"}:  # `pulumi config set --path --secret`
        yield path, SecureValue(value["secure"])
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def plaintext_secrets(config: dict[str, Any]) -> list[str]:
    """`<key path>: <why>` for every value that looks like a secret stored in plaintext."""
    found = []
    for key, value in config.items():
        for path, leaf in _leaves(value, key):
            if isinstance(leaf, SecureValue) or not isinstance(leaf, str) or not leaf:
                continue
            last_key = re.split(r"[.:\[]", path)[-1]
            if SECRET_KEY.search(last_key) and not REFERENCE_KEY.search(last_key) and not leaf.startswith("arn:"):
                found.append(f"{path}: plaintext value under a secret-sounding key")
            found += [f"{path}: looks like a {kind}" for kind, pattern in SECRET_VALUE.items() if pattern.search(leaf)]
    return found


@pytest.mark.parametrize("stack", stack_names())
def test_stack_config_holds_no_plaintext_secret(stack):
    assert plaintext_secrets(read_stack_config(stack)) == []


@pytest.mark.parametrize("stack", stack_names())
def test_stack_config_uses_no_pulumi_esc_environment(stack):
    # ESC environments need Pulumi Cloud; the default self-managed backend rejects them.
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()) or {}
    assert "environment" not in document


@pytest.mark.parametrize(
    "config",
    [
        {"webapp:database": {"masterPassword": "hunter2hunter2"}},
        {"webapp:alarms": {"slack": {"webhookToken": "abc"}}},
        {"webapp:services": [{"name": "web", "environment": {"DATABASE_URL": "postgres://app:pw@db:5432/app"}}]},
        {"webapp:deploy": {"key": "AKIAABCDEFGHIJKLMNOP"}},
        {"webapp:tls": {"key": "-----BEGIN RSA PRIVATE KEY-----\nMIIE..."}},
    ],
    ids=["password-key", "nested-token-key", "url-with-password", "aws-key-id", "pem"],
)
def test_scan_catches_a_plaintext_secret(config):
    assert plaintext_secrets(config)


def test_scan_accepts_ciphertext_references_and_flags():
    config = {
        "webapp:database": {
            "masterPassword": SecureValue("v1:abc:def"),
            "passwordSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
        },
        "webapp:cache": {"authTokenEnabled": True, "authToken": {"secure": "v1:ghi:jkl"}, "tokenSecretName": "auth"},
    }
    assert plaintext_secrets(config) == []
