"""`python -m ops preflight`: each check against a moto account.

Service Quotas values come from botocore's Stubber (`ops_support.quotas`): moto 5.2.5 implements
only the `vpc` quotas, not Fargate's L-3032A538 nor EC2's L-0263D0A3.
"""

from __future__ import annotations

import textwrap
from typing import Any

import boto3

from ops import preflight
from ops.preflight import covers
from tests.ops_builders import (
    certificate,
    ecr_image,
    ecs_service_linked_role,
    elastic_ips,
    fargate_usage,
    hosted_zone,
    network,
    task_definition,
)
from tests.ops_fakes import Patched, quotas
from tests.ops_support import ACCOUNT, FakeClock, access_denied, aws_session, client, outputs, run_cli, stack_settings

DOMAIN = "app.example.com"  # Pulumi.prod.yaml
# What prod needs at a deploy's peak: its one web service's max tasks, twice, and a NAT gateway
# (one Elastic IP) per AZ.
_PROD = stack_settings()
PROD_PEAK_VCPUS = preflight.DEPLOY_PEAK_FACTOR * _PROD.web_service.max_count * _PROD.web_service.cpu / 1024
PROD_NAT_GATEWAYS = _PROD.network.az_count


def healthy_account(
    image_tag: str = "1.4.2", cert_days: float = 365, cert_names: list[str] | None = None
) -> dict[str, Any]:
    """Everything prod needs: its images (Pulumi.prod.yaml), a certificate, the zone, the role."""
    ecr_image("webapp", image_tag)
    ecr_image("aws-xray-daemon", "3.3.14")
    arn = certificate(cert_names or [DOMAIN], cert_days)
    zone = hosted_zone("example.com")
    ecs_service_linked_role()
    return {"certificate_arn": arn, "hosted_zone_id": zone}


def run(
    dns: dict[str, Any],
    fargate: float = 100,
    eips: float = 5,
    wrap: dict | None = None,
    stack_outputs: dict[str, Any] | None = None,
    allowed: tuple[str, ...] = (),
    session: boto3.session.Session | None = None,
) -> preflight.PreflightReport:
    settings = stack_settings(**dns)
    session = aws_session({"service-quotas": quotas(fargate, eips), **(wrap or {})}, session)
    return preflight.run(
        settings, outputs(stack_outputs) if stack_outputs is not None else None, session, FakeClock(), allowed
    )


def check(report: preflight.PreflightReport, name: str) -> preflight.CheckResult:
    return next(c for c in report.checks if c.name == name)


def failed(report: preflight.PreflightReport) -> list[str]:
    return [c.name for c in report.checks if not c.ok]


def test_every_check_passes_in_a_ready_account(aws):
    report = run(healthy_account())
    assert report.ok, report.render()
    assert [c.name for c in report.checks] == [
        "credentials",
        "account",
        "region",
        "image (web)",
        "tracing image (web)",
        "certificate",
        "hosted zone",
        "ECS service-linked role",
        "Fargate vCPU quota",
        "Elastic IP quota",
    ]


def digest_of(repository: str, tag: str) -> str:
    (detail,) = client("ecr").describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
    return detail["imageDigest"]


def test_each_tag_is_resolved_to_the_stack_file_line_that_pins_it(aws):
    report = run(healthy_account())
    registry = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    assert report.pins == [
        f"image: {registry}/webapp:1.4.2@{digest_of('webapp', '1.4.2')}  # web",
        f"tracingImage: {registry}/aws-xray-daemon:3.3.14@{digest_of('aws-xray-daemon', '3.3.14')}  # web",
    ]
    assert "pin the images by digest (paste into Pulumi.prod.yaml):" in report.render()
    assert report.to_json()["pins"] == report.pins


def test_an_image_pinned_by_digest_needs_no_pin_and_says_when_its_tag_names_another(aws):
    dns = healthy_account()
    # Tag 1.4.0 beside the digest of 1.4.2: the digest decides what runs, the tag misleads.
    pinned = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/webapp:1.4.0@{digest_of('webapp', '1.4.2')}"
    settings = stack_settings(**dns)
    web = settings.services[0].model_copy(update={"image": pinned})
    session = aws_session({"service-quotas": quotas(100, 5)})
    report = preflight.run(settings.model_copy(update={"services": [web]}), None, session, FakeClock())
    assert check(report, "image (web)").ok
    assert "tag 1.4.0 now names another image" in check(report, "image (web)").reason
    assert [pin.split(":")[0] for pin in report.pins] == ["tracingImage"]


