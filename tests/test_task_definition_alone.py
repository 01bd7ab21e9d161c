"""The task definition and its two roles built alone (tests.components_support), as the service
component builds them: children of the service's component, through the stack's provider.

Two services of staging, each set away from the defaults so that every setting shows in what
ECS and IAM get: `api`, a web service on port 9090 of another size and architecture, its image
in another account's ECR in another region, with a command, a container health check, a
non-default user, plain variables (one allowlisted), two secrets of one Secrets Manager secret
and two data stores' links; and `jobs`, a worker from a public registry without tracing, links,
variables or secrets. The stack deploys to eu-central-1, not the mocks' default region."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.common import AwsContext, ServiceLink
from components.task_definition import _ecr_repository, task_definition, task_inputs
from settings.services import ServiceSettings
from tests.components_support import build, settings_with
from tests.service_path import ROLE, ROLE_POLICY, TASK_DEFINITION, containers, policy_of, role, role_policies
from tests.support import Synth

CONTEXT = AwsContext(account_id="123456789012", region="eu-central-1")
SECRET = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:api-AbCdEf"
SECRET_KEY = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
API_IMAGE = "444455556666.dkr.ecr.eu-west-1.amazonaws.com/shop/api:2.0"
DAEMON_IMAGE = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/aws-xray-daemon:3.3.14"
PUBLIC_IMAGE = "public.ecr.aws/docker/library/python:3.13"
API = {
    "name": "api",
    "kind": "web",
    "image": API_IMAGE,
    "tracingImage": DAEMON_IMAGE,
    "port": 9090,
    "egressToInternet": True,
    "healthCheckPath": "/ready",
    "cpu": 1024,
    "memory": 3072,
    "architecture": "X86_64",
    "user": "4242:4243",
    "command": ["gunicorn", "app:main"],
    "containerHealthCommand": ["CMD-SHELL", "curl -f localhost:9090/ready"],
    "environment": {"ZONE": "b", "PARTITION_KEY": "tenant"},
    "allowedPlainNames": ["PARTITION_KEY"],
    "secrets": {"API_USER": f"{SECRET}:user::", "API_TOKEN": f"{SECRET}:token::"},
    "secretKeyArns": [SECRET_KEY],
}
JOBS = {"name": "jobs", "kind": "worker", "image": PUBLIC_IMAGE, "tracing": False, "egressToInternet": True}
CONNECT = {
    "Sid": "ConnectAsApp",
    "Effect": "Allow",
    "Action": "rds-db:connect",
    "Resource": "arn:aws:rds-db:eu-central-1:123456789012:dbuser:db-ABCDEFGHIJKL/app",
}
# Two data stores' links: the first hands a secret, its key and a task statement, the second
# only a plain variable.
LEDGER = ServiceLink(
    environment={"LEDGER_HOST": "ledger.internal"},
    secrets={"LEDGER_PASSWORD": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:ledger-XyZ123:password::"},
    secret_arns=["arn:aws:secretsmanager:eu-central-1:123456789012:secret:ledger-XyZ123"],
    key_arns=["arn:aws:kms:eu-central-1:123456789012:key/99999999-8888-7777-6666-555555555555"],
    task_statements=[CONNECT],
)
QUEUE = ServiceLink(
    environment={"QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/123456789012/jobs"},
    secrets={},
    secret_arns=[],
    key_arns=[],
)
SERVICE = "urn:pulumi:staging::webapp::webapp:components:FargateService::"


class Service(pulumi.ComponentResource):
    """The component the task definition belongs to (FargateService in the stack)."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("webapp:components:FargateService", name, None, opts)


def service_settings() -> tuple[ServiceSettings, ServiceSettings]:
    api, jobs = settings_with("staging", {"webapp:services": [API, JOBS]}).services
    return api, jobs


