"""The Fargate services: network path, blue/green wiring, deploy safety, task hardening, secrets,
roles and autoscaling."""

from __future__ import annotations

import re

import pytest

from components.service import _deployment_alarms, _traffic_shift
from settings import load_settings
from tests.service_path import (
    EGRESS,
    INGRESS,
    LISTENER_RULE,
    TARGET_GROUP,
    alb_group,
    allowed,
    child_of,
    ecs_service,
    listener,
    peer,
    ports,
    role,
    role_policies,
    service_group,
    statements,
)
from tests.support import Synth, config_with

SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCALING_TARGET = "aws:appautoscaling/target:Target"


def services_of(stack: Synth) -> list[str]:
    return [r["name"] for r in stack.of_type("webapp:components:FargateService")]


def rule(stack: Synth, name: str) -> dict:
    return child_of(stack, "alb", LISTENER_RULE, f"web-{name}-rule")


def forwards(rule_resource: dict) -> list[tuple[str, float]]:
    (action,) = rule_resource["inputs"]["actions"]
    assert action["type"] == "forward"
    return [(group["arn"], group["weight"]) for group in action["forward"]["targetGroups"]]


def group(stack: Synth, color: str) -> dict:
    return child_of(stack, "alb", TARGET_GROUP, f"web-{color}")


def advanced(stack: Synth) -> dict:
    (balancer,) = ecs_service(stack, "web")["inputs"]["loadBalancers"]
    return balancer["advancedConfiguration"]


def minutes(timeout: str) -> int:
    match = re.fullmatch(r"(\d+)m", timeout)
    assert match, timeout
    return int(match[1])


# Network path


def test_web_tasks_admit_only_the_alb_on_the_container_port(prod):
    (ingress,) = prod.rules_of(INGRESS, service_group(prod, "web"))
    assert peer(prod, ingress) == alb_group(prod)["name"]
    assert ports(ingress) == ("tcp", 8080.0, 8080.0)


def test_workers_admit_nothing(staging):
    assert staging.rules_of(INGRESS, service_group(staging, "worker")) == []


def test_tasks_send_https_only_to_the_endpoints_and_s3_and_the_stores_ports(prod):
    rules = prod.rules_of(EGRESS, service_group(prod, "web"))
    assert {peer(prod, r): ports(r) for r in rules} == {
        "network-endpoints-sg": ("tcp", 443.0, 443.0),
        "network-s3": ("tcp", 443.0, 443.0),
        "database-sg": ("tcp", 5432.0, 5432.0),
        "cache-sg": ("tcp", 6379.0, 6379.0),
    }


def test_tasks_reach_the_internet_only_when_their_settings_opt_in(prod, staging):
    world = [peer(prod, r) for r in prod.rules_of(EGRESS, service_group(prod, "web")) if "cidrIpv4" in r["inputs"]]
    assert world == []
    opted_in = staging.rules_of(EGRESS, service_group(staging, "worker"))
    assert [(ports(r), r["inputs"]["cidrIpv4"]) for r in opted_in if "cidrIpv4" in r["inputs"]] == [
        (("tcp", 443.0, 443.0), "0.0.0.0/0")
    ]


def test_an_opted_in_security_group_carries_the_tag_the_pack_reads(prod, staging):
    assert "webapp:egress-to-internet" not in service_group(prod, "web")["inputs"]["tags"]
    assert service_group(staging, "web")["inputs"]["tags"]["webapp:egress-to-internet"] == "true"


def test_the_first_tasks_wait_for_the_endpoints_and_their_egress(prod):
    depends_on = set(ecs_service(prod, "web")["options"]["dependsOn"])
    endpoints = {
        e["urn"]
        for e in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e["inputs"]["vpcEndpointType"] == "Interface"
    }
    assert endpoints <= depends_on
    assert {r["urn"] for r in prod.rules_of(EGRESS, service_group(prod, "web")) if r["name"].startswith("web-to-")} - {
        prod.named("web-to-database")["urn"],
        prod.named("web-to-cache")["urn"],
    } <= depends_on


