"""One ECS Fargate service of the stack, the same component for every service: the `web` service
behind the ALB deploys blue/green, workers (no load balancer) deploy rolling.

- Task definition: CPU/memory and architecture from the settings, `awsvpc`, one app container
  that runs as a non-root user on a read-only root filesystem (a writable `/tmp` volume), not
  privileged, all Linux capabilities dropped, logging with `awslogs` to a KMS-encrypted log
  group. Plain settings go to the environment; credentials only as `secrets` (Secrets Manager
  references ECS resolves at start). With tracing on, an X-Ray daemon sidecar relays traces.
- Roles: the execution role may pull the image, write the log group and read exactly the
  task's secrets (and decrypt them with their keys, through Secrets Manager only); the task role
  holds only what the app needs (X-Ray writes when tracing is on). Both trust
  `ecs-tasks.amazonaws.com` on behalf of this account only.
- Network: private subnets, no public IP; the security group admits only the ALB security group
  on the container port and sends only HTTPS (AWS APIs, through NAT or the VPC endpoints) plus
  what `allow_to` grants (the data stores).
- Web, ECS native blue/green on the routing the load balancer made for it
  (`LoadBalancer.blue_green`: two `ip` target groups, a production and a test listener rule):
  the network path from the ALB, an infrastructure role ECS assumes to move traffic (scoped to
  those target groups, listeners and rules), a bake time, deployment alarms with rollback.
- Workers: rolling deploys with the circuit breaker and rollback.
- Autoscaling: target tracking on CPU and memory for every service, and on ALB requests per
  task for the web service; scale-out reacts faster than scale-in. `desired_count` is set once
  at creation and then belongs to autoscaling.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.services import ServiceSettings, looks_secret, secret_arn

from .common import TYPE_PREFIX, AwsContext, ServiceLink, child, policy_document, service_trust_policy
from .load_balancer import AlbTarget, BlueGreenRouting

TMP_VOLUME = "tmp"
XRAY_DAEMON = "xray-daemon"
# The daemon listens on the task's loopback; containers of an awsvpc task share it.
XRAY_DAEMON_ADDRESS = "127.0.0.1:2000"
XRAY_WRITE_ACTIONS = [
    "xray:GetSamplingRules",
    "xray:GetSamplingStatisticSummaries",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
]
ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+)"
)
# ECS needs at most these to describe the ALB resources; Describe* cannot be scoped to resources.
ELB_DESCRIBE_ACTIONS = [
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
]
CONTAINER_HEALTH_TIMING = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60}
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
class FargateServiceArgs:
    settings: ServiceSettings
    context: AwsContext
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    # Private subnets, one per AZ.
    subnet_ids: Sequence[pulumi.Input[str]]
    log_key_arn: pulumi.Input[str]
    # Web services: the ALB listeners and security group their routing attaches to.
    alb: AlbTarget | None = None
    # Web services: the blue/green target groups and listener rules (made by the LoadBalancer).
    routing: BlueGreenRouting | None = None
    # What the data stores hand the service: environment, secret references, IAM to read them.
    links: Sequence[ServiceLink] = ()
    # CloudWatch alarms that stop and roll back a deploy (wired by the alarms tier).
    deployment_alarm_names: Sequence[pulumi.Input[str]] = ()


class FargateService(pulumi.ComponentResource):
    """A Fargate service, its task definition, roles, security group, logs and autoscaling; for
    a web service also its path from the ALB and the role ECS moves its traffic with."""

    def __init__(self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:FargateService", name, None, opts)
        settings = args.settings
        web = settings.kind == "web"
        if web != (args.alb is not None):
            raise ValueError(f"service {settings.name}: a web service needs the ALB, a worker must not have it")
        self._name = name
        self.kind = settings.kind
        self.container_name = settings.name

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"Tasks of the {settings.name} service",
            tags={"Name": f"{name}-tasks"},
            opts=child(self),
        )
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-out-https",
            security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
            description="HTTPS to AWS APIs (ECR, Logs, Secrets Manager, X-Ray) through NAT or VPC endpoints",
            tags={"Name": f"{name}-out-https"},
            opts=child(self),
        )

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/ecs/{pulumi.get_stack()}/{settings.name}",
            retention_in_days=settings.log_retention_days,
            kms_key_id=args.log_key_arn,
            opts=child(self),
        )
        environment, secrets, secret_arns, key_arns = _task_inputs(settings, args.links)
        self.execution_role = self._execution_role(name, args, secret_arns, key_arns)
        self.task_role = self._task_role(name, args)
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=f"{pulumi.get_stack()}-{settings.name}",
            cpu=str(settings.cpu),
            memory=str(settings.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                cpu_architecture=settings.architecture, operating_system_family="LINUX"
            ),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=TMP_VOLUME)],
            container_definitions=pulumi.Output.json_dumps(
                _containers(settings, args.context, self.log_group.name, environment, secrets), sort_keys=True
            ),
            # Old revisions stay registered: ECS (or an operator) rolls back to the previous one.
            opts=child(self, retain_on_delete=True),
        )

        # Web only (None for a worker).
        self.infrastructure_role: aws.iam.Role | None = None
        load_balancing: dict[str, Any] = {}
        depends_on: list[pulumi.Resource] = []
        if args.alb is not None:
            if args.routing is None:
                raise ValueError(f"service {settings.name}: a web service needs its blue/green routing")
            load_balancing, depends_on = self._blue_green(name, args, args.alb, args.routing)

        bake = (settings.bake_time_minutes or 0) if web else 0
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
            alarms=_deployment_alarms(args.deployment_alarm_names),
            enable_execute_command=False,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=True,
            **load_balancing,
            **({} if web else _rolling(settings)),
            opts=child(
                self,
                depends_on=depends_on,
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

    def _execution_role(
        self,
        name: str,
        args: FargateServiceArgs,
        secret_arns: Sequence[pulumi.Input[str]],
        key_arns: Sequence[pulumi.Input[str]],
    ) -> aws.iam.Role:
        context = args.context
        role = aws.iam.Role(
            f"{name}-execution-role",
            description=f"ECS starts {args.settings.name} tasks: image pull, logs, the task's secrets",
            assume_role_policy=service_trust_policy(["ecs-tasks.amazonaws.com"], context, context.arn("ecs", "*")),
            opts=child(self),
        )
        statements: list[dict[str, Any]] = [
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": self.log_group.arn.apply(lambda arn: f"{arn}:log-stream:*"),
            }
        ]
        repositories = sorted(filter(None, {_ecr_repository(image, context) for image in _images(args.settings)}))
        if repositories:
            statements += [
                # GetAuthorizationToken has no resource to scope to.
                {"Sid": "AuthenticateToEcr", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {"Sid": "PullImage", "Effect": "Allow", "Action": ECR_PULL_ACTIONS, "Resource": repositories},
            ]
        if secret_arns:
            statements.append(
                {
                    "Sid": "ReadTaskSecrets",
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": list(secret_arns),
                }
            )
        if key_arns:
            statements.append(
                {
                    "Sid": "DecryptTaskSecrets",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": list(key_arns),
                    "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{context.region}.amazonaws.com"}},
                }
            )
        aws.iam.RolePolicy(
            f"{name}-execution-policy", role=role.id, policy=policy_document(*statements), opts=child(self)
        )
        return role

    def _task_role(self, name: str, args: FargateServiceArgs) -> aws.iam.Role:
        context = args.context
        role = aws.iam.Role(
            f"{name}-task-role",
            description=f"What the {args.settings.name} app itself may call",
            assume_role_policy=service_trust_policy(["ecs-tasks.amazonaws.com"], context, context.arn("ecs", "*")),
            opts=child(self),
        )
        if args.settings.tracing:
            aws.iam.RolePolicy(
                f"{name}-task-tracing",
                role=role.id,
                # X-Ray has no resource-level permissions.
                policy=policy_document(
                    {"Sid": "WriteTraces", "Effect": "Allow", "Action": XRAY_WRITE_ACTIONS, "Resource": "*"}
                ),
                opts=child(self),
            )
        return role

    def _blue_green(
        self, name: str, args: FargateServiceArgs, alb: AlbTarget, routing: BlueGreenRouting
    ) -> tuple[dict[str, Any], list[pulumi.Resource]]:
        """Network path and infrastructure role of a web service on its blue/green routing;
        returns the ECS service arguments that use them and what the service must wait for."""
        settings = args.settings
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
            "deployment_configuration": aws.ecs.ServiceDeploymentConfigurationArgs(
                strategy="BLUE_GREEN", bake_time_in_minutes=str(settings.bake_time_minutes)
            ),
        }
        # The ALB must reach the tasks (traffic and health checks) before the first one starts.
        return arguments, [infrastructure_policy, alb_ingress, alb_egress]

    def _infrastructure_role(
        self, name: str, alb: AlbTarget, routing: BlueGreenRouting
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """The role ECS assumes to register tasks and move traffic, limited to this service's
        target groups, listeners and rules (what AmazonECSInfrastructureRolePolicyForLoadBalancers
        grants account-wide)."""
        role = aws.iam.Role(
            f"{name}-ecs-infrastructure",
            description="ECS moves traffic between the blue and green target groups of the service",
            # The trust policy AWS documents for this role: ECS's calls to assume it are not
            # documented to carry aws:SourceAccount, and a condition they fail would stop deploys.
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}
                    ],
                },
                sort_keys=True,
            ),
            opts=child(self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-ecs-infrastructure-policy",
            role=role.id,
            policy=policy_document(
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
            ),
            opts=child(self),
        )
        return role, policy

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
        # __init__ refused a web service (with an ALB) that has no blue/green routing.
        if args.alb is not None and args.routing is not None:
            metrics["requests"] = self._tracking(
                settings, settings.requests_per_target, custom=self._requests_per_task(args.alb, args.routing)
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


Names = dict[str, pulumi.Input[str]]


def _task_inputs(
    settings: ServiceSettings, links: Sequence[ServiceLink]
) -> tuple[Names, Names, list[pulumi.Input[str]], list[pulumi.Input[str]]]:
    """Environment, secrets (`valueFrom`), secret ARNs and KMS key ARNs of the task: the service's
    own, then each link's. A name defined twice, or a credential-looking plain variable, is a bug."""
    environment: dict[str, pulumi.Input[str]] = {}
    secrets: dict[str, pulumi.Input[str]] = {}
    sources: list[tuple[Mapping[str, pulumi.Input[str]], Mapping[str, pulumi.Input[str]]]] = [
        (settings.environment, settings.secrets),
        *[(link.environment, link.secrets) for link in links],
    ]
    if settings.tracing:
        sources.append(({"AWS_XRAY_DAEMON_ADDRESS": XRAY_DAEMON_ADDRESS}, {}))
    for plain, secret in sources:
        for key, value in [*plain.items(), *secret.items()]:
            if key in environment or key in secrets:
                raise ValueError(f"service {settings.name}: {key} is defined twice in its environment and secrets")
            if key in plain and looks_secret(key):
                raise ValueError(f"service {settings.name}: {key} looks like a credential; pass it as a secret")
            (environment if key in plain else secrets)[key] = value
    secret_arns: list[pulumi.Input[str]] = [*sorted({secret_arn(value) for value in settings.secrets.values()})]
    key_arns: list[pulumi.Input[str]] = list(settings.secret_key_arns)
    for link in links:
        secret_arns += list(link.secret_arns)
        key_arns += list(link.key_arns)
    return environment, secrets, secret_arns, key_arns


