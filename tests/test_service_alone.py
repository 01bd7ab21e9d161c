"""The Fargate services built alone (tests.components_support), a web service on its blue/green
routing and a worker, each with settings away from their defaults (another port, retention,
grace period, cooldowns and targets, a linear strategy), so that an input the component dropped
(left to an AWS default) or an option it lost shows."""

from __future__ import annotations

import dataclasses
import json

import pytest

from components.service import FargateService
from tests.components_support import LOG_KEY, PRIVATE_SUBNETS, VPC, build
from tests.service_path import EGRESS, INGRESS, ROLE, ROLE_POLICY, SECURITY_GROUP
from tests.service_support import (
    ALB_SG,
    CLUSTER_ARN,
    DATABASE_SG,
    DEPLOYMENT_ALARM,
    HOOK_FUNCTION,
    HOOK_ROLE,
    LOG_GROUP,
    PRODUCTION_LISTENER,
    TEST_LISTENER,
    args,
    built,
    component,
    ecs,
    minutes,
    own,
    routing,
    service_settings,
)
from tests.support import Synth


@pytest.fixture(scope="module")
def alone() -> Synth:
    return built()


@pytest.mark.parametrize("kind, routed", [("web", False), ("worker", True)])
def test_a_web_service_needs_its_routing_and_a_worker_must_not_have_one(kind, routed):
    settings = service_settings()[kind]

    def program() -> None:
        FargateService(settings.name, args(settings, routing() if routed else None))

    with pytest.raises(ValueError) as raised:
        build("prod", program)
    assert str(raised.value) == (
        f"service {settings.name}: a web service needs its WebRouting, a worker must not have one"
    )


def test_every_resource_of_a_service_is_the_components_own(alone):
    # A resource parented elsewhere gets another URN: a plan would replace it.
    for name in ("web", "jobs"):
        mine = {r["name"] for r in alone.resources if r["parent"] == component(alone, name)["urn"]}
        expected = {"sg", "to-endpoints", "to-s3", "logs", "task", "execution-role", "execution-policy"}
        expected |= {"task-role", "task-tracing", "service", "scaling", "scale-on-cpu", "scale-on-memory"}
        if name == "web":
            expected |= {"from-alb", "alb-to-tasks", "ecs-infrastructure", "ecs-infrastructure-policy"}
            expected |= {"scale-on-requests", "to-database"}
        else:
            expected |= {"out-https"}
        assert mine == {f"{name}-{suffix}" for suffix in expected}


@pytest.mark.parametrize("name, tags", [("web", {}), ("jobs", {"webapp:egress-to-internet": "true"})])
def test_the_tasks_security_group_is_in_the_vpc_named_and_described_for_its_service(alone, name, tags):
    group = own(alone, name, SECURITY_GROUP)
    assert group["inputs"] == {
        "vpcId": VPC,
        "description": f"Tasks of the {name} service",
        "tags": {"Name": f"{name}-tasks", **tags},
    }


@pytest.mark.parametrize("name, kind", [("web", "web"), ("jobs", "worker")])
def test_the_logs_go_to_a_group_of_the_stack_and_service_under_the_logs_key_kept_as_configured(alone, name, kind):
    assert own(alone, name, LOG_GROUP)["inputs"] == {
        "name": f"/ecs/prod/{name}",
        "retentionInDays": service_settings()[kind].log_retention_days,
        "kmsKeyId": LOG_KEY,
    }


@pytest.mark.parametrize("name, kind", [("web", "web"), ("jobs", "worker")])
def test_the_service_runs_its_task_on_fargate_in_the_private_subnets_behind_its_own_group(alone, name, kind):
    service = ecs(alone, name)
    inputs = service["inputs"]
    assert (inputs["name"], inputs["cluster"], inputs["desiredCount"]) == (
        name,
        CLUSTER_ARN,
        service_settings()[kind].desired_count,
    )
    [task] = alone.depends_on(service, "taskDefinition")
    assert task["name"] == f"{name}-task"
    assert (inputs["launchType"], inputs["platformVersion"]) == ("FARGATE", "LATEST")
    assert inputs["networkConfiguration"] == {
        "subnets": PRIVATE_SUBNETS,
        "securityGroups": [own(alone, name, SECURITY_GROUP)["id"]],
        "assignPublicIp": False,
    }
    # ECS's own deployment controller: what blue/green and the rolling circuit breaker need.
    assert inputs["deploymentController"] == {"type": "ECS"}


