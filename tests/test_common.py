"""components/common.py: what every component shares, each built or called alone: a tier's subnet,
the roles ECS itself assumes, the IAM documents (their text in sorted keys, as the other policies,
so that no plan shows a change of order), and a Deferred (a key policy's principals made later in
the program), which settles with the program's error when the program fails first, so that what
waits for it ends the run with that error instead of waiting forever."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pulumi
import pulumi_aws as aws
import pytest

from components.common import (
    TYPE_PREFIX,
    AwsContext,
    Deferred,
    child,
    ecs_role,
    ecs_trust_policy,
    policy_document,
    provided,
    service_trust_policy,
    tier_subnet,
)
from tests.components_support import VPC, build
from tests.support import Synth

ERROR = "web: DATABASE_HOST is defined twice in its environment and secrets"
HOOK = "arn:aws:lambda:us-east-1:123456789012:function:webapp-prod-smoke-test"


CONTEXT = AwsContext(account_id="123456789012", region="us-east-1")


def test_an_arn_names_the_partition_service_region_and_account():
    assert CONTEXT.arn("ecs", "*") == "arn:aws:ecs:us-east-1:123456789012:*"
    assert CONTEXT.arn("logs", "log-group:x", region="us-west-2") == "arn:aws:logs:us-west-2:123456789012:log-group:x"
    # S3 bucket ARNs carry neither region nor account.
    assert CONTEXT.arn("s3", "webapp-logs", region="", account=False) == "arn:aws:s3:::webapp-logs"
    china = AwsContext(account_id="123456789012", region="cn-north-1", partition="aws-cn")
    assert china.arn("kms", "key/*") == "arn:aws-cn:kms:cn-north-1:123456789012:key/*"
    assert CONTEXT.service_principal("rds") == "rds.amazonaws.com"


def test_a_value_the_provider_always_sets_passes_and_a_missing_one_fails_naming_it():
    assert provided("arn:aws:secretsmanager:us-east-1:123456789012:secret:x", "secret ARN").endswith(":x")
    assert provided(0, "port") == 0
    with pytest.raises(ValueError, match="^the provider returned no master user secret ARN$"):
        provided(None, "master user secret ARN")


def test_a_service_trust_policy_lets_the_services_assume_a_role_only_for_this_account_in_sorted_keys():
    one = service_trust_policy(["lambda.amazonaws.com"], CONTEXT)
    assert json.loads(one) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
            }
        ],
    }
    assert one == json.dumps(json.loads(one), sort_keys=True)
    both = json.loads(service_trust_policy(["rds.amazonaws.com", "monitoring.rds.amazonaws.com"], CONTEXT, "arn:x"))
    [statement] = both["Statement"]
    assert statement["Principal"] == {"Service": ["monitoring.rds.amazonaws.com", "rds.amazonaws.com"]}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:x"},
    }


class Parent(pulumi.ComponentResource):
    """A component making a subnet and an ECS role, as the network and the smoke test do."""

    def __init__(self) -> None:
        super().__init__(f"{TYPE_PREFIX}:Network", "network", None, None)
        tier_subnet(self, VPC, "network", "isolated", 2, "us-east-1c", "10.0.42.0/24")
        aws.iam.Policy(
            "documented",
            policy=policy_document(
                {
                    "Effect": "Allow",
                    "Action": "logs:PutLogEvents",
                    "Resource": aws.sns.Topic("named", opts=pulumi.ResourceOptions(parent=self)).arn,
                },
                {"Effect": "Deny", "Action": "*", "NotResource": "*"},
            ),
            opts=child(self),
        )
        aws.sns.Topic("kept", opts=child(self, protect=True, ignore_changes=["displayName"]))
        ecs_role(
            "hook-invoke",
            "ECS invokes the smoke-test hook",
            self,
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": HOOK},
        )


@pytest.fixture(scope="module")
def made() -> Synth:
    def program() -> None:
        Parent()

    return build("prod", program)


def test_a_tier_subnet_is_in_its_az_without_public_ips_named_and_tagged_with_its_tier(made):
    assert made.named("network-isolated-2")["inputs"] == {
        "vpcId": VPC,
        "cidrBlock": "10.0.42.0/24",
        "availabilityZone": "us-east-1c",
        "mapPublicIpOnLaunch": False,
        "tags": {"Name": "network-isolated-us-east-1c", "tier": "isolated"},
    }


def test_only_ecs_may_assume_an_ecs_role_and_its_policy_allows_only_the_statements_given(made):
    role = made.named("hook-invoke")
    assert role["inputs"]["description"] == "ECS invokes the smoke-test hook"
    assert role["inputs"]["assumeRolePolicy"] == ecs_trust_policy()
    policy = made.named("hook-invoke-policy")["inputs"]
    assert policy["role"] == role["id"]
    assert json.loads(policy["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": HOOK}],
    }


def test_a_policy_document_holds_the_statements_given_with_their_outputs_resolved_in_sorted_keys(made):
    text = made.named("documented")["inputs"]["policy"]
    assert json.loads(text) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": made.named("named")["outputs"]["arn"]},
            {"Effect": "Deny", "Action": "*", "NotResource": "*"},
        ],
    }
    assert text == json.dumps(json.loads(text), sort_keys=True)


def test_a_child_keeps_the_options_it_is_given_besides_its_parent(made):
    options = made.named("kept")["options"]
    assert (options["protect"], options["ignoreChanges"]) == (True, ["displayName"])


def test_the_helpers_resources_are_children_of_the_component_that_asked(made):
    component = made.one(f"{TYPE_PREFIX}:Network")["urn"]
    assert {r["name"]: r["parent"] for r in made.resources if r["custom"]} == dict.fromkeys(
        ("network-isolated-2", "named", "documented", "kept", "hook-invoke", "hook-invoke-policy"), component
    )


def test_the_ecs_trust_policy_lets_ecs_alone_assume_a_role_in_sorted_keys():
    text = ecs_trust_policy()
    assert json.loads(text) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    assert text == json.dumps(json.loads(text), sort_keys=True)


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fails what runs within it after `seconds` of wall time: a Deferred left unsettled keeps
    the run waiting for its Output forever (pulumi waits for every Output the program made)."""

    def expire(_signal: int, _frame: object) -> None:
        raise TimeoutError(f"the program still waited for a Deferred after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_deferred_failed_before_it_is_resolved_fails_what_waits_for_it_with_the_programs_error():
    def program() -> None:
        later = Deferred()
        aws.sns.Topic("waiting", policy=later.output)
        later.fail(ValueError(ERROR))

    with time_limit(10), pytest.raises(ValueError, match=ERROR):
        build("staging", program)


def test_a_deferred_resolved_before_the_program_fails_keeps_its_value():
    def program() -> None:
        later = Deferred()
        later.resolve(aws.sns.Topic("made-first").arn)
        later.fail(ValueError(ERROR))
        aws.sns.Topic("waiting", display_name=later.output)

    with time_limit(10):
        stack = build("staging", program)
    assert stack.named("waiting")["inputs"]["displayName"] == stack.named("made-first")["outputs"]["arn"]