@pytest.mark.parametrize("service", ["web", "worker"])
def test_tasks_run_on_fargate_latest_in_private_subnets_without_public_ip(staging, service):
    inputs = ecs_service(staging, service)["inputs"]
    assert (inputs["launchType"], inputs["platformVersion"]) == ("FARGATE", "LATEST")
    network = inputs["networkConfiguration"]
    assert network["assignPublicIp"] is False
    assert network["subnets"] == staging.outputs["privateSubnetIds"]
    assert network["securityGroups"] == [service_group(staging, service)["id"]]


def test_cluster_has_enhanced_container_insights(prod):
    cluster = prod.one("aws:ecs/cluster:Cluster")
    assert cluster["inputs"]["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    assert {ecs_service(prod, "web")["inputs"]["cluster"]} == {cluster["outputs"]["arn"], prod.outputs["clusterArn"]}


# Blue/green


def test_blue_and_green_target_groups_are_identical_ip_groups_with_the_configured_health_check(prod):
    blue, green = (dict(group(prod, color)["inputs"]) for color in ("blue", "green"))
    assert {blue.pop("tags")["Name"], green.pop("tags")["Name"]} == {"web-blue", "web-green"}
    assert blue == green
    assert (blue["targetType"], blue["protocol"], blue["port"]) == ("ip", "HTTP", 8080.0)
    health = blue["healthCheck"]
    assert (health["path"], health["matcher"], health["interval"], health["timeout"]) == ("/healthz", "200", 15.0, 5.0)
    assert (health["healthyThreshold"], health["unhealthyThreshold"], health["enabled"]) == (2.0, 3.0, True)
    assert blue["deregistrationDelay"] == 30.0


def test_production_rule_on_443_forwards_all_traffic_to_blue(prod):
    production = rule(prod, "production")
    assert production["inputs"]["listenerArn"] == listener(prod, "alb-https")["outputs"]["arn"]
    assert forwards(production) == [
        (group(prod, "blue")["outputs"]["arn"], 100.0),
        (group(prod, "green")["outputs"]["arn"], 0.0),
    ]


def test_test_rule_on_the_test_listener_reaches_the_alternate_group(prod):
    test = rule(prod, "test")
    assert test["inputs"]["listenerArn"] == listener(prod, "alb-test")["outputs"]["arn"]
    assert forwards(test) == [(group(prod, "green")["outputs"]["arn"], 100.0)]


@pytest.mark.parametrize("stack_name, domain", [("prod", "app.example.com"), ("staging", "staging.app.example.com")])
@pytest.mark.parametrize("name", ["production", "test"])
def test_rules_match_only_the_stacks_host(request, stack_name, domain, name):
    # Any other Host header falls through to the listeners' 404 default action.
    conditions = rule(request.getfixturevalue(stack_name), name)["inputs"]["conditions"]
    assert [c["hostHeader"]["values"] for c in conditions if "hostHeader" in c] == [[domain]]


@pytest.mark.parametrize("name", ["production", "test"])
def test_rule_weights_are_left_to_ecs(prod, name):
    assert rule(prod, name)["options"]["ignoreChanges"] == ["actions"]


def test_service_advanced_configuration_names_green_and_both_rules(prod):
    (balancer,) = ecs_service(prod, "web")["inputs"]["loadBalancers"]
    assert (balancer["targetGroupArn"], balancer["containerName"], balancer["containerPort"]) == (
        group(prod, "blue")["outputs"]["arn"],
        "web",
        8080.0,
    )
    config = balancer["advancedConfiguration"]
    assert config["alternateTargetGroupArn"] == group(prod, "green")["outputs"]["arn"]
    assert config["productionListenerRule"] == rule(prod, "production")["outputs"]["arn"]
    assert config["testListenerRule"] == rule(prod, "test")["outputs"]["arn"]


def test_ecs_can_assume_the_infrastructure_role(prod):
    infrastructure = role(prod, "web", "ecs-infrastructure")
    assert advanced(prod)["roleArn"] == infrastructure["outputs"]["arn"]
    (trust,) = statements(infrastructure)
    assert (trust["Effect"], trust["Principal"], trust["Action"]) == (
        "Allow",
        {"Service": "ecs.amazonaws.com"},
        "sts:AssumeRole",
    )


def test_infrastructure_role_may_touch_only_this_services_groups_rules_and_listeners(prod):
    arns = lambda *resources: sorted(r["outputs"]["arn"] for r in resources)  # noqa: E731
    assert allowed(prod, "web", "ecs-infrastructure", "elasticloadbalancing:RegisterTargets") == arns(
        group(prod, "blue"), group(prod, "green")
    )
    assert allowed(prod, "web", "ecs-infrastructure", "elasticloadbalancing:ModifyRule") == arns(
        rule(prod, "production"), rule(prod, "test")
    )
    assert allowed(prod, "web", "ecs-infrastructure", "elasticloadbalancing:ModifyListener") == arns(
        listener(prod, "alb-https"), listener(prod, "alb-test")
    )


def test_service_waits_for_the_infrastructure_policy(prod):
    (policy,) = role_policies(prod, "web", role(prod, "web", "ecs-infrastructure"))
    assert policy["urn"] in ecs_service(prod, "web")["options"]["dependsOn"]


@pytest.mark.parametrize("stack_name, bake", [("prod", 10), ("staging", 2)])
def test_web_deploys_blue_green_with_the_profile_bake_time(request, stack_name, bake):
    config = dict(ecs_service(request.getfixturevalue(stack_name), "web")["inputs"]["deploymentConfiguration"])
    # The smoke-test hook (tests/test_smoke_test.py) runs before the traffic shift.
    assert [hook["lifecycleStages"] for hook in config.pop("lifecycleHooks")] == [["POST_TEST_TRAFFIC_SHIFT"]]
    assert config == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": str(bake)}


def web_with(stack: str, **fields) -> dict:
    """The stack file's services with these keys set on the web service."""
    services = config_with(stack, {})["webapp:services"]
    return {"webapp:services": [{**s, **fields} if s.get("kind", "web") == "web" else s for s in services]}


def test_a_canary_web_service_deploys_canary_with_its_slice_and_bake(optional_prod):
    # Its web service is deployed canary, 5% for 15 minutes.
    service = ecs_service(optional_prod, "web")
    config = {k: v for k, v in service["inputs"]["deploymentConfiguration"].items() if k != "lifecycleHooks"}
    assert config == {
        "strategy": "CANARY",
        "bakeTimeInMinutes": "10",
        "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": "15"},
    }
    # The deploy may take the canary's bake as well as the final bake.
    assert minutes(service["options"]["customTimeouts"]["update"]) > 10 + 15 + 20


