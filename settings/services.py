"""Fargate service settings: one `web` service behind the load balancer and optional workers."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from policies.webapp_policies.names import FORBIDDEN_NAMES, credential_problem

from .base import LogRetentionDays, Model, Problem, alias

# AWS's table of valid Fargate task sizes (Linux): CPU units -> allowed memory in MiB.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
MIN_PROD_TASKS = 2
# ECS accepts a blue/green bake time of 0-1440 minutes.
MAX_BAKE_MINUTES = 1440
# ECS deployment configuration ranges (CreateService): canary percent 0.1-100, linear step
# percent 3-100, canary and step bake times 0-1440 minutes.
MIN_CANARY_PERCENT = 0.1
MIN_LINEAR_STEP_PERCENT = 3.0
# `strategy` key -> ECS `deploymentConfiguration.strategy` of a web service.
STRATEGIES = {"blueGreen": "BLUE_GREEN", "canary": "CANARY", "linear": "LINEAR"}
_STRATEGY_KEYS = {
    "canary": ("canary_percent", "canary_bake_minutes"),
    "linear": ("linear_step_percent", "linear_step_bake_minutes"),
}

EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=255)]
# What a container `secrets[].valueFrom` accepts from Secrets Manager: the full secret ARN (with
# its 6-character suffix, so IAM can name exactly that secret), optionally followed by
# `:<json-key>:<version-stage>:<version-id>`.
_SECRET_REF = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?$"
)
_USER = re.compile(r"^[1-9]\d*(:\d+)?$")
# An image pinned by its content: `<repository>[:<tag>]@sha256:<64 hex>` (ECS pulls the digest;
# a tag beside it only tells readers which release it was).
PINNED_IMAGE = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")
# A private ECR repository: `<account>.dkr.ecr.<region>.amazonaws.com/<name>`.
PRIVATE_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[^:@\s]+")
UNPINNED = "prod pins images by digest: <repository>[:<tag>]@sha256:<64 hex> (python -m ops preflight prints the line)"


def _secret_ref(value: str) -> str:
    if not _SECRET_REF.match(value):
        raise ValueError(
            "must be a full Secrets Manager secret ARN (...:secret:<name>-<6 characters>), optionally followed by "
            ":<json-key>:<version-stage>:<version-id>"
        )
    return value


def _user(value: str) -> str:
    if not _USER.match(value):
        raise ValueError("must be a non-root numeric uid or uid:gid")
    return value


SecretRef = Annotated[str, AfterValidator(_secret_ref)]
KmsKeyArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$")]
# ALB health check success codes: 200-499, single codes, ranges and lists ("200", "200-299", "200,302").
_CODES = r"[2-4]\d\d(-[2-4]\d\d)?"
HealthMatcher = Annotated[str, Field(pattern=rf"^{_CODES}(,{_CODES})*$")]


def memory_choices(allowed: tuple[int, ...]) -> str:
    """The memory sizes as a user reads them: each value when there are few or the steps are
    uneven (256 CPU: 512, 1024 or 2048), otherwise the range and its step."""
    *head, last = allowed
    steps = {b - a for a, b in zip(allowed, allowed[1:], strict=False)}
    if len(head) < 4 or len(steps) > 1:
        return ", ".join(map(str, head)) + f" or {last} MiB"
    return f"{head[0]} to {last} MiB in steps of {steps.pop()}"


def secret_arn(value_from: str) -> str:
    """The secret's ARN in a `valueFrom` (which may add `:<json-key>:<stage>:<version>`)."""
    return ":".join(value_from.split(":")[:7])


class SmokeTest(Model):
    """One request the smoke test makes: GET `path` answers `expectStatus` (and its body holds
    `expectBodyContains`, when set)."""

    path: str = Field(pattern=r"^/[^\s]*$", max_length=2048)
    expect_status: int = Field(default=200, ge=100, le=599)
    expect_body_contains: str | None = Field(default=None, min_length=1)


# Each check runs within the hook's one invocation; a handful keeps it well inside its timeout.
MAX_SMOKE_TESTS = 10