def built_alone(service: ServiceSettings, links: list[ServiceLink]) -> Synth:
    def program() -> None:
        provider = aws.Provider("aws", region=CONTEXT.region)
        parent = Service(service.name, pulumi.ResourceOptions(provider=provider))
        log_group = aws.cloudwatch.LogGroup(f"{service.name}-logs", opts=pulumi.ResourceOptions(parent=parent))
        task = task_definition(service.name, service, CONTEXT, links, log_group, parent)
        # What the service component goes on to use: the revision it deploys, the roles it grants.
        pulumi.export("task", [task.definition.urn, task.execution_role.urn, task.task_role.urn])

    return build("staging", program)


@pytest.fixture(scope="module")
def api() -> Synth:
    return built_alone(service_settings()[0], [LEDGER, QUEUE])


@pytest.fixture(scope="module")
def jobs() -> Synth:
    return built_alone(service_settings()[1], [])


def log_group(stack: Synth, service: str) -> dict[str, Any]:
    return stack.one("aws:cloudwatch/logGroup:LogGroup", f"{service}-logs")


def logging(stack: Synth, service: str, prefix: str) -> dict[str, Any]:
    """The awslogs configuration every container of `service` gets, streams under `prefix`."""
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group(stack, service)["outputs"]["name"],
            "awslogs-region": "eu-central-1",
            "awslogs-stream-prefix": prefix,
            "mode": "non-blocking",
            "max-buffer-size": "25m",
        },
    }


def policies(stack: Synth, service: str, role_name: str) -> dict[str, list[dict[str, Any]]]:
    """The role's inline policies' statements, by policy name."""
    return {
        p["name"]: policy_of(p)["Statement"] for p in role_policies(stack, service, role(stack, service, role_name))
    }


@pytest.mark.parametrize("service", ["api", "jobs"])
def test_every_resource_is_a_child_of_the_service_made_through_its_provider(request, service):
    stack = request.getfixturevalue(service)
    provider = stack.one("pulumi:providers:aws", "aws")["urn"]
    made = [r for r in stack.resources if r["type"] in (TASK_DEFINITION, ROLE, ROLE_POLICY)]
    assert len(made) == {"api": 6, "jobs": 4}[service]
    for resource in made:
        assert resource["parent"] == SERVICE + service, resource["name"]
        assert resource["provider"].startswith(f"{provider}::"), resource["name"]


def test_the_service_is_handed_its_task_definition_and_both_roles(api):
    assert api.outputs["task"] == [
        api.one(TASK_DEFINITION, "api-task")["urn"],
        api.one(ROLE, "api-execution-role")["urn"],
        api.one(ROLE, "api-task-role")["urn"],
    ]


@pytest.mark.parametrize("service", ["api", "jobs"])
def test_old_task_definition_revisions_stay_registered_for_a_rollback(request, service):
    # Deleting a revision would deregister what ECS (or an operator) rolls back to.
    stack = request.getfixturevalue(service)
    task = stack.one(TASK_DEFINITION, f"{service}-task")
    assert task["options"]["retainOnDelete"] is True


def test_the_task_definition_registers_the_services_family_size_platform_and_roles(api):
    task = api.one(TASK_DEFINITION, "api-task")
    inputs = {key: value for key, value in task["inputs"].items() if key != "containerDefinitions"}
    assert inputs == {
        # A family per stack and service: staging's revisions never mix with prod's.
        "family": "staging-api",
        "cpu": "1024",
        "memory": "3072",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        "executionRoleArn": api.one(ROLE, "api-execution-role")["outputs"]["arn"],
        "taskRoleArn": api.one(ROLE, "api-task-role")["outputs"]["arn"],
        "volumes": [{"name": "tmp"}],
    }


def test_the_container_definitions_are_written_with_sorted_keys(api):
    # The same containers always give the same text: a preview shows no change to the task
    # definition (a new revision) for a reordering in the code.
    text = api.one(TASK_DEFINITION)["inputs"]["containerDefinitions"]
    assert text == json.dumps(json.loads(text), sort_keys=True)


