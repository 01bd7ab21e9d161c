"""ECS on Fargate: clusters, services and task definitions (container definitions are a JSON
string, parsed here; an unknown string during preview is skipped)."""

from __future__ import annotations

import re

from pulumi_policy import Severity

from .controls import Control, resource_policy
from .names import ALLOWLIST_LABEL, FORBIDDEN_NAMES, credential_problem, parse_allowlist
from .values import UNKNOWN, BadJson, lookup, show

CLUSTER = ("aws:ecs/cluster:Cluster",)
SERVICE = ("aws:ecs/service:Service",)
TASK_DEFINITION = ("aws:ecs/taskDefinition:TaskDefinition",)
ROOT_USERS = ("root", "0")
PINNED_IMAGE = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")


def containers(task):
    """(containers, problem): the parsed container definitions, UNKNOWN during preview."""
    try:
        document = task.json("containerDefinitions")
    except BadJson as error:
        return [], f"containerDefinitions is {error}"
    if document is UNKNOWN:
        return UNKNOWN, None
    if not isinstance(document, list):
        return [], "containerDefinitions is not a JSON list"
    return [c for c in document if isinstance(c, dict)], None


def container_checks(check):
    """Run `check(container)` over every container definition, naming the container."""

    def validate(task, config):
        found, problem = containers(task)
        if problem:
            yield problem
        if found is UNKNOWN:
            return
        for container in found:
            for message in check(container, config):
                yield f"container {container.get('name', '?')}: {message}"

    validate.__name__ = check.__name__
    return validate


def _container_insights(cluster, config):
    settings = cluster.items("settings")
    if settings is UNKNOWN or any(s is UNKNOWN or lookup(s, "name") is UNKNOWN for s in settings):
        return
    values = [lookup(s, "value") for s in settings if lookup(s, "name") == "containerInsights"]
    if UNKNOWN in values:
        return
    if not any(value in ("enabled", "enhanced") for value in values):
        yield f"containerInsights is {show(values[0]) if values else 'not set'}"


container_insights = resource_policy(
    Control(
        name="aws-ecs-cluster-container-insights",
        description="ECS clusters have CloudWatch Container Insights on.",
        category="monitoring",
        severity=Severity.MEDIUM,
        fsbp="ECS.12",
        checkov=("CKV_AWS_65",),
        remediation='Set settings=[{name: "containerInsights", value: "enhanced"}] (or "enabled").',
    ),
    CLUSTER,
)(_container_insights)


def _exec_audit(cluster, config):
    exec_config = cluster.get("configuration.executeCommandConfiguration")
    if exec_config is None or exec_config is UNKNOWN:
        return
    if lookup(exec_config, "logging") == "NONE":
        yield "executeCommandConfiguration.logging is NONE"
    if lookup(exec_config, "kmsKeyId") is None:
        yield "executeCommandConfiguration.kmsKeyId is not set"


exec_audit = resource_policy(
    Control(
        name="aws-ecs-cluster-exec-audit",
        description="ECS Exec sessions are logged and encrypted with a customer-managed key.",
        category="logging",
        severity=Severity.MEDIUM,
        checkov=("CKV_AWS_223", "CKV_AWS_224"),
        remediation=(
            "In configuration.execute_command_configuration set kms_key_id and logging "
            '"OVERRIDE" with an encrypted log group (or "DEFAULT"), never "NONE".'
        ),
    ),
    CLUSTER,
)(_exec_audit)


def _no_public_ip(service, config):
    if service.flag("networkConfiguration.assignPublicIp", False) is True:
        yield "networkConfiguration.assignPublicIp is true"


no_public_ip = resource_policy(
    Control(
        name="aws-ecs-service-no-public-ip",
        description="ECS services do not give their tasks public IP addresses.",
        category="public-exposure",
        severity=Severity.HIGH,
        fsbp="ECS.2",
        checkov=("CKV_AWS_333",),
        remediation="Set network_configuration.assign_public_ip=False and run the tasks in private subnets.",
    ),
    SERVICE,
)(_no_public_ip)


def _fargate_platform(service, config):
    version = service.get("platformVersion")
    if isinstance(version, str) and version != "LATEST":
        yield f"platformVersion is pinned to {show(version)}"