def test_a_missing_image_tag_fails_the_image_check(aws):
    dns = healthy_account(image_tag="1.4.1")
    report = run(dns)
    assert failed(report) == ["image (web)"]
    assert "tag 1.4.2 not found in repository webapp" in check(report, "image (web)").reason


def test_a_missing_repository_fails_the_image_check(aws):
    ecr_image("aws-xray-daemon", "3.3.14")
    certificate_arn = certificate([DOMAIN], 365)
    ecs_service_linked_role()
    report = run({"certificate_arn": certificate_arn, "hosted_zone_id": hosted_zone("example.com")})
    assert failed(report) == ["image (web)"]
    assert "repository webapp" in check(report, "image (web)").reason
    assert "does not exist" in check(report, "image (web)").reason


def test_a_certificate_expiring_within_30_days_fails(aws):
    report = run(healthy_account(cert_days=10))
    assert failed(report) == ["certificate"]
    assert "in 9 days (needs at least 30)" in check(report, "certificate").reason


def test_a_certificate_for_another_name_fails(aws):
    report = run(healthy_account(cert_names=["other.example.com"]))
    assert failed(report) == ["certificate"]
    assert f"does not cover {DOMAIN}" in check(report, "certificate").reason


def test_a_wildcard_certificate_covers_one_label_only():
    assert covers("app.example.com", ["*.example.com"])
    assert not covers("a.app.example.com", ["*.example.com"])
    assert not covers("example.com", ["*.example.com"])


def test_the_stacks_own_certificate_is_checked_when_none_is_configured(aws):
    dns = healthy_account()
    expiring = certificate([DOMAIN], 5)
    report = run({**dns, "certificate_arn": None}, stack_outputs={"region": "us-east-1", "certificateArn": expiring})
    assert failed(report) == ["certificate"]


def test_a_missing_hosted_zone_fails(aws):
    dns = healthy_account()
    report = run({**dns, "hosted_zone_id": "Z0000000000NOTAZONE"})
    assert failed(report) == ["hosted zone"]
    assert "does not exist" in check(report, "hosted zone").reason


def test_a_zone_of_another_domain_fails(aws):
    dns = healthy_account()
    report = run({**dns, "hosted_zone_id": hosted_zone("example.org")})
    assert failed(report) == ["hosted zone"]


def test_a_missing_ecs_service_linked_role_fails_with_the_fix(aws):
    ecr_image("webapp", "1.4.2")
    ecr_image("aws-xray-daemon", "3.3.14")
    report = run({"certificate_arn": certificate([DOMAIN], 365), "hosted_zone_id": hosted_zone("example.com")})
    assert failed(report) == ["ECS service-linked role"]
    assert (
        "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com"
        in check(report, "ECS service-linked role").reason
    )


def test_a_fargate_quota_below_the_stacks_peak_fails(aws):
    report = run(healthy_account(), fargate=PROD_PEAK_VCPUS - 1)
    assert failed(report) == ["Fargate vCPU quota"]


def test_fargate_usage_by_others_counts_against_the_quota(aws):
    dns = healthy_account()
    fargate_usage(10)
    report = run(dns, fargate=PROD_PEAK_VCPUS + 5)
    assert failed(report) == ["Fargate vCPU quota"]
    assert "in use 10" in check(report, "Fargate vCPU quota").reason


def test_the_stacks_own_running_tasks_are_not_counted_twice(aws):
    """The stack's 2 running web tasks (moto's MOTO_ECS_SERVICE_RUNNING, 2 vCPU each) are part
    of both the account's usage and the stack's peak."""
    dns = healthy_account()
    net = network()
    client("ecs").create_cluster(clusterName="webapp")
    client("ecs").create_service(
        cluster="webapp",
        serviceName="web",
        taskDefinition=task_definition("web", cpu="2048"),
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": net["subnets"], "securityGroups": [net["security_group"]]}
        },
    )
    fargate_usage(4)
    report = run(
        dns,
        fargate=PROD_PEAK_VCPUS,
        stack_outputs={"region": "us-east-1", "clusterName": "webapp", "serviceNames": ["web"]},
    )
    assert check(report, "Fargate vCPU quota").ok, check(report, "Fargate vCPU quota").reason


def test_elastic_ips_of_others_leave_no_room_for_the_nat_gateways(aws):
    dns = healthy_account()
    elastic_ips(3)
    report = run(dns, eips=3 + PROD_NAT_GATEWAYS - 1)
    assert failed(report) == ["Elastic IP quota"]


