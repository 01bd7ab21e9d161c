"""Settings of the services (settings/services.py): profile defaults and every
rejection with its exact one-line message."""

from __future__ import annotations

from typing import Any

import pytest

from settings import load_settings
from settings.services import ServiceSettings, memory_choices, secret_arn
from tests.support import WEB_SERVICE, config_with, rejection

WEB = WEB_SERVICE
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-AbCdEf"


def web(**fields: Any) -> dict[str, Any]:
    return {"webapp:services": [{**WEB, **fields}]}


@pytest.mark.parametrize("stack, minutes", [("prod", 10), ("staging", 2)])
def test_web_bake_time_per_profile(stack, minutes):
    assert load_settings(stack, config_with(stack, {})).web_service.bake_time_minutes == minutes


def test_secrets_and_their_keys_are_accepted_as_full_arns():
    key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    service = load_settings(
        "prod", config_with("prod", web(secrets={"API_TOKEN": f"{SECRET}:token::"}, secretKeyArns=[key]))
    ).web_service
    assert service.secrets == {"API_TOKEN": f"{SECRET}:token::"} and service.secret_key_arns == [key]


@pytest.mark.parametrize(
    "overrides, line",
    [
        (
            web(bakeTimeMinutes=1441),
            "prod: services[0].bakeTimeMinutes: input should be less than or equal to 1440 (got 1441)",
        ),
        (
            web(bakeTimeMinutes=-1),
            "prod: services[0].bakeTimeMinutes: input should be greater than or equal to 0 (got -1)",
        ),
        (
            {"webapp:services": [{k: v for k, v in WEB.items() if k != "healthCheckPath"}]},
            "prod: services[0].healthCheckPath: a web service needs a health check path (got nothing)",
        ),
        (
            {"webapp:services": [WEB, {**WEB, "kind": "worker"}]},
            "prod: services[1].name: duplicate service name (got web)",
        ),
        (
            web(environment={"DB_PASSWORD": "hunter2"}),
            "prod: services[0].environment.DB_PASSWORD: looks like a credential (the word PASSWORD): put it in "
            "secrets as a Secrets Manager ARN, or in allowedPlainNames if it is none (got [hidden])",
        ),
        (
            web(secrets={"API_TOKEN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:api"}),
            "prod: services[0].secrets.API_TOKEN: must be a full Secrets Manager secret ARN (...:secret:<name>-<6 "
            "characters>), optionally followed by :<json-key>:<version-stage>:<version-id> "
            "(got arn:aws:secretsmanager:us-east-1:123456789012:secret:api)",
        ),
        (
            web(environment={"MODE": "fast"}, secrets={"MODE": SECRET}),
            "prod: services[0].secrets.MODE: is also set in environment (got MODE)",
        ),
        (
            web(healthCheckTimeoutSeconds=15),
            "prod: services[0].healthCheckTimeoutSeconds: must be shorter than healthCheckIntervalSeconds (15) (got 15)",
        ),
        (
            web(healthCheckMatcher="600"),
            "prod: services[0].healthCheckMatcher: must match ^[2-4]\\d\\d(-[2-4]\\d\\d)?(,[2-4]\\d\\d(-[2-4]\\d\\d)?)*$ (got 600)",
        ),
        (
            web(scaleOutCooldownSeconds=300),
            "prod: services[0].scaleOutCooldownSeconds: scale-out must react faster than scale-in "
            "(scaleInCooldownSeconds 300) (got 300)",
        ),
        (
            web(containerHealthCommand=["curl", "-f", "http://localhost:8080/"]),
            "prod: services[0].containerHealthCommand: must start with CMD or CMD-SHELL (got curl)",
        ),
        (web(user="0"), "prod: services[0].user: must be a non-root numeric uid or uid:gid (got 0)"),
        (
            web(strategy="canary", canaryPercent=0.05),
            "prod: services[0].canaryPercent: input should be greater than or equal to 0.1 (got 0.05)",
        ),
        (
            web(strategy="canary", canaryPercent=101),
            "prod: services[0].canaryPercent: input should be less than or equal to 100 (got 101)",
        ),
        (
            web(strategy="linear", linearStepPercent=2),
            "prod: services[0].linearStepPercent: input should be greater than or equal to 3 (got 2)",
        ),
        (
            web(strategy="linear", linearStepBakeMinutes=1441),
            "prod: services[0].linearStepBakeMinutes: input should be less than or equal to 1440 (got 1441)",
        ),
        (
            web(strategy="rolling"),
            "prod: services[0].strategy: input should be 'blueGreen', 'canary' or 'linear' (got rolling)",
        ),
        (
            web(canaryPercent=20),
            "prod: services[0].canaryPercent: applies to strategy canary only (got 20.0)",
        ),
        (
            web(strategy="canary", linearStepPercent=20),
            "prod: services[0].linearStepPercent: applies to strategy linear only (got 20.0)",
        ),
        (
            web(smokeTests=[{"path": "health"}]),
            "prod: services[0].smokeTests[0].path: must match ^/[^\\s]*$ (got health)",
        ),
        (
            {"webapp:services": [WEB, {**WEB, "name": "jobs", "kind": "worker", "strategy": "canary"}]},
            "prod: services[1].strategy: only a web service has it (workers deploy rolling) (got set)",
        ),
        (
            {"webapp:services": [WEB, {**WEB, "name": "jobs", "kind": "worker", "smokeTests": [{"path": "/ok"}]}]},
            "prod: services[1].smokeTests: only a web service has it (workers deploy rolling) (got set)",
        ),
        (
            {"webapp:services": [WEB, {**WEB, "name": "jobs", "kind": "worker", "bakeTimeMinutes": 5}]},
            "prod: services[1].bakeTimeMinutes: only a web service has it (workers deploy rolling) (got set)",
        ),
    ],
)
def test_service_rejections(overrides, line):
    assert rejection("prod", overrides) == [line]