def test_the_app_container_runs_what_the_settings_say_hardened(api):
    app, _ = containers(api, "api")
    assert {key: value for key, value in app.items() if key not in ("environment", "secrets")} == {
        "name": "api",
        "image": API_IMAGE,
        "essential": True,
        "user": "4242:4243",
        "privileged": False,
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
        # An init process reaps the app's zombie children and forwards ECS's SIGTERM.
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "logConfiguration": logging(api, "api", "api"),
        # The pack reads the service's reviewed exceptions to the credential-name rule here.
        "dockerLabels": {"webapp.plain-environment-allowlist": "PARTITION_KEY"},
        "command": ["gunicorn", "app:main"],
        "portMappings": [{"containerPort": 9090, "protocol": "tcp"}],
        "healthCheck": {
            "command": ["CMD-SHELL", "curl -f localhost:9090/ready"],
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        },
    }


def test_the_app_gets_its_own_and_its_links_variables_and_secrets_sorted_by_name(api):
    app, _ = containers(api, "api")
    assert app["environment"] == [
        {"name": "AWS_XRAY_DAEMON_ADDRESS", "value": "127.0.0.1:2000"},
        {"name": "LEDGER_HOST", "value": "ledger.internal"},
        {"name": "PARTITION_KEY", "value": "tenant"},
        {"name": "QUEUE_URL", "value": QUEUE.environment["QUEUE_URL"]},
        {"name": "ZONE", "value": "b"},
    ]
    assert app["secrets"] == [
        {"name": "API_TOKEN", "valueFrom": f"{SECRET}:token::"},
        {"name": "API_USER", "valueFrom": f"{SECRET}:user::"},
        {"name": "LEDGER_PASSWORD", "valueFrom": LEDGER.secrets["LEDGER_PASSWORD"]},
    ]


def test_tracing_runs_the_xray_daemon_unprivileged_beside_the_app(api):
    _, daemon = containers(api, "api")
    assert daemon == {
        "name": "xray-daemon",
        "image": DAEMON_IMAGE,
        # Tracing is best effort: the app keeps running if the daemon stops.
        "essential": False,
        "user": "1337",
        "privileged": False,
        "readonlyRootFilesystem": True,
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
        # Reserved out of the task's size: the app keeps the rest.
        "cpu": 32,
        "memoryReservation": 64,
        "logConfiguration": logging(api, "api", "xray-daemon"),
    }


def test_a_worker_without_tracing_runs_one_bare_container(jobs):
    (app,) = containers(jobs, "jobs")
    assert app == {
        "name": "jobs",
        "image": PUBLIC_IMAGE,
        "essential": True,
        "user": "1000:1000",
        "privileged": False,
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "logConfiguration": logging(jobs, "jobs", "jobs"),
    }


@pytest.mark.parametrize("service", ["api", "jobs"])
def test_both_roles_say_what_they_are_for_and_trust_ecs_tasks_of_this_account_in_its_region(request, service):
    stack = request.getfixturevalue(service)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": "123456789012"},
                    "ArnLike": {"aws:SourceArn": "arn:aws:ecs:eu-central-1:123456789012:*"},
                },
            }
        ],
    }
    descriptions = {
        "execution-role": f"ECS starts {service} tasks: image pull, logs, the task's secrets",
        "task-role": f"What the {service} app itself may call",
    }
    for role_name, description in descriptions.items():
        inputs = role(stack, service, role_name)["inputs"]
        assert inputs["description"] == description
        assert json.loads(inputs["assumeRolePolicy"]) == trust


def test_the_execution_role_writes_logs_pulls_the_images_and_reads_and_decrypts_exactly_the_tasks_secrets(api):
    log_group_arn = log_group(api, "api")["outputs"]["arn"]
    assert policies(api, "api", "execution-role") == {
        "api-execution-policy": [
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:log-stream:*",
            },
            {"Sid": "AuthenticateToEcr", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "PullImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                # Each image's own repository, in its account and region.
                "Resource": [
                    "arn:aws:ecr:eu-central-1:123456789012:repository/aws-xray-daemon",
                    "arn:aws:ecr:eu-west-1:444455556666:repository/shop/api",
                ],
            },
            {
                "Sid": "ReadTaskSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                # The service's secret once for its two keys, then the links'.
                "Resource": [SECRET, LEDGER.secret_arns[0]],
            },
            {
                "Sid": "DecryptTaskSecrets",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": [SECRET_KEY, LEDGER.key_arns[0]],
                "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-central-1.amazonaws.com"}},
            },
        ]
    }


