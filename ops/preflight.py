"""`preflight`: what would make `pulumi up` fail late, checked before it starts.

Each check passes or fails with a reason; an AWS error inside a check (a missing permission
included) fails that check, not the run. When the credentials do not work nothing else runs.

Images: an image named by tag is resolved to its digest in ECR (`ecr:DescribeImages`) and the
report ends with the stack-file lines that pin it (`image: <repository>:<tag>@sha256:<digest>`),
which prod requires; an image named by digest must exist, and the report says when its tag has
moved to another image since.

The expected account comes from `aws:allowedAccountIds` in the stack file when set (the AWS
provider's own setting), otherwise from the registry account of the stack's ECR images: the
team pushes images to the account it deploys to. A stack pulling images from a central registry
account must set `aws:allowedAccountIds`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from settings import PROJECT, StackSettings

from .aws import DESCRIBE_SERVICES_MAX, Aws, chunks, describe_error, error_code
from .command import Command
from .outputs import Outputs
from .progress import Clock

COMMAND = Command(
    name="preflight",
    summary="check what would make `pulumi up` fail late",
    description=(
        "Before a deploy: the credentials are for the stack's account, the images exist in ECR, "
        "the certificate is issued and valid for 30 days more, the hosted zone exists, the ECS "
        "service-linked role exists, and the Fargate vCPU and Elastic IP quotas leave room for the "
        "deploy. Works before the first deploy too, from the stack config alone. Changes nothing."
    ),
    failed="a check failed; each failed check says why",
    examples=("python -m ops preflight --stack prod", "python -m ops preflight --stack staging --json"),
    optional_outputs=("region", "certificateArn", "clusterName", "serviceNames"),
)
CERTIFICATE_MIN_DAYS = 30
ECS_SERVICE_LINKED_ROLE = "AWSServiceRoleForECS"
FARGATE_VCPU_QUOTA = ("fargate", "L-3032A538")  # Fargate On-Demand vCPU resource count
EIP_QUOTA = ("ec2", "L-0263D0A3")  # EC2-VPC Elastic IPs
# Where Fargate vCPU usage is published when the quota does not say (AWS/Usage, per minute).
FARGATE_USAGE_METRIC = {
    "MetricNamespace": "AWS/Usage",
    "MetricName": "ResourceCount",
    "MetricDimensions": {"Service": "Fargate", "Type": "Resource", "Resource": "vCPU", "Class": "Standard/OnDemand"},
    "MetricStatisticRecommendation": "Maximum",
}
# A deploy runs old and new tasks side by side at full size: blue/green keeps blue until the
# bake time ends, a rolling deploy may go to maximumPercent 200.
DEPLOY_PEAK_FACTOR = 2
ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    reason: str


@dataclass
class PreflightReport:
    stack: str
    region: str
    checks: list[CheckResult]
    # Stack-file lines that pin an image named by tag to its digest.
    pins: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "ok": self.ok,
            "checks": [{"name": c.name, "ok": c.ok, "reason": c.reason} for c in self.checks],
            "pins": self.pins,
        }

    def render(self) -> str:
        width = max(len(c.name) for c in self.checks)
        lines = [f"preflight of stack {self.stack} ({self.region})"]
        lines += [f"  {'PASS' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.reason}" for c in self.checks]
        failed = sum(not c.ok for c in self.checks)
        lines.append(
            f"{failed} of {len(self.checks)} checks failed" if failed else f"all {len(self.checks)} checks passed"
        )
        if self.pins:
            lines.append(f"pin the images by digest (paste into Pulumi.{self.stack}.yaml):")
            lines += [f"  {pin}" for pin in self.pins]
        return "\n".join(lines)


@dataclass(frozen=True)
class EcrImage:
    account: str
    region: str
    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, image: str) -> EcrImage | None:
        match = ECR_IMAGE.match(image)
        if not match:
            return None
        tag = match["tag"] or (None if match["digest"] else "latest")
        return cls(match["account"], match["region"], match["repository"], tag, match["digest"])

    def pinned(self, digest: str) -> str:
        """The image as prod names it: repository, tag and digest."""
        return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{self.repository}:{self.tag}@{digest}"

    @property
    def reference(self) -> dict[str, str]:
        return {"imageDigest": self.digest} if self.digest else {"imageTag": self.tag or "latest"}


def run(
    settings: StackSettings,
    outputs: Outputs | None,
    aws: Aws,
    clock: Clock,
    allowed_accounts: Iterable[str] = (),
) -> PreflightReport:
    report = PreflightReport(settings.stack, settings.region, [])
    try:
        identity = aws.client("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        report.checks.append(CheckResult("credentials", False, describe_error(error)))
        return report
    report.checks.append(CheckResult("credentials", True, identity["Arn"]))
    account = identity["Account"]
    checks: list[tuple[str, Callable[[], tuple[bool, str]]]] = [
        ("account", lambda: _account(account, settings, list(allowed_accounts))),
        ("region", lambda: _region(settings, outputs)),
    ]
    tracing = {s.tracing_image for s in settings.services if s.tracing and s.tracing_image}
    for key, label, images in (
        ("image", "image", {s.image for s in settings.services}),
        ("tracingImage", "tracing image", tracing),
    ):
        for image in sorted(images):
            users = ", ".join(s.name for s in settings.services if image in s.images)
            pin = _Pin(key, users, report.pins)
            checks.append((f"{label} ({users})", lambda image=image, pin=pin: _image(aws, image, pin)))
    checks += [
        ("certificate", lambda: _certificate(aws, settings, outputs, clock.now())),
        ("hosted zone", lambda: _hosted_zone(aws, settings)),
        ("ECS service-linked role", lambda: _service_linked_role(aws)),
        ("Fargate vCPU quota", lambda: _fargate_quota(aws, settings, outputs, clock.now())),
        ("Elastic IP quota", lambda: _eip_quota(aws, settings)),
    ]
    report.checks += [_guarded(name, check) for name, check in checks]
    return report


def _guarded(name: str, check: Callable[[], tuple[bool, str]]) -> CheckResult:
    try:
        ok, reason = check()
    except (ClientError, BotoCoreError) as error:
        return CheckResult(name, False, describe_error(error))
    return CheckResult(name, ok, reason)


def _account(account: str, settings: StackSettings, allowed: list[str]) -> tuple[bool, str]:
    if allowed:
        source = "aws:allowedAccountIds"
    else:
        allowed = [image.account for image in map(EcrImage.parse, (s.image for s in settings.services)) if image][:1]
        source = "the ECR registry of the images"
    if not allowed:
        return True, f"account {account}; nothing to compare with (set aws:allowedAccountIds to pin the account)"
    if account in allowed:
        return True, f"account {account}, as {source} expects"
    return False, f"credentials are for account {account}, {source} expects {', '.join(allowed)}"


def _region(settings: StackSettings, outputs: Outputs | None) -> tuple[bool, str]:
    deployed = outputs.get("region") if outputs else None
    if deployed is None:
        return True, f"{settings.region} (the stack has no outputs yet: first deploy)"
    if deployed != settings.region:
        return False, (
            f"aws:region is {settings.region} but the stack is deployed in {deployed}: "
            "changing the region replaces every resource"
        )
    return True, f"{settings.region}, where the stack is deployed"


@dataclass(frozen=True)
class _Pin:
    """Where a resolved image's pinning line goes: the stack-file key, the services using it."""

    key: str
    users: str
    lines: list[str]

    def add(self, image: EcrImage, digest: str) -> None:
        self.lines.append(f"{self.key}: {image.pinned(digest)}  # {self.users}")


