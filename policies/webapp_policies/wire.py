"""The pack's process serving the analyzer protocol at the cost of one decoding per message.

pulumi-policy prepares a resource for each policy it runs on it, from scratch: it decodes the
properties (a protobuf Struct, `json_format.MessageToDict`, pure Python), rebuilds them
(`deserialize_properties`) and wraps them in proxies that raise on unknown values
(`unknown_checking_proxy`), and does the same for the resource's provider. With 79 policies an
`Analyze` call prepared the same resource 79 times, and an `AnalyzeStack` call every resource
once per stack policy: three quarters of the pack's CPU time in a check of the prod stack.

`install()` makes each of the three steps, and the servicer's preparation of a resource's
options and provider, remember its answer, so each distinct message is prepared once and every policy gets the same prepared value. Sharing is safe because no policy
of this pack sees that value: each one is built by `controls.resource_policy` or
`controls.stack_policy`, which hand the check a plain copy (`values.plain`) and nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

# Distinct messages remembered: a stack's resources, their providers and the policy configs
# fit several times over; the oldest are dropped first.
DECODED_MESSAGES = 4096


class _DecodingOnce(ModuleType):
    """`google.protobuf.json_format` as the SDK uses it, with `MessageToDict` decoding each
    distinct message once and answering the same object for it after that."""

    def __init__(self) -> None:
        super().__init__(json_format.__name__, json_format.__doc__)

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Message, **options: Any) -> dict[str, Any]:  # noqa: N802 (protobuf's name)
        if options:
            return json_format.MessageToDict(message, **options)
        return _decoded_object(message)


def _decode_object(message: Message) -> dict[str, Any]:
    # The SDK decodes one message object once per policy: an Analyze request's properties for
    # every resource policy, each resource of an AnalyzeStack request for every stack policy.
    # protobuf's runtime (upb) hands out the same Python object for a submessage as long as it is
    # referenced, so that object is known again before it is serialized as the key once more
    # (the serializing was a fifth of the pack's time in a check of the prod stack). A request
    # is never changed after it arrives.
    return _decoded(type(message), message.SerializeToString(deterministic=True))


def _decode(kind: type[Message], wire: bytes) -> dict[str, Any]:
    message = kind()
    message.ParseFromString(wire)
    return json_format.MessageToDict(message)


_decoded = functools.lru_cache(maxsize=DECODED_MESSAGES)(_decode)


def same_answer_for_same_object(step: Callable[..., Any]) -> Callable[..., Any]:
    """`step(value, *flags)`, answered from memory when called again with the very same `value`
    object (the memory holds `value`, so its identity cannot be reused meanwhile)."""
    answers: dict[tuple[int, ...], tuple[Any, Any]] = {}

    def remembered(value: Any, *flags: Any) -> Any:
        key = (id(value), *flags)
        if key in answers and answers[key][0] is value:
            return answers[key][1]
        if len(answers) >= DECODED_MESSAGES:
            answers.clear()
        answer = step(value, *flags)
        answers[key] = (value, answer)
        return answer

    return functools.update_wrapper(remembered, step)


_decoded_object = same_answer_for_same_object(_decode_object)


def install(sdk: ModuleType) -> None:
    """Make the pulumi-policy module `sdk` (pulumi_policy.policy) prepare each message once."""
    for name in ("json_format", "deserialize_properties", "unknown_checking_proxy"):
        if not hasattr(sdk, name):
            raise RuntimeError(f"{sdk.__name__} has no {name}: the SDK changed")
    if sdk.json_format is not json_format:
        raise RuntimeError(f"{sdk.__name__}.json_format is not protobuf's json_format: the SDK changed")
    setattr(sdk, "json_format", _DecodingOnce())  # noqa: B010 (the SDK module's globals, replaced)
    setattr(sdk, "deserialize_properties", same_answer_for_same_object(sdk.deserialize_properties))  # noqa: B010
    setattr(sdk, "unknown_checking_proxy", same_answer_for_same_object(sdk.unknown_checking_proxy))  # noqa: B010
    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    for name in SERVICER_STEPS:
        if not callable(getattr(servicer, name, None)):
            raise RuntimeError(f"{sdk.__name__} has no _PolicyAnalyzerServicer.{name}: the SDK changed")
        setattr(servicer, name, _once_per_message(getattr(servicer, name)))


# The servicer's own preparation of a resource's options and provider, which it also repeats for
# every policy (a quarter of an AnalyzeStack call's time in a check of the prod stack). Each
# resource message is known again by its identity (see _decode_object); every policy gets the
# same options and provider, which no check of this pack sees either.
SERVICER_STEPS = ("_get_resource_options", "_get_provider_resource")


def _once_per_message(method: Callable[[Any, Message], Any]) -> Callable[[Any, Message], Any]:
    remembered = same_answer_for_same_object(lambda message, servicer: method(servicer, message))

    def prepared(servicer: Any, message: Message) -> Any:
        return remembered(message, servicer)

    return functools.update_wrapper(prepared, method)
