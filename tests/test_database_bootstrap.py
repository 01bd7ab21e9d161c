"""The database bootstrap: where it runs, what it may reach and read, when it is invoked and with
what. The first tests read it built alone beside its database (tests.components_support), with
and without interface endpoints; the others read it in the stacks."""

from __future__ import annotations

import base64
import json
import zipfile
from types import SimpleNamespace
from typing import cast

import pytest

from components.database import Database
from components.database_bootstrap import VENDORED, _version
from settings.stack_config import ROOT
from tests.components_support import (
    ENDPOINT_SG,
    LOG_KEY,
    PRIVATE_SUBNETS,
    VPC,
    database,
)
from tests.support import Synth

COMPONENT = "db-bootstrap"
INVOCATION = "aws:lambda/invocation:Invocation"
FUNCTION = "aws:lambda/function:Function"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def function(stack: Synth) -> dict:
    return stack.one(FUNCTION, f"{COMPONENT}-function-function")


def security_group(stack: Synth) -> dict:
    return stack.one("aws:ec2/securityGroup:SecurityGroup", f"{COMPONENT}-function-sg")


def egress(stack: Synth) -> dict[str, dict]:
    return {
        rule["name"].removeprefix(f"{COMPONENT}-function-to-"): rule
        for rule in stack.rules_of(EGRESS, security_group(stack))
    }


def reached(rule: dict) -> tuple[str | None, str | None, int, str]:
    inputs = rule["inputs"]
    assert inputs["fromPort"] == inputs["toPort"] and inputs["ipProtocol"] == "tcp"
    return inputs.get("referencedSecurityGroupId"), inputs.get("cidrIpv4"), inputs["fromPort"], inputs["description"]


def invocation_input(stack: Synth) -> dict:
    return json.loads(stack.one(INVOCATION)["inputs"]["input"])


def role_statements(stack: Synth) -> dict[str, dict]:
    policy = stack.one("aws:iam/rolePolicy:RolePolicy", f"{COMPONENT}-function-policy")
    return {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}


RETENTION_DAYS = 90
# What the version reads of a database: its names and port.
NAMES = cast(Database, SimpleNamespace(database_name="app", app_user="app", port=5432))


def built_alone(endpoint_security_group_id: str | None) -> Synth:
    """Prod's database and its bootstrap alone, through the stack's provider as the composition
    builds them; the AWS APIs reached through the interface endpoints' group, or through NAT
    (None)."""
    return database(
        "prod",
        {},
        bootstrap=True,
        through_provider=True,
        bootstrap_log_retention_days=RETENTION_DAYS,
        endpoint_security_group_id=endpoint_security_group_id,
    )


@pytest.fixture(scope="module")
def alone() -> Synth:
    return built_alone(ENDPOINT_SG)


@pytest.fixture(scope="module")
def alone_through_nat() -> Synth:
    return built_alone(None)


def test_every_resource_of_the_bootstrap_is_its_own_and_made_through_the_provider_it_is_given(alone):
    component = alone.one("webapp:components:DatabaseBootstrap")["urn"]
    provider = alone.one("pulumi:providers:aws", "aws")["urn"]
    function_ = alone.one("webapp:components:VpcFunction")
    assert function_["parent"] == component
    own = [r for r in alone.resources if r["custom"] and r["parent"] in {component, function_["urn"]}]
    assert sorted(r["name"] for r in own) == [
        f"{COMPONENT}-function-{suffix}"
        for suffix in ("function", "logs", "policy", "role", "sg", "to-database", "to-endpoints")
    ] + [f"{COMPONENT}-run"]
    for resource in own:
        assert resource["provider"].startswith(f"{provider}::"), resource["name"]


