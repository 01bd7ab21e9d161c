"""tests.moto_support: a builder's AWS side restored in a fresh moto account is the one it built,
and nothing a test does to it reaches the next test."""

from __future__ import annotations

from typing import Any

from tests.moto_support import forget_accounts, snapshotted, untouched
from tests.ops_builders import task_definition
from tests.ops_support import client

runs: list[str] = []


@snapshotted
def tagged_vpc(name: str) -> dict[str, Any]:
    runs.append(name)
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16", TagSpecifications=_tags(name))["Vpc"]["VpcId"]
    return {"vpc": vpc, "task_definition": task_definition(name)}


def _tags(name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}]


def named_vpcs() -> dict[str, str]:
    vpcs = client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["*"]}])["Vpcs"]
    return {vpc["VpcId"]: next(t["Value"] for t in vpc["Tags"] if t["Key"] == "Name") for vpc in vpcs}


def test_a_second_build_in_a_fresh_account_is_the_first_restored_across_services(aws):
    first = tagged_vpc("restored")
    forget_accounts()
    runs.clear()
    again = tagged_vpc("restored")
    assert runs == [] and again == first
    assert named_vpcs() == {first["vpc"]: "restored"}
    assert client("ecs").list_task_definitions()["taskDefinitionArns"] == [first["task_definition"]]


def test_what_a_test_changes_after_a_restore_does_not_reach_the_next_one(aws):
    first = tagged_vpc("changed")
    forget_accounts()
    tagged_vpc("changed")["vpc"] = "vpc-edited"
    client("ec2").delete_vpc(VpcId=first["vpc"])
    forget_accounts()
    again = tagged_vpc("changed")
    assert again["vpc"] == first["vpc"]
    assert named_vpcs() == {first["vpc"]: "changed"}


def test_in_an_account_that_already_holds_something_the_builder_runs(aws):
    tagged_vpc("touched")
    forget_accounts()
    client("ec2").create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=_tags("before"))
    assert not untouched()
    runs.clear()
    tagged_vpc("touched")
    assert runs == ["touched"]
    assert sorted(named_vpcs().values()) == ["before", "touched"]


def test_other_arguments_or_moto_settings_build_again(aws, monkeypatch):
    tagged_vpc("one")
    forget_accounts()
    runs.clear()
    tagged_vpc("two")
    forget_accounts()
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "5")
    tagged_vpc("one")
    assert runs == ["two", "one"]


@snapshotted
def queue(name: str) -> str:
    runs.append(name)
    return client("sqs").create_queue(QueueName=name)["QueueUrl"]


def test_a_builder_reaching_a_service_that_cannot_be_copied_always_runs(aws):
    runs.clear()
    for _ in range(2):
        forget_accounts()
        queue("jobs")
    assert runs == ["jobs", "jobs"]
    assert [url.rsplit("/", 1)[1] for url in client("sqs").list_queues()["QueueUrls"]] == ["jobs"]
