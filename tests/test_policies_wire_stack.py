"""The pack's AnalyzeStack (policies/webapp_policies/wire.py): the stack's resources built once
per call for all the stack policies, the call answered as pulumi-policy's own method answers it,
and no stack policy able to see what another did with what it was given."""

from __future__ import annotations

import asyncio
import importlib
from types import ModuleType, SimpleNamespace

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy, proxy
from pulumi_policy import policy as sdk_policy

from policies.webapp_policies import wire
from settings.stack_config import ROOT
from tests.test_policies_wire import STEPS, _sdk_module, _struct


@pytest.fixture
def sdk() -> ModuleType:
    module = _sdk_module(STEPS)
    wire.install(module)
    return module


@pytest.mark.parametrize("missing", wire.STACK_SDK_NAMES)
def test_an_sdk_without_what_its_stack_analysis_uses_is_refused_before_anything_changes(missing: str) -> None:
    module = _sdk_module(STEPS, tuple(name for name in wire.STACK_SDK_NAMES if name != missing))
    with pytest.raises(RuntimeError, match=f"no {missing}: the SDK changed"):
        wire.install(module)
    assert module.json_format is json_format
    assert "AnalyzeStack" not in vars(module._PolicyAnalyzerServicer)  # noqa: SLF001


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


def test_a_protocol_whose_stack_resources_lack_fields_is_refused_naming_each() -> None:
    fields = dict(analyzer_pb2.AnalyzerResource.DESCRIPTOR.fields_by_name)
    del fields["parent"], fields["propertyDependencies"]
    module = _sdk_module(STEPS)
    module.proto = SimpleNamespace(AnalyzerResource=SimpleNamespace(DESCRIPTOR=SimpleNamespace(fields_by_name=fields)))
    with pytest.raises(
        RuntimeError, match="AnalyzerResource has no parent, propertyDependencies: the protocol changed"
    ):
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
    the call answers as the SDK's own method: violations, the unknown value a mandatory policy
    read (an advisory diagnostic, so a preview does not fail on it), another's not-applicable
    reason (or none), a disabled policy skipped and a remediating one mandatory."""
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
        bare("reads-unknown", lambda args, _report: args.resources[2].props["bucket"], EnforcementLevel.MANDATORY),
        bare("not-applicable", lambda args, _report: args.not_applicable("no databases")),
        bare("not-applicable-unsaid", lambda args, _report: args.not_applicable()),
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
    assert [d.enforcementLevel for d in answer.diagnostics[-2:]] == [analyzer_pb2.ADVISORY, analyzer_pb2.MANDATORY]
    assert [(n.policy_name, n.reason) for n in answer.not_applicable] == [
        ("not-applicable", "no databases"),
        ("not-applicable-unsaid", ""),
    ]


def test_a_stack_policy_sees_each_resources_options_and_provider_as_the_sdk_gives_them(sdk: ModuleType) -> None:
    bucket = _resource(BUCKET, properties={"bucket": "webapp-prod-logs"})
    bucket.options.protect = True
    bucket.provider.CopyFrom(
        analyzer_pb2.AnalyzerProviderResource(
            type="pulumi:providers:aws",
            name="us-west-2",
            urn="urn:pulumi:prod::webapp::pulumi:providers:aws::us-west-2",
            properties=_struct({"region": "us-west-2"}),
        )
    )
    request = analyzer_pb2.AnalyzeStackRequest(resources=[_resource(VPC), bucket])

    def describe(args, report_violation):
        for r in args.resources:
            provider = r.provider and (
                r.provider.resource_type,
                r.provider.name,
                r.provider.urn,
                r.provider.props["region"],
            )
            report_violation(f"{r.resource_type} {r.name} protect={r.opts.protect} provider={provider}", r.urn)

    theirs, ours = _servicers(sdk, [StackValidationPolicy(name="describe", description="-", validate=describe)])
    answer = ours.AnalyzeStack(request, None)
    assert answer == theirs.AnalyzeStack(request, None)
    assert [d.message.split("\n")[-1] for d in answer.diagnostics] == [
        "aws:ec2/vpc:Vpc main protect=False provider=None",
        "aws:s3/bucket:Bucket logs protect=True provider=('pulumi:providers:aws', 'us-west-2', "
        "'urn:pulumi:prod::webapp::pulumi:providers:aws::us-west-2', 'us-west-2')",
    ]


def test_a_stack_policy_sees_the_stacks_tags(sdk: ModuleType) -> None:
    def tags(args, report_violation):
        report_violation(", ".join(f"{key}={value}" for key, value in sorted(args.stack_tags.items())))

    servicers = _servicers(sdk, [StackValidationPolicy(name="tags", description="-", validate=tags)])
    for servicer in servicers:
        servicer.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(stack="prod", tags={"team": "platform", "env": "prod"}), None
        )
    theirs, ours = servicers
    answer = ours.AnalyzeStack(STACK, None)
    assert answer == theirs.AnalyzeStack(STACK, None)
    assert [d.message.split("\n")[-1] for d in answer.diagnostics] == ["env=prod, team=platform"]


def test_an_async_stack_policys_violations_are_reported_once_it_has_run(sdk: ModuleType) -> None:
    async def counts(args, report_violation):
        await asyncio.sleep(0)
        report_violation(f"{len(args.resources)} resources", SUBNET)

    theirs, ours = _servicers(sdk, [StackValidationPolicy(name="counts", description="-", validate=counts)])
    answer = ours.AnalyzeStack(STACK, None)
    assert answer == theirs.AnalyzeStack(STACK, None)
    assert [(d.urn, d.message.split("\n")[-1]) for d in answer.diagnostics] == [(SUBNET, "3 resources")]