def _containers(
    settings: ServiceSettings,
    context: AwsContext,
    log_group: pulumi.Output[str],
    environment: Mapping[str, pulumi.Input[str]],
    secrets: Mapping[str, pulumi.Input[str]],
) -> list[dict[str, Any]]:
    def logging(prefix: str) -> dict[str, Any]:
        return {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": context.region,
                "awslogs-stream-prefix": prefix,
                # A slow CloudWatch never blocks the app's writes to stdout.
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        }

    app: dict[str, Any] = {
        "name": settings.name,
        "image": settings.image,
        "essential": True,
        "user": settings.user,
        "privileged": False,
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}],
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "logConfiguration": logging(settings.name),
    }
    if environment:
        app["environment"] = [{"name": key, "value": environment[key]} for key in sorted(environment)]
    if secrets:
        app["secrets"] = [{"name": key, "valueFrom": secrets[key]} for key in sorted(secrets)]
    if settings.command:
        app["command"] = settings.command
    if settings.kind == "web":
        app["portMappings"] = [{"containerPort": settings.port, "protocol": "tcp"}]
    if settings.container_health_command:
        app["healthCheck"] = {"command": settings.container_health_command, **CONTAINER_HEALTH_TIMING}
    containers = [app]
    if settings.tracing:
        containers.append(
            {
                "name": XRAY_DAEMON,
                "image": settings.tracing_image,
                # Tracing is best effort: the app keeps running if the daemon stops.
                "essential": False,
                "user": "1337",
                "privileged": False,
                "readonlyRootFilesystem": True,
                "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
                "cpu": 32,
                "memoryReservation": 64,
                "logConfiguration": logging(XRAY_DAEMON),
            }
        )
    return containers


