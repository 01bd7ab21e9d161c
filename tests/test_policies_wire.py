"""The pack's preparation of analyzer messages (policies/webapp_policies/wire.py): each distinct
message prepared once, every policy given what pulumi-policy's own preparation gives, and no
policy able to see what another did with it."""

from __future__ import annotations

import importlib
from types import ModuleType, SimpleNamespace

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy, deserialize, proxy
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


def test_decoding_options_go_to_protobuf_undecoded_once(sdk: ModuleType) -> None:
    message = _struct({"a": 1.0})
    assert sdk.json_format.MessageToDict(message, preserving_proto_field_name=True) == {"a": 1.0}
    assert sdk.json_format.ParseDict is json_format.ParseDict


@pytest.mark.parametrize("missing", sorted(STEPS))
def test_an_sdk_without_one_of_the_steps_is_refused(missing: str) -> None:
    with pytest.raises(RuntimeError, match=f"no {missing}: the SDK changed"):
        wire.install(_sdk_module({name: step for name, step in STEPS.items() if name != missing}))


@pytest.mark.parametrize("missing", wire.SERVICER_STEPS)
def test_an_sdk_whose_servicer_lacks_one_of_its_steps_is_refused(missing: str) -> None:
    module = _sdk_module(STEPS)
    setattr(module._PolicyAnalyzerServicer, missing, None)  # noqa: SLF001
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


# -- AnalyzeStack: the stack's resources built once per call ------------------------------------


@pytest.mark.parametrize("missing", wire.STACK_SDK_NAMES)
def test_an_sdk_without_what_its_stack_analysis_uses_is_refused_before_anything_changes(missing: str) -> None:
    module = _sdk_module(STEPS, tuple(name for name in wire.STACK_SDK_NAMES if name != missing))
    with pytest.raises(RuntimeError, match=f"no {missing}: the SDK changed"):
        wire.install(module)
    assert module.json_format is json_format
    assert "AnalyzeStack" not in vars(module._PolicyAnalyzerServicer)  # noqa: SLF001


@pytest.mark.parametrize("missing", wire.STACK_SERVICER_STEPS)
def test_an_sdk_whose_servicer_lacks_a_step_of_its_stack_analysis_is_refused(missing: str) -> None:
    module = _sdk_module(STEPS)
    setattr(module._PolicyAnalyzerServicer, missing, None)  # noqa: SLF001
    with pytest.raises(RuntimeError, match=f"no _PolicyAnalyzerServicer.{missing}: the SDK changed"):
        wire.install(module)


@pytest.mark.parametrize("renamed", wire.STACK_SERVICER_STATE)
def test_an_sdk_whose_servicer_keeps_its_state_under_other_names_is_refused(renamed: str) -> None:
    """The servicer's policies, pack name and version and stack tags are private attributes of
    the SDK's class: a copy of that class without one of them declared stands for a release that
    renamed it."""
    original = sdk_policy._PolicyAnalyzerServicer  # noqa: SLF001
    members = {k: v for k, v in vars(original).items() if k not in ("__dict__", "__weakref__")}
    members["__annotations__"] = {
        k: v for k, v in original.__annotations__.items() if k != f"_PolicyAnalyzerServicer__{renamed}"
    }
    module = _sdk_module(STEPS)
    module._PolicyAnalyzerServicer = type("_PolicyAnalyzerServicer", original.__bases__, members)  # noqa: SLF001
    with pytest.raises(RuntimeError, match=f"has no __{renamed}: the SDK changed"):
        wire.install(module)


def test_an_sdk_whose_policy_resource_takes_other_arguments_is_refused() -> None:
    class PolicyResource(sdk_policy.PolicyResource):
        def __init__(self, resource_type, props, urn, name, opts, provider, parent, dependencies, tags) -> None:
            super().__init__(resource_type, props, urn, name, opts, provider, parent, dependencies, {})

    module = _sdk_module(STEPS)
    module.PolicyResource = PolicyResource
    with pytest.raises(RuntimeError, match="PolicyResource takes other arguments: the SDK changed"):
        wire.install(module)


