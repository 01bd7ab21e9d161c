"""The Fargate services built alone (tests.components_support), a web service on its blue/green
routing and a worker, each with settings away from their defaults (another port, retention,
grace period, cooldowns and targets, a linear strategy), so that an input the component dropped
(left to an AWS default) or an option it lost shows. Shared by the tests of the service's
resources (tests/test_service_alone.py) and of its scaling (tests/test_service_scaling.py)."""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws

from components.load_balancer import AlbTarget, BlueGreenRouting
from components.service import FargateService, FargateServiceArgs, WebRouting
from components.service_egress import EgressTargets
from components.smoke_test import LifecycleHook
from settings.services import ServiceSettings
from tests.components_support import CONTEXT, ENDPOINT_SG, LOG_KEY, PRIVATE_SUBNETS, VPC, build, settings_with
from tests.service_path import SERVICE
from tests.support import Synth

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/webapp-prod-ecs"
CLUSTER_NAME = "webapp-prod-ecs"
S3_PREFIX_LIST = "pl-63a5400a"
ALB_SG = "sg-0fedcba9876543210"
ALB_SUFFIX = "app/webapp-prod-alb/50dc6c495c0c9188"
PRODUCTION_LISTENER = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/webapp-prod-alb/50dc6c495c0c9188/1"
)
TEST_LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/webapp-prod-alb/50dc6c495c0c9188/2"
HOOK_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:webapp-prod-smoke-test"
HOOK_ROLE = "arn:aws:iam::123456789012:role/webapp-prod-smoke-test-invoke"
DEPLOYMENT_ALARM = "webapp-prod-web-deployment"
DATABASE_SG = "sg-0123456789abcdef1"

# Away from every default the component reads: an input left to AWS's default shows.
WEB = {
    "port": 8081,
    "log_retention_days": 731,
    "health_check_grace_period_seconds": 95,
    "deregistration_delay_seconds": 125,
    "strategy": "linear",
    "linear_step_percent": 25.0,
    "linear_step_bake_minutes": 4,
    "bake_time_minutes": 7,
    "cpu_target_percent": 55.0,
    "memory_target_percent": 65.0,
    "requests_per_target": 750,
    "scale_out_cooldown_seconds": 45,
    "scale_in_cooldown_seconds": 420,
    "desired_count": 3,
    "min_count": 2,
    "max_count": 9,
}
WORKER = {
    # Settings refuse it for a worker (a rolling deploy does not bake); the component, handed
    # one anyway, does not wait for it.
    "bake_time_minutes": 5,
    "log_retention_days": 90,
    "deregistration_delay_seconds": 61,
    "cpu_target_percent": 50.0,
    "memory_target_percent": 75.0,
    "scale_out_cooldown_seconds": 30,
    "scale_in_cooldown_seconds": 600,
    "desired_count": 2,
    "min_count": 1,
    "max_count": 5,
}


def service_settings() -> dict[str, ServiceSettings]:
    # Prod's web service, staging's worker (prod has none).
    web = settings_with("prod", {}).web_service
    [worker] = [s for s in settings_with("staging", {}).services if s.kind == "worker"]
    return {"web": web.model_copy(update=WEB), "worker": worker.model_copy(update={**WORKER, "name": "jobs"})}


def args(settings: ServiceSettings, web: WebRouting | None, **extra) -> FargateServiceArgs:
    return FargateServiceArgs(
        settings=settings,
        context=CONTEXT,
        cluster_arn=CLUSTER_ARN,
        cluster_name=CLUSTER_NAME,
        vpc_id=VPC,
        subnet_ids=PRIVATE_SUBNETS,
        log_key_arn=LOG_KEY,
        egress=EgressTargets(S3_PREFIX_LIST, ENDPOINT_SG, endpoints=extra.pop("endpoints", ())),
        web=web,
        **extra,
    )


def routing() -> WebRouting:
    """What the load balancer, the alarms and the smoke test hand the web service."""

    def group(color: str) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(f"web-{color}", port=8081, protocol="HTTP", target_type="ip", vpc_id=VPC)

    def rule(name: str, listener: str) -> aws.lb.ListenerRule:
        return aws.lb.ListenerRule(f"web-{name}-rule", listener_arn=listener, actions=[], conditions=[])

    hook_permission = aws.lambda_.Permission(
        "smoke-test-invoke", action="lambda:InvokeFunction", function=HOOK_FUNCTION, principal="ecs.amazonaws.com"
    )
    return WebRouting(
        alb=AlbTarget(
            security_group_id=pulumi.Output.from_input(ALB_SG),
            production_listener_arn=pulumi.Output.from_input(PRODUCTION_LISTENER),
            test_listener_arn=pulumi.Output.from_input(TEST_LISTENER),
            arn_suffix=pulumi.Output.from_input(ALB_SUFFIX),
        ),
        routing=BlueGreenRouting(
            blue=group("blue"),
            green=group("green"),
            production_rule=rule("production", PRODUCTION_LISTENER),
            test_rule=rule("test", TEST_LISTENER),
        ),
        deployment_alarm_names=[DEPLOYMENT_ALARM],
        smoke_test=LifecycleHook(
            function_arn=pulumi.Output.from_input(HOOK_FUNCTION),
            role_arn=pulumi.Output.from_input(HOOK_ROLE),
            stage="POST_TEST_TRAFFIC_SHIFT",
            ready=hook_permission,
        ),
    )


def built() -> Synth:
    """The web service and a worker (named jobs), as composition._services builds them: after the
    interface endpoints and what they wait for; the web service reaches the database."""
    settings = service_settings()

    def program() -> None:
        endpoint = aws.ec2.VpcEndpoint(
            "network-ecr-api", vpc_id=VPC, service_name="com.amazonaws.us-east-1.ecr.api", vpc_endpoint_type="Interface"
        )
        role_ready = aws.cloudwatch.LogGroup("db-bootstrap-ran")
        web = FargateService("web", args(settings["web"], routing(), endpoints=[endpoint], wait_for=[role_ready]))
        web.allow_to("database", DATABASE_SG, 5433)
        FargateService("jobs", args(settings["worker"], None, endpoints=[endpoint], wait_for=[role_ready]))

    return build("prod", program)


def component(stack: Synth, name: str) -> dict:
    return stack.one("webapp:components:FargateService", name)


def own(stack: Synth, name: str, type_: str, resource: str | None = None) -> dict:
    """The component's one resource of `type_` (named `resource`)."""
    found = [
        r
        for r in stack.of_type(type_)
        if r["parent"] == component(stack, name)["urn"] and resource in (None, r["name"])
    ]
    assert len(found) == 1, [r["name"] for r in found]
    return found[0]


def ecs(stack: Synth, name: str) -> dict:
    return own(stack, name, SERVICE)


def minutes(timeout: str) -> int:
    match = re.fullmatch(r"(\d+)m", timeout)
    assert match, timeout
    return int(match[1])
