"""ECS policies: the compliant cluster, service and task definition and each broken property
(container definitions included, inside their JSON string), which tests/test_policies.py runs;
here the messages and container definitions that are not JSON."""

import json

from tests.policy_support import ACCOUNT, DELETE, PolicyTable, document, messages, resource, variant_urn

CLUSTER_TYPE = "aws:ecs/cluster:Cluster"
SERVICE_TYPE = "aws:ecs/service:Service"
TASK_TYPE = "aws:ecs/taskDefinition:TaskDefinition"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c"
SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:webapp-test-cache-auth-AbCdEf"
DIGEST = "3fa996850b6d6489298c9e7877588859972a024455c43c3f3d0ef201e69e6ff8"
CONTAINERS = [
    {
        "name": "web",
        "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/webapp:1.0.0@sha256:{DIGEST}",
        "essential": True,
        "user": "10001:10001",
        "readonlyRootFilesystem": True,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "environment": [{"name": "APP_ENV", "value": "test"}, {"name": "DB_SECRET_ARN", "value": SECRET_ARN}],
        "secrets": [{"name": "REDIS_AUTH_TOKEN", "valueFrom": SECRET_ARN}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/ecs/test/web", "awslogs-region": "us-east-1"},
        },
    }
]
CLUSTER = resource(
    CLUSTER_TYPE,
    "cluster",
    {
        "settings": [{"name": "containerInsights", "value": "enhanced"}],
        "configuration": {"executeCommandConfiguration": {"kmsKeyId": KEY, "logging": "DEFAULT"}},
    },
)
SERVICE = resource(
    SERVICE_TYPE,
    "web",
    {
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "desiredCount": 2.0,
        "networkConfiguration": {
            "assignPublicIp": False,
            "subnets": ["subnet-0a", "subnet-0b"],
            "securityGroups": ["sg-0web"],
        },
    },
)
TASK = resource(
    TASK_TYPE,
    "web-task",
    {
        "family": "webapp-test-web",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512",
        "memory": "1024",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/web-execution",
        "taskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/web-task",
        "containerDefinitions": json.dumps(CONTAINERS),
    },
)
SCENARIO = [CLUSTER, SERVICE, TASK]
SUBJECTS = {"cluster": 0, "service": 1, "task": 2}
CONTAINER = ("containerDefinitions", 0)
BREAKS = {
    "cluster": {
        "insights-off": ("aws-ecs-cluster-container-insights", ("settings", 0, "value"), "disabled"),
        "insights-unset": ("aws-ecs-cluster-container-insights", ("settings",), DELETE),
        "insights-enabled": (None, ("settings", 0, "value"), "enabled"),
        "exec-unlogged": (
            "aws-ecs-cluster-exec-audit",
            ("configuration", "executeCommandConfiguration", "logging"),
            "NONE",
        ),
        "exec-unencrypted": (
            "aws-ecs-cluster-exec-audit",
            ("configuration", "executeCommandConfiguration", "kmsKeyId"),
            DELETE,
        ),
    },
    "service": {
        "public-ip": ("aws-ecs-service-no-public-ip", ("networkConfiguration", "assignPublicIp"), True),
        "pinned-platform": ("aws-ecs-service-fargate-platform", ("platformVersion",), "1.3.0"),
        # The provider's assign_public_ip defaults to false.
        "public-ip-unset": (None, ("networkConfiguration", "assignPublicIp"), DELETE),
    },
    "task": {
        "privileged": ("aws-ecs-task-definition-non-privileged", CONTAINER + ("privileged",), True),
        "writable-root": ("aws-ecs-task-definition-read-only-root", CONTAINER + ("readonlyRootFilesystem",), False),
        "writable-root-default": (
            "aws-ecs-task-definition-read-only-root",
            CONTAINER + ("readonlyRootFilesystem",),
            DELETE,
        ),
        "host-pid": ("aws-ecs-task-definition-no-host-pid", ("pidMode",), "host"),
        "bridge-network": ("aws-ecs-task-definition-non-root-user", ("networkMode",), "bridge"),
        "root-user": ("aws-ecs-task-definition-non-root-user", CONTAINER + ("user",), "root"),
        "uid-0": ("aws-ecs-task-definition-non-root-user", CONTAINER + ("user",), "0:0"),
        "image-user": ("aws-ecs-task-definition-non-root-user", CONTAINER + ("user",), DELETE),
        "shared-role": (
            "aws-ecs-task-definition-separate-roles",
            ("taskRoleArn",),
            f"arn:aws:iam::{ACCOUNT}:role/web-execution",
        ),
        "no-log-driver": ("aws-ecs-task-definition-logging", CONTAINER + ("logConfiguration",), DELETE),
        "aws-keys-in-env": (
            "aws-ecs-task-definition-no-secrets-in-environment",
            CONTAINER + ("environment", 0),
            {"name": "AWS_SECRET_ACCESS_KEY", "value": "abc"},
        ),
        "password-in-env": (
            "aws-ecs-task-definition-no-secrets-in-environment",
            CONTAINER + ("environment", 0),
            {"name": "DATABASE_PASSWORD", "value": "abc"},
        ),
        "master-secret": (
            "aws-ecs-task-definition-no-rds-master-secret",
            CONTAINER + ("secrets", 0, "valueFrom"),
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:rds!db-0f4b8c9e-5a2d-4e7f-9c1b-3d6e8f0a2b4c-XyZ123:password::",
        ),
        "master-secret-arn-in-env": (
            "aws-ecs-task-definition-no-rds-master-secret",
            CONTAINER + ("environment", 1, "value"),
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:rds!db-0f4b8c9e-5a2d-4e7f-9c1b-3d6e8f0a2b4c-XyZ123",
        ),
        "secret-not-an-arn": (
            "aws-ecs-task-definition-no-secrets-in-environment",
            CONTAINER + ("secrets", 0, "valueFrom"),
            "plaintext",
        ),
        "image-by-tag": (
            "aws-ecs-task-definition-image-digest",
            CONTAINER + ("image",),
            f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/webapp:1.0.0",
        ),
        "short-digest": (
            "aws-ecs-task-definition-image-digest",
            CONTAINER + ("image",),
            f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/webapp@sha256:{DIGEST[:12]}",
        ),
        "public-image-by-digest": (None, CONTAINER + ("image",), f"public.ecr.aws/nginx/nginx@sha256:{DIGEST}"),
    },
}
TABLE = PolicyTable(*SCENARIO)
for subject, breaks in BREAKS.items():
    TABLE.breaks(SCENARIO[SUBJECTS[subject]]["name"], breaks)