def test_a_task_without_private_images_or_secrets_may_only_write_its_logs(jobs):
    log_group_arn = log_group(jobs, "jobs")["outputs"]["arn"]
    assert policies(jobs, "jobs", "execution-role") == {
        "jobs-execution-policy": [
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:log-stream:*",
            }
        ]
    }


def test_the_task_role_holds_the_links_statements_and_trace_writes(api):
    assert policies(api, "api", "task-role") == {
        "api-task-data-access": [CONNECT],
        "api-task-tracing": [
            {
                "Sid": "WriteTraces",
                "Effect": "Allow",
                "Action": [
                    "xray:GetSamplingRules",
                    "xray:GetSamplingStatisticSummaries",
                    "xray:GetSamplingTargets",
                    "xray:PutTelemetryRecords",
                    "xray:PutTraceSegments",
                ],
                "Resource": "*",
            }
        ],
    }


def test_the_task_role_of_a_worker_without_tracing_or_links_may_call_nothing(jobs):
    assert policies(jobs, "jobs", "task-role") == {}


def test_a_secret_named_as_a_variable_of_a_link_is_refused_naming_service_and_variable():
    api, _ = service_settings()
    clash = ServiceLink(environment={"API_TOKEN": "plain"}, secrets={}, secret_arns=[], key_arns=[])
    with pytest.raises(ValueError) as refused:
        task_inputs(api, [clash])
    assert str(refused.value) == "service api: API_TOKEN is defined twice in its environment and secrets"


def test_a_link_variable_named_like_a_credential_is_refused_naming_service_and_variable():
    _, jobs = service_settings()
    leaky = ServiceLink(environment={"QUEUE_SECRET": "hunter2"}, secrets={}, secret_arns=[], key_arns=[])
    with pytest.raises(ValueError) as refused:
        task_inputs(jobs, [leaky])
    assert str(refused.value) == "service jobs: QUEUE_SECRET looks like a credential; pass it as a secret"


def test_the_services_allowlist_covers_its_links_variables_and_a_secret_may_be_named_like_a_credential():
    api, _ = service_settings()
    link = ServiceLink(
        environment={"PARTITION_KEY": "tenant"},
        secrets={"QUEUE_SECRET": f"{SECRET}:queue::"},
        secret_arns=[],
        key_arns=[],
    )
    environment, secrets, _, _ = task_inputs(api.model_copy(update={"environment": {}}), [link])
    assert environment == {"PARTITION_KEY": "tenant", "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"}
    assert secrets == {
        "API_USER": f"{SECRET}:user::",
        "API_TOKEN": f"{SECRET}:token::",
        "QUEUE_SECRET": f"{SECRET}:queue::",
    }


@pytest.mark.parametrize(
    ("image", "partition", "repository"),
    [
        (API_IMAGE, "aws", "arn:aws:ecr:eu-west-1:444455556666:repository/shop/api"),
        (
            f"{DAEMON_IMAGE}@sha256:{'0' * 64}",
            "aws",
            "arn:aws:ecr:eu-central-1:123456789012:repository/aws-xray-daemon",
        ),
        (
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/webapp@sha256:" + "0" * 64,
            "aws-cn",
            "arn:aws-cn:ecr:cn-north-1:123456789012:repository/webapp",
        ),
        (PUBLIC_IMAGE, "aws", None),
        ("docker.io/library/python:3.13", "aws", None),
    ],
)
def test_an_images_ecr_repository_is_named_in_the_stacks_partition(image, partition, repository):
    context = AwsContext(account_id="123456789012", region="eu-central-1", partition=partition)
    assert _ecr_repository(image, context) == repository
