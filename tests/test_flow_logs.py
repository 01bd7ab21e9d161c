"""VPC flow logs, built alone (tests.components_support) under a parent as the network and the
recovery site make them: all traffic, each minute, into a KMS-encrypted log group, delivered by a
role that only this account's flow logs of the VPC's region may assume and that may only write
to that log group."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.flow_logs import FlowLogArgs, flow_logs
from tests.components_support import CONTEXT, LOG_KEY, VPC, build
from tests.support import Synth

RECOVERY_KEY = "arn:aws:kms:us-west-2:123456789012:key/1f1e1d1c-1b1a-4998-8776-655443322110"


class Parent(pulumi.ComponentResource):
    def __init__(self) -> None:
        super().__init__("webapp:components:Network", "network", None, None)
        flow_logs(self, "network", FlowLogArgs(context=CONTEXT, vpc_id=VPC, log_key_arn=LOG_KEY, retention_days=365))
        recovery = FlowLogArgs(
            context=CONTEXT, vpc_id=VPC, log_key_arn=RECOVERY_KEY, retention_days=30, region="us-west-2"
        )
        flow_logs(self, "recovery", recovery)


@pytest.fixture(scope="module")
def logs() -> Synth:
    def program() -> None:
        Parent()

    return build("prod", program)


def test_the_flow_log_sends_all_traffic_of_the_vpc_each_minute_to_its_log_group(logs):
    flow_log = logs.named("network-flow-log")["inputs"]
    log_group = logs.named("network-flow-logs")
    assert flow_log == {
        "vpcId": VPC,
        "trafficType": "ALL",
        "logDestinationType": "cloud-watch-logs",
        "logDestination": log_group["outputs"]["arn"],
        "iamRoleArn": logs.named("network-flow-logs-role")["outputs"]["arn"],
        "maxAggregationInterval": 60,
        "tags": {"Name": "network-flow-log"},
    }


def test_the_log_group_is_named_after_the_stack_and_kept_and_encrypted_as_asked(logs):
    assert logs.named("network-flow-logs")["inputs"] == {
        "name": "/vpc/prod/network/flow-logs",
        "retentionInDays": 365,
        "kmsKeyId": LOG_KEY,
    }
    assert logs.named("recovery-flow-logs")["inputs"] == {
        "name": "/vpc/prod/recovery/flow-logs",
        "retentionInDays": 30,
        "kmsKeyId": RECOVERY_KEY,
    }


@pytest.mark.parametrize("name, region", [("network", "us-east-1"), ("recovery", "us-west-2")])
def test_only_this_accounts_flow_logs_of_the_vpcs_region_may_assume_the_role(logs, name, region):
    role = logs.named(f"{name}-flow-logs-role")["inputs"]
    assert role["description"] == "VPC flow logs delivery to CloudWatch Logs"
    assert json.loads(role["assumeRolePolicy"])["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{region}:123456789012:vpc-flow-log/*"},
            },
        }
    ]


def test_the_role_may_only_write_to_its_log_group(logs):
    policy = logs.named("network-flow-logs-policy")["inputs"]
    arn = logs.named("network-flow-logs")["outputs"]["arn"]
    assert policy["role"] == logs.named("network-flow-logs-role")["outputs"]["name"]
    assert json.loads(policy["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [arn, f"{arn}:*"],
            }
        ],
    }


def test_every_resource_is_a_child_of_the_component_that_asked(logs):
    parent = logs.one("webapp:components:Network")["urn"]
    assert {r["name"] for r in logs.resources if r["custom"] and r["parent"] == parent} == {
        f"{name}-{suffix}"
        for name in ("network", "recovery")
        for suffix in ("flow-logs", "flow-logs-role", "flow-logs-policy", "flow-log")
    }
