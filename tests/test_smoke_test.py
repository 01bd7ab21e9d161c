"""The smoke-test hook on the prod stack: the web service's lifecycle hook at
POST_TEST_TRAFFIC_SHIFT targets the function, which runs in the private subnets, reaches only the
test listener's port (through NAT, admitted by the ALB from the NAT addresses), logs under the
logs key, and is invoked by a role that may invoke nothing else."""

from __future__ import annotations

import json
from typing import Any

from components.smoke_test import smoke_checks
from settings import load_settings
from tests.support import Synth, config_with

FUNCTION = "aws:lambda/function:Function"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
TEST_PORT = 8443


def function(prod: Synth) -> dict[str, Any]:
    return prod.one(FUNCTION, "smoke-test-function-function")


def hooks(prod: Synth) -> list[dict[str, Any]]:
    service = prod.one("aws:ecs/service:Service", "web-service")
    return service["inputs"]["deploymentConfiguration"]["lifecycleHooks"]


def test_the_web_service_runs_the_smoke_test_at_post_test_traffic_shift(prod):
    (hook,) = hooks(prod)
    assert hook["lifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    assert hook["hookTargetArn"] == function(prod)["outputs"]["arn"]
    assert hook["roleArn"] == prod.one("aws:iam/role:Role", "smoke-test-invoke")["outputs"]["arn"]


def test_the_function_runs_in_the_private_subnets(prod):
    subnets = [r for r in prod.children("network") if r["type"] == "aws:ec2/subnet:Subnet"]
    private = [r["id"] for r in subnets if "-private-" in r["name"]]
    assert private and function(prod)["inputs"]["vpcConfig"]["subnetIds"] == private


def test_the_function_reaches_only_the_test_listener_port(prod):
    group = prod.one("aws:ec2/securityGroup:SecurityGroup", "smoke-test-function-sg")
    (rule,) = prod.rules_of(EGRESS, group)
    assert (rule["inputs"]["fromPort"], rule["inputs"]["toPort"], rule["inputs"]["ipProtocol"]) == (
        TEST_PORT,
        TEST_PORT,
        "tcp",
    )
    assert not prod.rules_of(INGRESS, group)


def test_the_alb_admits_the_test_port_from_each_nat_address_only(prod):
    alb_group = prod.one("aws:ec2/securityGroup:SecurityGroup", "alb-sg")
    nat = {f"{r['outputs']['publicIp']}/32" for r in prod.of_type("aws:ec2/natGateway:NatGateway")}
    admitted = {
        r["inputs"]["cidrIpv4"] for r in prod.rules_of(INGRESS, alb_group) if r["name"].startswith("smoke-test-")
    }
    assert admitted == nat and len(nat) == 3
    assert all(
        r["inputs"]["fromPort"] == TEST_PORT for r in prod.rules_of(INGRESS, alb_group) if r["name"].startswith("smoke")
    )


def test_the_invoke_role_is_for_ecs_and_may_invoke_only_the_smoke_test(prod):
    role = prod.one("aws:iam/role:Role", "smoke-test-invoke")
    (trust,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}
    policy = prod.one("aws:iam/rolePolicy:RolePolicy", "smoke-test-invoke-policy")
    (statement,) = json.loads(policy["inputs"]["policy"])["Statement"]
    assert (statement["Action"], statement["Resource"]) == ("lambda:InvokeFunction", function(prod)["outputs"]["arn"])


def test_the_service_waits_until_ecs_may_invoke_the_hook(prod):
    policy = prod.one("aws:iam/rolePolicy:RolePolicy", "smoke-test-invoke-policy")
    assert policy["urn"] in prod.one("aws:ecs/service:Service", "web-service")["options"]["dependsOn"]


def test_the_function_logs_under_the_logs_key(prod):
    group = prod.one("aws:cloudwatch/logGroup:LogGroup", "smoke-test-function-logs")
    logs_key = prod.one("aws:kms/key:Key", "logs-key")
    assert group["inputs"]["kmsKeyId"] == logs_key["outputs"]["arn"]
    assert function(prod)["inputs"]["loggingConfig"]["logGroup"] == group["outputs"]["name"]


def test_the_function_calls_the_test_listener_of_the_stacks_domain(prod):
    variables = function(prod)["inputs"]["environment"]["variables"]
    domain = load_settings("prod", config_with("prod", {})).dns.domain
    assert variables["SMOKE_BASE_URL"] == f"https://{domain}:{TEST_PORT}"
    assert json.loads(variables["SMOKE_CHECKS"])[0] == {"expectStatus": 200, "path": "/healthz"}


def test_the_health_path_comes_first_then_the_configured_smoke_tests():
    tests = [{"path": "/api/version", "expectStatus": 200, "expectBodyContains": "1.4"}, {"path": "/login"}]
    services = config_with("prod", {})["webapp:services"]
    services = [{**s, "smokeTests": tests} if s.get("kind", "web") == "web" else s for s in services]
    settings = load_settings("prod", config_with("prod", {"webapp:services": services}))
    assert smoke_checks(settings.web_service) == [
        {"path": "/healthz", "expectStatus": 200},
        {"path": "/api/version", "expectStatus": 200, "expectBodyContains": "1.4"},
        {"path": "/login", "expectStatus": 200},
    ]
