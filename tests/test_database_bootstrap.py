"""The database bootstrap in the real stacks: where it runs, what it may reach and read, when it
is invoked and with what."""

from __future__ import annotations

import json
import zipfile

import pytest

from components.database_bootstrap import VENDORED
from settings.stack_config import ROOT
from tests.support import Synth

COMPONENT = "db-bootstrap"
INVOCATION = "aws:lambda/invocation:Invocation"
FUNCTION = "aws:lambda/function:Function"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def function(stack: Synth) -> dict:
    return stack.one(FUNCTION, f"{COMPONENT}-function-function")


def security_group(stack: Synth) -> dict:
    return stack.one("aws:ec2/securityGroup:SecurityGroup", f"{COMPONENT}-function-sg")


def egress(stack: Synth) -> dict[str, dict]:
    return {
        rule["name"].removeprefix(f"{COMPONENT}-function-to-"): rule
        for rule in stack.rules_of(EGRESS, security_group(stack))
    }


def invocation_input(stack: Synth) -> dict:
    return json.loads(stack.one(INVOCATION)["inputs"]["input"])


def role_statements(stack: Synth) -> dict[str, dict]:
    policy = stack.one("aws:iam/rolePolicy:RolePolicy", f"{COMPONENT}-function-policy")
    return {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_runs_in_the_private_subnets(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    private = sorted(
        s["id"]
        for s in stack.children("network")
        if s["type"] == "aws:ec2/subnet:Subnet" and s["inputs"]["tags"]["tier"] == "private"
    )
    assert private
    assert sorted(function(stack)["inputs"]["vpcConfig"]["subnetIds"]) == private


def test_prod_reaches_only_the_database_and_the_endpoints(prod):
    rules = egress(prod)
    database_sg = prod.one("aws:ec2/securityGroup:SecurityGroup", "database-sg")
    endpoints_sg = prod.one("aws:ec2/securityGroup:SecurityGroup", "network-endpoints-sg")
    assert sorted(rules) == ["database", "endpoints"]
    assert "webapp:egress-to-internet" not in security_group(prod)["inputs"]["tags"]
    assert (rules["database"]["inputs"]["referencedSecurityGroupId"], rules["database"]["inputs"]["fromPort"]) == (
        database_sg["id"],
        5432.0,
    )
    assert (rules["endpoints"]["inputs"]["referencedSecurityGroupId"], rules["endpoints"]["inputs"]["fromPort"]) == (
        endpoints_sg["id"],
        443.0,
    )


def test_staging_without_endpoints_reaches_secrets_manager_through_nat(staging):
    rules = egress(staging)
    assert security_group(staging)["inputs"]["tags"]["webapp:egress-to-internet"] == "true"
    assert sorted(rules) == ["database", "https"]
    assert (rules["https"]["inputs"]["cidrIpv4"], rules["https"]["inputs"]["fromPort"]) == ("0.0.0.0/0", 443.0)


def test_the_database_admits_the_bootstrap_on_its_port(prod):
    rule = prod.one(INGRESS, f"database-from-{COMPONENT}")
    assert rule["inputs"]["referencedSecurityGroupId"] == security_group(prod)["id"]
    assert rule["inputs"]["fromPort"] == rule["inputs"]["toPort"] == 5432.0


def test_role_reads_only_the_master_secret_and_decrypts_it_only_through_secrets_manager(prod):
    statements = role_statements(prod)
    assert statements["ReadMasterSecret"]["Resource"] == prod.outputs["databaseSecretArn"]
    decrypt = statements["DecryptMasterSecret"]
    assert decrypt["Resource"] == prod.outputs["databaseKmsKeyArn"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}


def test_invocation_names_the_database_the_app_user_and_the_master_secret_only_by_arn(prod):
    event = invocation_input(prod)
    assert event == {
        "appUser": "app",
        "database": "app",
        "host": prod.outputs["databaseAddress"],
        "port": 5432,
        "secretArn": prod.outputs["databaseSecretArn"],
        "version": event["version"],
    }
    assert prod.one(INVOCATION)["inputs"]["triggers"] == {"version": event["version"]}


def test_invocation_waits_for_the_instance_and_its_admission(prod):
    invocation = prod.one(INVOCATION)
    depends = set(invocation["dependencies"])
    assert prod.one("aws:rds/instance:Instance")["urn"] in depends
    assert prod.one(INGRESS, f"database-from-{COMPONENT}")["urn"] in depends


def test_services_start_after_the_bootstrap(prod, staging):
    for stack in (prod, staging):
        invocation = stack.one(INVOCATION)["urn"]
        for service in stack.of_type("aws:ecs/service:Service"):
            assert invocation in service["options"]["dependsOn"]


def test_a_different_app_user_changes_the_version_so_the_bootstrap_runs_again(prod):
    from tests.components_support import database

    # The database and its bootstrap alone, with prod's app user and then another.
    same, other = (
        database("prod", overrides, bootstrap=True) for overrides in ({}, {"webapp:database": {"appUser": "orders"}})
    )
    assert invocation_input(same)["version"] == invocation_input(prod)["version"]
    assert invocation_input(other)["appUser"] == "orders"
    assert invocation_input(other)["version"] != invocation_input(prod)["version"]


def test_the_package_holds_the_handler_and_the_vendored_driver(prod):
    archive = function(prod)["inputs"]["code"]["path"]
    names = zipfile.ZipFile(ROOT / archive).namelist()
    assert "handler.py" in names
    for package in VENDORED:
        assert f"{package}/__init__.py" in names or f"{package}.py" in names
