"""The task definition of every service: size, hardening, logging, environment and secrets,
and what its execution and task roles may do."""

from __future__ import annotations

import json
import re

import pytest

from components.common import ServiceLink
from components.task_definition import task_inputs
from settings import load_settings
from tests.service_path import (
    allowed,
    child_of,
    containers,
    role,
    role_policies,
    statements,
)
from tests.support import CONFIG_SECRET, CONFIG_SECRET_KEY, LINK, Synth, config_with


@pytest.fixture(scope="module")
def custom(optional_prod: Synth) -> Synth:
    """Prod whose web service has config secrets and one more data store's link."""
    return optional_prod


def services_of(stack: Synth) -> list[str]:
    return [r["name"] for r in stack.of_type("webapp:components:FargateService")]


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


def test_execution_role_pulls_only_the_images_repositories_and_writes_only_its_log_group(prod):
    log_group = child_of(prod, "web", "aws:cloudwatch/logGroup:LogGroup")
    assert allowed(prod, "web", "execution-role", "ecr:BatchGetImage") == [
        "arn:aws:ecr:us-east-1:123456789012:repository/aws-xray-daemon",
        "arn:aws:ecr:us-east-1:123456789012:repository/webapp",
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


def test_task_role_may_only_write_traces_and_connect_to_the_database(prod):
    policies = {p["name"]: statements(p) for p in role_policies(prod, "web", role(prod, "web", "task-role"))}
    assert sorted(policies) == ["web-task-data-access", "web-task-tracing"]
    (traces,) = policies["web-task-tracing"]
    assert all(action.startswith("xray:Put") or action.startswith("xray:GetSampling") for action in traces["Action"])
    (connect,) = policies["web-task-data-access"]
    assert connect["Action"] == "rds-db:connect"


def test_tracing_runs_a_non_essential_xray_daemon_beside_the_app(prod):
    app, daemon = containers(prod, "web")
    assert (daemon["name"], daemon["essential"]) == ("xray-daemon", False)
    assert {"name": "AWS_XRAY_DAEMON_ADDRESS", "value": "127.0.0.1:2000"} in app["environment"]


def test_a_link_with_a_credential_in_its_plain_environment_is_refused():
    settings = load_settings("prod", config_with("prod", {})).web_service
    leaky = ServiceLink(environment={"DATABASE_PASSWORD": "hunter2"}, secrets={}, secret_arns=[], key_arns=[])
    with pytest.raises(ValueError, match="DATABASE_PASSWORD looks like a credential"):
        task_inputs(settings, [leaky])


def test_a_variable_defined_by_two_links_is_refused():
    settings = load_settings("prod", config_with("prod", {})).web_service
    with pytest.raises(ValueError, match="LEDGER_HOST is defined twice"):
        task_inputs(settings, [LINK, LINK])


def test_every_prod_image_is_pinned_by_digest_from_the_accounts_ecr(prod):
    images = [
        container["image"]
        for task in prod.of_type("aws:ecs/taskDefinition:TaskDefinition")
        for container in json.loads(task["inputs"]["containerDefinitions"])
    ]
    assert len(images) == 2  # the web app and its X-Ray daemon
    for image in images:
        assert re.fullmatch(
            r"123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/[a-z-]+:[\w.-]+@sha256:[0-9a-f]{64}", image
        )
