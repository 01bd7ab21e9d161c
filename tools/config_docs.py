"""Configuration tables of the docs, rendered from the settings models.

Each table lists one section of `Pulumi.<stack>.yaml`: every key the model accepts, its type
(read from the annotation and its constraints), its value in the prod and staging profiles
(profile defaults laid over the model's defaults, exactly what `load_settings` does) and what it
means. The meanings are written here, one per key; a key the models accept without a meaning
below stops the generator, so a new setting cannot land undocumented. `webapp:alarms` has its
own table (`settings.alarms.settings_table`): its meanings live in the model's descriptions.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from settings import AWS_KEYS, StackSettings
from settings.cache import CacheSettings
from settings.cost import BudgetSettings, LogUsage, UsageSettings
from settings.database import DatabaseSettings
from settings.edge import DnsSettings, FirewallSettings, LoadBalancerSettings
from settings.network import NetworkSettings
from settings.profiles import PROFILE_DEFAULTS
from settings.recovery import RecoverySettings
from settings.services import ServiceSettings
from tools.policy_docs import cell

PROFILES = tuple(PROFILE_DEFAULTS)

# What each key means, by its path in the stack file (`section.key`; `services[]` for each
# entry of the service list). Types, defaults and profile values come from the code.
MEANINGS: dict[str, str] = {
    "aws:region": "region of the stack (the provider is created from it)",
    "aws:allowedAccountIds": "accounts the stack may deploy to; the provider refuses any other (empty: no check)",
    "sharedAccountIntentional": "this stack shares an account of `aws:allowedAccountIds` with a stack of another "
    "profile on purpose (both files must say so; otherwise `make plan` of every stack and the tests fail)",
    "profile": "selects the per-environment defaults in the other columns and the prod rules (`tier`, its former name, is still read)",
    "tags.owner": "tag `owner` on every taggable resource (provider default tags)",
    "tags.costCenter": "tag `cost-center` on every taggable resource",
    "tags.extra": "more default tags (`environment`, `project` and `managed-by` are always set)",
    "encryption.keyAdminRoleArns": "IAM roles of the stack's account that administer every KMS key (management "
    "only, no encrypt or decrypt); empty: the program creates the role `key-admin` (docs/data-tier.md)",
    # network
    "network.vpcCidr": "the VPC's private IPv4 range, large enough for its subnets' load (see Validation); "
    "the subnets are derived from it",
    "network.azCount": "availability zones (prod at least 3, staging at least 2)",
    "network.natMode": "a NAT gateway per AZ, or one shared (prod: `per-az`)",
    "network.interfaceEndpoints": "ECR api/dkr, CloudWatch Logs, Secrets Manager, STS and X-Ray endpoints in the "
    "private subnets; off: every service needs `egressToInternet: true` (AWS APIs through NAT)",
    "network.interfaceEndpointAzCount": "AZs (the first ones) with a network interface of each endpoint; none: every "
    "AZ (prod: every AZ)",
    "network.flowLogRetentionDays": "retention of the VPC flow log group",
    # recovery
    "recovery.vpcCidr": "the recovery site's VPC range in the backup region; must not overlap `network.vpcCidr`",
    "recovery.azCount": "AZs of the backup region with a private and an isolated subnet (at least 2, for Multi-AZ)",
    "recovery.flowLogRetentionDays": "retention of the recovery site's flow log group",
    # dns
    "dns.domain": "the service's domain; the `url` output is `https://<domain>`",
    "dns.hostedZoneId": "Route 53 public zone for the alias record and the certificate's DNS validation",
    "dns.certificateArn": "an existing ACM certificate; without it one is issued for `domain` (needs `hostedZoneId`)",
    # loadBalancer
    "loadBalancer.tlsPolicy": "HTTPS listener policy: one of the six TLS 1.3 policies with a TLS 1.2 floor "
    "that Security Hub ELB.17 accepts; the `-Res-` default admits no CBC suite",
    "loadBalancer.hstsMaxAgeSeconds": "`Strict-Transport-Security` max-age the HTTPS listeners send, with "
    "`includeSubDomains` (at least one year)",
    "loadBalancer.idleTimeoutSeconds": "connection idle timeout",
    "loadBalancer.deletionProtection": "ALB deletion protection (prod: `true`)",
    "loadBalancer.desyncMitigationMode": "HTTP desync mitigation",
    "loadBalancer.accessLogExpiryDays": "access logs are deleted after this many days",
    "loadBalancer.testListenerPort": "port of the blue/green test listener (not 80 or 443)",
    "loadBalancer.testListenerCidrs": "who may reach the test listener (IPv4/IPv6, never `/0`)",
    # firewall
    "firewall.rateLimitPer5Minutes": "requests one IP may send in any 5 minutes before it is blocked",
    "firewall.managedRules": "mode of each AWS managed group (`AWSManagedRulesAmazonIpReputationList`, "
    "`AWSManagedRulesCommonRuleSet`, `AWSManagedRulesKnownBadInputsRuleSet`, `AWSManagedRulesSQLiRuleSet`); "
    "naming one keeps the profile's mode for the others",
    "firewall.logRetentionDays": "retention of the WAF log group",
    # services[]
    "services[].name": "service name, unique in the stack",
    "services[].kind": "exactly one `web` service (behind the ALB, blue/green); workers have no load balancer",
    "services[].image": "container image (a private ECR image gets pull rights on its repository only); prod: "
    "`<repository>[:<tag>]@sha256:<64 hex>` (`python -m ops preflight` prints it)",
    "services[].command": "container command",
    "services[].cpu": "task CPU units (a Fargate size)",
    "services[].memory": "task memory in MiB (a size Fargate allows with `cpu`)",
    "services[].architecture": "runtime platform",
    "services[].port": "container port (web)",
    "services[].healthCheckPath": "ALB health check path of both target groups (required for web)",
    "services[].desiredCount": "initial task count (then autoscaling's); `minCount <= desiredCount <= maxCount`",
    "services[].minCount": "autoscaling lower bound (prod at least 2)",
    "services[].maxCount": "autoscaling upper bound",
    "services[].containerHealthCommand": "Docker health check, `CMD` or `CMD-SHELL` first",
    "services[].user": "non-root numeric uid[:gid] the container runs as",
    "services[].environment": "plain environment; a name the credential-name rule refuses (DB_PASS, API_KEY; "
    "see Credential names) is rejected",
    "services[].allowedPlainNames": "names of `environment` the credential-name rule refuses that hold no "
    "credential (e.g. PARTITION_KEY); the policy pack honours the same list",
    "services[].secrets": "injected by ECS from Secrets Manager: full secret ARN, optionally "
    "`:<json-key>:<stage>:<version>`",
    "services[].secretKeyArns": "CMKs of those secrets; the execution role may decrypt through Secrets Manager only",
    "services[].logRetentionDays": "container log retention",
    "services[].tracing": "X-Ray daemon sidecar and X-Ray write rights on the task role",
    "services[].egressToInternet": "HTTPS to the internet through NAT; off: only the VPC endpoints, S3 and the data "
    "stores (docs/service-path.md)",
    "services[].tracingImage": "the X-Ray daemon's image in this account's private ECR (required with `tracing`); "
    "prod: pinned by digest",
    "services[].healthCheckMatcher": "ALB health check success codes (200-499, ranges and lists)",
    "services[].healthCheckIntervalSeconds": "ALB health check interval",
    "services[].healthCheckTimeoutSeconds": "ALB health check timeout (shorter than the interval)",
    "services[].healthyThreshold": "checks to become healthy",
    "services[].unhealthyThreshold": "checks to become unhealthy",
    "services[].healthCheckGracePeriodSeconds": "failing ALB health checks ignored this long after a task starts",
    "services[].deregistrationDelaySeconds": "connection draining of deregistered tasks",
    "services[].bakeTimeMinutes": "blue/green bake (web only; a worker refuses it): both versions stay up, an alarm "
    "rolls back",
    "services[].strategy": "how production traffic moves (web): `blueGreen` at once, `canary`, `linear`",
    "services[].canaryPercent": "canary: % of production traffic the new version takes first (0.1-100)",
    "services[].canaryBakeMinutes": "canary: minutes the slice holds before the rest moves (0-1440)",
    "services[].linearStepPercent": "linear: % of production traffic moved at each step (3-100)",
    "services[].linearStepBakeMinutes": "linear: minutes between steps (0-1440)",
    "services[].smokeTests": "checks the smoke-test hook runs on the test listener before production traffic "
    "moves (web): `[{path, expectStatus, expectBodyContains?}]`, after the health check path",
    "services[].cpuTargetPercent": "target tracking on average CPU",
    "services[].memoryTargetPercent": "target tracking on average memory",
    "services[].requestsPerTarget": "web: target ALB requests per task per minute",
    "services[].scaleOutCooldownSeconds": "cooldown after scaling out (shorter than scale-in)",
    "services[].scaleInCooldownSeconds": "cooldown after scaling in",
    # database
    "database.readReplicas": "read replicas of the primary (same key, Performance Insights, Enhanced Monitoring), "
    "in the isolated subnets of the AZs other than the primary's; services get them as `DATABASE_READ_HOSTS`",
    "database.replicaInstanceClass": "class of the read replicas (none: the primary's `instanceClass`)",
    "database.engineVersion": 'PostgreSQL major (`"17"`) or minor (`"17.4"`); the instance class must run it',
    "database.instanceClass": "RDS instance class (families and sizes in `settings/instance_classes.py`)",
    "database.allocatedStorageGb": "gp3 storage",
    "database.maxAllocatedStorageGb": "storage autoscaling ceiling, more than `allocatedStorageGb`",
    "database.databaseName": "initial database (not `postgres`, `rdsadmin`, `template0`, `template1`)",
    "database.masterUsername": "master user (not `admin`, `postgres`, `rdsadmin`, `root`)",
    "database.appUser": "the application's login role (IAM auth, `DATABASE_USER`); not the master, `pg_*`, `rds_*`",
    "database.caBundlePath": "where the app image holds the RDS CA bundle (`DATABASE_SSLROOTCERT`)",
    "database.port": "listener port; the security group rules and `DATABASE_PORT` follow",
    "database.multiAz": "Multi-AZ standby (prod: `true`)",
    "database.deletionProtection": "RDS deletion protection (prod: `true`)",
    "database.protect": "Pulumi `protect` on the instance, its keys and backup replication (prod: `true`)",
    "database.skipFinalSnapshot": "skip the final snapshot on delete (prod: `false`)",
    "database.applyImmediately": "apply changes now instead of in the maintenance window (prod: `false`)",
    "database.backupRetentionDays": "automated backups and point-in-time recovery (prod at least 7)",
    "database.backupWindow": "daily backup window, at least 60 minutes",
    "database.maintenanceWindow": "weekly maintenance window, not overlapping `backupWindow`",
    "database.crossRegionBackups": "replicate automated backups to `backupReplicationRegion` (prod: `true`)",
    "database.backupReplicationRegion": "region of the backup replica, not the stack's `aws:region`",
    "database.slowQueryMs": "`log_min_duration_statement`: slower statements are logged",
    "database.monitoringIntervalSeconds": "enhanced monitoring interval",
    "database.performanceInsightsRetentionDays": "Performance Insights retention",
    "database.caCertificate": "CA of the server certificate",
    "database.logRetentionDays": "retention of the `postgresql` and `upgrade` log groups",
    # cache
    "cache.clusterMode": "`enabled` splits the keyspace over `shards` (services get the configuration endpoint); "
    "`disabled` runs one shard of `numNodes`",
    "cache.shards": "shards (node groups) with cluster mode enabled",
    "cache.replicasPerShard": "replicas of each shard's primary with cluster mode enabled (Multi-AZ needs 1+)",
    "cache.deployedClusterMode": "the cluster mode the replication group was created with; `clusterMode` must equal it "
    "(a change replaces the group: change both on purpose)",
    "cache.engine": "ElastiCache engine",
    "cache.engineVersion": "engine version (valkey 7.2, 8.0, 8.1; redis 7.0, 7.1)",
    "cache.nodeType": "node type the engine runs on (no `cache.t2`)",
    "cache.numNodes": "primary plus replicas (prod at least 2; failover and Multi-AZ need 2)",
    "cache.automaticFailover": "promote a replica when the primary fails (prod: `true`)",
    "cache.multiAz": "replicas in other AZs (prod: `true`; needs `automaticFailover`)",
    "cache.protect": "Pulumi `protect` on the replication group and its key (prod: `true`)",
    "cache.applyImmediately": "apply changes now instead of in the maintenance window (prod: `false`)",
    "cache.snapshotRetentionDays": "daily snapshots kept (0 turns them off; prod at least 7)",
    "cache.snapshotWindow": "daily snapshot window",
    "cache.maintenanceWindow": "weekly maintenance window, not overlapping `snapshotWindow`",
    "cache.maxmemoryPolicy": "eviction policy when memory is full",
    "cache.logRetentionDays": "retention of the slow-log and engine-log groups",
    # budget and usage (docs/cost.md)
    "budget.monthlyUsd": "`make plan` fails when the fixed monthly estimate is over it (no `budget`: not gated)",
    "usage.requestsPerMonth": "HTTP requests through the load balancer, each inspected by WAF",
    "usage.albProcessedGb": "GB the load balancer processes a month (its LCUs)",
    "usage.internetEgressGb": "GB of responses to the internet a month",
    "usage.natProcessedGb": "GB through the NAT gateways a month",
    "usage.endpointProcessedGb": "GB through the interface endpoints a month",
    "usage.accessLogGb": "load balancer access logs written to S3 a month",
    "usage.databaseBackupGb": "size of the database's backups (the second region keeps all of it)",
    "usage.backupTransferGb": "backup data copied to the second region a month",
    "usage.logs": "GB ingested a month per log group, by kind (`usage.logs` table)",
    "usage.logs.service": "each service's log group",
    "usage.logs.network": "VPC flow logs",
    "usage.logs.firewall": "WAF logs",
    "usage.logs.database": "each PostgreSQL log export (`postgresql`, `upgrade`)",
    "usage.logs.cache": "each cache log delivery (slow log, engine log)",
    "usage.logs.other": "a log group of any other component",
}

# Sections with a table of their own: block name -> (stack-file section, model).
SECTIONS: dict[str, tuple[str, type[BaseModel]]] = {
    "config-network": ("network", NetworkSettings),
    "config-dns": ("dns", DnsSettings),
    "config-load-balancer": ("loadBalancer", LoadBalancerSettings),
    "config-firewall": ("firewall", FirewallSettings),
    "config-services": ("services[]", ServiceSettings),
    "config-database": ("database", DatabaseSettings),
    "config-cache": ("cache", CacheSettings),
    "config-recovery": ("recovery", RecoverySettings),
    "config-budget": ("budget", BudgetSettings),
    "config-usage": ("usage", UsageSettings),
    "config-usage-logs": ("usage.logs", LogUsage),
}
# Top-level keys that are not sections of their own (`stack` is the stack's name, not a setting).
_NOT_STACK_KEYS = {"stack", "alarms"} | {section.removesuffix("[]") for section, _ in SECTIONS.values()}

# Constrained types whose validator says more than the base type.
_VALIDATOR_LABELS = {
    "_log_retention": "days (a CloudWatch Logs value)",
    "daily_window": "`hh:mm-hh:mm` UTC",
    "weekly_window": "`ddd:hh:mm-ddd:hh:mm` UTC",
    "_tls_policy": "TLS policy name",
    "_cidr": "CIDR",
    "check_vpc_cidr": "CIDR",
    "_secret_ref": "secret ARN",
    "_user": "uid[:gid]",
    "_insights_retention": "days: 7, 731 or 31 x months",
}
_BASE_LABELS = {int: "int", float: "number", str: "str", bool: "bool"}


class UndocumentedKey(Exception):
    """A settings key with no entry in MEANINGS."""


def stack_table() -> str:
    """The top-level keys: provider settings, the profile and the tags."""
    rows = []
    for path, field in _stack_fields():
        if get_args(field.annotation) == PROFILES:
            values = [f"`{profile}`" for profile in PROFILES]
        else:
            values = [_value(_default(field))] * len(PROFILES)
        rows.append(_row(path, field, values))
    return _table(rows, first="key")


def setting_paths() -> list[str]:
    """Every key the tables document, as MEANINGS names it."""
    paths = [path for path, _ in _stack_fields()]
    for section, model in SECTIONS.values():
        paths += [f"{section}.{field.alias or name}" for name, field in model.model_fields.items()]
    return paths


def _stack_fields() -> Iterator[tuple[str, FieldInfo]]:
    """Top-level keys that are no section of their own, nested models flattened (`tags.owner`)."""
    for name, field in StackSettings.model_fields.items():
        key = field.alias or name
        if name in _NOT_STACK_KEYS or key in _NOT_STACK_KEYS:
            continue
        key = AWS_KEYS.get(key, key)
        model = _model_of(field.annotation)
        if model is None:
            yield key, field
        else:
            for inner_name, inner in model.model_fields.items():
                yield f"{key}.{inner.alias or inner_name}", inner


def section_table(block: str) -> str:
    """One section's table: `config-network`, `config-services`, ... (see SECTIONS)."""
    section, model = SECTIONS[block]
    rows = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        values = [_profile_value(section, key, field, profile) for profile in PROFILES]
        rows.append(_row(f"{section}.{key}", field, values, shown=key))
    return _table(rows, first=f"`{section}` key")