def test_a_protocol_whose_stack_resources_lack_a_field_is_refused() -> None:
    fields = dict(analyzer_pb2.AnalyzerResource.DESCRIPTOR.fields_by_name)
    del fields["propertyDependencies"]
    module = _sdk_module(STEPS)
    module.proto = SimpleNamespace(AnalyzerResource=SimpleNamespace(DESCRIPTOR=SimpleNamespace(fields_by_name=fields)))
    with pytest.raises(RuntimeError, match="AnalyzerResource has no propertyDependencies: the protocol changed"):
        wire.install(module)


def _servicers(sdk: ModuleType, policies: list, config: dict | None = None) -> tuple:
    """The SDK's own servicer and the one install() changed, serving `policies` under the policy
    `config` (reconciled as the engine does, tools.policy_config)."""
    from tools.policy_check import _struct as struct
    from tools.policy_config import LEVEL_VALUES, reconcile

    servicers = []
    for kind in (sdk_policy._PolicyAnalyzerServicer, sdk._PolicyAnalyzerServicer):  # noqa: SLF001
        servicer = kind("webapp-aws-baseline", "0.0.1", policies, EnforcementLevel.ADVISORY)
        reconciled = reconcile(servicer.GetAnalyzerInfo(None, None), config or {})
        servicer.Configure(
            analyzer_pb2.ConfigureAnalyzerRequest(
                policyConfig={
                    name: analyzer_pb2.PolicyConfig(enforcementLevel=LEVEL_VALUES[level], properties=struct(properties))
                    for name, (level, properties) in reconciled.items()
                }
            ),
            None,
        )
        servicers.append(servicer)
    return tuple(servicers)


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_a_stack_is_analyzed_as_the_sdks_own_method_analyzes_it(
    stack: str, sdk: ModuleType, request, monkeypatch
) -> None:
    """Every violation of every stack policy of the pack, in the SDK's order, under the stack's
    own policy config."""
    from tools.policy_check import PolicyPack
    from tools.policy_config import read_policy_config, stack_policy_config
    from tools.synth import dependency_order

    monkeypatch.syspath_prepend(str(ROOT / "policies"))
    webapp_policies = importlib.import_module("webapp_policies")
    document = request.getfixturevalue(stack).document
    resources = dependency_order({r["urn"]: r for r in document["resources"]})
    by_urn = {r["urn"]: r for r in resources}
    pack = PolicyPack()  # not started: only its conversion of a synth's resource to the protocol
    analyze = analyzer_pb2.AnalyzeStackRequest(resources=[pack._stack_resource(r, by_urn) for r in resources])  # noqa: SLF001
    theirs, ours = _servicers(sdk, webapp_policies.all_policies(), read_policy_config(stack_policy_config(stack)))
    expected = theirs.AnalyzeStack(analyze, None)
    assert len(expected.diagnostics) >= 2
    assert ours.AnalyzeStack(analyze, None) == expected


def _resource(urn: str, parent: str = "", dependencies=(), properties: dict | None = None, **links: list[str]):
    return analyzer_pb2.AnalyzerResource(
        urn=urn,
        type=urn.split("::")[2],
        name=urn.split("::")[3],
        properties=_struct(properties or {}),
        parent=parent,
        dependencies=list(dependencies),
        propertyDependencies={key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns) for key, urns in links.items()},
    )