def test_the_stacks_own_nat_elastic_ips_need_no_room(aws):
    dns = healthy_account()
    elastic_ips(PROD_NAT_GATEWAYS, tags={"project": "webapp", "environment": "prod"})
    report = run(dns, eips=PROD_NAT_GATEWAYS)
    assert check(report, "Elastic IP quota").ok, check(report, "Elastic IP quota").reason


def test_credentials_of_another_account_than_allowed_fail(aws):
    report = run(healthy_account(), allowed=("999999999999",))
    assert failed(report) == ["account"]
    assert f"credentials are for account {ACCOUNT}" in check(report, "account").reason


def test_without_allowed_accounts_the_image_registry_account_is_expected(aws):
    report = run(healthy_account())
    assert "as the ECR registry of the images expects" in check(report, "account").reason


def test_a_deployed_stack_in_another_region_fails(aws):
    report = run(healthy_account(), stack_outputs={"region": "eu-west-1"})
    assert failed(report) == ["region"]


def test_missing_credentials_stop_the_preflight(aws, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    report = run({}, session=boto3.session.Session())  # a new session: the shared one caches credentials
    assert [(c.name, c.ok) for c in report.checks] == [("credentials", False)]
    assert "no AWS credentials found" in report.checks[0].reason


def test_a_missing_permission_fails_that_check_only(aws):
    dns = healthy_account()

    def denied(**_):
        raise access_denied("GetRole")

    report = run(dns, wrap={"iam": lambda real: Patched(real, get_role=denied)})
    assert failed(report) == ["ECS service-linked role"]
    assert check(report, "ECS service-linked role").reason.startswith("access denied calling GetRole")


def stack_file(tmp_path, certificate_arn: str) -> None:
    """A prod stack file naming its certificate by ARN and no zone (moto's zone ids do not match
    the settings' `Z...` pattern), pinned to moto's account."""
    (tmp_path / "Pulumi.prod.yaml").write_text(
        textwrap.dedent(f"""\
        config:
          aws:region: us-east-1
          aws:allowedAccountIds: ["{ACCOUNT}"]
          webapp:profile: prod
          webapp:tags: {{owner: platform-team, costCenter: cc-4200}}
          webapp:network: {{vpcCidr: 10.20.0.0/16}}
          webapp:dns: {{domain: {DOMAIN}, certificateArn: "{certificate_arn}"}}
          webapp:services:
            - name: web
              kind: web
              healthCheckPath: /healthz
              image: {ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/webapp:1.4.2
              tracingImage: {ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/aws-xray-daemon:3.3.14
          webapp:database: {{engineVersion: "17"}}
          webapp:cache: {{engine: valkey, engineVersion: "8.0"}}
          webapp:alarms: {{critical: {{emails: [oncall@example.com]}}}}
        """)
    )


def test_the_command_exits_0_when_every_check_passes(aws, tmp_path):
    ecr_image("webapp", "1.4.2")
    ecr_image("aws-xray-daemon", "3.3.14")
    ecs_service_linked_role()
    stack_file(tmp_path, certificate([DOMAIN], 365))
    result = run_cli(
        ["preflight", "--stack", "prod", "--json"],
        tmp_path,
        values={"region": "us-east-1"},
        config_root=tmp_path,
        wrap={"service-quotas": quotas(100, 5)},
    )
    assert result.code == 0, result.stdout
    assert result.json()["ok"] is True


def test_the_command_exits_1_and_names_the_failed_check(aws, tmp_path):
    ecr_image("aws-xray-daemon", "3.3.14")
    ecs_service_linked_role()
    stack_file(tmp_path, certificate([DOMAIN], 365))
    result = run_cli(
        ["preflight", "--stack", "prod"],
        tmp_path,
        values={"region": "us-east-1"},
        config_root=tmp_path,
        wrap={"service-quotas": quotas(100, 5)},
    )
    assert result.code == 1
    assert "FAIL  image (web)" in result.stdout
    assert "Traceback" not in result.stderr


def test_an_invalid_stack_config_is_an_error_naming_the_key(aws, tmp_path):
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  aws:region: us-east-1\n  webapp:profile: prod\n")
    result = run_cli(["preflight", "--stack", "prod"], tmp_path, config_root=tmp_path)
    assert result.code == 2
    assert "prod: dns: required" in result.stderr