class ServiceSettings(Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")
    kind: Literal["web", "worker"] = "web"
    image: str = Field(min_length=1)
    command: list[str] | None = None
    cpu: int
    memory: int
    architecture: Literal["ARM64", "X86_64"] = "ARM64"
    port: int = Field(default=8080, ge=1, le=65535)
    health_check_path: str | None = Field(default=None, pattern=r"^/")
    desired_count: int = Field(ge=0)
    min_count: int = Field(ge=0)
    max_count: int = Field(ge=1)
    # Docker HEALTHCHECK of the container, e.g. ["CMD-SHELL", "curl -fsS localhost:8080/healthz || exit 1"].
    container_health_command: list[str] | None = Field(default=None, min_length=2)
    # Non-root numeric uid[:gid] the container runs as.
    user: Annotated[str, AfterValidator(_user)] = "1000:1000"
    environment: dict[EnvName, str] = {}
    # Names in `environment` the credential-name rule refuses but that hold no credential
    # (e.g. PARTITION_KEY); the pack honours the same list (policies/webapp_policies/names.py).
    allowed_plain_names: list[EnvName] = []
    # Container env name -> Secrets Manager reference, injected by ECS at start.
    secrets: dict[EnvName, SecretRef] = {}
    # KMS keys (customer managed) the secrets above are encrypted with; the execution role may
    # decrypt with them through Secrets Manager only.
    secret_key_arns: list[KmsKeyArn] = []
    log_retention_days: LogRetentionDays = 365
    # HTTPS to the internet through NAT (0.0.0.0/0:443). Off: the tasks reach only the VPC
    # endpoints, S3 and the data stores; on for an app that calls third-party APIs, and in a VPC
    # without interface endpoints, where AWS APIs are reached through NAT.
    egress_to_internet: bool = False
    tracing: bool = True
    # The X-Ray daemon sidecar that relays the app's trace segments when tracing is on: a copy in
    # this account's private ECR (whoever controls a public repository would run code in the task).
    tracing_image: str | None = Field(default=None, min_length=1)

    # Load balancer health check (web): both target groups get exactly this one.
    health_check_matcher: HealthMatcher = "200"
    health_check_interval_seconds: int = Field(default=15, ge=5, le=300)
    health_check_timeout_seconds: int = Field(default=5, ge=2, le=120)
    healthy_threshold: int = Field(default=2, ge=2, le=10)
    unhealthy_threshold: int = Field(default=3, ge=2, le=10)
    health_check_grace_period_seconds: int = Field(default=60, ge=0, le=2_147_483_647)
    deregistration_delay_seconds: int = Field(default=30, ge=0, le=3600)
    # Blue/green (web): minutes both versions stay up after production traffic moved to the new
    # one, so a bad version can roll back at once (profile default in settings/profiles.py).
    bake_time_minutes: int | None = Field(default=None, ge=0, le=MAX_BAKE_MINUTES)
    # How production traffic moves to the new version (web): all at once after the test
    # listener's checks (blueGreen), a slice first (canary), or in equal steps (linear).
    strategy: Literal["blueGreen", "canary", "linear"] = "blueGreen"
    # Canary: the share of production traffic the new version takes first, and how long it
    # holds before the rest moves.
    canary_percent: float = Field(default=10.0, ge=MIN_CANARY_PERCENT, le=100)
    canary_bake_minutes: int = Field(default=10, ge=0, le=MAX_BAKE_MINUTES)
    # Linear: the share moved at each step, and the wait between steps.
    linear_step_percent: float = Field(default=20.0, ge=MIN_LINEAR_STEP_PERCENT, le=100)
    linear_step_bake_minutes: int = Field(default=3, ge=0, le=MAX_BAKE_MINUTES)
    # Checks the smoke-test hook runs on the test listener (the new version) before production
    # traffic moves (web); the health check path is always checked first.
    smoke_tests: list[SmokeTest] = Field(default=[], max_length=MAX_SMOKE_TESTS)

    # Autoscaling: target tracking between minCount and maxCount.
    cpu_target_percent: float = Field(default=60, gt=0, le=100)
    memory_target_percent: float = Field(default=70, gt=0, le=100)
    # Web: ALB requests per task per minute.
    requests_per_target: int = Field(default=1000, ge=1)
    scale_out_cooldown_seconds: int = Field(default=60, ge=0, le=3600)
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, le=3600)

    def problems(self, profile: str) -> Iterator[Problem]:
        allowed = FARGATE_SIZES.get(self.cpu)
        if allowed is None:
            yield Problem("cpu", f"Fargate accepts {', '.join(map(str, FARGATE_SIZES))} CPU units", self.cpu)
        elif self.memory not in allowed:
            yield Problem("memory", f"Fargate with {self.cpu} CPU units accepts {memory_choices(allowed)}", self.memory)
        if not self.min_count <= self.desired_count <= self.max_count:
            yield Problem(
                "desiredCount",
                f"task counts must satisfy minCount ({self.min_count}) <= desiredCount <= maxCount ({self.max_count})",
                self.desired_count,
            )
        if profile == "prod" and self.min_count < MIN_PROD_TASKS:
            yield Problem("minCount", f"prod runs at least {MIN_PROD_TASKS} tasks per service", self.min_count)
        if self.kind == "web" and not self.health_check_path:
            yield Problem("healthCheckPath", "a web service needs a health check path", self.health_check_path)
        if self.kind == "web" and self.bake_time_minutes is None:
            yield Problem("bakeTimeMinutes", f"a web service needs a bake time (0-{MAX_BAKE_MINUTES} minutes)", None)
        yield from self._strategy_problems()
        yield from self._credential_name_problems()
        for name in sorted(set(self.environment) & set(self.secrets)):
            yield Problem(f"secrets.{name}", "is also set in environment", name)
        if self.health_check_timeout_seconds >= self.health_check_interval_seconds:
            yield Problem(
                "healthCheckTimeoutSeconds",
                f"must be shorter than healthCheckIntervalSeconds ({self.health_check_interval_seconds})",
                self.health_check_timeout_seconds,
            )
        if self.scale_out_cooldown_seconds >= self.scale_in_cooldown_seconds:
            yield Problem(
                "scaleOutCooldownSeconds",
                f"scale-out must react faster than scale-in (scaleInCooldownSeconds {self.scale_in_cooldown_seconds})",
                self.scale_out_cooldown_seconds,
            )
        if self.tracing and self.tracing_image is None:
            yield Problem(
                "tracingImage", "required with tracing: the X-Ray daemon image in this account's private ECR", None
            )
        elif self.tracing and self.tracing_image and not PRIVATE_ECR_IMAGE.match(self.tracing_image):
            yield Problem(
                "tracingImage",
                "must come from a private ECR repository (<account>.dkr.ecr.<region>.amazonaws.com/<name>), "
                "not a public registry",
                self.tracing_image,
            )
        if self.container_health_command and self.container_health_command[0] not in ("CMD", "CMD-SHELL"):
            first = self.container_health_command[0]
            yield Problem("containerHealthCommand", "must start with CMD or CMD-SHELL", first)

    @property
    def ecs_strategy(self) -> str:
        """ECS `deploymentConfiguration.strategy`: a worker rolls, a web service as configured."""
        return STRATEGIES[self.strategy] if self.kind == "web" else "ROLLING"

    @property
    def traffic_shift_minutes(self) -> int:
        """Minutes a deploy spends moving production traffic: the canary's bake, or the bake
        after each linear step but the last (ECS waits after every step that is not 100%)."""
        if self.kind != "web" or self.strategy == "blueGreen":
            return 0
        if self.strategy == "canary":
            return self.canary_bake_minutes
        return (math.ceil(100 / self.linear_step_percent) - 1) * self.linear_step_bake_minutes

    def _strategy_problems(self) -> Iterator[Problem]:
        """Strategy keys belong to the strategy that reads them, and workers deploy rolling."""
        if self.kind == "worker":
            # A rolling deploy has no bake: a worker's bake time would be silently ignored.
            web_only = (
                "strategy",
                "bake_time_minutes",
                "smoke_tests",
                *_STRATEGY_KEYS["canary"],
                *_STRATEGY_KEYS["linear"],
            )
            for key in web_only:
                if key in self.model_fields_set:
                    yield Problem(
                        alias(ServiceSettings, key), "only a web service has it (workers deploy rolling)", "set"
                    )
            return
        for strategy, keys in _STRATEGY_KEYS.items():
            if strategy != self.strategy:
                for key in keys:
                    if key in self.model_fields_set:
                        value = getattr(self, key)
                        yield Problem(alias(ServiceSettings, key), f"applies to strategy {strategy} only", value)

    def pin_problems(self) -> Iterator[Problem]:
        """The images of the service that are not pinned by digest (prod refuses them)."""
        if not PINNED_IMAGE.match(self.image):
            yield Problem("image", UNPINNED, self.image)
        if self.tracing and self.tracing_image and not PINNED_IMAGE.match(self.tracing_image):
            yield Problem("tracingImage", UNPINNED, self.tracing_image)

    @property
    def images(self) -> list[str]:
        """The images a task of the service runs: the app's, and the X-Ray daemon's with tracing."""
        return [self.image] + ([self.tracing_image] if self.tracing and self.tracing_image else [])

    def _credential_name_problems(self) -> Iterator[Problem]:
        """A plain variable named like a credential belongs in `secrets`, where only a Secrets
        Manager reference reaches the task definition (the rule: policies/webapp_policies/names.py)."""
        for name in sorted(self.environment):
            problem = credential_problem(name, self.allowed_plain_names)
            if problem:
                # The value is never echoed: it may be the credential itself.
                remedy = "put it in secrets as a Secrets Manager ARN, or in allowedPlainNames if it is none"
                yield Problem(f"environment.{name}", f"{problem}: {remedy}", "[hidden]")
        for index, name in enumerate(self.allowed_plain_names):
            key = f"allowedPlainNames[{index}]"
            if name.upper() in FORBIDDEN_NAMES:
                yield Problem(key, "can never be allowed in plain environment (Security Hub ECS.8)", name)
            elif name not in self.environment:
                yield Problem(key, "is not a name of this service's environment", name)
            elif credential_problem(name) is None:
                yield Problem(key, "the credential-name rule accepts it already; remove it", name)


def service_list_problems(services: list[ServiceSettings]) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, service in enumerate(services):
        if service.name in seen:
            yield Problem(f"[{index}].name", "duplicate service name", service.name)
        seen.add(service.name)
    web = [s.name for s in services if s.kind == "web"]
    if len(web) != 1:
        yield Problem("", "exactly one service of kind web is required", web)