def _image(aws: Aws, image: str, pin: _Pin) -> tuple[bool, str]:
    ecr_image = EcrImage.parse(image)
    if ecr_image is None:
        return True, f"{image} is not in ECR (public registry): not checked"
    ecr = aws.client("ecr", ecr_image.region)
    where = f"repository {ecr_image.repository} (account {ecr_image.account}, {ecr_image.region})"
    wanted = ecr_image.digest or f"tag {ecr_image.tag}"
    try:
        details = ecr.describe_images(
            registryId=ecr_image.account, repositoryName=ecr_image.repository, imageIds=[ecr_image.reference]
        )["imageDetails"]
    except ClientError as error:
        if error_code(error) == "ImageNotFoundException":
            return False, f"{wanted} not found in {where}"
        if error_code(error) == "RepositoryNotFoundException":
            return False, f"{where} does not exist"
        raise
    detail = details[0] if details else {}
    pushed = detail.get("imagePushedAt")
    found = f"{wanted} in {where}" + (f", pushed {pushed:%Y-%m-%d}" if pushed else "")
    digest = detail.get("imageDigest")
    if ecr_image.digest is None and digest:
        pin.add(ecr_image, digest)
        return True, f"{found}: {digest} (pin it: see below)"
    if ecr_image.digest and ecr_image.tag and ecr_image.tag not in detail.get("imageTags", [ecr_image.tag]):
        return True, f"{found}; tag {ecr_image.tag} now names another image (the digest still pins this one)"
    return True, found


