"""Fargate service settings: one `web` service behind the load balancer and optional workers."""

from __future__ import annotations

from typing import Iterator, Literal, Optional

from pydantic import Field

from .base import LogRetentionDays, Model, Problem

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


class ServiceSettings(Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")
    kind: Literal["web", "worker"] = "web"
    image: str = Field(min_length=1)
    command: Optional[list[str]] = None
    cpu: int
    memory: int
    architecture: Literal["ARM64", "X86_64"] = "ARM64"
    port: int = Field(default=8080, ge=1, le=65535)
    health_check_path: Optional[str] = Field(default=None, pattern=r"^/")
    desired_count: int = Field(ge=0)
    min_count: int = Field(ge=0)
    max_count: int = Field(ge=1)
    environment: dict[str, str] = {}
    log_retention_days: LogRetentionDays = 365

    def problems(self, tier: str) -> Iterator[Problem]:
        allowed = FARGATE_SIZES.get(self.cpu)
        if allowed is None:
            yield Problem("cpu", f"Fargate accepts {', '.join(map(str, FARGATE_SIZES))} CPU units", self.cpu)
        elif self.memory not in allowed:
            yield Problem(
                "memory",
                f"Fargate with {self.cpu} CPU units accepts {allowed[0]}-{allowed[-1]} MiB in steps of "
                f"{allowed[1] - allowed[0]}",
                self.memory,
            )
        if not self.min_count <= self.desired_count <= self.max_count:
            yield Problem(
                "desiredCount",
                f"task counts must satisfy minCount ({self.min_count}) <= desiredCount <= maxCount ({self.max_count})",
                self.desired_count,
            )
        if tier == "prod" and self.min_count < MIN_PROD_TASKS:
            yield Problem("minCount", f"prod runs at least {MIN_PROD_TASKS} tasks per service", self.min_count)
        if self.kind == "web" and not self.health_check_path:
            yield Problem("healthCheckPath", "a web service needs a health check path", self.health_check_path)


def service_list_problems(services: list[ServiceSettings]) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, service in enumerate(services):
        if service.name in seen:
            yield Problem(f"[{index}].name", "duplicate service name", service.name)
        seen.add(service.name)
    web = [s.name for s in services if s.kind == "web"]
    if len(web) != 1:
        yield Problem("", "exactly one service of kind web is required", web)