def test_a_violation_names_the_container(report):
    assert messages(report, "aws-ecs-task-definition-non-privileged", variant_urn(TASK, "privileged")) == [
        "container web: privileged is true"
    ]


def test_a_secret_reference_in_the_environment_is_not_a_secret(report):
    # DB_SECRET_ARN in the compliant task holds an ARN, not the secret.
    assert messages(report, "aws-ecs-task-definition-no-secrets-in-environment", TASK["urn"]) == []


def test_the_master_secret_is_named_with_the_variable_that_receives_it(report):
    assert messages(report, "aws-ecs-task-definition-no-rds-master-secret", variant_urn(TASK, "master-secret")) == [
        f"container web: secret REDIS_AUTH_TOKEN is the RDS-managed master secret arn:aws:secretsmanager:us-east-1:"
        f"{ACCOUNT}:secret:rds!db-0f4b8c9e-5a2d-4e7f-9c1b-3d6e8f0a2b4c-XyZ123:password::"
    ]


def test_container_definitions_that_are_not_json_are_reported(policy_pack):
    task = resource(TASK_TYPE, "broken-json", {**TASK["inputs"], "containerDefinitions": "[{"})
    result = policy_pack.check(document(task))
    assert messages(result, "aws-ecs-task-definition-logging")[0].startswith("containerDefinitions is not valid JSON")


def test_an_image_by_tag_is_named(report):
    task = next(r for r in SCENARIO if r["type"] == TASK_TYPE)
    assert messages(report, "aws-ecs-task-definition-image-digest", variant_urn(task, "image-by-tag")) == [
        f"container web: image '{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/webapp:1.0.0' is not pinned by digest (@sha256:<64 hex>)"
    ]


def test_container_definitions_that_are_not_a_list_are_reported(policy_pack):
    task = resource(TASK_TYPE, "one-object", {**TASK["inputs"], "containerDefinitions": json.dumps(CONTAINERS[0])})
    result = policy_pack.check(document(task))
    assert messages(result, "aws-ecs-task-definition-logging") == ["containerDefinitions is not a JSON list"]


def test_a_container_without_a_name_is_still_checked(policy_pack):
    # ECS refuses a container definition without a name only when the task definition is
    # registered; the preview still shows what else is wrong with it.
    nameless = {k: v for k, v in CONTAINERS[0].items() if k != "name"}
    task = resource(
        TASK_TYPE, "nameless", {**TASK["inputs"], "containerDefinitions": json.dumps([{**nameless, "user": "root"}])}
    )
    assert messages(policy_pack.check(document(task)), "aws-ecs-task-definition-non-root-user") == [
        "container ?: user is 'root', so the container runs as root"
    ]


