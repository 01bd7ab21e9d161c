"""The stack's typed settings: `Pulumi.<stack>.yaml` -> one validated `StackSettings`.

Data flows one way: raw stack config -> `load_settings` (profile defaults, pydantic, cross-field
rules) -> components. Components receive slices of `StackSettings`, never `pulumi.Config`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from .alarms import AlarmSettings
from .base import Model, Problem
from .cache import CacheSettings
from .cost import BudgetSettings, UsageSettings
from .database import DatabaseSettings
from .edge import DnsSettings, FirewallSettings, LoadBalancerSettings
from .encryption import EncryptionSettings
from .network import NetworkSettings, vpc_size_problems
from .profiles import PROFILE_DEFAULTS, Profile, deep_merge, with_profile_defaults
from .recovery import RecoverySettings, overlap_problems
from .regions import Region, partition_of
from .services import ServiceSettings, service_list_problems

PROJECT = "webapp"
REGION_KEY = "aws:region"
# Provider settings the program reads from the `aws:` namespace: model field -> config key.
AWS_KEYS = {"region": REGION_KEY, "allowedAccountIds": "aws:allowedAccountIds"}
# What `profile` was called before it was named so; stack files that say it keep working.
LEGACY_PROFILE_KEY = "tier"


class Tags(Model):
    owner: str = Field(min_length=1)
    cost_center: str = Field(min_length=1)
    extra: dict[str, str] = {}


class StackSettings(Model):
    """Everything a stack deploys, validated as a whole."""

    stack: str
    # The kind of environment (settings/profiles.py): its defaults and the rules it must follow.
    profile: Profile
    region: Region
    # The accounts this stack may deploy to; the provider refuses any other (empty: no check).
    allowed_account_ids: list[Annotated[str, Field(pattern=r"^\d{12}$")]] = []
    # This stack shares an account with a stack of another profile on purpose (settings/accounts.py).
    shared_account_intentional: bool = False
    tags: Tags
    network: NetworkSettings
    dns: DnsSettings
    load_balancer: LoadBalancerSettings
    firewall: FirewallSettings
    services: list[ServiceSettings] = Field(min_length=1)
    database: DatabaseSettings
    cache: CacheSettings
    # The pilot light in the backup region (built only with database.crossRegionBackups).
    recovery: RecoverySettings = RecoverySettings()
    alarms: AlarmSettings = AlarmSettings()
    encryption: EncryptionSettings = EncryptionSettings()
    # The fixed monthly estimate `make plan` holds the stack to (none: not gated).
    budget: BudgetSettings | None = None
    usage: UsageSettings = UsageSettings()

    def problems(self, profile: str) -> Iterator[Problem]:
        for name in type(self).model_fields:
            yield from section_problems(name, getattr(self, name), profile)
        yield from self._backup_region_problems()
        yield from self._egress_problems()
        for problem in self.encryption.account_problems(self.allowed_account_ids):
            yield problem.under("encryption")
        for problem in vpc_size_problems(self.network, sum(s.max_count for s in self.services)):
            yield problem.under("network")

    def _egress_problems(self) -> Iterator[Problem]:
        """Without interface endpoints, ECR, CloudWatch Logs and Secrets Manager are reachable only
        through NAT: a service that may not egress to the internet could not start a task."""
        if self.network.interface_endpoints:
            return
        for index, service in enumerate(self.services):
            if not service.egress_to_internet:
                yield Problem(
                    f"services[{index}].egressToInternet",
                    "must be true when network.interfaceEndpoints is false (the tasks reach ECR, "
                    "CloudWatch Logs and Secrets Manager through NAT)",
                    service.egress_to_internet,
                )

    def _backup_region_problems(self) -> Iterator[Problem]:
        if not self.database.cross_region_backups:
            return
        yield from overlap_problems(self.recovery, self.network.vpc_cidr)
        backup_region = self.database.backup_replication_region
        if backup_region == self.region:
            yield Problem(
                "database.backupReplicationRegion",
                f"must be another region than aws:region ({self.region})",
                backup_region,
            )
        elif partition_of(backup_region) != partition_of(self.region):
            # RDS replicates automated backups only between regions of one partition.
            yield Problem(
                "database.backupReplicationRegion",
                f"must be in aws:region's partition ({partition_of(self.region)})",
                backup_region,
            )

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


def section_problems(name: str, value: Any, profile: str) -> Iterator[Problem]:
    """Cross-field problems of one top-level section, keys prefixed with its YAML key."""
    key = StackSettings.model_fields[name].alias or name
    if isinstance(value, Model):
        for problem in value.problems(profile):
            yield problem.under(key)
    elif name == "services":
        for index, service in enumerate(value):
            for problem in service.problems(profile):
                yield problem.under(f"{key}[{index}]")
        for problem in service_list_problems(value):
            yield problem.under(key)


class ConfigError(Exception):
    """A stack config that cannot be deployed; `lines` holds one line per problem."""

    def __init__(self, stack: str, problems: list[Problem]):
        self.lines = [f"{stack}: {p.key}: {p.message} (got {_show(p.value)})" for p in problems]
        super().__init__("\n".join(self.lines))


def load_settings(stack: str, config: dict[str, Any], pinned_images: bool = True) -> StackSettings:
    """Validate a stack's config.

    `config` maps full config keys (`webapp:network`, `aws:region`) to their values, already
    parsed from YAML/JSON. Raises `ConfigError` listing every problem at once. `pinned_images`
    False lets a prod stack name images by tag: only for `ops preflight`, which resolves them.
    """
    prefix = f"{PROJECT}:"
    raw: dict[str, Any] = {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
    raw["stack"] = stack
    for field, key in AWS_KEYS.items():
        if key in config:
            raw.setdefault(field, config[key])
    profile = _profile(stack, raw)
    merged = with_profile_defaults(profile, raw)
    try:
        settings = StackSettings.model_validate(merged)
    except ValidationError as exc:
        problems = [_from_pydantic(error) for error in exc.errors()]
        raise ConfigError(stack, problems + _problems_of_valid_sections(merged, exc, profile)) from None
    problems = list(settings.problems(profile))
    if pinned_images and profile == "prod":
        problems += [
            problem.under(f"services[{index}]")
            for index, service in enumerate(settings.services)
            for problem in service.pin_problems()
        ]
    if problems:
        raise ConfigError(stack, problems)
    return settings


def _profile(stack: str, raw: dict[str, Any]) -> str:
    """The stack's profile (`profile`; stack files written before it was named so say `tier`,
    which is still read). Removes `tier` from `raw`."""
    legacy = raw.pop(LEGACY_PROFILE_KEY, None)
    if legacy is not None and raw.get("profile", legacy) != legacy:
        problem = Problem(
            LEGACY_PROFILE_KEY, f"is the former name of profile ({raw['profile']}); set profile only", legacy
        )
        raise ConfigError(stack, [problem])
    profile = raw.setdefault("profile", legacy)
    if profile not in PROFILE_DEFAULTS:
        raise ConfigError(stack, [Problem("profile", f"must be one of {', '.join(PROFILE_DEFAULTS)}", profile)])
    return profile


def with_usage(usage: UsageSettings, overrides: Any, source: str) -> UsageSettings:
    """`usage` with the keys of `overrides` (a parsed `--usage` file) laid over it.

    Raises `ConfigError` whose lines name `source` and the key, as stack config errors do.
    """
    if not isinstance(overrides, dict):
        raise ConfigError(source, [Problem("usage", "must be a mapping of usage keys", type(overrides).__name__)])
    merged = deep_merge(usage.model_dump(by_alias=True), overrides)
    try:
        return UsageSettings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(source, [_from_pydantic(error).under("usage") for error in exc.errors()]) from None


def _problems_of_valid_sections(merged: dict[str, Any], exc: ValidationError, profile: str) -> list[Problem]:
    """Cross-field problems of the sections that did validate, so one run reports everything."""
    failed = {error["loc"][0] for error in exc.errors() if error["loc"]}
    problems: list[Problem] = []
    for name, field in StackSettings.model_fields.items():
        key = field.alias or name
        # Every field of StackSettings is annotated: `annotation` is None only in pydantic's typing.
        if key in failed or key not in merged or field.annotation is None:
            continue
        try:
            value = TypeAdapter(field.annotation).validate_python(merged[key])
        except ValidationError:
            continue
        problems.extend(section_problems(name, value, profile))
    return problems


def _from_pydantic(error: ErrorDetails) -> Problem:
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
    head, dot, rest = key.partition(".")
    head, bracket, index = head.partition("[")
    if head in AWS_KEYS:
        return AWS_KEYS[head] + bracket + index + dot + rest
    return key


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
