"""The credential-name rule: which plain environment variable names look like a credential.

One rule for the stack settings (a service's `environment`, checked before anything is
registered) and for the policy pack (`aws-ecs-task-definition-no-secrets-in-environment`, which
checks the task definitions themselves), so the two accept and reject exactly the same names.
It lives in the pack's package because the pack runs in its own virtualenv with only
pulumi-policy installed, and imports nothing, so the settings import it as
`policies.webapp_policies.names` at no cost (the package's `__init__` loads the policy modules
only when the pack asks for them).

A name is split into words at `_`, at a lower-to-upper case change and between letters and
digits (`dbPassword2` -> DB PASSWORD 2), and compared upper-case. Then, in this order:

1. A name in FORBIDDEN_NAMES is rejected, whatever follows (Security Hub ECS.8: AWS keys).
2. A name on the service's allowlist is accepted (a reviewed exception, e.g. PARTITION_KEY).
3. A name whose last word is a reference suffix, FILE, ARN, ID, NAME or PATH, is accepted:
   its value points at a credential (a mounted file, a Secrets Manager ARN or name, a key id,
   an SSM path), it is not one: DB_PASSWORD_FILE, SIGNING_KEY_ID, DB_SECRET_ARN.
   URL is deliberately not a reference suffix: webhook URLs and DSNs carry their credential
   (https://hooks.example.com/T0/B0/<token>, postgres://user:password@host).
4. A name with a credential word anywhere is rejected: PASS, PASSWD, PASSWORD, PASSPHRASE, PWD,
   SECRET, TOKEN, CREDENTIAL, CREDS, APIKEY, ACCESSKEY, PRIVATEKEY (and their plurals).
   DB_PASS, GITHUB_TOKEN_RO and dbPassword are rejected; BYPASS_CACHE and PASSTHROUGH are not
   (whole words only).
5. KEY (or KEYS) is rejected only as the last word, or when only value-encoding words follow it
   (PEM, DER, B64, BASE64, HEX, RAW, DATA, MATERIAL, VALUE, JSON, BYTES): API_KEY, SIGNING_KEY,
   PRIVATE_KEY, PRIVATE_KEY_PEM are rejected; CACHE_KEY_PREFIX, KEY_ROTATION_DAYS and
   MONKEY_BUSINESS are accepted. A non-credential name ending in KEY (PARTITION_KEY,
   S3_OBJECT_KEY) belongs on the allowlist.
6. Anything else is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Never plain, never allowlisted (Security Hub ECS.8; ECS_ENGINE_AUTH_DATA holds registry credentials).
FORBIDDEN_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA")
REFERENCE_SUFFIXES = ("FILE", "ARN", "ID", "NAME", "PATH")
CREDENTIAL_WORDS = frozenset(
    {
        *("PASS", "PASSWD", "PASSWORD", "PASSWORDS", "PASSPHRASE", "PWD"),
        *("SECRET", "SECRETS", "TOKEN", "TOKENS", "CREDENTIAL", "CREDENTIALS", "CREDS"),
        *("APIKEY", "APIKEYS", "ACCESSKEY", "PRIVATEKEY"),
    }
)
KEY_WORDS = frozenset({"KEY", "KEYS"})
ENCODING_WORDS = frozenset({"PEM", "DER", "B64", "BASE64", "HEX", "RAW", "DATA", "MATERIAL", "VALUE", "JSON", "BYTES"})
# The container label that carries a service's allowlist into its task definition, so the pack
# honours the same exceptions the settings accepted: comma-separated names.
ALLOWLIST_LABEL = "webapp.plain-environment-allowlist"

# A word is a run of capitals (an acronym), a capitalized or lowercase run, or digits; anything
# else (the underscores of SNAKE_CASE) only separates words.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+|[0-9]+")


def words(name: str) -> list[str]:
    """DB_PASSWORD_FILE -> [DB, PASSWORD, FILE]; dbPassword2 -> [DB, PASSWORD, 2]; APIKey -> [API, KEY]."""
    return [word.upper() for word in _WORD.findall(name)]


def credential_problem(name: str, allowed: Iterable[str] = ()) -> str | None:
    """Why the plain variable `name` looks like a credential, or None when it may be plain."""
    if name.upper() in FORBIDDEN_NAMES:
        return "is never allowed in plain environment (Security Hub ECS.8; AWS credentials come from the task role)"
    if name in set(allowed):
        return None
    split = words(name)
    if not split or split[-1] in REFERENCE_SUFFIXES:
        return None
    for index, word in enumerate(split):
        if word in CREDENTIAL_WORDS:
            return f"looks like a credential (the word {word})"
        if word in KEY_WORDS and all(rest in ENCODING_WORDS for rest in split[index + 1 :]):
            return f"looks like a credential (the word {word})"
    return None


def allowlist_label(names: Iterable[str]) -> str:
    """The ALLOWLIST_LABEL value for these names."""
    return ",".join(sorted(names))


def parse_allowlist(label: object) -> list[str]:
    """The names of an ALLOWLIST_LABEL value (nothing when it is not a string, e.g. unknown)."""
    if not isinstance(label, str):
        return []
    return [name.strip() for name in label.split(",") if name.strip()]
