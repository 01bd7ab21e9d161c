"""The policies' building blocks (policies/webapp_policies/controls.py), called in-process.

Each policy's URL, which the PR report and docs/policies.md show next to its Security Hub control,
is the control's anchor on its service's page of the Security Hub user guide. The stack lookups
and document accessors the checks share hold in the cases a preview brings (a value not known yet,
a dependency the analysis did not send)."""

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from pulumi_policy import EnforcementLevel, Severity

from policies.webapp_policies.controls import (
    Control,
    Resource,
    Stack,
    StackResource,
    resource_policy,
    security_hub_url,
    stack_policy,
)
from policies.webapp_policies.values import UNKNOWN

GUIDE = "https://docs.aws.amazon.com/securityhub/latest/userguide"


@pytest.mark.parametrize(
    ("control", "url"),
    [
        ("EC2.18", f"{GUIDE}/ec2-controls.html#ec2-18"),
        ("ElastiCache.5", f"{GUIDE}/elasticache-controls.html#elasticache-5"),
        ("SecretsManager.1", f"{GUIDE}/secretsmanager-controls.html#secretsmanager-1"),
    ],
)
def test_a_control_links_to_its_anchor_on_its_services_page(control, url):
    assert security_hub_url(control) == url


def test_a_control_of_a_service_without_a_page_is_refused():
    with pytest.raises(KeyError):
        security_hub_url("Lambda.1")


def stack_resource(urn: str, type_: str, dependencies: dict[str, list[str]] | None = None) -> StackResource:
    return StackResource(
        type=type_,
        name=urn.rpartition("::")[2],
        urn=urn,
        props={},
        parent=None,
        dependencies=sorted({u for urns in (dependencies or {}).values() for u in urns}),
        property_dependencies=dependencies or {},
    )


GROUP = "urn:pulumi:prod::webapp::aws:ec2/securityGroup:SecurityGroup::web"
RULE = "urn:pulumi:prod::webapp::aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::web-https"


def test_an_input_from_a_resource_the_analysis_did_not_send_is_passed_over():
    """A dependency can name a resource the stack's analysis does not hold (one being deleted in a
    preview): the policy reading that input sees the groups it can, and does not fail."""
    rule = stack_resource(
        RULE, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {"securityGroupId": [GROUP]}
    )
    assert Stack([rule]).referenced(rule, "securityGroupId", ["aws:ec2/securityGroup:SecurityGroup"]) == []


def test_a_document_not_known_until_the_update_is_none():
    """A policy reading a JSON document in a preview (a key policy with an ARN not known yet) gets
    None, the same as no document, and leaves it to the policy that owns the field."""
    key = Resource(type="aws:kms/key:Key", name="data", urn="urn:key", props={"policy": UNKNOWN})
    assert key.known_json("policy") is None


CONTROL = Control(
    name="test-key-rotation",
    description="Keys rotate",
    category="encryption",
    severity=Severity.HIGH,
    remediation="Turn rotation on",
    fsbp="KMS.4",
    config={"days": {"type": "integer", "default": 7, "description": "days"}},
)
KEY = "aws:kms/key:Key"
KEY_URN = "urn:pulumi:prod::webapp::aws:kms/key:Key::data"


def resource_args(type_: str = KEY, protect: bool = True, config: dict | None = None) -> SimpleNamespace:
    """What the SDK hands a resource policy's validate for one resource."""
    return SimpleNamespace(
        resource_type=type_,
        name="data",
        urn=KEY_URN,
        props={"enableKeyRotation": False},
        opts=SimpleNamespace(protect=protect),
        get_config=lambda: config,
    )


def run_resource_policy(args: SimpleNamespace) -> tuple[list, list[str]]:
    """The resources and configs the check saw, and the violations the policy reported."""
    seen: list = []

    def check(resource: Resource, config: dict) -> Iterator[str]:
        seen.append((resource, config))
        yield "rotation is off"

    reported: list[str] = []
    policy = resource_policy(CONTROL, [KEY, KEY])(check)
    policy.validate(args, reported.append)
    return seen, reported


def test_a_resource_policy_sees_the_resource_and_config_the_engine_sent_and_reports_what_its_check_yields():
    # The engine sends every number of a policy's config as a float; a check compares ints.
    seen, reported = run_resource_policy(resource_args(config={"days": 30.0}))
    resource = Resource(type=KEY, name="data", urn=KEY_URN, props={"enableKeyRotation": False}, protect=True)
    assert seen == [(resource, {"days": 30})]
    assert type(seen[0][1]["days"]) is int
    assert reported == ["rotation is off"]


