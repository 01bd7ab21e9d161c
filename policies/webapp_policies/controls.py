"""Policies of the pack: what each publishes (`Control`), the decorators that make a check a
CrossGuard policy, and the resources and stack a check reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from .values import UNKNOWN, BadJson, Unknown, flag, items, json_document, lookup, number, plain
from .wire import same_answer_for_same_object

FSBP = "AWS Foundational Security Best Practices"
FSBP_VERSION = "1.0.0"

# These categories block a deployment by default, the rest advise: a violation of theirs loses or
# exposes data, or can only be undone by replacing the resource (RDS and ElastiCache cannot turn
# encryption at rest on in place), so it must be stopped before it exists.
MANDATORY_CATEGORIES = frozenset({"encryption", "backups", "public-exposure", "secrets", "deletion-safety"})
CATEGORIES = MANDATORY_CATEGORIES | frozenset(
    {
        "availability",
        "logging",
        "monitoring",
        "least-privilege",
        "patching",
        "hardening",
        "hygiene",
        "credential-rotation",
    }
)

_SECURITY_HUB_PAGES = {
    "CloudWatch": "cloudwatch",
    "EC2": "ec2",
    "ECS": "ecs",
    "ELB": "elb",
    "ElastiCache": "elasticache",
    "IAM": "iam",
    "KMS": "kms",
    "RDS": "rds",
    "S3": "s3",
    "SecretsManager": "secretsmanager",
    "WAF": "waf",
}


def security_hub_url(control_id: str) -> str:
    service = control_id.split(".")[0]
    page = _SECURITY_HUB_PAGES[service]
    return f"https://docs.aws.amazon.com/securityhub/latest/userguide/{page}-controls.html#{control_id.lower().replace('.', '-')}"


@dataclass(frozen=True)
class Control:
    """What the pack publishes about a policy (GetAnalyzerInfo) besides its check.

    `fsbp` is the Security Hub control of the AWS Foundational Security Best Practices standard
    (the policy's compliance framework); `securityhub` lists Security Hub controls of other
    standards (NIST 800-53, CIS, PCI) and `checkov` the equivalent checkov checks, both as tags.
    The default enforcement level follows from the category."""

    name: str
    description: str
    category: str
    severity: Severity
    remediation: str
    fsbp: str | None = None
    securityhub: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.name}: unknown category {self.category}")
        for key, schema in self.config.items():
            if "default" not in schema or "description" not in schema:
                raise ValueError(f"{self.name}: config {key} needs a default and a description")

    def enforcement(self) -> EnforcementLevel:
        return EnforcementLevel.MANDATORY if self.category in MANDATORY_CATEGORIES else EnforcementLevel.ADVISORY

    def tags(self) -> list[str]:
        return [self.category] + [f"securityhub:{c}" for c in self.securityhub] + [f"checkov:{c}" for c in self.checkov]

    def settings(self, configured: Mapping[str, Any] | None) -> dict[str, Any]:
        """The policy's config: schema defaults under what the engine passed (which arrives
        with every number a float: whole numbers are made ints again)."""
        values = {key: schema["default"] for key, schema in self.config.items()}
        values.update(configured or {})
        return _whole(values)

    def policy_arguments(self) -> dict[str, Any]:
        first = self.fsbp or (self.securityhub[0] if self.securityhub else None)
        return {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.enforcement(),
            "config_schema": PolicyConfigSchema(properties={k: dict(v) for k, v in self.config.items()})
            if self.config
            else None,
            "severity": self.severity,
            "framework": PolicyComplianceFramework(name=FSBP, version=FSBP_VERSION, reference=self.fsbp)
            if self.fsbp
            else None,
            "tags": self.tags(),
            "remediation_steps": self.remediation,
            "url": security_hub_url(first) if first else None,
        }


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------
# Resources as policies see them


class Props:
    """Accessors over a plain property map."""

    props: dict[str, Any]

    def get(self, path: str, default: Any = None) -> Any:
        return lookup(self.props, path, default)

    def has(self, key: str) -> bool:
        return self.props.get(key) is not None

    def flag(self, path: str, default: bool | None = None) -> bool | None | Unknown:
        return flag(self.get(path), default)

    def number(self, path: str, default: float | None = None) -> float | None | Unknown:
        return number(self.get(path), default)

    def items(self, path: str) -> list | Unknown:
        return items(self.get(path))

    def json(self, path: str) -> Any:
        return json_document(self.get(path))

    def known_json(self, path: str) -> Any:
        """The JSON document at `path`; None when it is unset, unknown or not JSON (the policy
        that owns that field reports it)."""
        try:
            document = self.json(path)
        except BadJson:
            return None
        return None if document is UNKNOWN else document


@dataclass
class Resource(Props):
    """One resource as `Analyze` sends it: its inputs."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    protect: bool = False