def with_container(name: str, **changes) -> dict:
    """The compliant task definition, its container changed."""
    definitions = json.dumps([{**CONTAINERS[0], **changes}])
    return resource(TASK_TYPE, name, {**TASK["inputs"], "containerDefinitions": definitions})


def test_a_variable_without_a_name_does_not_hide_the_next_one(policy_pack):
    environment = [{"value": "orphan"}, {"name": "DATABASE_PASSWORD", "value": "abc"}]
    result = policy_pack.check(document(with_container("unnamed-variable", environment=environment)))
    assert messages(result, "aws-ecs-task-definition-no-secrets-in-environment") == [
        "container web: environment variable DATABASE_PASSWORD looks like a credential (the word PASSWORD); "
        "pass it under secrets with valueFrom"
    ]


def test_a_secret_without_value_from_is_reported(policy_pack):
    result = policy_pack.check(document(with_container("no-value-from", secrets=[{"name": "REDIS_AUTH_TOKEN"}])))
    assert messages(result, "aws-ecs-task-definition-no-secrets-in-environment") == [
        "container web: secret REDIS_AUTH_TOKEN has valueFrom '', not a Secrets Manager or SSM ARN"
    ]


def test_each_break_tells_the_reviewer_what_is_wrong(report):
    """The PR report shows these lines under the cluster, the service or the task definition: a
    container's line starts with the container's name."""
    said = {
        variant: messages(report, policy, variant_urn(SCENARIO[SUBJECTS[subject]], variant))
        for subject, breaks in BREAKS.items()
        for variant, (policy, _, _) in breaks.items()
        if policy
    }
    assert said == {
        "insights-off": ["containerInsights is 'disabled'"],
        "insights-unset": ["containerInsights is not set"],
        "exec-unlogged": ["executeCommandConfiguration.logging is NONE"],
        "exec-unencrypted": ["executeCommandConfiguration.kmsKeyId is not set"],
        "public-ip": ["networkConfiguration.assignPublicIp is true"],
        "pinned-platform": ["platformVersion is pinned to '1.3.0'"],
        "privileged": ["container web: privileged is true"],
        "writable-root": ["container web: readonlyRootFilesystem is false"],
        "writable-root-default": ["container web: readonlyRootFilesystem is not set"],
        "host-pid": ["pidMode is host"],
        "bridge-network": ["networkMode is 'bridge', not awsvpc"],
        "root-user": ["container web: user is 'root', so the container runs as root"],
        "uid-0": ["container web: user is '0:0', so the container runs as root"],
        "image-user": ["container web: user is not set, so the container runs as root"],
        "shared-role": ["taskRoleArn is the execution role"],
        "no-log-driver": ["container web: logConfiguration.logDriver is not set"],
        "aws-keys-in-env": [
            "container web: environment variable AWS_SECRET_ACCESS_KEY is never allowed in plain environment "
            "(Security Hub ECS.8; AWS credentials come from the task role)"
        ],
        "password-in-env": [
            "container web: environment variable DATABASE_PASSWORD looks like a credential (the word PASSWORD); "
            "pass it under secrets with valueFrom"
        ],
        "master-secret": [
            f"container web: secret REDIS_AUTH_TOKEN is the RDS-managed master secret arn:aws:secretsmanager:us-east-1:"
            f"{ACCOUNT}:secret:rds!db-0f4b8c9e-5a2d-4e7f-9c1b-3d6e8f0a2b4c-XyZ123:password::"
        ],
        "master-secret-arn-in-env": [
            f"container web: environment variable DB_SECRET_ARN names the RDS-managed master secret "
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:rds!db-0f4b8c9e-5a2d-4e7f-9c1b-3d6e8f0a2b4c-XyZ123"
        ],
        "secret-not-an-arn": [
            "container web: secret REDIS_AUTH_TOKEN has valueFrom 'plaintext', not a Secrets Manager or SSM ARN"
        ],
        "image-by-tag": [
            f"container web: image '{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/webapp:1.0.0' is not pinned by digest "
            "(@sha256:<64 hex>)"
        ],
        "short-digest": [
            f"container web: image '{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/webapp@sha256:{DIGEST[:12]}' is not "
            "pinned by digest (@sha256:<64 hex>)"
        ],
    }
