"""The pack's process serving the analyzer protocol at the cost of one decoding per message.

pulumi-policy prepares a resource for each policy it runs on it, from scratch: it decodes the
properties (a protobuf Struct, `json_format.MessageToDict`, pure Python), rebuilds them
(`deserialize_properties`) and wraps them in proxies that raise on unknown values
(`unknown_checking_proxy`), and does the same for the resource's provider. With 79 policies an
`Analyze` call prepared the same resource 79 times, and an `AnalyzeStack` call every resource
once per stack policy: three quarters of the pack's CPU time in a check of the prod stack.

`install()` makes each of the three steps, and the servicer's preparation of a resource's
options and provider, remember its answer, so each distinct message is prepared once and every
policy gets the same prepared value; its `AnalyzeStack` builds the stack's resources once per call
for all the stack policies. Sharing is safe because no policy of this pack sees those values: each
one is built by `controls.resource_policy` or `controls.stack_policy`, which hand the check a plain
copy (`values.plain`) and nothing else.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

# Distinct messages remembered: a stack's resources, their providers and the policy configs
# fit several times over; the oldest are dropped first.
DECODED_MESSAGES = 4096


class _DecodingOnce:
    """`google.protobuf.json_format` as the SDK uses it (only its functions are read), with
    `MessageToDict` decoding each distinct message once and answering the same object for it
    after that."""

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
    # is never changed after it arrives. Deterministic, so that the same properties make the same
    # key whatever order their keys arrived in: the engine (Go) writes a map's entries in random
    # order, and a Struct is a map.
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

    return remembered


_decoded_object = same_answer_for_same_object(_decode_object)


def install(sdk: ModuleType) -> None:
    """Make the pulumi-policy module `sdk` (pulumi_policy.policy) prepare each message once, and
    its servicer build a stack's resources once per AnalyzeStack. Everything it relies on is
    checked before anything is changed."""
    for name in ("json_format", "deserialize_properties", "unknown_checking_proxy"):
        if not hasattr(sdk, name):
            raise RuntimeError(f"{sdk.__name__} has no {name}: the SDK changed")
    if sdk.json_format is not json_format:
        raise RuntimeError(f"{sdk.__name__}.json_format is not protobuf's json_format: the SDK changed")
    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    for name in SERVICER_STEPS:
        if not callable(getattr(servicer, name, None)):
            raise RuntimeError(f"{sdk.__name__} has no _PolicyAnalyzerServicer.{name}: the SDK changed")
    _check_stack_analysis(sdk, servicer)
    setattr(sdk, "json_format", _DecodingOnce())  # noqa: B010 (the SDK module's globals, replaced)
    setattr(sdk, "deserialize_properties", same_answer_for_same_object(sdk.deserialize_properties))  # noqa: B010
    setattr(sdk, "unknown_checking_proxy", same_answer_for_same_object(sdk.unknown_checking_proxy))  # noqa: B010
    for name in SERVICER_STEPS:
        setattr(servicer, name, _once_per_message(getattr(servicer, name)))
    setattr(servicer, "AnalyzeStack", _analyze_stack_once(sdk))  # noqa: B010 (the SDK's method, replaced)


# The servicer's own preparation of a resource's options and provider, which it also repeats for
# every policy (a quarter of an AnalyzeStack call's time in a check of the prod stack). Each
# resource message is known again by its identity (see _decode_object); every policy gets the
# same options and provider, which no check of this pack sees either.
SERVICER_STEPS = ("_get_resource_options", "_get_provider_resource")


def _once_per_message(method: Callable[[Any, Message], Any]) -> Callable[[Any, Message], Any]:
    remembered = same_answer_for_same_object(lambda message, servicer: method(servicer, message))

    def prepared(servicer: Any, message: Message) -> Any:
        return remembered(message, servicer)

    return prepared


# pulumi-policy's AnalyzeStack builds every resource of the request again for each stack policy
# (21 of them): its properties, options and provider, a PolicyResource, and the parent and
# dependency links between them, even with the steps above remembered. `_analyze_stack_once` is
# that method with the resources built once per call: an AnalyzeStack of the prod stack's 241
# resources 76 ms of CPU with the SDK's method, 21 ms with this one. What it relies on of the SDK
# is checked when it is installed, so a pulumi-policy that changed it is refused, not served
# differently.
STACK_SDK_NAMES = (
    "proto",
    "EnforcementLevel",
    "StackValidationPolicy",
    "StackValidationArgs",
    "PolicyResource",
    "UnknownValueError",
    "_NotApplicableError",
)
STACK_SERVICER_STEPS = (
    "AnalyzeStack",
    "_configure_runtime_settings",
    "_get_enforcement_level",
    "_create_report_violation",
    "_get_policy_config",
)
# The servicer's private state the method reads (declared on the class, mangled by its name).
STACK_SERVICER_STATE = ("policies", "policy_pack_name", "policy_pack_version", "stack_tags")
_SIGNATURES = {
    "PolicyResource": (
        "resource_type",
        "props",
        "urn",
        "name",
        "opts",
        "provider",
        "parent",
        "dependencies",
        "property_dependencies",
    ),
    "StackValidationArgs": ("resources", "config", "stack_tags"),
}
_RESOURCE_FIELDS = ("type", "properties", "urn", "name", "parent", "dependencies", "propertyDependencies")


def _state(servicer: Any, name: str) -> Any:
    return getattr(servicer, f"_PolicyAnalyzerServicer__{name}")


def _check_stack_analysis(sdk: ModuleType, servicer: Any) -> None:
    for name in STACK_SDK_NAMES:
        if not hasattr(sdk, name):
            raise RuntimeError(f"{sdk.__name__} has no {name}: the SDK changed")
    for name in STACK_SERVICER_STEPS:
        if not callable(getattr(servicer, name, None)):
            raise RuntimeError(f"{sdk.__name__} has no _PolicyAnalyzerServicer.{name}: the SDK changed")
    declared = {name for cls in servicer.__mro__ for name in vars(cls).get("__annotations__", {})}
    for name in STACK_SERVICER_STATE:
        if f"_PolicyAnalyzerServicer__{name}" not in declared:
            raise RuntimeError(f"{sdk.__name__}._PolicyAnalyzerServicer has no __{name}: the SDK changed")
    for name, parameters in _SIGNATURES.items():
        if tuple(inspect.signature(getattr(sdk, name)).parameters) != parameters:
            raise RuntimeError(f"{sdk.__name__}.{name} takes other arguments: the SDK changed")
    fields = sdk.proto.AnalyzerResource.DESCRIPTOR.fields_by_name
    missing = [name for name in _RESOURCE_FIELDS if name not in fields]
    if missing:
        raise RuntimeError(f"an AnalyzerResource has no {', '.join(missing)}: the protocol changed")


def _stack_resources(sdk: ModuleType, servicer: Any, request: Any) -> list[Any]:
    """The request's resources as the SDK's AnalyzeStack builds them for one policy, linked to
    their parent and their dependencies."""
    built = []
    for r in request.resources:
        props = sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(r.properties)))
        opts = servicer._get_resource_options(r)
        provider = servicer._get_provider_resource(r)
        resource = sdk.PolicyResource(r.type, props, r.urn, r.name, opts, provider, None, [], {})
        built.append((resource, r))
    by_urn = {resource.urn: resource for resource, _ in built}
    for resource, r in built:
        if r.parent in by_urn:
            resource.parent = by_urn[r.parent]
        resource.dependencies.extend(by_urn[urn] for urn in r.dependencies if urn in by_urn)
        for key, urns in r.propertyDependencies.items():
            resource.property_dependencies[key] = [by_urn[urn] for urn in urns.urns if urn in by_urn]
    return [resource for resource, _ in built]


def _analyze_stack_once(sdk: ModuleType) -> Callable[[Any, Any, Any], Any]:
    levels = sdk.EnforcementLevel

    def AnalyzeStack(servicer: Any, request: Any, _context: Any) -> Any:  # noqa: N802 (gRPC method name)
        """The SDK's AnalyzeStack: each enabled stack policy validates the stack, its violations,
        an unknown value it met or its not-applicable reason reported as the SDK reports them."""
        servicer._configure_runtime_settings()
        response = sdk.proto.AnalyzeResponse()
        pack, version = _state(servicer, "policy_pack_name"), _state(servicer, "policy_pack_version")
        resources: list[Any] | None = None
        for policy in _state(servicer, "policies"):
            level = servicer._get_enforcement_level(policy)
            if level == levels.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if level == levels.REMEDIATE:
                # As the SDK: stack policies cannot be remediated, so the level is mandatory.
                level = levels.MANDATORY
            report_violation = servicer._create_report_violation(
                response, policy.name, policy.description, level, policy.severity
            )
            if resources is None:
                resources = _stack_resources(sdk, servicer, request)
            # Each policy its own list: one that reordered or dropped resources leaves the next
            # policy's alone (the resources in it are shared, see the module's docstring).
            args = sdk.StackValidationArgs(
                list(resources),
                servicer._get_policy_config(policy.name),
                _state(servicer, "stack_tags"),
            )
            try:
                result = policy.validate(args, report_violation)
                if inspect.isawaitable(result):
                    loop = asyncio.new_event_loop()
                    loop.run_until_complete(asyncio.ensure_future(result, loop=loop))
                    loop.close()
            except sdk.UnknownValueError as e:
                # As the SDK: an advisory diagnostic for the whole stack. Advisory is the
                # protocol's level 0 and no URN the empty string, the fields' unset values.
                response.diagnostics.append(
                    sdk.proto.AnalyzeDiagnostic(
                        policyName=policy.name,
                        policyPackName=pack,
                        policyPackVersion=version,
                        message=(
                            f"can't run policy '{policy.name}' from policy pack "
                            f"'{pack}@v{version}' during preview: {e.message}"
                        ),
                        description=policy.description,
                    )
                )
            except sdk._NotApplicableError as e:
                response.not_applicable.append(
                    sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
                )
        return response

    return AnalyzeStack
