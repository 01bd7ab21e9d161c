"""The stack's typed settings: `Pulumi.<stack>.yaml` -> one validated `StackSettings`.

Data flows one way: raw stack config -> `load_settings` (tier defaults, pydantic, cross-field
rules) -> components. Components receive slices of `StackSettings`, never `pulumi.Config`.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Literal, Optional

from pydantic import Field, ValidationError, field_validator

from .alarms import AlarmSettings
from .base import Model, Problem
from .cache import CacheSettings
from .database import DatabaseSettings
from .edge import DnsSettings, FirewallSettings, LoadBalancerSettings
from .network import NetworkSettings
from .services import ServiceSettings, service_list_problems
from .tiers import TIER_DEFAULTS, with_tier_defaults

PROJECT = "webapp"
REGION_KEY = "aws:region"


class Tags(Model):
    owner: str = Field(min_length=1)
    cost_center: str = Field(min_length=1)
    extra: dict[str, str] = {}


class StackSettings(Model):
    """Everything a stack deploys, validated as a whole."""

    stack: str
    tier: Literal["prod", "staging"]
    region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    tags: Tags
    network: NetworkSettings
    dns: DnsSettings
    load_balancer: LoadBalancerSettings = LoadBalancerSettings()
    firewall: FirewallSettings = FirewallSettings()
    services: list[ServiceSettings] = Field(min_length=1)
    database: DatabaseSettings
    cache: CacheSettings
    alarms: AlarmSettings = AlarmSettings()

    def problems(self, tier: str) -> Iterator[Problem]:
        for key in ("network", "dns", "load_balancer", "firewall", "database", "cache", "alarms"):
            for problem in getattr(self, key).problems(tier):
                yield problem.under(StackSettings.model_fields[key].alias or key)
        for index, service in enumerate(self.services):
            for problem in service.problems(tier):
                yield problem.under(f"services[{index}]")
        for problem in service_list_problems(self.services):
            yield problem.under("services")

    @property
    def web_service(self) -> ServiceSettings:
        return next(s for s in self.services if s.kind == "web")

    def default_tags(self) -> dict[str, str]:
        """Tags every taggable resource carries, through the provider's default tags."""
        return {
            "environment": self.stack,
            "project": PROJECT,
            "owner": self.tags.owner,
            "cost-center": self.tags.cost_center,
            "managed-by": "pulumi",
            **self.tags.extra,
        }


class ConfigError(Exception):
    """A stack config that cannot be deployed; `lines` holds one line per problem."""

    def __init__(self, stack: str, problems: list[Problem]):
        self.lines = [f"{stack}: {p.key}: {p.message} (got {_show(p.value)})" for p in problems]
        super().__init__("\n".join(self.lines))


def load_settings(stack: str, config: dict[str, Any]) -> StackSettings:
    """Validate a stack's config.

    `config` maps full config keys (`webapp:network`, `aws:region`) to their values, already
    parsed from YAML/JSON. Raises `ConfigError` listing every problem at once.
    """
    prefix = f"{PROJECT}:"
    raw: dict[str, Any] = {
        key[len(prefix):]: value for key, value in config.items() if key.startswith(prefix)
    }
    raw["stack"] = stack
    raw.setdefault("region", config.get(REGION_KEY))
    tier = raw.get("tier")
    if tier not in TIER_DEFAULTS:
        raise ConfigError(stack, [Problem("tier", f"must be one of {', '.join(TIER_DEFAULTS)}", tier)])
    try:
        settings = StackSettings.model_validate(with_tier_defaults(tier, raw))
    except ValidationError as exc:
        raise ConfigError(stack, [_from_pydantic(error, raw) for error in exc.errors()]) from None
    problems = list(settings.problems(tier))
    if problems:
        raise ConfigError(stack, problems)
    return settings


def _from_pydantic(error: dict[str, Any], raw: dict[str, Any]) -> Problem:
    key = _key(error["loc"])
    if error["type"] == "extra_forbidden":
        return Problem(key, "unknown key", error["input"])
    if error["type"] == "missing":
        return Problem(key, "required", None)
    message = error["msg"]
    message = re.sub(r"^Value error, ", "", message)
    message = re.sub(r"^String should match pattern '(.*)'$", r"must match \1", message)
    return Problem(key, message[0].lower() + message[1:], error["input"])


def _key(loc: tuple[Any, ...]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    if key == "region":
        return REGION_KEY
    return key


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
