"""The Fargate services: network path, blue/green wiring, deploy safety, task hardening, secrets,
roles and autoscaling."""

from __future__ import annotations

import json
import re

import pytest

from components.common import ServiceLink
from components.service import _deployment_alarms, _task_inputs
from settings import load_settings
from settings.services import SECRET_LIKE
from tests.service_path import (
    CONFIG_SECRET,
    CONFIG_SECRET_KEY,
    EGRESS,
    INGRESS,
    LINK,
    LISTENER_RULE,
    ROLE,
    ROLE_POLICY,
    TARGET_GROUP,
    alb_group,
    child_of,
    containers,
    custom_synth,
    ecs_service,
    listener,
    peer,
    ports,
    service_group,
    statements,
)
from tests.support import Synth, config_with

SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCALING_TARGET = "aws:appautoscaling/target:Target"


@pytest.fixture(scope="module")
def custom() -> Synth:
    return custom_synth()


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


def role(stack: Synth, service: str, role_name: str) -> dict:
    return child_of(stack, service, ROLE, f"{service}-{role_name}")


def role_policies(stack: Synth, service: str, role_resource: dict) -> list[dict]:
    return [
        p
        for p in stack.children(service)
        if p["type"] == ROLE_POLICY and stack.depends_on(p, "role") == [role_resource]
    ]


def allowed(stack: Synth, service: str, role_name: str, action: str) -> list[str]:
    """Resources the role's inline policies allow `action` on."""
    resources: list[str] = []
    for policy in role_policies(stack, service, role(stack, service, role_name)):
        for statement in statements(policy):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow" and action in actions:
                found = statement["Resource"]
                resources += found if isinstance(found, list) else [found]
    return sorted(resources)


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


@pytest.mark.parametrize("service", ["web", "worker"])
def test_tasks_send_only_https_and_to_the_data_stores(staging, service):
    rules = staging.rules_of(EGRESS, service_group(staging, service))
    world = [r for r in rules if "referencedSecurityGroupId" not in r["inputs"]]
    assert [(ports(r), peer(staging, r)) for r in world] == [(("tcp", 443.0, 443.0), "0.0.0.0/0")]
    stores = {peer(staging, r): ports(r) for r in rules if r not in world}
    assert stores == {"database-sg": ("tcp", 5432.0, 5432.0), "cache-sg": ("tcp", 6379.0, 6379.0)}


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
def test_web_deploys_blue_green_with_the_tier_bake_time(request, stack_name, bake):
    config = ecs_service(request.getfixturevalue(stack_name), "web")["inputs"]["deploymentConfiguration"]
    assert config == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": str(bake)}


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