# Images

UNPINNED = "prod pins images by digest: <repository>[:<tag>]@sha256:<64 hex> (python -m ops preflight prints the line)"
BY_TAG = "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp:1.4.2"


def test_prod_refuses_an_image_named_by_tag():
    assert rejection("prod", web(image=BY_TAG)) == [f"prod: services[0].image: {UNPINNED} (got {BY_TAG})"]


def test_prod_refuses_a_tracing_image_named_by_tag():
    daemon = "123456789012.dkr.ecr.us-east-1.amazonaws.com/aws-xray-daemon:3.3.14"
    assert rejection("prod", web(tracingImage=daemon)) == [f"prod: services[0].tracingImage: {UNPINNED} (got {daemon})"]


def test_prod_refuses_a_digest_that_is_not_64_hex():
    short = BY_TAG + "@sha256:3fa996850b6d"
    assert rejection("prod", web(image=short)) == [f"prod: services[0].image: {UNPINNED} (got {short})"]


def test_staging_runs_images_by_tag():
    settings = load_settings("staging", config_with("staging", web(image=BY_TAG, egressToInternet=True)))
    assert settings.web_service.image == BY_TAG


def test_preflight_reads_a_prod_stack_whose_images_are_not_pinned_yet():
    settings = load_settings("prod", config_with("prod", web(image=BY_TAG)), pinned_images=False)
    assert settings.web_service.image == BY_TAG


def test_tracing_needs_the_daemon_image():
    service = {k: v for k, v in WEB.items() if k != "tracingImage"}
    assert rejection("prod", {"webapp:services": [service]}) == [
        "prod: services[0].tracingImage: required with tracing: the X-Ray daemon image in this account's private ECR "
        "(got nothing)"
    ]


