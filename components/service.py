"""One ECS Fargate service of the stack, the same component for every service: the `web` service
behind the ALB deploys blue/green, workers (no load balancer) deploy rolling.

- Task definition and its roles: `task_definition.py`.
- Network: private subnets, no public IP; the security group admits only the ALB security group
  on the container port and sends only HTTPS to the VPC endpoints and S3 (`service_egress.py`;
  to the internet through NAT only when the settings opt in) plus what `allow_to` grants (the
  data stores).
- Web (`WebRouting`), ECS native blue/green on the routing the load balancer made for it
  (`LoadBalancer.blue_green`: two `ip` target groups, a production and a test listener rule):
  the network path from the ALB, an infrastructure role ECS assumes to move traffic (scoped to
  those target groups, listeners and rules), a bake time, deployment alarms with rollback.
- Workers: rolling deploys with the circuit breaker and rollback.
- Autoscaling: target tracking on CPU and memory for every service, and on ALB requests per
  task for the web service; scale-out reacts faster than scale-in. `desired_count` is set once
  at creation and then belongs to autoscaling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.services import ServiceSettings

from .common import TYPE_PREFIX, AwsContext, ServiceLink, child, ecs_role
from .load_balancer import AlbTarget, BlueGreenRouting
from .service_egress import EgressTargets, egress_rules, security_group_tags
from .smoke_test import LifecycleHook
from .task_definition import task_definition

# ECS needs at most these to describe the ALB resources; Describe* cannot be scoped to resources.
ELB_DESCRIBE_ACTIONS = [
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
]
# A deploy may take the bake time, the deregistration delay, and this long for tasks to start,
# pass health checks and take test traffic.
DEPLOY_MARGIN_MINUTES = 30

# Target tracking argument types of Application Auto Scaling, by what they are.
_Tracking = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs
_PredefinedMetric = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs
_CustomMetric = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationArgs
_MetricQuery = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricArgs
_MetricStat = (
    aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatArgs
)
_Metric = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatMetricArgs
_Dimension = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatMetricDimensionArgs


@dataclass(frozen=True)
class WebRouting:
    """What a web service deploys blue/green on."""

    # The ALB listeners and security group the routing attaches to.
    alb: AlbTarget
    # The blue/green target groups and listener rules (made by the LoadBalancer).
    routing: BlueGreenRouting
    # CloudWatch alarms that stop and roll back a deploy (made by the alarms component).
    deployment_alarm_names: Sequence[pulumi.Input[str]] = ()
    # The smoke-test hook ECS runs once the test listener routes to the new version.
    smoke_test: LifecycleHook | None = None


@dataclass(frozen=True)
class FargateServiceArgs:
    settings: ServiceSettings
    context: AwsContext
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    # Private subnets, one per AZ.
    subnet_ids: Sequence[pulumi.Input[str]]
    log_key_arn: pulumi.Input[str]
    # Where the tasks may connect besides the data stores: the VPC endpoints and S3.
    egress: EgressTargets
    # What the data stores hand the service: environment, secret references, IAM to read them.
    links: Sequence[ServiceLink] = ()
    # A web service's place behind the ALB; None for a worker.
    web: WebRouting | None = None
    # What must exist before the service starts tasks (the database role they log in as).
    wait_for: Sequence[pulumi.Resource] = ()


class FargateService(pulumi.ComponentResource):
    """A Fargate service, its task definition, roles, security group, logs and autoscaling; for
    a web service also its path from the ALB and the role ECS moves its traffic with."""

    def __init__(self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:FargateService", name, None, opts)
        settings = args.settings
        web = settings.kind == "web"
        if web != (args.web is not None):
            raise ValueError(f"service {settings.name}: a web service needs its WebRouting, a worker must not have one")
        self._name = name
        self.kind = settings.kind
        self.container_name = settings.name

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"Tasks of the {settings.name} service",
            tags=security_group_tags(name, settings),
            opts=child(self),
        )
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        egress = egress_rules(name, settings, self.security_group, args.egress, parent=self)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/ecs/{pulumi.get_stack()}/{settings.name}",
            retention_in_days=settings.log_retention_days,
            kms_key_id=args.log_key_arn,
            opts=child(self),
        )
        task = task_definition(name, settings, args.context, args.links, self.log_group, parent=self)
        self.execution_role = task.execution_role
        self.task_role = task.task_role
        self.task_definition = task.definition

        # Web only (None for a worker).
        self.infrastructure_role: aws.iam.Role | None = None
        load_balancing: dict[str, Any] = {}
        # The first tasks pull their image and write their logs through these.
        depends_on: list[pulumi.Resource] = [*egress, *args.egress.endpoints]
        if args.web is not None:
            load_balancing, routing_ready = self._blue_green(name, settings, args.web)
            depends_on += routing_ready

        bake = ((settings.bake_time_minutes or 0) + settings.traffic_shift_minutes) if web else 0
        timeout = f"{bake + math.ceil(settings.deregistration_delay_seconds / 60) + DEPLOY_MARGIN_MINUTES}m"
        self.service = aws.ecs.Service(
            f"{name}-service",
            # Named after the settings (unique within the stack's own cluster), so the alarms can
            # watch it before it exists: they must exist first to guard its first deploy.
            name=settings.name,
            cluster=args.cluster_arn,
            task_definition=self.task_definition.arn,
            desired_count=settings.desired_count,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(args.subnet_ids), security_groups=[self.security_group.id], assign_public_ip=False
            ),
            deployment_controller=aws.ecs.ServiceDeploymentControllerArgs(type="ECS"),
            alarms=_deployment_alarms(args.web.deployment_alarm_names if args.web else ()),
            enable_execute_command=False,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=True,
            **load_balancing,
            **({} if web else _rolling()),
            opts=child(
                self,
                depends_on=[*depends_on, *args.wait_for],
                # Autoscaling owns the task count once the service exists.
                ignore_changes=["desiredCount"],
                # A blue/green deploy waits through the bake before it is steady.
                custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout, delete="20m"),
            ),
        )
        self.service_name: pulumi.Output[str] = self.service.name
        self._autoscaling(name, args)
        self.register_outputs(
            {
                "service_name": self.service_name,
                "security_group_id": self.security_group_id,
                "log_group": self.log_group.name,
                "task_role_arn": self.task_role.arn,
            }
        )

    def allow_to(self, name: str, security_group_id: pulumi.Input[str], port: int) -> aws.vpc.SecurityGroupEgressRule:
        """Let the tasks open connections to `security_group_id` (a data store named `name`) on
        `port`; the store admits them with its own `allow_from`."""
        return aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-to-{name}",
            security_group_id=self.security_group.id,
            referenced_security_group_id=security_group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{self.container_name} service to {name} on {port}",
            tags={"Name": f"{self._name}-to-{name}"},
            opts=child(self),
        )

    def _blue_green(
        self, name: str, settings: ServiceSettings, web: WebRouting
    ) -> tuple[dict[str, Any], list[pulumi.Resource]]:
        """Network path and infrastructure role of a web service on its blue/green routing;
        returns the ECS service arguments that use them and what the service must wait for."""
        alb, routing = web.alb, web.routing
        alb_ingress = aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-alb",
            security_group_id=self.security_group.id,
            referenced_security_group_id=alb.security_group_id,
            ip_protocol="tcp",
            from_port=settings.port,
            to_port=settings.port,
            description=f"ALB to the {settings.name} container port",
            tags={"Name": f"{name}-from-alb"},
            opts=child(self),
        )
        alb_egress = aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-to-tasks",
            security_group_id=alb.security_group_id,
            referenced_security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=settings.port,
            to_port=settings.port,
            description=f"ALB to the {settings.name} tasks (traffic and health checks)",
            tags={"Name": f"{name}-alb-to-tasks"},
            opts=child(self),
        )
        self.infrastructure_role, infrastructure_policy = self._infrastructure_role(name, alb, routing)
        arguments = {
            "health_check_grace_period_seconds": settings.health_check_grace_period_seconds,
            "load_balancers": [
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=routing.blue.arn,
                    container_name=self.container_name,
                    container_port=settings.port,
                    advanced_configuration=aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs(
                        alternate_target_group_arn=routing.green.arn,
                        production_listener_rule=routing.production_rule.arn,
                        test_listener_rule=routing.test_rule.arn,
                        role_arn=self.infrastructure_role.arn,
                    ),
                )
            ],
            "deployment_configuration": _traffic_shift(settings, web.smoke_test),
        }
        # The ALB must reach the tasks (traffic and health checks) before the first one starts;
        # ECS must be able to invoke the hook before the first deploy reaches it.
        hook = [web.smoke_test.ready] if web.smoke_test else []
        return arguments, [infrastructure_policy, alb_ingress, alb_egress, *hook]

    def _infrastructure_role(
        self, name: str, alb: AlbTarget, routing: BlueGreenRouting
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """The role ECS assumes to register tasks and move traffic, limited to this service's
        target groups, listeners and rules (what AmazonECSInfrastructureRolePolicyForLoadBalancers
        grants account-wide)."""
        return ecs_role(
            f"{name}-ecs-infrastructure",
            "ECS moves traffic between the blue and green target groups of the service",
            self,
            {"Sid": "DescribeLoadBalancing", "Effect": "Allow", "Action": ELB_DESCRIBE_ACTIONS, "Resource": "*"},
            {
                "Sid": "RegisterTasks",
                "Effect": "Allow",
                "Action": ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                "Resource": [routing.blue.arn, routing.green.arn],
            },
            {
                "Sid": "ShiftTraffic",
                "Effect": "Allow",
                "Action": "elasticloadbalancing:ModifyRule",
                "Resource": [routing.production_rule.arn, routing.test_rule.arn],
            },
            {
                "Sid": "ModifyListeners",
                "Effect": "Allow",
                "Action": "elasticloadbalancing:ModifyListener",
                "Resource": [alb.production_listener_arn, alb.test_listener_arn],
            },
        )

    def _autoscaling(self, name: str, args: FargateServiceArgs) -> None:
        settings = args.settings
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", args.cluster_name, "/", self.service.name),
            min_capacity=settings.min_count,
            max_capacity=settings.max_count,
            opts=child(self),
        )
        metrics: dict[str, _Tracking] = {
            "cpu": self._tracking(settings, settings.cpu_target_percent, predefined="ECSServiceAverageCPUUtilization"),
            "memory": self._tracking(
                settings, settings.memory_target_percent, predefined="ECSServiceAverageMemoryUtilization"
            ),
        }
        if args.web is not None:
            metrics["requests"] = self._tracking(
                settings, settings.requests_per_target, custom=self._requests_per_task(args.web.alb, args.web.routing)
            )
        for metric, configuration in metrics.items():
            aws.appautoscaling.Policy(
                f"{name}-scale-on-{metric}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=configuration,
                opts=child(self),
            )

    @staticmethod
    def _tracking(
        settings: ServiceSettings,
        target_value: float,
        predefined: str | None = None,
        custom: _CustomMetric | None = None,
    ) -> _Tracking:
        return _Tracking(
            target_value=target_value,
            predefined_metric_specification=(
                _PredefinedMetric(predefined_metric_type=predefined) if predefined else None
            ),
            customized_metric_specification=custom,
            scale_out_cooldown=settings.scale_out_cooldown_seconds,
            scale_in_cooldown=settings.scale_in_cooldown_seconds,
        )

    def _requests_per_task(self, alb: AlbTarget, routing: BlueGreenRouting) -> _CustomMetric:
        """ALB requests per task, summed over blue and green: production alternates between the
        two target groups from one deploy to the next, and the idle group reports 0, so the sum
        is always the live group's value (a predefined ALBRequestCountPerTarget names one group
        and would go blind after every other deploy). Test-listener traffic during a deploy is
        counted too, which can only scale out briefly."""

        def per_target(metric_id: str, group: aws.lb.TargetGroup) -> _MetricQuery:
            dimensions = {"LoadBalancer": alb.arn_suffix, "TargetGroup": group.arn_suffix}
            return _MetricQuery(
                id=metric_id,
                return_data=False,
                metric_stat=_MetricStat(
                    stat="Sum",
                    metric=_Metric(
                        namespace="AWS/ApplicationELB",
                        metric_name="RequestCountPerTarget",
                        dimensions=[_Dimension(name=name, value=value) for name, value in dimensions.items()],
                    ),
                ),
            )

        return _CustomMetric(
            metrics=[
                per_target("blue", routing.blue),
                per_target("green", routing.green),
                _MetricQuery(
                    id="requests",
                    expression="blue + green",
                    label="Requests per task (live target group)",
                    return_data=True,
                ),
            ]
        )


def _rolling() -> dict[str, Any]:
    """Rolling deploys: new tasks before old ones stop; a deploy whose tasks keep failing stops
    and rolls back (the circuit breaker applies to rolling deploys only)."""
    return {
        "deployment_configuration": aws.ecs.ServiceDeploymentConfigurationArgs(strategy="ROLLING"),
        "deployment_circuit_breaker": aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
        "deployment_minimum_healthy_percent": 100,
        "deployment_maximum_percent": 200,
    }


def _traffic_shift(
    settings: ServiceSettings, hook: LifecycleHook | None = None
) -> aws.ecs.ServiceDeploymentConfigurationArgs:
    """How ECS moves production traffic to the new version: at once (BLUE_GREEN), a canary slice
    then the rest (CANARY), or equal steps (LINEAR); then both versions stay up for the bake time.
    The smoke-test hook runs before any of it, on the test listener."""
    strategy = settings.ecs_strategy
    return aws.ecs.ServiceDeploymentConfigurationArgs(
        strategy=strategy,
        lifecycle_hooks=[
            aws.ecs.ServiceDeploymentConfigurationLifecycleHookArgs(
                hook_target_arn=hook.function_arn, role_arn=hook.role_arn, lifecycle_stages=[hook.stage]
            )
        ]
        if hook
        else None,
        bake_time_in_minutes=str(settings.bake_time_minutes),
        canary_configuration=aws.ecs.ServiceDeploymentConfigurationCanaryConfigurationArgs(
            canary_percent=settings.canary_percent, canary_bake_time_in_minutes=str(settings.canary_bake_minutes)
        )
        if strategy == "CANARY"
        else None,
        linear_configuration=aws.ecs.ServiceDeploymentConfigurationLinearConfigurationArgs(
            step_percent=settings.linear_step_percent,
            step_bake_time_in_minutes=str(settings.linear_step_bake_minutes),
        )
        if strategy == "LINEAR"
        else None,
    )


def _deployment_alarms(names: Sequence[pulumi.Input[str]]) -> aws.ecs.ServiceAlarmsArgs | None:
    """Alarms that fail a deploy and roll it back. ECS requires at least one alarm name in the
    block (`alarmNames` is required, and the provider drops an empty list), so with no alarms
    yet the block is left out rather than sent empty."""
    if not names:
        return None
    return aws.ecs.ServiceAlarmsArgs(alarm_names=list(names), enable=True, rollback=True)