def covers(domain: str, names: Iterable[str]) -> bool:
    """Whether a certificate for `names` is valid for `domain` (a wildcard covers one label)."""
    domain = domain.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in names):
        if name == domain:
            return True
        if name.startswith("*.") and "." in domain and domain.split(".", 1)[1] == name[2:]:
            return True
    return False


def _certificate(aws: Aws, settings: StackSettings, outputs: Outputs | None, now: datetime) -> tuple[bool, str]:
    dns = settings.dns
    arn = dns.certificate_arn or (outputs.get("certificateArn") if outputs else None)
    if not arn:
        return (
            True,
            f"none configured: the stack requests one for {dns.domain}, validated by DNS in {dns.hosted_zone_id}",
        )
    region = arn.split(":")[3]
    if region != settings.region:
        return (
            False,
            f"{arn} is in {region}; the load balancer in {settings.region} needs a certificate of its own region",
        )
    certificate = aws.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    problems = []
    if certificate["Status"] != "ISSUED":
        problems.append(f"status is {certificate['Status']}, not ISSUED")
    names = certificate.get("SubjectAlternativeNames") or [certificate["DomainName"]]
    if not covers(dns.domain, names):
        problems.append(f"does not cover {dns.domain} (names: {', '.join(names)})")
    not_after = certificate.get("NotAfter")
    if not_after is not None:
        left = not_after - now
        if left < timedelta(days=CERTIFICATE_MIN_DAYS):
            problems.append(
                f"expires {not_after:%Y-%m-%d}, in {max(left.days, 0)} days (needs at least {CERTIFICATE_MIN_DAYS})"
            )
    if problems:
        return False, f"{_short_arn(arn)}: " + "; ".join(problems)
    until = f", valid until {not_after:%Y-%m-%d}" if not_after else ""
    return True, f"{_short_arn(arn)}: ISSUED, covers {dns.domain}{until}"


def _hosted_zone(aws: Aws, settings: StackSettings) -> tuple[bool, str]:
    zone_id = settings.dns.hosted_zone_id
    if not zone_id:
        return True, "none configured: DNS records are managed outside the stack"
    try:
        zone = aws.client("route53").get_hosted_zone(Id=zone_id)["HostedZone"]
    except ClientError as error:
        if error_code(error) == "NoSuchHostedZone":
            return False, f"hosted zone {zone_id} does not exist in this account"
        raise
    name = zone["Name"].rstrip(".")
    domain = settings.dns.domain
    if zone.get("Config", {}).get("PrivateZone"):
        return False, f"{zone_id} ({name}) is a private zone; the public domain needs a public zone"
    if domain != name and not domain.endswith(f".{name}"):
        return False, f"{zone_id} is the zone of {name}, which does not contain {domain}"
    return True, f"{zone_id} ({name}) holds {domain}"