def test_the_daemon_image_comes_from_a_private_ecr_repository():
    public = "public.ecr.aws/xray/aws-xray-daemon@sha256:" + "0" * 64
    assert rejection("prod", web(tracingImage=public)) == [
        "prod: services[0].tracingImage: must come from a private ECR repository "
        f"(<account>.dkr.ecr.<region>.amazonaws.com/<name>), not a public registry (got {public})"
    ]


def test_without_tracing_no_daemon_image_is_needed():
    service = {k: v for k, v in WEB.items() if k != "tracingImage"}
    settings = load_settings("prod", config_with("prod", {"webapp:services": [{**service, "tracing": False}]}))
    assert settings.web_service.images == [WEB["image"]]


WORKER = {**WEB, "name": "jobs", "kind": "worker"}


@pytest.mark.parametrize(
    "services, line",
    [
        ([{**WEB, "kind": "worker"}], "prod: services: exactly one service of kind web is required (got [])"),
        (
            [WEB, {**WEB, "name": "api"}],
            "prod: services: exactly one service of kind web is required (got ['web', 'api'])",
        ),
        ([WEB, WORKER, WORKER], "prod: services[2].name: duplicate service name (got jobs)"),
    ],
)
def test_the_service_list_has_one_web_service_and_unique_names(services, line):
    assert rejection("prod", {"webapp:services": services}) == [line]


def test_one_web_service_and_workers_are_accepted():
    services = load_settings("prod", config_with("prod", {"webapp:services": [WEB, WORKER]})).services
    assert [(s.name, s.kind) for s in services] == [("web", "web"), ("jobs", "worker")]


@pytest.mark.parametrize(
    "sizes, line",
    [
        (
            {"cpu": 300},
            "prod: services[0].cpu: Fargate accepts 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units (got 300)",
        ),
        (
            {"cpu": 256, "memory": 4096},
            "prod: services[0].memory: Fargate with 256 CPU units accepts 512, 1024 or 2048 MiB (got 4096)",
        ),
        (
            {"cpu": 512, "memory": 512},
            "prod: services[0].memory: Fargate with 512 CPU units accepts 1024, 2048, 3072 or 4096 MiB (got 512)",
        ),
        (
            {"cpu": 256, "memory": 1536},
            "prod: services[0].memory: Fargate with 256 CPU units accepts 512, 1024 or 2048 MiB (got 1536)",
        ),
        (
            {"cpu": 2048, "memory": 2048},
            "prod: services[0].memory: Fargate with 2048 CPU units accepts 4096 to 16384 MiB in steps of 1024 "
            "(got 2048)",
        ),
        (
            {"cpu": 8192, "memory": 18432},
            "prod: services[0].memory: Fargate with 8192 CPU units accepts 16384 to 61440 MiB in steps of 4096 "
            "(got 18432)",
        ),
        (
            {"cpu": 8192, "memory": 17408},
            "prod: services[0].memory: Fargate with 8192 CPU units accepts 16384 to 61440 MiB in steps of 4096 "
            "(got 17408)",
        ),
    ],
)
def test_a_task_size_fargate_does_not_run_is_rejected_with_the_sizes_it_does(sizes, line):
    assert rejection("prod", web(**sizes)) == [line]


@pytest.mark.parametrize("cpu, memory", [(256, 512), (256, 2048), (4096, 30720), (16384, 122880)])
def test_every_edge_of_the_fargate_table_is_accepted(cpu, memory):
    service = load_settings("prod", config_with("prod", web(cpu=cpu, memory=memory))).web_service
    assert (service.cpu, service.memory) == (cpu, memory)