def test_a_resource_policy_fills_its_config_defaults_and_reads_protect_off():
    seen, _ = run_resource_policy(resource_args(protect=False))
    assert [(resource.protect, config) for resource, config in seen] == [(False, {"days": 7})]


def test_a_resource_policy_checks_only_the_types_it_names():
    assert run_resource_policy(resource_args(type_="aws:s3/bucket:Bucket")) == ([], [])


def test_a_policy_carries_its_control_and_the_types_it_checks_for_the_reports_and_docs():
    policy = resource_policy(CONTROL, [KEY, "aws:kms/alias:Alias", KEY])(lambda resource, config: ())
    assert policy.control is CONTROL
    assert policy.resource_types == ("aws:kms/alias:Alias", KEY)
    assert (policy.name, policy.enforcement_level) == ("test-key-rotation", EnforcementLevel.MANDATORY)


def policy_resource(urn: str, type_: str, parent=None, property_dependencies=None):
    """What the SDK hands a stack policy for one resource of the stack."""
    dependencies = property_dependencies or {}
    return SimpleNamespace(
        resource_type=type_,
        name=urn.rpartition("::")[2],
        urn=urn,
        props={"description": urn.rpartition("::")[2]},
        parent=parent,
        dependencies=[d for deps in dependencies.values() for d in deps],
        property_dependencies=dependencies,
    )


def test_a_stack_policy_sees_each_resource_with_its_links_and_blames_what_its_check_names():
    component = policy_resource(
        "urn:pulumi:prod::webapp::webapp:components:Network::network", "webapp:components:Network"
    )
    group = policy_resource(GROUP, "aws:ec2/securityGroup:SecurityGroup", parent=component)
    rule = policy_resource(
        RULE,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        parent=component,
        property_dependencies={"securityGroupId": [group]},
    )
    seen: list[Stack] = []

    def check(stack: Stack, config: dict) -> Iterator[tuple[str | None, str]]:
        seen.append(stack)
        yield RULE, f"admits the internet ({config['days']} days)"
        yield None, "the stack as a whole"

    reported: list[tuple[str, str | None]] = []
    policy = stack_policy(CONTROL, [KEY, KEY])(check)
    policy.validate(
        SimpleNamespace(resources=[component, group, rule], get_config=lambda: None),
        lambda m, u: reported.append((m, u)),
    )
    assert reported == [("admits the internet (7 days)", RULE), ("the stack as a whole", None)]
    (stack,) = seen
    assert stack.by_urn[RULE] == StackResource(
        type="aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name="web-https",
        urn=RULE,
        props={"description": "web-https"},
        parent=component.urn,
        dependencies=[GROUP],
        property_dependencies={"securityGroupId": [GROUP]},
    )
    assert stack.by_urn[component.urn].parent is None
    assert (policy.control, policy.resource_types) == (CONTROL, (KEY,))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "speed"}, "test-key-rotation: unknown category speed"),
        ({"config": {"days": {"default": 7}}}, "test-key-rotation: config days needs a default and a description"),
        (
            {"config": {"days": {"description": "d"}}},
            "test-key-rotation: config days needs a default and a description",
        ),
    ],
)
def test_a_control_without_a_known_category_or_a_config_schema_it_can_publish_is_refused(change, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        Control(**{**vars(CONTROL), **change})


def test_a_control_of_the_fsbp_standard_names_it_as_the_policys_framework():
    arguments = CONTROL.policy_arguments()
    framework = arguments["framework"]
    assert (framework.name, framework.version, framework.reference) == (
        "AWS Foundational Security Best Practices",
        "1.0.0",
        "KMS.4",
    )
    assert arguments["url"] == f"{GUIDE}/kms-controls.html#kms-4"


def test_a_control_of_other_standards_only_links_to_the_first_and_publishes_no_framework_or_empty_schema():
    # A control outside FSBP (e.g. a NIST 800-53 one) has no FSBP reference to publish, and a
    # policy without config must publish no schema rather than an empty one.
    control = Control(**{**vars(CONTROL), "fsbp": None, "securityhub": ("EC2.172", "EC2.53"), "config": {}})
    arguments = control.policy_arguments()
    assert (arguments["framework"], arguments["config_schema"]) == (None, None)
    assert arguments["url"] == f"{GUIDE}/ec2-controls.html#ec2-172"