fargate_platform = resource_policy(
    Control(
        name="aws-ecs-service-fargate-platform",
        description="Fargate services run on the latest platform version.",
        category="patching",
        severity=Severity.MEDIUM,
        fsbp="ECS.10",
        checkov=("CKV_AWS_332",),
        remediation='Leave platform_version unset or "LATEST".',
    ),
    SERVICE,
)(_fargate_platform)


def _non_privileged(container, config):
    if container.get("privileged") is True:
        yield "privileged is true"


non_privileged = resource_policy(
    Control(
        name="aws-ecs-task-definition-non-privileged",
        description="Containers do not run privileged.",
        category="hardening",
        severity=Severity.HIGH,
        fsbp="ECS.4",
        checkov=("CKV_AWS_334",),
        remediation='Remove "privileged": true from the container definition.',
    ),
    TASK_DEFINITION,
)(container_checks(_non_privileged))


def _read_only_root(container, config):
    if container.get("readonlyRootFilesystem") is not True:
        yield f"readonlyRootFilesystem is {show(container.get('readonlyRootFilesystem'))}"


read_only_root = resource_policy(
    Control(
        name="aws-ecs-task-definition-read-only-root",
        description="Containers mount their root filesystem read-only.",
        category="hardening",
        severity=Severity.HIGH,
        fsbp="ECS.5",
        checkov=("CKV_AWS_336",),
        remediation='Set "readonlyRootFilesystem": true and mount writable scratch space (a task volume) where the application writes.',
    ),
    TASK_DEFINITION,
)(container_checks(_read_only_root))


def _no_host_pid(task, config):
    if task.get("pidMode") == "host":
        yield "pidMode is host"


no_host_pid = resource_policy(
    Control(
        name="aws-ecs-task-definition-no-host-pid",
        description="Tasks do not share the host's process namespace.",
        category="hardening",
        severity=Severity.HIGH,
        fsbp="ECS.3",
        checkov=("CKV_AWS_335",),
        remediation='Leave pid_mode unset (or "task").',
    ),
    TASK_DEFINITION,
)(_no_host_pid)


def _container_not_root(container, config):
    user = container.get("user")
    if user is None or str(user).split(":")[0] in ROOT_USERS:
        yield f"user is {show(user)}, so the container runs as root"


def _non_root_user(task, config):
    mode = task.get("networkMode")
    if mode is not UNKNOWN and mode != "awsvpc":
        yield f"networkMode is {show(mode)}, not awsvpc"
    yield from container_checks(_container_not_root)(task, config)


non_root_user = resource_policy(
    Control(
        name="aws-ecs-task-definition-non-root-user",
        description="Tasks use awsvpc networking and every container runs as a non-root user.",
        category="hardening",
        severity=Severity.HIGH,
        fsbp="ECS.1",
        remediation='Set network_mode="awsvpc" and a non-root "user" (e.g. "10001:10001") in each container definition.',
    ),
    TASK_DEFINITION,
)(_non_root_user)


def _separate_roles(task, config):
    execution, role = task.get("executionRoleArn"), task.get("taskRoleArn")
    if isinstance(execution, str) and execution == role:
        yield "taskRoleArn is the execution role"


separate_roles = resource_policy(
    Control(
        name="aws-ecs-task-definition-separate-roles",
        description="Tasks use a task role distinct from the execution role that pulls images and reads secrets.",
        category="least-privilege",
        severity=Severity.MEDIUM,
        checkov=("CKV_AWS_249",),
        remediation="Give the task definition its own task_role_arn, different from execution_role_arn.",
    ),
    TASK_DEFINITION,
)(_separate_roles)


def _logging(container, config):
    if lookup(container, "logConfiguration.logDriver") is None:
        yield "logConfiguration.logDriver is not set"


logging = resource_policy(
    Control(
        name="aws-ecs-task-definition-logging",
        description="Every container sends its logs to a log driver.",
        category="logging",
        severity=Severity.HIGH,
        fsbp="ECS.9",
        remediation='Set "logConfiguration": {"logDriver": "awslogs", "options": {...}} to a KMS-encrypted log group.',
    ),
    TASK_DEFINITION,
)(container_checks(_logging))