# Task definition


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_tasks_size_and_architecture_follow_the_settings(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    for service in load_settings(stack_name, config_with(stack_name, {})).services:
        task = child_of(stack, service.name, "aws:ecs/taskDefinition:TaskDefinition")["inputs"]
        assert (task["cpu"], task["memory"]) == (str(service.cpu), str(service.memory))
        assert task["runtimePlatform"] == {"cpuArchitecture": service.architecture, "operatingSystemFamily": "LINUX"}
        assert (task["networkMode"], task["requiresCompatibilities"]) == ("awsvpc", ["FARGATE"])


@pytest.mark.parametrize("service", ["web", "worker"])
def test_containers_run_unprivileged_as_non_root_on_a_read_only_root(staging, service):
    for container in containers(staging, service):
        assert container["privileged"] is False and container["readonlyRootFilesystem"] is True
        assert container["user"].split(":")[0] not in ("0", "root")
        assert container["linuxParameters"]["capabilities"]["drop"] == ["ALL"]


def test_app_container_writes_only_to_a_tmp_volume(prod):
    (app, *_) = containers(prod, "web")
    task = child_of(prod, "web", "aws:ecs/taskDefinition:TaskDefinition")["inputs"]
    assert task["volumes"] == [{"name": "tmp"}]
    assert app["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]


def test_app_container_has_image_port_and_health_check_from_the_settings(prod):
    (app, *_) = containers(prod, "web")
    settings = load_settings("prod", config_with("prod", {})).web_service
    assert (app["name"], app["image"], app["essential"]) == ("web", settings.image, True)
    assert app["portMappings"] == [{"containerPort": 8080, "protocol": "tcp"}]
    assert app["healthCheck"]["command"] == settings.container_health_command


def test_worker_runs_its_command_and_exposes_no_port(staging):
    (app, *_) = containers(staging, "worker")
    assert app["command"] == ["python", "-m", "app.worker"]
    assert "portMappings" not in app


@pytest.mark.parametrize("service", ["web", "worker"])
def test_every_container_logs_to_the_services_encrypted_log_group(staging, service):
    log_group = child_of(staging, service, "aws:cloudwatch/logGroup:LogGroup")
    assert staging.depends_on(log_group, "kmsKeyId") == [staging.one("aws:kms/key:Key", "logs-key")]
    assert log_group["inputs"]["retentionInDays"] == 365.0
    for container in containers(staging, service):
        options = container["logConfiguration"]["options"]
        assert container["logConfiguration"]["logDriver"] == "awslogs"
        assert (options["awslogs-group"], options["awslogs-region"]) == (log_group["inputs"]["name"], "us-east-1")


@pytest.mark.parametrize("stack_name", ["prod", "staging", "custom"])
def test_no_container_has_a_secret_looking_plain_variable(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    for service in services_of(stack):
        for container in containers(stack, service):
            assert not [v["name"] for v in container.get("environment", []) if SECRET_LIKE.search(v["name"])]


def test_secrets_reach_the_container_only_as_secrets_manager_references(custom):
    (app, *_) = containers(custom, "web")
    secrets = {s["name"]: s["valueFrom"] for s in app["secrets"]}
    assert secrets["API_TOKEN"] == CONFIG_SECRET
    assert secrets["LEDGER_PASSWORD"] == LINK.secrets["LEDGER_PASSWORD"]
    plain_values = json.dumps(app.get("environment", []))
    assert CONFIG_SECRET not in plain_values and "secretsmanager" not in plain_values


def test_link_environment_reaches_the_container(custom):
    (app, *_) = containers(custom, "web")
    environment = {v["name"]: v["value"] for v in app["environment"]}
    assert {key: environment[key] for key in LINK.environment} == dict(LINK.environment)


def test_execution_role_reads_exactly_the_tasks_secrets(custom):
    (app, *_) = containers(custom, "web")
    task_secrets = {":".join(s["valueFrom"].split(":")[:7]) for s in app["secrets"]}
    assert allowed(custom, "web", "execution-role", "secretsmanager:GetSecretValue") == sorted(task_secrets)


def test_execution_role_decrypts_only_with_the_secrets_keys_through_secrets_manager(custom):
    keys = allowed(custom, "web", "execution-role", "kms:Decrypt")
    assert CONFIG_SECRET_KEY in keys and LINK.key_arns[0] in keys
    policy = role_policies(custom, "web", role(custom, "web", "execution-role"))[0]
    (decrypt,) = [s for s in statements(policy) if s["Action"] == "kms:Decrypt"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}


def test_execution_role_pulls_only_the_image_repository_and_writes_only_its_log_group(prod):
    log_group = child_of(prod, "web", "aws:cloudwatch/logGroup:LogGroup")
    assert allowed(prod, "web", "execution-role", "ecr:BatchGetImage") == [
        "arn:aws:ecr:us-east-1:123456789012:repository/webapp"
    ]
    assert allowed(prod, "web", "execution-role", "logs:PutLogEvents") == [
        f"{log_group['outputs']['arn']}:log-stream:*"
    ]


@pytest.mark.parametrize("role_name", ["execution-role", "task-role"])
def test_task_roles_trust_ecs_tasks_on_behalf_of_this_account_only(prod, role_name):
    (trust,) = statements(role(prod, "web", role_name))
    assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*"}


def test_task_role_may_only_write_traces(prod):
    (policy,) = role_policies(prod, "web", role(prod, "web", "task-role"))
    (statement,) = statements(policy)
    assert all(action.startswith("xray:Put") or action.startswith("xray:GetSampling") for action in statement["Action"])


def test_tracing_runs_a_non_essential_xray_daemon_beside_the_app(prod):
    app, daemon = containers(prod, "web")
    assert (daemon["name"], daemon["essential"]) == ("xray-daemon", False)
    assert {"name": "AWS_XRAY_DAEMON_ADDRESS", "value": "127.0.0.1:2000"} in app["environment"]


def test_a_link_with_a_credential_in_its_plain_environment_is_refused():
    settings = load_settings("prod", config_with("prod", {})).web_service
    leaky = ServiceLink(environment={"DATABASE_PASSWORD": "hunter2"}, secrets={}, secret_arns=[], key_arns=[])
    with pytest.raises(ValueError, match="DATABASE_PASSWORD looks like a credential"):
        _task_inputs(settings, [leaky])


def test_a_variable_defined_by_two_links_is_refused():
    settings = load_settings("prod", config_with("prod", {})).web_service
    with pytest.raises(ValueError, match="LEDGER_HOST is defined twice"):
        _task_inputs(settings, [LINK, LINK])


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
