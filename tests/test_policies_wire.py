"""The pack's preparation of analyzer messages (policies/webapp_policies/wire.py): each distinct
message prepared once, every policy given what pulumi-policy's own preparation gives, and no
policy able to see what another did with it."""

from __future__ import annotations

import importlib
from types import ModuleType, SimpleNamespace

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import StackValidationPolicy, deserialize, proxy
from pulumi_policy import policy as sdk_policy

from policies.webapp_policies import wire
from settings.stack_config import ROOT

PROPERTIES = {
    "bucket": "webapp-prod-logs",
    "versioning": {"enabled": True, "mfaDelete": False},
    "tags": {"Name": "logs", "Environment": "prod"},
    "retentionInDays": 365.0,
    "rules": [{"id": "expire", "days": 30.0, "prefix": None}, proxy.UNKNOWN_STRING_VALUE],
}


def _struct(values: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


# The names pulumi_policy.policy prepares a resource with.
STEPS = {
    "json_format": json_format,
    "deserialize_properties": deserialize.deserialize_properties,
    "unknown_checking_proxy": proxy.unknown_checking_proxy,
}


def _sdk_module(steps: dict, stack_names: tuple[str, ...] = wire.STACK_SDK_NAMES) -> ModuleType:
    module = ModuleType("pulumi_policy.policy")
    for name, value in steps.items():
        setattr(module, name, value)
    for name in stack_names:
        setattr(module, name, getattr(sdk_policy, name))
    # A subclass of the SDK's servicer, for install() to change instead of the SDK's own.
    module._PolicyAnalyzerServicer = type("_PolicyAnalyzerServicer", (sdk_policy._PolicyAnalyzerServicer,), {})  # noqa: SLF001
    return module


@pytest.fixture
def sdk() -> ModuleType:
    module = _sdk_module(STEPS)
    wire.install(module)
    return module


def _prepared(sdk: ModuleType, message: struct_pb2.Struct):
    """What the SDK hands a policy: its Analyze does exactly these three steps."""
    return sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(message)))


def test_a_message_decodes_as_protobufs_own_decoding(sdk: ModuleType) -> None:
    message = _struct(PROPERTIES)
    assert sdk.json_format.MessageToDict(message) == json_format.MessageToDict(message)


def test_a_prepared_resource_is_what_the_sdk_prepares(sdk: ModuleType) -> None:
    message = _struct(PROPERTIES)
    ours = _prepared(sdk, message)
    theirs = proxy.unknown_checking_proxy(deserialize.deserialize_properties(json_format.MessageToDict(message)))
    assert ours["versioning"]["enabled"] is True and ours["retentionInDays"] == 365.0
    assert dict(ours["tags"]) == dict(theirs["tags"])
    with pytest.raises(proxy.UnknownValueError) as unknown:
        ours["rules"][1]
    assert unknown.value.props == ["rules", "1"]


def test_the_same_message_again_is_prepared_once(sdk: ModuleType) -> None:
    assert _prepared(sdk, _struct(PROPERTIES)) is _prepared(sdk, _struct(PROPERTIES))


def test_different_messages_are_prepared_apart(sdk: ModuleType) -> None:
    postgres, redis = _prepared(sdk, _struct({"port": 5432.0})), _prepared(sdk, _struct({"port": 6379.0}))
    assert (postgres["port"], redis["port"]) == (5432.0, 6379.0)


def test_messages_decoded_one_after_another_each_decode_as_themselves(sdk: ModuleType) -> None:
    """A message is known again by its identity: one freed after its decoding must not leave
    its identity, and its answer, to the next message made at the same address."""
    decoded = [sdk.json_format.MessageToDict(_struct({"port": float(port)})) for port in range(200)]
    assert [value["port"] for value in decoded] == [float(port) for port in range(200)]


def test_a_step_given_an_equal_but_other_object_prepares_it_again(sdk: ModuleType) -> None:
    first, second = {"port": 5432.0}, {"port": 5432.0}
    assert sdk.deserialize_properties(first) is not sdk.deserialize_properties(second)
    assert sdk.deserialize_properties(first, True) is not sdk.deserialize_properties(first)