@dataclass
class StackResource(Props):
    """One resource as `AnalyzeStack` sends it: its outputs and how it links to the others."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    parent: str | None
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]

    def depends_on(self, urn: str, key: str) -> bool:
        """Whether input `key` came from the resource `urn`."""
        return urn in self.property_dependencies.get(key, ())


class Stack:
    """Every resource of the stack, with the lookups stack policies need."""

    def __init__(self, resources: list[StackResource]):
        self.resources = resources
        self.by_urn = {r.urn: r for r in resources}

    def of_type(self, types: Iterable[str]) -> list[StackResource]:
        wanted = frozenset(types)
        return [r for r in self.resources if r.type in wanted]

    def referencing(self, target: StackResource, types: Iterable[str], key: str) -> list[StackResource]:
        """Resources of `types` whose input `key` came from `target`."""
        return [r for r in self.of_type(types) if r.depends_on(target.urn, key)]

    def referenced(self, source: StackResource, key: str, types: Iterable[str]) -> list[StackResource]:
        """Resources of `types` that input `key` of `source` came from."""
        wanted = frozenset(types)
        return [
            self.by_urn[urn]
            for urn in source.property_dependencies.get(key, ())
            if urn in self.by_urn and self.by_urn[urn].type in wanted
        ]


Check = Callable[[Resource, dict[str, Any]], Iterable[str]]
StackCheck = Callable[[Stack, dict[str, Any]], Iterable[tuple[str | None, str]]]


def resource_policy(control: Control, types: Iterable[str]) -> Callable[[Check], ResourceValidationPolicy]:
    """A resource policy: `check(resource, config)` yields one message per violation."""
    wanted = frozenset(types)

    def decorate(check: Check) -> ResourceValidationPolicy:
        def validate(args, report_violation) -> None:
            if args.resource_type not in wanted:
                return
            resource = Resource(
                type=args.resource_type,
                name=args.name,
                urn=args.urn,
                props=plain(args.props),
                protect=args.opts.protect,
            )
            for message in check(resource, control.settings(args.get_config())):
                report_violation(message)

        policy = ResourceValidationPolicy(validate=validate, **control.policy_arguments())
        return _described(policy, control, tuple(sorted(wanted)))

    return decorate


def stack_policy(control: Control, types: Iterable[str]) -> Callable[[StackCheck], StackValidationPolicy]:
    """A stack policy: `check(stack, config)` yields (urn, message) per violation; a None urn
    blames the stack as a whole."""
    subjects = tuple(sorted(set(types)))

    def decorate(check: StackCheck) -> StackValidationPolicy:
        def validate(args, report_violation) -> None:
            stack = Stack([_stack_resource(r) for r in args.resources])
            for urn, message in check(stack, control.settings(args.get_config())):
                report_violation(message, urn)

        policy = StackValidationPolicy(validate=validate, **control.policy_arguments())
        return _described(policy, control, subjects)

    return decorate


# Every stack policy of an AnalyzeStack call gets the same prepared properties of a resource
# (wire.install); each resource is made plain once for all of them, not once per stack policy (a
# fifth of the pack's time in a check of the prod stack). The checks share that plain value and
# never write to it (tests/test_policies_wire.py runs them all and compares).
_plain_once = same_answer_for_same_object(plain)


def _stack_resource(resource) -> StackResource:
    return StackResource(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=_plain_once(resource.props),
        parent=resource.parent.urn if resource.parent is not None else None,
        dependencies=[d.urn for d in resource.dependencies],
        property_dependencies={k: [d.urn for d in v] for k, v in resource.property_dependencies.items()},
    )


P = TypeVar("P", ResourceValidationPolicy, StackValidationPolicy)


def _described(policy: P, control: Control, resource_types: tuple[str, ...]) -> P:
    """The SDK's policy object carrying its control and the types it checks, for the pack's
    reports and docs (attributes the SDK class does not declare)."""
    setattr(policy, "control", control)  # noqa: B010 (an attribute the SDK class does not declare)
    setattr(policy, "resource_types", resource_types)  # noqa: B010 (same)
    return policy