def _service_linked_role(aws: Aws) -> tuple[bool, str]:
    try:
        role = aws.client("iam").get_role(RoleName=ECS_SERVICE_LINKED_ROLE)["Role"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return False, (
                f"{ECS_SERVICE_LINKED_ROLE} does not exist; create it once per account: "
                "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com"
            )
        raise
    return True, role["Arn"]


def _quota(aws: Aws, service: str, code: str) -> dict[str, Any]:
    quotas = aws.client("service-quotas")
    try:
        return quotas.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]
    except ClientError as error:
        if error_code(error) != "NoSuchResourceException":
            raise
    # Never adjusted in this account: the AWS default applies.
    return quotas.get_aws_default_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]


def _fargate_quota(aws: Aws, settings: StackSettings, outputs: Outputs | None, now: datetime) -> tuple[bool, str]:
    quota = _quota(aws, *FARGATE_VCPU_QUOTA)
    limit = float(quota["Value"])
    in_use = _usage(aws.client("cloudwatch"), quota.get("UsageMetric") or FARGATE_USAGE_METRIC, now)
    own = _stack_vcpus(aws, outputs)
    peak = sum(DEPLOY_PEAK_FACTOR * s.max_count * s.cpu / 1024 for s in settings.services)
    needed = max(in_use - own, 0) + peak
    reason = (
        f"quota {limit:g} vCPU; in use {in_use:g} ({own:g} by this stack); the stack peaks at {peak:g} "
        f"(max tasks x {DEPLOY_PEAK_FACTOR} during a deploy), so {needed:g} are needed"
    )
    return needed <= limit, reason


def _usage(cloudwatch: Any, metric: dict[str, Any], now: datetime) -> float:
    """Highest usage over the last hour; 0 when nothing runs (no datapoints)."""
    statistic = metric.get("MetricStatisticRecommendation") or "Maximum"
    datapoints = cloudwatch.get_metric_statistics(
        Namespace=metric["MetricNamespace"],
        MetricName=metric["MetricName"],
        Dimensions=[{"Name": k, "Value": v} for k, v in metric.get("MetricDimensions", {}).items()],
        StartTime=now - timedelta(hours=1),
        EndTime=now,
        Period=300,
        Statistics=[statistic],
    )["Datapoints"]
    return max((point[statistic] for point in datapoints), default=0.0)


def _stack_vcpus(aws: Aws, outputs: Outputs | None) -> float:
    """vCPUs the stack's running tasks hold now (already part of the account's usage)."""
    cluster = outputs.get("clusterName") if outputs else None
    names = outputs.get("serviceNames") if outputs else None
    if not cluster or not names:
        return 0.0
    ecs = aws.client("ecs")
    total = 0.0
    for batch in chunks(names, DESCRIBE_SERVICES_MAX):
        for service in ecs.describe_services(cluster=cluster, services=batch)["services"]:
            if service["runningCount"]:
                definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
                total += service["runningCount"] * int(definition.get("cpu") or 0) / 1024
    return total


def _eip_quota(aws: Aws, settings: StackSettings) -> tuple[bool, str]:
    limit = float(_quota(aws, *EIP_QUOTA)["Value"])
    nat_gateways = settings.network.az_count if settings.network.nat_mode == "per-az" else 1
    addresses = aws.client("ec2").describe_addresses()["Addresses"]
    own = [a for a in addresses if _owned(a.get("Tags", []), settings.stack)]
    new = max(nat_gateways - len(own), 0)
    reason = (
        f"quota {limit:g} Elastic IPs; {len(addresses)} allocated ({len(own)} by this stack); "
        f"the stack's {nat_gateways} NAT gateway(s) need {new} more"
    )
    return len(addresses) + new <= limit, reason


def _owned(tags: list[dict[str, str]], stack: str) -> bool:
    """Tagged by this stack's provider default tags."""
    values = {tag["Key"]: tag["Value"] for tag in tags}
    return values.get("project") == PROJECT and values.get("environment") == stack


def _short_arn(arn: str) -> str:
    return "certificate/" + arn.rsplit("/", 1)[-1]
