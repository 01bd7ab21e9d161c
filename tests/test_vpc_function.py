"""A VPC Lambda function: its package, security group, role, log group and the function itself,
built alone under the mocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.common import AwsContext
from components.vpc_function import Egress, VpcFunction, VpcFunctionArgs
from settings.functions import FunctionSettings
from tests.support import Synth

CONTEXT = AwsContext(account_id="123456789012", region="us-east-1")
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
DB_SG = "sg-0123456789abcdef0"
LOG_KEY = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-4998-8776-655443322110"
FUNCTION = "aws:lambda/function:Function"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
READ_SECRET = {"Sid": "ReadSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "x"}


def build(source: Path, settings: FunctionSettings | None = None) -> Synth:
    from tools.mocks import AwsMocks
    from tools.synth import RecordingMonitor, record

    def program() -> None:
        VpcFunction(
            "probe",
            VpcFunctionArgs(
                settings=settings or FunctionSettings(log_retention_days=90),
                context=CONTEXT,
                source=source,
                description="Probe",
                vpc_id="vpc-0123456789abcdef0",
                subnet_ids=SUBNETS,
                log_key_arn=LOG_KEY,
                egress=[
                    Egress("database", 5432, "to the database", security_group_id=DB_SG),
                    Egress("https", 443, "AWS APIs through NAT", cidr_ipv4="0.0.0.0/0"),
                ],
                statements=[READ_SECRET],
                environment={"MODE": "probe"},
            ),
        )

    return Synth(record(program, RecordingMonitor(AwsMocks("us-east-1")), "staging"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Synth:
    source = tmp_path_factory.mktemp("functions") / "probe"
    source.mkdir()
    (source / "handler.py").write_text("def handler(event, context):\n    return {'ok': True}\n")
    return build(source)


def policy_statements(stack: Synth) -> dict[str, dict]:
    policy = stack.one("aws:iam/rolePolicy:RolePolicy")
    return {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}


def test_every_child_is_parented_and_named_after_the_component(stack):
    component = stack.one("webapp:components:VpcFunction")
    for resource in stack.resources:
        if resource is not component:
            assert resource["parent"] == component["urn"]
            assert resource["name"].startswith("probe-")


def test_function_runs_python_on_arm64_in_the_given_subnets_with_its_own_group(stack):
    function = stack.one(FUNCTION)["inputs"]
    group = stack.one(SECURITY_GROUP)
    assert (function["runtime"], function["architectures"]) == ("python3.13", ["arm64"])
    assert function["vpcConfig"]["subnetIds"] == SUBNETS
    assert function["vpcConfig"]["securityGroupIds"] == [group["id"]]
    assert function["handler"] == "handler.handler"


def test_function_code_is_the_package_and_its_digest(stack):
    function = stack.one(FUNCTION)
    archive = function["inputs"]["code"]
    assert archive["path"] == ".build/functions/probe.zip"
    assert function["inputs"]["sourceCodeHash"] == function["outputs"]["codeSha256"]
    assert function["inputs"]["sourceCodeHash"] != ""


def test_security_group_has_no_ingress_and_exactly_the_given_egress(stack):
    group = stack.one(SECURITY_GROUP)
    assert not group["inputs"].get("ingress")
    assert not stack.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    rules = {r["inputs"]["description"]: r["inputs"] for r in stack.rules_of(EGRESS, group)}
    assert rules["to the database"]["referencedSecurityGroupId"] == DB_SG
    assert (rules["to the database"]["fromPort"], rules["to the database"]["toPort"]) == (5432, 5432)
    assert rules["AWS APIs through NAT"]["cidrIpv4"] == "0.0.0.0/0"
    assert len(rules) == 2


def test_log_group_is_encrypted_with_the_retention_and_exists_before_the_function(stack):
    group = stack.one("aws:cloudwatch/logGroup:LogGroup")
    function = stack.one(FUNCTION)
    assert group["inputs"]["name"] == f"/aws/lambda/{function['inputs']['name']}"
    assert (group["inputs"]["kmsKeyId"], group["inputs"]["retentionInDays"]) == (LOG_KEY, 90)
    assert function["inputs"]["loggingConfig"]["logGroup"] == group["inputs"]["name"]
    assert group["urn"] in function["dependencies"]


def test_role_is_assumable_only_by_lambda_for_this_account(stack):
    trust = json.loads(stack.one("aws:iam/role:Role")["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]


def test_role_writes_only_its_own_log_streams(stack):
    group = stack.one("aws:cloudwatch/logGroup:LogGroup")
    logs = policy_statements(stack)["WriteOwnLogs"]
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == f"{group['outputs']['arn']}:log-stream:*"


def test_role_creates_interfaces_only_in_its_subnets_with_its_group(stack):
    group = stack.one(SECURITY_GROUP)
    create = policy_statements(stack)["CreateInterfacesInOwnSubnets"]
    assert create["Action"] == "ec2:CreateNetworkInterface"
    assert sorted(create["Resource"]) == sorted(
        [
            "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
            *[f"arn:aws:ec2:us-east-1:123456789012:subnet/{subnet}" for subnet in SUBNETS],
            f"arn:aws:ec2:us-east-1:123456789012:security-group/{group['id']}",
        ]
    )


def test_only_describe_actions_are_granted_on_every_resource(stack):
    wildcard = [s for s in policy_statements(stack).values() if s["Resource"] == "*"]
    assert [s["Action"] for s in wildcard] == [["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]]


def test_callers_statements_are_added_to_the_role(stack):
    assert policy_statements(stack)["ReadSecret"] == READ_SECRET


def test_function_waits_for_its_role_policy(stack):
    policy = stack.one("aws:iam/rolePolicy:RolePolicy")
    assert policy["urn"] in stack.one(FUNCTION)["options"]["dependsOn"]


def test_security_group_deletion_waits_for_lambda_to_release_its_interfaces(stack):
    assert stack.one(SECURITY_GROUP)["options"]["customTimeouts"] == {"delete": "45m"}


@pytest.mark.parametrize(
    "targets",
    [{}, {"cidr_ipv4": "0.0.0.0/0", "security_group_id": DB_SG}],
)
def test_an_egress_rule_names_exactly_one_destination(targets):
    with pytest.raises(ValueError, match="exactly one of"):
        Egress("bad", 443, "bad", **targets)