def test_a_linear_web_service_shifts_in_steps():
    settings = load_settings("prod", config_with("prod", web_with("prod", strategy="linear", linearStepPercent=25)))
    config = _traffic_shift(settings.web_service)
    assert (config.strategy, config.canary_configuration) == ("LINEAR", None)
    linear = config.linear_configuration
    assert (linear.step_percent, linear.step_bake_time_in_minutes) == (25, "3")
    # Four steps of 25%: three waits of 3 minutes between them.
    assert settings.web_service.traffic_shift_minutes == 9


@pytest.mark.parametrize("stack_name, bake", [("prod", 10), ("staging", 2)])
def test_deploy_timeouts_outlast_the_bake(request, stack_name, bake):
    timeouts = ecs_service(request.getfixturevalue(stack_name), "web")["options"]["customTimeouts"]
    assert minutes(timeouts["create"]) > bake + 20 and minutes(timeouts["update"]) > bake + 20
    assert ecs_service(request.getfixturevalue(stack_name), "web")["inputs"]["waitForSteadyState"] is True


@pytest.mark.parametrize("service", ["web", "worker"])
def test_desired_count_is_set_once_and_then_left_to_autoscaling(staging, service):
    resource = ecs_service(staging, service)
    assert resource["inputs"]["desiredCount"] == 1.0
    assert resource["options"]["ignoreChanges"] == ["desiredCount"]


def test_without_deployment_alarms_the_alarms_block_is_left_out():
    assert _deployment_alarms([]) is None


def test_deployment_alarms_roll_a_deploy_back(prod):
    alarms = ecs_service(prod, "web")["inputs"]["alarms"]
    assert alarms["alarmNames"][0] == "webapp-prod-web-deployment"
    assert (alarms["enable"], alarms["rollback"]) == (True, True)


