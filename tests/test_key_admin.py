"""The key administrator role a stack creates when its settings name none, built alone
(tests.components_support) through a provider as the composition hands it the stack's: what
the role is for, who may assume it and for how long, and that it is the component's."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.key_admin import KeyAdministrator, KeyAdministratorArgs
from tests.components_support import CONTEXT, build
from tests.support import Synth

ROLE = "aws:iam/role:Role"


@pytest.fixture(scope="module")
def admin() -> Synth:
    def program() -> None:
        provider = aws.Provider("stack-provider", region=CONTEXT.region)
        KeyAdministrator(
            "key-admin", KeyAdministratorArgs(context=CONTEXT), opts=pulumi.ResourceOptions(provider=provider)
        )

    return build("prod", program)


def test_the_role_says_it_administers_the_stacks_keys_without_using_them(admin):
    # What someone reviewing the account's roles sees in the IAM console.
    assert (
        admin.one(ROLE)["inputs"]["description"] == "Administers the KMS keys of stack prod (no use of them for data)"
    )


def test_the_account_may_assume_the_role_for_an_hour_at_most(admin):
    role = admin.one(ROLE)["inputs"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    # With its keys sorted: the same policy is the same text from run to run, so no plan shows it changed.
    assert role["assumeRolePolicy"] == json.dumps(trust, sort_keys=True)
    # Set, not left to IAM's default (also one hour): a key administrator's session stays short.
    assert role["maxSessionDuration"] == 3600


def test_the_role_has_no_policy_of_its_own(admin):
    # The key policies give it its only permissions.
    assert [r["type"] for r in admin.resources if r["custom"]] == ["pulumi:providers:aws", ROLE]


def test_the_role_is_the_components_made_through_the_stacks_provider(admin):
    component = admin.one("webapp:components:KeyAdministrator")
    provider = admin.one("pulumi:providers:aws")
    role = admin.one(ROLE)
    assert role["parent"] == component["urn"]
    assert role["provider"] == f"{provider['urn']}::{provider['id']}"
    assert component["outputs"] == {"arn": role["outputs"]["arn"]}