@pytest.mark.parametrize(
    "counts, line",
    [
        (
            {"minCount": 2, "desiredCount": 1, "maxCount": 4},
            "prod: services[0].desiredCount: task counts must satisfy minCount (2) <= desiredCount <= maxCount (4) "
            "(got 1)",
        ),
        (
            {"minCount": 2, "desiredCount": 5, "maxCount": 4},
            "prod: services[0].desiredCount: task counts must satisfy minCount (2) <= desiredCount <= maxCount (4) "
            "(got 5)",
        ),
        (
            {"minCount": 4, "desiredCount": 3, "maxCount": 20},
            "prod: services[0].desiredCount: task counts must satisfy minCount (4) <= desiredCount <= maxCount (20) "
            "(got 3)",
        ),
        (
            {"minCount": 4, "desiredCount": 30, "maxCount": 20},
            "prod: services[0].desiredCount: task counts must satisfy minCount (4) <= desiredCount <= maxCount (20) "
            "(got 30)",
        ),
        (
            {"minCount": 1, "desiredCount": 1, "maxCount": 4},
            "prod: services[0].minCount: prod runs at least 2 tasks per service (got 1)",
        ),
        (
            {"minCount": 1, "desiredCount": 1},
            "prod: services[0].minCount: prod runs at least 2 tasks per service (got 1)",
        ),
    ],
)
def test_task_counts_are_ordered_and_prod_runs_two_tasks_or_more(counts, line):
    assert rejection("prod", web(**counts)) == [line]


@pytest.mark.parametrize("stack, low", [("prod", 2), ("staging", 1)])
def test_task_counts_at_their_lowest_are_accepted(stack, low):
    counts = {"minCount": low, "desiredCount": low, "maxCount": low}
    own = config_with(stack, {})["webapp:services"][0]
    service = load_settings(stack, config_with(stack, {"webapp:services": [{**own, **counts}]})).web_service
    assert (service.min_count, service.desired_count, service.max_count) == (low, low, low)


@pytest.mark.parametrize(
    "allowed, text",
    [
        ((1024, 2048, 3072, 4096), "1024, 2048, 3072 or 4096 MiB"),
        ((1024, 2048, 3072, 4096, 5120), "1024 to 5120 MiB in steps of 1024"),
        ((512, 1024, 2048, 3072, 4096, 5120), "512, 1024, 2048, 3072, 4096 or 5120 MiB"),
    ],
)
def test_memory_sizes_read_as_a_list_when_few_or_uneven_and_as_a_range_otherwise(allowed, text):
    assert memory_choices(allowed) == text


@pytest.mark.parametrize("suffix", ["", ":token::", ":token:AWSCURRENT:", "::AWSPREVIOUS:"])
def test_the_secret_a_reference_names_is_its_arn_without_key_stage_and_version(suffix):
    assert secret_arn(SECRET + suffix) == SECRET


def test_a_web_service_without_a_bake_time_is_refused():
    service = ServiceSettings.model_validate(
        {**WEB, "cpu": 256, "memory": 512, "desiredCount": 2, "minCount": 2, "maxCount": 4}
    )
    problems = {problem.key: problem.message for problem in service.problems("prod")}
    assert problems["bakeTimeMinutes"] == "a web service needs a bake time (0-1440 minutes)"


@pytest.mark.parametrize(
    "command", [["CMD", "/healthcheck"], ["CMD-SHELL", "curl -fsS localhost:8080/healthz || exit 1"]]
)
def test_a_container_health_command_in_either_docker_form_is_accepted(command):
    service = load_settings("prod", config_with("prod", web(containerHealthCommand=command))).web_service
    assert service.container_health_command == command


# Egress


def test_a_service_egresses_only_to_aws_and_the_stores_by_default():
    assert load_settings("prod", config_with("prod", web())).web_service.egress_to_internet is False


def test_without_interface_endpoints_every_service_must_egress_through_nat():
    service = {**WEB, "egressToInternet": False}
    assert rejection("staging", {"webapp:services": [service]}) == [
        "staging: services[0].egressToInternet: must be true when network.interfaceEndpoints is false "
        "(the tasks reach ECR, CloudWatch Logs and Secrets Manager through NAT) (got false)"
    ]


def test_staging_opts_its_services_in_explicitly():
    services = load_settings("staging", config_with("staging", {})).services
    assert [s.egress_to_internet for s in services] == [True, True]