def test_workers_get_no_deployment_alarms(staging):
    assert "alarms" not in ecs_service(staging, "worker")["inputs"]


def test_worker_deploys_rolling_with_circuit_breaker_rollback(staging):
    inputs = ecs_service(staging, "worker")["inputs"]
    assert inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_a_worker_gets_no_target_group_rule_or_load_balancer(staging):
    kinds = {r["type"] for r in staging.children("worker")}
    assert not kinds & {TARGET_GROUP, LISTENER_RULE}
    assert "loadBalancers" not in ecs_service(staging, "worker")["inputs"]
    assert len(staging.of_type(TARGET_GROUP)) == 2


# Autoscaling


@pytest.mark.parametrize("service, low, high", [("web", 1.0, 4.0), ("worker", 1.0, 2.0)])
def test_task_count_scales_between_the_configured_bounds(staging, service, low, high):
    target = child_of(staging, service, SCALING_TARGET)["inputs"]
    assert (target["minCapacity"], target["maxCapacity"]) == (low, high)
    assert (
        target["resourceId"]
        == f"service/{staging.outputs['clusterName']}/{ecs_service(staging, service)['outputs']['name']}"
    )


@pytest.mark.parametrize("service, metrics", [("web", {"cpu", "memory", "requests"}), ("worker", {"cpu", "memory"})])
def test_scaling_tracks_cpu_memory_and_web_requests(staging, service, metrics):
    policies = [r for r in staging.children(service) if r["type"] == SCALING_POLICY]
    assert {p["name"].removeprefix(f"{service}-scale-on-") for p in policies} == metrics
    for policy in policies:
        config = policy["inputs"]["targetTrackingScalingPolicyConfiguration"]
        assert config["scaleOutCooldown"] < config["scaleInCooldown"]


def test_web_scales_on_requests_of_whichever_target_group_is_live(prod):
    policy = child_of(prod, "web", SCALING_POLICY, "web-scale-on-requests")
    metrics = {
        m["id"]: m
        for m in policy["inputs"]["targetTrackingScalingPolicyConfiguration"]["customizedMetricSpecification"][
            "metrics"
        ]
    }
    assert (metrics["requests"]["expression"], metrics["requests"]["returnData"]) == ("blue + green", True)
    for color in ("blue", "green"):
        dimensions = {d["name"]: d["value"] for d in metrics[color]["metricStat"]["metric"]["dimensions"]}
        assert dimensions == {
            "LoadBalancer": prod.outputs["albArnSuffix"],
            "TargetGroup": group(prod, color)["outputs"]["arnSuffix"],
        }


# Stack outputs


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_service_path_outputs_have_the_agreed_names(request, stack_name):
    outputs = request.getfixturevalue(stack_name).outputs
    names = {
        "albArn",
        "albArnSuffix",
        "albDnsName",
        "url",
        "httpsListenerArn",
        "testListenerArn",
        "productionListenerRuleArn",
        "testListenerRuleArn",
        "blueTargetGroupArn",
        "greenTargetGroupArn",
        "blueTargetGroupArnSuffix",
        "greenTargetGroupArnSuffix",
        "webAclArn",
        "clusterName",
        "clusterArn",
        "webServiceName",
        "serviceNames",
        "certificateArn",
    }
    assert names <= set(outputs)


def test_outputs_name_the_web_routing_and_every_service(staging):
    outputs = staging.outputs
    assert (outputs["productionListenerRuleArn"], outputs["testListenerRuleArn"]) == (
        rule(staging, "production")["outputs"]["arn"],
        rule(staging, "test")["outputs"]["arn"],
    )
    assert (outputs["blueTargetGroupArnSuffix"], outputs["greenTargetGroupArnSuffix"]) == (
        group(staging, "blue")["outputs"]["arnSuffix"],
        group(staging, "green")["outputs"]["arnSuffix"],
    )
    assert outputs["webServiceName"] == ecs_service(staging, "web")["outputs"]["name"]
    assert outputs["serviceNames"] == [ecs_service(staging, s)["outputs"]["name"] for s in ("web", "worker")]
