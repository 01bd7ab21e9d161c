"""A VPC Lambda function built alone under the mocks with every argument away from its default
(another region and account, a provider of its own, x86_64 on Python 3.12, vendored code, a
prefix-list egress, extra tags): each input AWS receives is the one the caller gave."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from components.common import AwsContext
from components.vpc_function import Egress, VpcFunction, VpcFunctionArgs
from settings.functions import FunctionSettings
from settings.stack_config import ROOT
from tests.support import Synth

CONTEXT = AwsContext(account_id="210987654321", region="eu-central-1")
VPC = "vpc-0fedcba9876543210"
SUBNETS = ["subnet-0b2c3d4e5f6071829", "subnet-0e1d2c3b4a5968778", "subnet-0fedcba9876543210"]
CACHE_SG = "sg-0fedcba9876543210"
S3_PREFIX_LIST = "pl-6ea54007"
LOG_KEY = "arn:aws:kms:eu-central-1:210987654321:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
# physical_name of "sweeper" in the webapp project's staging stack.
FUNCTION_NAME = "webapp-staging-sweeper"
SETTINGS = FunctionSettings(
    runtime="python3.12", architecture="x86_64", memory_mb=512, timeout_seconds=120, log_retention_days=30
)
STATEMENTS = [
    {"Sid": "ReadSessions", "Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "arn:aws:dynamodb:x"},
    {"Sid": "DeleteSessions", "Effect": "Allow", "Action": "dynamodb:DeleteItem", "Resource": "arn:aws:dynamodb:x"},
]
ENVIRONMENT = {"MODE": "sweep", "BATCH_SIZE": "100"}
FUNCTION = "aws:lambda/function:Function"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"


def build(source: Path, **overrides) -> Synth:
    """The function `sweeper` alone, made through a provider of another region, with the
    arguments below (or `overrides`)."""
    from tools.mocks import AwsMocks
    from tools.synth import RecordingMonitor, record

    arguments = {
        "settings": SETTINGS,
        "context": CONTEXT,
        "source": source,
        "description": "Deletes expired sessions",
        "vpc_id": VPC,
        "subnet_ids": SUBNETS,
        "log_key_arn": LOG_KEY,
        "egress": [
            Egress("s3", 443, "S3 through its gateway endpoint", prefix_list_id=S3_PREFIX_LIST),
            Egress("cache", 6379, "to the cache", security_group_id=CACHE_SG),
        ],
        "statements": STATEMENTS,
        "vendored": ["six"],
        "environment": ENVIRONMENT,
        "handler": "main.run",
        "security_group_tags": {"egress-to-internet": "true"},
        **overrides,
    }

    def program() -> None:
        provider = aws.Provider("aws-frankfurt", region=CONTEXT.region)
        VpcFunction("sweeper", VpcFunctionArgs(**arguments), opts=pulumi.ResourceOptions(provider=provider))

    return Synth(record(program, RecordingMonitor(AwsMocks("us-east-1")), "staging"))


def function_dir(parent: Path, name: str) -> Path:
    source = parent / name
    source.mkdir()
    (source / "main.py").write_text("import six\n\n\ndef run(event, context):\n    return {'ok': six.PY3}\n")
    return source


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Synth:
    return build(function_dir(tmp_path_factory.mktemp("functions"), "sweeper"))


def policy(stack: Synth) -> list[dict]:
    return json.loads(stack.one(POLICY)["inputs"]["policy"])["Statement"]


def test_every_resource_is_made_through_the_provider_the_component_is_given(stack):
    # A resource made through the default provider would land in the stack's region, not the
    # caller's: the component passes its options on to each child.
    provider = stack.one("pulumi:providers:aws", "aws-frankfurt")["urn"]
    made = [r for r in stack.resources if r["custom"] and not r["type"].startswith("pulumi:providers:")]
    assert len(made) == 7
    for resource in made:
        assert resource["provider"].startswith(f"{provider}::"), resource["name"]


def test_function_is_named_after_the_stack_and_runs_the_given_settings(stack):
    inputs = stack.one(FUNCTION)["inputs"]
    assert {key: inputs[key] for key in ("name", "description", "runtime", "architectures", "handler")} == {
        "name": FUNCTION_NAME,
        "description": "Deletes expired sessions",
        "runtime": "python3.12",
        "architectures": ["x86_64"],
        "handler": "main.run",
    }
    assert (inputs["memorySize"], inputs["timeout"]) == (512, 120)
    assert inputs["tags"] == {"Name": FUNCTION_NAME}


def test_function_assumes_its_own_role(stack):
    assert stack.one(FUNCTION)["inputs"]["role"] == stack.one(ROLE)["outputs"]["arn"]


def test_function_logs_json_at_info_and_the_platform_at_warn(stack):
    # JSON lets Logs Insights query fields; Lambda drops the code's lines below INFO and its own
    # platform events below WARN before they reach the log group (AWS Lambda Developer Guide,
    # "Configuring advanced logging controls for Lambda functions").
    assert stack.one(FUNCTION)["inputs"]["loggingConfig"] == {
        "logFormat": "JSON",
        "logGroup": f"/aws/lambda/{FUNCTION_NAME}",
        "applicationLogLevel": "INFO",
        "systemLogLevel": "WARN",
    }


def test_function_gets_the_given_environment(stack):
    assert stack.one(FUNCTION)["inputs"]["environment"] == {"variables": ENVIRONMENT}


def test_function_without_environment_declares_none(tmp_path):
    # Its own directory: the package is written to .build/functions/<directory>.zip.
    alone = build(function_dir(tmp_path, "sweeper-bare"), environment={})
    assert "environment" not in alone.one(FUNCTION)["inputs"]


def test_package_holds_the_function_and_its_vendored_packages(stack):
    function = stack.one(FUNCTION)["inputs"]
    archive = ROOT / function["code"]["path"]
    with zipfile.ZipFile(archive) as package:
        assert package.namelist() == ["main.py", "six.py"]
    digest = base64.b64encode(hashlib.sha256(archive.read_bytes()).digest()).decode()
    assert function["sourceCodeHash"] == digest


def test_security_group_is_in_the_given_vpc_with_its_description_and_tags(stack):
    # EC2 replaces a group whose description changes, so the text is part of its identity.
    assert stack.one(SECURITY_GROUP)["inputs"] == {
        "vpcId": VPC,
        "description": f"Lambda {FUNCTION_NAME}: no ingress, egress only as listed",
        "tags": {"Name": "sweeper-function", "egress-to-internet": "true"},
    }


def test_each_egress_rule_is_tcp_on_its_port_to_its_one_destination(stack):
    group = stack.one(SECURITY_GROUP)
    rules = {r["name"]: r["inputs"] for r in stack.rules_of(EGRESS, group)}
    common = {"securityGroupId": group["id"], "ipProtocol": "tcp"}
    assert rules == {
        "sweeper-to-s3": {
            **common,
            "fromPort": 443,
            "toPort": 443,
            "prefixListId": S3_PREFIX_LIST,
            "description": "S3 through its gateway endpoint",
            "tags": {"Name": "sweeper-to-s3"},
        },
        "sweeper-to-cache": {
            **common,
            "fromPort": 6379,
            "toPort": 6379,
            "referencedSecurityGroupId": CACHE_SG,
            "description": "to the cache",
            "tags": {"Name": "sweeper-to-cache"},
        },
    }


def test_log_group_is_the_one_lambda_writes_to_with_the_given_retention_and_key(stack):
    assert stack.one(LOG_GROUP)["inputs"] == {
        "name": f"/aws/lambda/{FUNCTION_NAME}",
        "retentionInDays": 30,
        "kmsKeyId": LOG_KEY,
    }


def test_role_says_which_function_it_serves(stack):
    # What IAM Access Analyzer and the console show next to the role's generated name.
    description = stack.one(ROLE)["inputs"]["description"]
    assert description == f"Lambda {FUNCTION_NAME}: VPC access, its logs, and what its code needs"


def test_policy_is_attached_to_the_functions_role(stack):
    assert stack.one(POLICY)["inputs"]["role"] == stack.one(ROLE)["id"]


def test_policy_is_the_vpc_access_in_this_account_and_region_then_the_callers_statements(stack):
    # AWSLambdaVPCAccessExecutionRole's actions, each on the narrowest resources EC2 and Logs
    # accept (Service Authorization Reference, Amazon EC2 and CloudWatch Logs).
    arn = "arn:aws:ec2:eu-central-1:210987654321"
    log_group = stack.one(LOG_GROUP)["outputs"]["arn"]
    group = stack.one(SECURITY_GROUP)["id"]
    assert policy(stack) == [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group}:log-stream:*",
        },
        {
            "Sid": "DescribeNetwork",
            "Effect": "Allow",
            "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            "Resource": "*",
        },
        {
            "Sid": "CreateInterfacesInOwnSubnets",
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterface",
            "Resource": [
                f"{arn}:network-interface/*",
                *[f"{arn}:subnet/{subnet}" for subnet in SUBNETS],
                f"{arn}:security-group/{group}",
            ],
        },
        {
            "Sid": "ManageInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"],
            "Resource": f"{arn}:network-interface/*",
        },
        *STATEMENTS,
    ]


def test_component_outputs_name_what_callers_use(stack):
    component = stack.one("webapp:components:VpcFunction")
    function = stack.one(FUNCTION)
    assert component["outputs"] == {
        "arn": function["outputs"]["arn"],
        "name": FUNCTION_NAME,
        "role_arn": stack.one(ROLE)["outputs"]["arn"],
        "security_group_id": stack.one(SECURITY_GROUP)["id"],
        "log_group": f"/aws/lambda/{FUNCTION_NAME}",
        "code_sha256": function["inputs"]["sourceCodeHash"],
    }


@pytest.mark.parametrize("port", [0, 65536])
def test_an_egress_port_outside_tcp_is_refused(port):
    with pytest.raises(ValueError, match=f"^egress bad: port {port} is not a TCP port$"):
        Egress("bad", port, "bad", cidr_ipv4="10.0.0.0/8")


@pytest.mark.parametrize("port", [1, 65535])
def test_the_lowest_and_highest_tcp_ports_are_accepted(port):
    assert Egress("edge", port, "edge", cidr_ipv4="10.0.0.0/8").port == port


def test_an_egress_rule_without_one_destination_says_which_to_give():
    with pytest.raises(ValueError, match="^egress bad: exactly one of security_group_id, cidr_ipv4, prefix_list_id$"):
        Egress("bad", 443, "bad", cidr_ipv4="10.0.0.0/8", security_group_id=CACHE_SG, prefix_list_id=S3_PREFIX_LIST)