VPC = "urn:pulumi:prod::webapp::aws:ec2/vpc:Vpc::main"
SUBNET = "urn:pulumi:prod::webapp::aws:ec2/subnet:Subnet::private-a"
BUCKET = "urn:pulumi:prod::webapp::aws:s3/bucket:Bucket::logs"
GONE = "urn:pulumi:prod::webapp::aws:ec2/vpc:Vpc::deleted"
STACK = analyzer_pb2.AnalyzeStackRequest(
    resources=[
        _resource(VPC, properties={"cidrBlock": "10.0.0.0/16"}),
        _resource(SUBNET, parent=VPC, dependencies=[VPC, GONE], properties={"vpcId": "vpc-1"}, vpcId=[VPC, GONE]),
        _resource(BUCKET, properties={"bucket": proxy.UNKNOWN_STRING_VALUE}),
    ]
)


def test_no_stack_policy_sees_what_the_one_before_did_with_what_it_was_given(sdk: ModuleType) -> None:
    """The resources are built once for all the stack policies of a call. A check of the pack
    (controls.stack_policy) that reorders, empties and unlinks everything it was given, and a
    bare policy that does so to the SDK's own list, leave the next policies the whole stack, and
    the call answers as the SDK's own method: violations, the unknown value one policy read,
    another's not-applicable reason, a disabled policy skipped and a remediating one mandatory."""
    from policies.webapp_policies import controls

    seen: list = []
    handed: list = []

    def vandal(stack, _config):
        stack.resources.reverse()
        for resource in stack.resources:
            resource.parent, resource.urn = None, "urn:gone"
            resource.dependencies.clear()
            resource.property_dependencies.clear()
        stack.resources.clear()
        yield None, "emptied the stack"

    def bare_vandal(args, report_violation):
        args.resources.reverse()
        del args.resources[1:]
        report_violation("kept one")

    def witness(stack, _config):
        seen.append([(r.urn, r.parent, r.dependencies, r.property_dependencies) for r in stack.resources])
        yield SUBNET, f"saw {len(stack.resources)}"

    def check(name: str):
        return controls.Control(name=name, description=name, category="hygiene", severity=Severity.LOW, remediation="-")

    def bare(name: str, validate, level=None):
        return StackValidationPolicy(name=name, description=name, validate=validate, enforcement_level=level)

    policies = [
        bare("first-look", lambda args, _report: handed.append(args.resources)),
        controls.stack_policy(check("vandal"), ())(vandal),
        bare("bare-vandal", bare_vandal),
        controls.stack_policy(check("witness"), ())(witness),
        bare("reads-unknown", lambda args, _report: args.resources[2].props["bucket"]),
        bare("not-applicable", lambda args, _report: args.not_applicable("no databases")),
        bare("disabled", lambda _args, report: report("never"), EnforcementLevel.DISABLED),
        bare("remediating", lambda args, report: report(f"saw {len(args.resources)}"), EnforcementLevel.REMEDIATE),
        bare("last-look", lambda args, _report: handed.append(args.resources)),
    ]
    theirs, ours = _servicers(sdk, policies)
    expected = theirs.AnalyzeStack(STACK, None)
    seen.clear()
    handed.clear()
    answer = ours.AnalyzeStack(STACK, None)
    first, last = handed
    assert first is not last and len(last) == 3
    assert all(built is shared for built, shared in zip(first, last, strict=True))
    assert seen == [[(VPC, None, [], {}), (SUBNET, VPC, [VPC], {"vpcId": [VPC]}), (BUCKET, None, [], {})]]
    assert answer == expected
    assert [(d.policyName, d.urn, d.message.split("\n")[-1]) for d in answer.diagnostics] == [
        ("vandal", "", "emptied the stack"),
        ("bare-vandal", "", "kept one"),
        ("witness", SUBNET, "saw 3"),
        (
            "reads-unknown",
            "",
            "can't run policy 'reads-unknown' from policy pack 'webapp-aws-baseline@v0.0.1' during preview: "
            "string value at .bucket can't be known during preview",
        ),
        ("remediating", "", "saw 3"),
    ]
    assert answer.diagnostics[-1].enforcementLevel == analyzer_pb2.MANDATORY
    assert [(n.policy_name, n.reason) for n in answer.not_applicable] == [("not-applicable", "no databases")]