def test_a_step_remembers_at_most_its_bound_of_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memory holds each value it answered for: once it holds the bound's number, it starts
    again empty, so a long-lived pack process does not keep every message it was sent."""
    monkeypatch.setattr(wire, "DECODED_MESSAGES", 2)
    asked: list = []
    step = wire.same_answer_for_same_object(lambda value: asked.append(value) or len(asked))
    first, second, third = {"port": 5432.0}, {"port": 6379.0}, {"port": 443.0}
    assert [step(first), step(second), step(first)] == [1, 2, 1]
    assert [step(third), step(first)] == [3, 4]


def test_the_same_properties_with_their_keys_in_another_order_are_prepared_once(sdk: ModuleType) -> None:
    """The engine writes a Struct's entries in any order: the same properties arrive ordered
    otherwise in each request, and are still prepared once."""
    keys = [f"tag{number}" for number in range(20)]
    first = _struct({key: key for key in keys})
    again = _struct({key: key for key in reversed(keys)})
    assert first.SerializeToString() != again.SerializeToString()
    assert _prepared(sdk, first) is _prepared(sdk, again)


def test_decoding_options_go_to_protobuf_undecoded_once(sdk: ModuleType) -> None:
    message = analyzer_pb2.PolicyNotApplicable(policy_name="rds-encrypted", reason="no databases")
    assert sdk.json_format.MessageToDict(message, preserving_proto_field_name=True) == {
        "policy_name": "rds-encrypted",
        "reason": "no databases",
    }
    assert sdk.json_format.MessageToDict(message)["policyName"] == "rds-encrypted"
    assert sdk.json_format.ParseDict is json_format.ParseDict


@pytest.mark.parametrize("missing", sorted(STEPS))
def test_an_sdk_without_one_of_the_steps_is_refused(missing: str) -> None:
    with pytest.raises(RuntimeError, match=f"no {missing}: the SDK changed"):
        wire.install(_sdk_module({name: step for name, step in STEPS.items() if name != missing}))


# The steps install() remembers and those of its stack analysis (tests/test_policies_wire_stack.py).
@pytest.mark.parametrize("missing", (*wire.SERVICER_STEPS, *wire.STACK_SERVICER_STEPS))
def test_an_sdk_whose_servicer_lacks_one_of_its_steps_is_refused(missing: str) -> None:
    module = _sdk_module(STEPS)
    setattr(module._PolicyAnalyzerServicer, missing, None)  # noqa: SLF001
    with pytest.raises(RuntimeError, match=f"no _PolicyAnalyzerServicer.{missing}: the SDK changed"):
        wire.install(module)


def test_an_sdk_without_its_servicer_is_refused() -> None:
    module = _sdk_module(STEPS)
    del module._PolicyAnalyzerServicer  # noqa: SLF001
    with pytest.raises(RuntimeError, match="no _PolicyAnalyzerServicer._get_resource_options: the SDK changed"):
        wire.install(module)


@pytest.mark.parametrize("missing", ["_get_provider_resource", "_get_policy_config"])
def test_an_sdk_whose_servicer_has_no_such_step_at_all_is_refused_naming_it(missing: str) -> None:
    original = sdk_policy._PolicyAnalyzerServicer  # noqa: SLF001
    members = {k: v for k, v in vars(original).items() if k not in ("__dict__", "__weakref__", missing)}
    module = _sdk_module(STEPS)
    module._PolicyAnalyzerServicer = type("_PolicyAnalyzerServicer", original.__bases__, members)  # noqa: SLF001
    with pytest.raises(RuntimeError, match=f"no _PolicyAnalyzerServicer.{missing}: the SDK changed"):
        wire.install(module)


def test_a_resource_messages_options_and_provider_are_prepared_once_each(sdk: ModuleType) -> None:
    """What the servicer hands every policy about one resource message: its options and its
    provider, prepared once for all of them; another resource message gets its own."""

    def request(region: str):
        return analyzer_pb2.AnalyzeRequest(
            urn="urn:pulumi:prod::webapp::aws:s3/bucket:Bucket::logs",
            options=analyzer_pb2.AnalyzerResourceOptions(protect=True),
            provider=analyzer_pb2.AnalyzerProviderResource(
                type="pulumi:providers:aws", name="default", properties=_struct({"region": region})
            ),
        )

    servicer = sdk._PolicyAnalyzerServicer.__new__(sdk._PolicyAnalyzerServicer)  # noqa: SLF001
    east, west = request("us-east-1"), request("us-west-2")
    options = servicer._get_resource_options(east)  # noqa: SLF001
    provider = servicer._get_provider_resource(east)  # noqa: SLF001
    assert options.protect is True and provider.props["region"] == "us-east-1"
    assert servicer._get_resource_options(east) is options  # noqa: SLF001
    assert servicer._get_provider_resource(east) is provider  # noqa: SLF001
    assert servicer._get_provider_resource(west).props["region"] == "us-west-2"  # noqa: SLF001


def test_a_servicer_step_that_reads_its_servicer_is_answered_for_each_servicer() -> None:
    """pulumi-policy's two steps read only the message today; one of a release that reads its
    servicer gets it, and its answer for one servicer is not given to another."""
    module = _sdk_module(STEPS)
    servicer_class = module._PolicyAnalyzerServicer  # noqa: SLF001
    servicer_class._get_resource_options = lambda servicer, request: (servicer.pack, request.urn)  # noqa: SLF001
    wire.install(module)
    bucket = "urn:pulumi:prod::webapp::aws:s3/bucket:Bucket::logs"
    message = analyzer_pb2.AnalyzeRequest(urn=bucket)
    baseline, other = servicer_class.__new__(servicer_class), servicer_class.__new__(servicer_class)
    baseline.pack, other.pack = "webapp-aws-baseline", "other-pack"
    assert baseline._get_resource_options(message) == ("webapp-aws-baseline", bucket)  # noqa: SLF001
    assert other._get_resource_options(message) == ("other-pack", bucket)  # noqa: SLF001


def test_an_sdk_decoding_with_something_else_is_refused() -> None:
    with pytest.raises(RuntimeError, match="not protobuf's json_format"):
        wire.install(_sdk_module({**STEPS, "json_format": ModuleType("another_json_format")}))


def test_every_policy_hands_its_check_a_copy_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sharing the prepared value between policies is safe only while no check can reach it:
    each policy must come from controls.resource_policy or controls.stack_policy (which mark it
    with its control), whose validate passes the check a plain copy."""
    monkeypatch.syspath_prepend(str(ROOT / "policies"))
    webapp_policies = importlib.import_module("webapp_policies")
    unmarked = [policy.name for policy in webapp_policies.all_policies() if not hasattr(policy, "control")]
    assert unmarked == []