def _images(settings: ServiceSettings) -> list[str]:
    return [settings.image] + ([settings.tracing_image] if settings.tracing else [])


def _ecr_repository(image: str, context: AwsContext) -> str | None:
    """The ARN of the private ECR repository an image comes from, if it does."""
    match = ECR_IMAGE.match(image)
    if not match:
        return None
    return f"arn:{context.partition}:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"


def _rolling(settings: ServiceSettings) -> dict[str, Any]:
    """Rolling deploys: new tasks before old ones stop; a deploy whose tasks keep failing stops
    and rolls back (the circuit breaker applies to rolling deploys only)."""
    return {
        "deployment_configuration": aws.ecs.ServiceDeploymentConfigurationArgs(strategy="ROLLING"),
        "deployment_circuit_breaker": aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
        "deployment_minimum_healthy_percent": 100,
        "deployment_maximum_percent": 200,
    }


def _deployment_alarms(names: Sequence[pulumi.Input[str]]) -> aws.ecs.ServiceAlarmsArgs | None:
    """Alarms that fail a deploy and roll it back. ECS requires at least one alarm name in the
    block (`alarmNames` is required, and the provider drops an empty list), so with no alarms
    yet the block is left out rather than sent empty."""
    if not names:
        return None
    return aws.ecs.ServiceAlarmsArgs(alarm_names=list(names), enable=True, rollback=True)
