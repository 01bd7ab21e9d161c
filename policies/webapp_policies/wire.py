"""The pack's process serving the analyzer protocol at the cost of one decoding per message.

pulumi-policy decodes a resource's properties (a protobuf Struct) from scratch for each policy
it runs on that resource: with 79 policies, an `Analyze` call decodes the same message 79 times
and an `AnalyzeStack` call decodes every resource once per stack policy. The decoding
(`json_format.MessageToDict`, pure Python) was over half of the pack's CPU time in a check of
the prod stack. `install()` makes the SDK decode each distinct message once: the decoded value
is kept as JSON text and each caller gets its own copy, so no policy can see another's changes.
"""

from __future__ import annotations

import functools
import json
from types import ModuleType
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

# Distinct messages kept: a stack's resources, their providers and the policy configs fit
# several times over; the oldest are dropped first.
DECODED_MESSAGES = 4096


class _DecodingOnce(ModuleType):
    """`google.protobuf.json_format` as the SDK uses it, with `MessageToDict` decoding each
    distinct message once."""

    def __init__(self) -> None:
        super().__init__(json_format.__name__, json_format.__doc__)

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Message, **options: Any) -> dict[str, Any]:  # noqa: N802 (protobuf's name)
        if options:
            return json_format.MessageToDict(message, **options)
        return json.loads(_decoded(type(message), message.SerializeToString(deterministic=True)))


@functools.lru_cache(maxsize=DECODED_MESSAGES)
def _decoded(kind: type[Message], wire: bytes) -> str:
    message = kind()
    message.ParseFromString(wire)
    return json.dumps(json_format.MessageToDict(message))


def install(sdk: ModuleType) -> None:
    """Make the pulumi-policy module `sdk` (pulumi_policy.policy) decode each message once."""
    if getattr(sdk, "json_format", None) is not json_format:
        raise RuntimeError(f"{sdk.__name__}.json_format is not protobuf's json_format: the SDK changed")
    setattr(sdk, "json_format", _DecodingOnce())  # noqa: B010 (the SDK module's global, replaced)