def _no_secrets_in_environment(container, config):
    """Names follow the credential-name rule the stack settings use (webapp_policies.names), with
    the exceptions the service's settings allowlisted, carried in the container's label."""
    labels = container.get("dockerLabels")
    allowed = parse_allowlist(labels.get(ALLOWLIST_LABEL) if isinstance(labels, dict) else None)
    for variable in container.get("environment") or []:
        name = lookup(variable, "name")
        if not isinstance(name, str):
            continue
        problem = credential_problem(name, allowed)
        if problem and name.upper() in FORBIDDEN_NAMES:
            yield f"environment variable {name} {problem}"
        elif problem:
            yield f"environment variable {name} {problem}; pass it under secrets with valueFrom"
    for secret in container.get("secrets") or []:
        value_from = str(lookup(secret, "valueFrom") or "")
        if not re.match(r"^arn:aws[a-z-]*:(secretsmanager|ssm):", value_from):
            yield f"secret {lookup(secret, 'name')} has valueFrom {show(value_from)}, not a Secrets Manager or SSM ARN"


no_secrets_in_environment = resource_policy(
    Control(
        name="aws-ecs-task-definition-no-secrets-in-environment",
        description="Secrets reach containers as Secrets Manager/SSM references, never as plain environment variables.",
        category="secrets",
        severity=Severity.HIGH,
        fsbp="ECS.8",
        remediation=(
            'Move the value to Secrets Manager and list it under "secrets": [{"name": ..., "valueFrom": <secret ARN>}] '
            "(the execution role needs secretsmanager:GetSecretValue and kms:Decrypt)."
        ),
    ),
    TASK_DEFINITION,
)(container_checks(_no_secrets_in_environment))


def _image_digest(container, config):
    image = container.get("image")
    if image is UNKNOWN:
        return
    if not isinstance(image, str) or not PINNED_IMAGE.match(image):
        yield f"image {show(image)} is not pinned by digest (@sha256:<64 hex>)"


image_digest = resource_policy(
    Control(
        name="aws-ecs-task-definition-image-digest",
        description="Containers run images pinned by digest, so whoever can move a tag cannot change what runs.",
        category="hardening",
        severity=Severity.HIGH,
        remediation=(
            'Name each image as <repository>[:<tag>]@sha256:<64 hex> ("python -m ops preflight" prints '
            "the digest of a tag); push images to a repository with immutable tags as well."
        ),
    ),
    TASK_DEFINITION,
)(container_checks(_image_digest))


# RDS names the master user secrets it manages `rds!db-...` (instances) and `rds!cluster-...`.
RDS_MANAGED_SECRET = re.compile(r"(^|[:/])rds!")


def _no_rds_master_secret(container, config):
    """The master user has rds_superuser: a task holding it turns any injection flaw into control of
    every table and role, and RDS rotates it every 7 days under running tasks."""
    for secret in container.get("secrets") or []:
        value_from = str(lookup(secret, "valueFrom") or "")
        if RDS_MANAGED_SECRET.search(value_from):
            yield f"secret {lookup(secret, 'name')} is the RDS-managed master secret {value_from}"
    for variable in container.get("environment") or []:
        value = lookup(variable, "value")
        if isinstance(value, str) and RDS_MANAGED_SECRET.search(value):
            yield f"environment variable {lookup(variable, 'name')} names the RDS-managed master secret {value}"


no_rds_master_secret = resource_policy(
    Control(
        name="aws-ecs-task-definition-no-rds-master-secret",
        description="No container receives the RDS-managed master user secret: applications log in as their own user.",
        category="secrets",
        severity=Severity.HIGH,
        remediation=(
            "Give the application its own database user (IAM database authentication: DATABASE_USER and "
            "rds-db:connect on dbuser:<DbiResourceId>/<user> in the task role) and drop the rds! secret reference."
        ),
    ),
    TASK_DEFINITION,
)(container_checks(_no_rds_master_secret))


# The pack serves exactly these, in this order.
POLICIES = [
    container_insights,
    exec_audit,
    no_public_ip,
    fargate_platform,
    non_privileged,
    read_only_root,
    no_host_pid,
    non_root_user,
    separate_roles,
    logging,
    no_secrets_in_environment,
    image_digest,
    no_rds_master_secret,
]
