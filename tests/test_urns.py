"""A user who already deployed gets no replacement: every URN of the released layout is taken over
by a resource of the current program, under the same URN or through an alias.

`tests/fixtures/urns-<stack>.json` holds the sorted URNs a deployment of the released layout
left in each stack's state (`tests.urns.urns_of` of its synth). A change that renames, re-parents
or re-types a resource adds the alias that maps the old URN; the fixture never changes with it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from settings.stack_config import ROOT
from tests.urns import claimed_twice, lost, takeovers

FIXTURES = ROOT / "tests" / "fixtures"
STACK = "urn:pulumi:prod::webapp::"


def released(stack: str) -> list[str]:
    return json.loads((FIXTURES / f"urns-{stack}.json").read_text())


# Released resources a stack's config removes on purpose: a deploy deletes them, nothing replaces
# them. Pulumi.staging.yaml switches the interface endpoints off (docs/cost.md): staging's AWS API
# traffic takes its NAT gateway. Prod's web service no longer egresses to the internet
# (services[].egressToInternet is off by default): its tasks reach AWS through the endpoints.
STAGING_NETWORK = "urn:pulumi:staging::webapp::webapp:components:Network$"
RETIRED = {
    "prod": [
        "urn:pulumi:prod::webapp::webapp:components:FargateService$"
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::web-out-https"
    ],
    "staging": [
        STAGING_NETWORK + "aws:ec2/securityGroup:SecurityGroup::network-endpoints-sg",
        *(
            STAGING_NETWORK + f"aws:ec2/vpcEndpoint:VpcEndpoint::network-{name}"
            for name in ("ecr-api", "ecr-dkr", "logs", "secretsmanager")
        ),
    ],
}


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_every_released_urn_is_taken_over(request, stack_name):
    document = request.getfixturevalue(stack_name).document
    assert lost(released(stack_name), document) == sorted(RETIRED[stack_name])


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_no_released_urn_is_claimed_by_two_resources(request, stack_name):
    document = request.getfixturevalue(stack_name).document
    assert claimed_twice(released(stack_name), document) == []


# The helper decides as the engine does.


def resource(urn: str, parent: str | None = None, aliases: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    qualified, name = urn.split("::")[2:]
    return {
        "urn": urn,
        "type": qualified.split("$")[-1],
        "name": name,
        "parent": parent,
        "options": {"aliases": aliases or []},
    }


def document(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"stack": "prod", "project": "webapp", "resources": list(resources)}


OLD_PARENT = STACK + "webapp:components:Alarms::alarms"
OLD_CHILD = STACK + "webapp:components:Alarms$aws:sns/topic:Topic::alarms-critical"


def test_a_rename_without_alias_loses_the_old_urn():
    renamed = resource(STACK + "aws:sns/topic:Topic::critical")
    assert lost([STACK + "aws:sns/topic:Topic::alarms-critical"], document(renamed)) == [
        STACK + "aws:sns/topic:Topic::alarms-critical"
    ]


def test_an_alias_spec_defaults_to_the_resources_own_type_and_parent():
    parent = resource(OLD_PARENT)
    renamed = resource(
        STACK + "webapp:components:Alarms$aws:sns/topic:Topic::alarms-page",
        parent=OLD_PARENT,
        aliases=[{"spec": {"name": "alarms-critical", "parentUrn": ""}}],
    )
    assert takeovers([OLD_PARENT, OLD_CHILD], document(parent, renamed))[renamed["urn"]] == OLD_CHILD


def test_a_child_follows_its_parents_alias_with_the_parents_old_name_as_prefix():
    new_parent = STACK + "webapp:components:Observability::observability"
    parent = resource(new_parent, aliases=[{"spec": {"name": "alarms", "type": "webapp:components:Alarms"}}])
    child = resource(
        STACK + "webapp:components:Observability$aws:sns/topic:Topic::observability-critical", parent=new_parent
    )
    taken = takeovers([OLD_PARENT, OLD_CHILD], document(parent, child))
    assert taken == {new_parent: OLD_PARENT, child["urn"]: OLD_CHILD}


def test_a_full_urn_alias_is_taken_as_it_is():
    moved = resource(STACK + "aws:sns/topic:Topic::critical", aliases=[{"urn": OLD_CHILD}])
    assert lost([OLD_CHILD], document(moved)) == []


def test_two_resources_claiming_one_old_urn_are_reported():
    first = resource(STACK + "aws:sns/topic:Topic::a", aliases=[{"urn": OLD_CHILD}])
    second = resource(STACK + "aws:sns/topic:Topic::b", aliases=[{"urn": OLD_CHILD}])
    # The engine takes the first and refuses the program; takeovers records both claims.
    assert claimed_twice([OLD_CHILD], document(first, second)) == [OLD_CHILD]
