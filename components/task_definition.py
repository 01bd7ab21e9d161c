"""The task definition of a Fargate service and the two roles it names, created as children of
the service's component (`FargateService`).

- Task definition: CPU/memory and architecture from the settings, `awsvpc`, one app container
  that runs as a non-root user on a read-only root filesystem (a writable `/tmp` volume), not
  privileged, all Linux capabilities dropped, logging with `awslogs` to a KMS-encrypted log
  group. Plain settings go to the environment; credentials only as `secrets` (Secrets Manager
  references ECS resolves at start). With tracing on, an X-Ray daemon sidecar relays traces.
- Roles: the execution role may pull the image, write the log group and read exactly the
  task's secrets (and decrypt them with their keys, through Secrets Manager only); the task role
  holds only what the app needs: what the data stores ask for (`rds-db:connect` as the database's
  application user) and X-Ray writes when tracing is on. Both trust
  `ecs-tasks.amazonaws.com` on behalf of this account only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from policies.webapp_policies.names import ALLOWLIST_LABEL, allowlist_label, credential_problem
from settings.services import ServiceSettings, secret_arn

from .common import AwsContext, ServiceLink, child, policy_document, service_trust_policy

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
CONTAINER_HEALTH_TIMING = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60}


@dataclass(frozen=True)
class Task:
    definition: aws.ecs.TaskDefinition
    execution_role: aws.iam.Role
    task_role: aws.iam.Role


def task_definition(
    name: str,
    settings: ServiceSettings,
    context: AwsContext,
    links: Sequence[ServiceLink],
    log_group: aws.cloudwatch.LogGroup,
    parent: pulumi.Resource,
) -> Task:
    """The task definition `{name}-task` and its roles `{name}-execution-role` and
    `{name}-task-role`, children of `parent`; the task's environment and secrets are the
    service's own and what `links` (the data stores) hand it."""
    environment, secrets, secret_arns, key_arns = task_inputs(settings, links)
    execution_role = _execution_role(name, settings, context, log_group, secret_arns, key_arns, parent)
    task_statements = [dict(statement) for link in links for statement in link.task_statements]
    task_role = _task_role(name, settings, context, task_statements, parent)
    definition = aws.ecs.TaskDefinition(
        f"{name}-task",
        family=f"{pulumi.get_stack()}-{settings.name}",
        cpu=str(settings.cpu),
        memory=str(settings.memory),
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
            cpu_architecture=settings.architecture, operating_system_family="LINUX"
        ),
        execution_role_arn=execution_role.arn,
        task_role_arn=task_role.arn,
        volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=TMP_VOLUME)],
        container_definitions=pulumi.Output.json_dumps(
            _containers(settings, context, log_group.name, environment, secrets), sort_keys=True
        ),
        # Old revisions stay registered: ECS (or an operator) rolls back to the previous one.
        opts=child(parent, retain_on_delete=True),
    )
    return Task(definition, execution_role, task_role)


def _execution_role(
    name: str,
    settings: ServiceSettings,
    context: AwsContext,
    log_group: aws.cloudwatch.LogGroup,
    secret_arns: Sequence[pulumi.Input[str]],
    key_arns: Sequence[pulumi.Input[str]],
    parent: pulumi.Resource,
) -> aws.iam.Role:
    role = aws.iam.Role(
        f"{name}-execution-role",
        description=f"ECS starts {settings.name} tasks: image pull, logs, the task's secrets",
        assume_role_policy=service_trust_policy(["ecs-tasks.amazonaws.com"], context, context.arn("ecs", "*")),
        opts=child(parent),
    )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": log_group.arn.apply(lambda arn: f"{arn}:log-stream:*"),
        }
    ]
    repositories = sorted(filter(None, {_ecr_repository(image, context) for image in settings.images}))
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
        f"{name}-execution-policy", role=role.id, policy=policy_document(*statements), opts=child(parent)
    )
    return role


def _task_role(
    name: str,
    settings: ServiceSettings,
    context: AwsContext,
    statements: Sequence[dict[str, Any]],
    parent: pulumi.Resource,
) -> aws.iam.Role:
    role = aws.iam.Role(
        f"{name}-task-role",
        description=f"What the {settings.name} app itself may call",
        assume_role_policy=service_trust_policy(["ecs-tasks.amazonaws.com"], context, context.arn("ecs", "*")),
        opts=child(parent),
    )
    if statements:
        # What the data stores need the app to hold (IAM database authentication).
        aws.iam.RolePolicy(
            f"{name}-task-data-access", role=role.id, policy=policy_document(*statements), opts=child(parent)
        )
    if settings.tracing:
        aws.iam.RolePolicy(
            f"{name}-task-tracing",
            role=role.id,
            # X-Ray has no resource-level permissions.
            policy=policy_document(
                {"Sid": "WriteTraces", "Effect": "Allow", "Action": XRAY_WRITE_ACTIONS, "Resource": "*"}
            ),
            opts=child(parent),
        )
    return role


Names = dict[str, pulumi.Input[str]]


def task_inputs(
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
            if key in plain and credential_problem(key, settings.allowed_plain_names):
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
    if settings.allowed_plain_names:
        # The policy pack reads the service's reviewed exceptions to the credential-name rule here.
        app["dockerLabels"] = {ALLOWLIST_LABEL: allowlist_label(settings.allowed_plain_names)}
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
                # The daemon's image, second of the task's (the settings require it with tracing).
                "image": settings.images[1],
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


def _ecr_repository(image: str, context: AwsContext) -> str | None:
    """The ARN of the private ECR repository an image comes from, if it does."""
    match = ECR_IMAGE.match(image)
    if not match:
        return None
    return f"arn:{context.partition}:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"