def _table(rows: list[str], first: str) -> str:
    header = f"| {first} | type | " + " | ".join(PROFILES) + " | meaning |"
    return "\n".join([header, "|---|---|" + "---|" * len(PROFILES) + "---|", *rows])


def _row(path: str, field: FieldInfo, values: list[str], shown: str | None = None) -> str:
    meaning = MEANINGS.get(path)
    if meaning is None:
        raise UndocumentedKey(f"{path}: add what it means to MEANINGS in tools/config_docs.py")
    cells = [f"`{shown or path}`", cell(type_label(field.annotation, field.metadata)), *values, cell(meaning)]
    return "| " + " | ".join(cells) + " |"


def _profile_value(section: str, key: str, field: FieldInfo, profile: str) -> str:
    defaults = PROFILE_DEFAULTS[profile]
    if section == "services[]":
        per_kind = {kind: values.get(key, _default(field)) for kind, values in defaults["services"].items()}
        shown = {kind: _value(value) for kind, value in per_kind.items()}
        if len(set(shown.values())) == 1:
            return next(iter(shown.values()))
        return ", ".join(f"{kind} {value}" for kind, value in shown.items())
    if _model_of(field.annotation) is not None:
        return "its own table"  # a nested section (`usage.logs`)
    for part in section.split("."):  # `usage.logs` sits in the profile's `usage`
        defaults = defaults.get(part, {})
    return _value(defaults.get(key, _default(field)))