@pytest.mark.parametrize("name", ["web", "jobs"])
def test_the_service_has_no_shell_tags_its_tasks_and_deploys_wait_for_a_steady_state(alone, name):
    inputs = ecs(alone, name)["inputs"]
    assert inputs["enableExecuteCommand"] is False
    assert (inputs["enableEcsManagedTags"], inputs["propagateTags"]) == (True, "SERVICE")
    assert inputs["waitForSteadyState"] is True


def test_a_worker_starts_new_tasks_before_old_ones_stop_and_rolls_back_a_failing_deploy(alone):
    inputs = ecs(alone, "jobs")["inputs"]
    # Never below the desired count during a deploy, up to twice it.
    assert (inputs["deploymentMinimumHealthyPercent"], inputs["deploymentMaximumPercent"]) == (100, 200)
    assert inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert not {"loadBalancers", "alarms", "healthCheckGracePeriodSeconds"} & set(inputs)


def test_the_web_service_deploys_on_its_routing_in_linear_steps_after_the_smoke_test(alone):
    inputs = ecs(alone, "web")["inputs"]
    role = own(alone, "web", ROLE, "web-ecs-infrastructure")
    blue, green = (alone.one("aws:lb/targetGroup:TargetGroup", f"web-{color}") for color in ("blue", "green"))
    production, test = (alone.one("aws:lb/listenerRule:ListenerRule", f"web-{n}-rule") for n in ("production", "test"))
    assert inputs["loadBalancers"] == [
        {
            "targetGroupArn": blue["outputs"]["arn"],
            "containerName": "web",
            "containerPort": 8081,
            "advancedConfiguration": {
                "alternateTargetGroupArn": green["outputs"]["arn"],
                "productionListenerRule": production["outputs"]["arn"],
                "testListenerRule": test["outputs"]["arn"],
                "roleArn": role["outputs"]["arn"],
            },
        }
    ]
    assert inputs["healthCheckGracePeriodSeconds"] == 95
    assert inputs["deploymentConfiguration"] == {
        "strategy": "LINEAR",
        "linearConfiguration": {"stepPercent": 25, "stepBakeTimeInMinutes": "4"},
        "bakeTimeInMinutes": "7",
        "lifecycleHooks": [
            {"hookTargetArn": HOOK_FUNCTION, "roleArn": HOOK_ROLE, "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
        ],
    }
    assert inputs["alarms"] == {"alarmNames": [DEPLOYMENT_ALARM], "enable": True, "rollback": True}


@pytest.mark.parametrize(
    "name, deploy",
    [
        # The bake (7), the linear steps' bakes (3 x 4), the deregistration delay (125 s) rounded
        # up to minutes, and 30 minutes for tasks to start and pass their checks.
        ("web", 7 + 12 + 3 + 30),
        # A rolling deploy has no bake (the worker's 5 minutes are not waited for): the
        # deregistration delay (61 s) and the margin.
        ("jobs", 2 + 30),
    ],
)
def test_deploy_timeouts_cover_the_bake_the_traffic_shift_and_the_deregistration(alone, name, deploy):
    options = ecs(alone, name)["options"]
    timeouts = options["customTimeouts"]
    assert (minutes(timeouts["create"]), minutes(timeouts["update"]), timeouts["delete"]) == (deploy, deploy, "20m")
    assert options["ignoreChanges"] == ["desiredCount"]


@pytest.mark.parametrize("name", ["web", "jobs"])
def test_the_first_tasks_wait_for_the_endpoints_their_egress_and_what_they_were_told_to(alone, name):
    waits = {alone.by_urn[urn]["name"] for urn in ecs(alone, name)["options"]["dependsOn"]}
    expected = {"network-ecr-api", "db-bootstrap-ran", f"{name}-to-endpoints", f"{name}-to-s3"}
    if name == "web":
        # The ALB's path to the tasks, the role ECS moves traffic with, the hook's permission.
        expected |= {"web-from-alb", "web-alb-to-tasks", "web-ecs-infrastructure-policy", "smoke-test-invoke"}
    else:
        expected |= {"jobs-out-https"}
    assert waits == expected


def test_only_the_alb_reaches_the_web_tasks_on_the_container_port(alone):
    tasks = own(alone, "web", SECURITY_GROUP)["id"]

    def rule(description: str, name: str, group: str, peer: str) -> dict:
        return {
            "securityGroupId": group,
            "referencedSecurityGroupId": peer,
            "ipProtocol": "tcp",
            "fromPort": 8081,
            "toPort": 8081,
            "description": description,
            "tags": {"Name": name},
        }

    assert own(alone, "web", INGRESS)["inputs"] == rule("ALB to the web container port", "web-from-alb", tasks, ALB_SG)
    assert own(alone, "web", EGRESS, "web-alb-to-tasks")["inputs"] == rule(
        "ALB to the web tasks (traffic and health checks)", "web-alb-to-tasks", ALB_SG, tasks
    )
    assert not [r for r in alone.of_type(INGRESS) if r["parent"] == component(alone, "jobs")["urn"]]


def test_allow_to_lets_the_tasks_reach_a_store_on_its_port(alone):
    assert own(alone, "web", EGRESS, "web-to-database")["inputs"] == {
        "securityGroupId": own(alone, "web", SECURITY_GROUP)["id"],
        "referencedSecurityGroupId": DATABASE_SG,
        "ipProtocol": "tcp",
        "fromPort": 5433,
        "toPort": 5433,
        "description": "web service to database on 5433",
        "tags": {"Name": "web-to-database"},
    }


def test_ecs_moves_the_web_traffic_with_a_role_limited_to_its_groups_rules_and_listeners(alone):
    role = own(alone, "web", ROLE, "web-ecs-infrastructure")
    assert role["inputs"]["description"] == "ECS moves traffic between the blue and green target groups of the service"
    [trust] = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}
    policy = own(alone, "web", ROLE_POLICY, "web-ecs-infrastructure-policy")
    assert alone.depends_on(policy, "role") == [role]
    arn = {name: alone.named(name)["outputs"]["arn"] for name in ("web-blue", "web-green")}
    arn |= {name: alone.named(name)["outputs"]["arn"] for name in ("web-production-rule", "web-test-rule")}
    assert json.loads(policy["inputs"]["policy"])["Statement"] == [
        {
            "Sid": "DescribeLoadBalancing",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            "Resource": "*",
        },
        {
            "Sid": "RegisterTasks",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
            "Resource": [arn["web-blue"], arn["web-green"]],
        },
        {
            "Sid": "ShiftTraffic",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:ModifyRule",
            "Resource": [arn["web-production-rule"], arn["web-test-rule"]],
        },
        {
            "Sid": "ModifyListeners",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:ModifyListener",
            "Resource": [PRODUCTION_LISTENER, TEST_LISTENER],
        },
    ]
    assert not [r for r in alone.of_type(ROLE) if r["name"] == "jobs-ecs-infrastructure"]


@pytest.fixture(scope="module")
def canary() -> Synth:
    """A web service deploying canary without a bake after the shift and without a smoke test."""
    settings = service_settings()["web"].model_copy(
        update={"bake_time_minutes": 0, "strategy": "canary", "canary_percent": 15.0, "canary_bake_minutes": 6}
    )

    def program() -> None:
        FargateService("web", args(settings, dataclasses.replace(routing(), smoke_test=None)))

    return build("prod", program)


def test_a_canary_web_service_shifts_its_slice_then_the_rest_without_a_hook_it_was_not_given(canary):
    assert ecs(canary, "web")["inputs"]["deploymentConfiguration"] == {
        "strategy": "CANARY",
        "canaryConfiguration": {"canaryPercent": 15, "canaryBakeTimeInMinutes": "6"},
        "bakeTimeInMinutes": "0",
    }


def test_a_web_service_without_a_bake_waits_for_the_canary_the_deregistration_and_the_margin(canary):
    timeouts = ecs(canary, "web")["options"]["customTimeouts"]
    assert (minutes(timeouts["create"]), minutes(timeouts["update"])) == (6 + 3 + 30, 6 + 3 + 30)