def test_the_function_is_the_db_bootstrap_package_in_the_subnets_it_is_given_and_says_what_it_creates(alone):
    inputs = function(alone)["inputs"]
    assert inputs["description"] == "Creates the application role app of webapp-prod-database"
    assert inputs["code"]["path"] == ".build/functions/db_bootstrap.zip"
    assert inputs["vpcConfig"] == {"subnetIds": PRIVATE_SUBNETS, "securityGroupIds": [security_group(alone)["id"]]}
    assert security_group(alone)["inputs"]["vpcId"] == VPC
    log_group = alone.one(LOG_GROUP, f"{COMPONENT}-function-logs")["inputs"]
    assert (log_group["retentionInDays"], log_group["kmsKeyId"]) == (RETENTION_DAYS, LOG_KEY)


def test_it_reaches_the_database_on_its_port_and_secrets_manager_through_the_endpoints(alone):
    rules = egress(alone)
    assert sorted(rules) == ["database", "endpoints"]
    database_sg = alone.one("aws:ec2/securityGroup:SecurityGroup", "database-sg")["id"]
    assert {name: reached(rule) for name, rule in rules.items()} == {
        "database": (database_sg, None, 5432, "PostgreSQL webapp-prod-database"),
        "endpoints": (ENDPOINT_SG, None, 443, "Secrets Manager through its interface endpoint"),
    }
    assert "webapp:egress-to-internet" not in security_group(alone)["inputs"]["tags"]


def test_without_endpoints_it_reaches_secrets_manager_through_nat_and_says_so(alone_through_nat):
    rules = egress(alone_through_nat)
    assert sorted(rules) == ["database", "https"]
    assert reached(rules["https"]) == (None, "0.0.0.0/0", 443, "Secrets Manager through NAT (no interface endpoints)")
    assert security_group(alone_through_nat)["inputs"]["tags"]["webapp:egress-to-internet"] == "true"


def test_the_database_admits_the_bootstrap_by_its_security_group_under_its_name(alone):
    rule = alone.one(INGRESS, f"database-from-{COMPONENT}")["inputs"]
    assert rule["referencedSecurityGroupId"] == security_group(alone)["id"]
    assert rule["description"] == f"{COMPONENT} service to database on 5432"


def test_the_role_reads_the_master_secret_and_decrypts_it_only_through_secrets_manager(alone):
    statements = role_statements(alone)
    database = alone.one("webapp:components:Database")["outputs"]
    assert statements["ReadMasterSecret"] == {
        "Sid": "ReadMasterSecret",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": database["secret_arn"],
    }
    assert statements["DecryptMasterSecret"] == {
        "Sid": "DecryptMasterSecret",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": database["key_arn"],
        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}},
    }


def test_the_invocation_runs_the_function_after_its_admission_with_the_names_and_the_version(alone):
    invocation = alone.one(INVOCATION)
    database = alone.one("webapp:components:Database")["outputs"]
    version = alone.one("webapp:components:DatabaseBootstrap")["outputs"]["version"]
    assert invocation["inputs"]["functionName"] == function(alone)["outputs"]["name"]
    # Keys sorted: the same event is the same input, and no plan shows it changed.
    assert invocation["inputs"]["input"] == json.dumps(
        {
            "appUser": "app",
            "database": "app",
            "host": alone.one("aws:rds/instance:Instance")["outputs"]["address"],
            "port": 5432,
            "secretArn": database["secret_arn"],
            "version": version,
        }
    )
    assert invocation["inputs"]["triggers"] == {"version": version}
    assert invocation["options"]["dependsOn"] == [alone.one(INGRESS, f"database-from-{COMPONENT}")["urn"]]
    assert alone.one("aws:rds/instance:Instance")["urn"] in invocation["dependencies"]


def test_the_version_is_made_from_the_deployed_packages_digest_and_the_names(alone):
    package = base64.b64decode(function(alone)["inputs"]["sourceCodeHash"]).hex()
    assert alone.one("webapp:components:DatabaseBootstrap")["outputs"] == {
        "function_name": function(alone)["outputs"]["name"],
        "version": _version(package, NAMES),
    }


def test_the_version_of_a_package_and_names_never_changes_between_releases():
    # A new version runs the bootstrap again on every stack at its next deploy.
    assert _version("0" * 64, NAMES) == "ee2b80f7ff049f17"


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