def _default(field: FieldInfo) -> Any:
    if field.default is not PydanticUndefined:
        return field.default
    if field.default_factory is not None:
        return field.get_default(call_default_factory=True, validated_data={})
    return PydanticUndefined


def _value(value: Any) -> str:
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict):
        if not value:
            return "`{}`"
        modes = set(value.values())
        if len(modes) == 1:
            return f"all {_value(modes.pop())}"
        return ", ".join(f"{k} {_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "`[]`" if not value else ", ".join(_value(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def type_label(annotation: Any, metadata: list[Any] | tuple[Any, ...] = ()) -> str:
    """What a user may write for a field: `int 1-65535`, `` `a` | `b` ``, `list[CIDR]`, ..."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        inner = [m for item in extra for m in (item.metadata if isinstance(item, FieldInfo) else [item])]
        return type_label(base, [*inner, *metadata])
    for item in metadata:
        label = _VALIDATOR_LABELS.get(getattr(getattr(item, "func", None), "__name__", ""))
        if label:
            return label
    if origin is Literal:
        return " | ".join(f"`{v}`" for v in get_args(annotation))
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return type_label(options[0], metadata) if len(options) == 1 else " or ".join(map(type_label, options))
    if origin is list:
        return f"list[{type_label(get_args(annotation)[0])}]"
    if origin is dict:
        key, value = get_args(annotation)
        return f"map {'name' if get_origin(key) is not Literal else 'group'} -> {type_label(value)}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    return _BASE_LABELS.get(annotation, getattr(annotation, "__name__", str(annotation))) + _bounds(metadata)


def _bounds(metadata: list[Any] | tuple[Any, ...]) -> str:
    low = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
    above = next((m.gt for m in metadata if isinstance(m, annotated_types.Gt)), None)
    high = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
    if low is not None and high is not None:
        return f" {_num(low)}-{_num(high)}"
    parts = [f"{sign} {_num(value)}" for sign, value in ((">=", low), (">", above), ("<=", high)) if value is not None]
    return f" {', '.join(parts)}" if parts else ""


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
