"""The policies' building blocks (policies/webapp_policies/controls.py), called in-process.

Each policy's URL, which the PR report and docs/policies.md show next to its Security Hub control,
is the control's anchor on its service's page of the Security Hub user guide. The stack lookups
and document accessors the checks share hold in the cases a preview brings (a value not known yet,
a dependency the analysis did not send)."""

import pytest

from policies.webapp_policies.controls import Resource, Stack, StackResource, security_hub_url
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