def test_the_stack_checks_leave_the_plain_values_they_share_as_they_found_them(prod, monkeypatch):
    """Each resource is made plain once for all the stack policies of a call: a check that wrote
    to what it was given would change what the next check sees. Every stack check of the pack
    runs over the prod stack; the shared plain values must still equal fresh ones."""
    monkeypatch.syspath_prepend(str(ROOT / "policies"))
    webapp_policies = importlib.import_module("webapp_policies")
    controls = importlib.import_module("webapp_policies.controls")
    resources = [
        SimpleNamespace(
            resource_type=r["type"],
            name=r["name"],
            urn=r["urn"],
            props=r["outputs"],
            parent=None,
            dependencies=[],
            property_dependencies={},
            opts=SimpleNamespace(protect=r["options"]["protect"]),
        )
        for r in prod.resources
    ]
    stack_policies = [p for p in webapp_policies.all_policies() if isinstance(p, StackValidationPolicy)]
    assert len(stack_policies) > 10
    shared = [controls._plain_once(r.props) for r in resources]  # noqa: SLF001 (the values the checks share)
    handed: list = []
    convert = controls._stack_resource  # noqa: SLF001

    def noting(resource):
        handed.append(converted := convert(resource))
        return converted

    monkeypatch.setattr(controls, "_stack_resource", noting)
    args = SimpleNamespace(resources=resources, get_config=lambda: {})
    for policy in stack_policies:
        policy.validate(args, lambda *_: None)
    assert len(handed) == len(stack_policies) * len(resources)
    assert {id(resource.props) for resource in handed} == {id(value) for value in shared}
    assert shared == [controls.plain(r.props) for r in resources]
