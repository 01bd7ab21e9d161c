"""The smoke-test hook on the prod stack: the web service's lifecycle hook at
POST_TEST_TRAFFIC_SHIFT targets the function, which runs in the private subnets, reaches only the
test listener's port (through NAT, admitted by the ALB from the NAT addresses), logs under the
logs key, and is invoked by a role that may invoke nothing else."""

from __future__ import annotations

import json
from typing import Any

from components.service_egress import EGRESS_TO_INTERNET_TAG
from components.smoke_test import MAX_ATTEMPTS, REQUEST_TIMEOUT_SECONDS, RETRY_DELAY_SECONDS, smoke_checks
from settings import load_settings
from tests.support import Synth, config_with
from tests.test_smoke_test_handler import smoke

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


class ReadKeys(dict[str, str]):
    """The function's environment, recording the names the handler reads."""

    def __init__(self, variables: dict[str, str]):
        super().__init__(variables)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)


def test_the_handler_reads_every_variable_the_function_is_given_and_its_retry_budget(prod):
    # A variable under a name the handler does not read is silently replaced by its default.
    environment = ReadKeys(function(prod)["inputs"]["environment"]["variables"])
    config = smoke.config_from(environment)
    assert environment.read == set(environment)
    assert (config["timeout"], config["max_attempts"], config["delay"]) == (
        REQUEST_TIMEOUT_SECONDS,
        MAX_ATTEMPTS,
        RETRY_DELAY_SECONDS,
    )


def test_the_checks_are_written_with_sorted_keys_so_a_preview_shows_no_change_between_runs(prod):
    checks = function(prod)["inputs"]["environment"]["variables"]["SMOKE_CHECKS"]
    web = load_settings("prod", config_with("prod", {})).web_service
    assert checks == json.dumps(smoke_checks(web), sort_keys=True) != json.dumps(smoke_checks(web))


def test_the_function_says_which_service_it_tests_and_its_group_is_in_the_stacks_vpc(prod):
    web = load_settings("prod", config_with("prod", {})).web_service.name
    assert function(prod)["inputs"]["description"] == f"Smoke tests of a new {web} version on the test listener"
    group = prod.one("aws:ec2/securityGroup:SecurityGroup", "smoke-test-function-sg")
    assert group["inputs"]["vpcId"] == prod.one("aws:ec2/vpc:Vpc", "network-vpc")["id"]


def test_the_egress_to_the_test_listener_is_open_to_the_alb_addresses_and_tagged_as_intended(prod):
    # The ALB's public addresses are not known in advance; the tag tells the pack the open egress
    # on that one port is intended (its VPC egress policy reads it).
    group = prod.one("aws:ec2/securityGroup:SecurityGroup", "smoke-test-function-sg")
    (rule,) = prod.rules_of(EGRESS, group)
    assert rule["name"] == "smoke-test-function-to-alb-test" and rule["inputs"]["cidrIpv4"] == "0.0.0.0/0"
    assert group["inputs"]["tags"][EGRESS_TO_INTERNET_TAG] == "true"


def test_each_nat_admission_is_the_test_port_alone_over_tcp_and_named(prod):
    alb_group = prod.one("aws:ec2/securityGroup:SecurityGroup", "alb-sg")
    rules = [r for r in prod.rules_of(INGRESS, alb_group) if r["name"].startswith("smoke-test-")]
    for rule in rules:
        inputs = rule["inputs"]
        assert (inputs["fromPort"], inputs["toPort"], inputs["ipProtocol"]) == (TEST_PORT, TEST_PORT, "tcp")
        assert inputs["tags"] == {"Name": rule["name"]}


def test_the_invoke_role_says_what_it_is_for_and_its_statement_allows_by_sid(prod):
    role = prod.one("aws:iam/role:Role", "smoke-test-invoke")
    assert role["inputs"]["description"] == "ECS invokes the smoke-test hook during blue/green deployments"
    policy = prod.one("aws:iam/rolePolicy:RolePolicy", "smoke-test-invoke-policy")
    (statement,) = json.loads(policy["inputs"]["policy"])["Statement"]
    assert (statement["Sid"], statement["Effect"]) == ("InvokeSmokeTest", "Allow")
