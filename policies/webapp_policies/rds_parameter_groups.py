"""RDS PostgreSQL parameter groups: the settings the engine itself enforces (TLS, statement and
connection logging), read from the parameter group an instance names."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, stack_policy
from .rds import INSTANCE, PARAMETER_GROUP, postgres
from .values import UNKNOWN, show


def _parameter_groups(stack, db):
    """The parameter groups of the stack `db` uses, or a message why none can be checked."""
    name = db.get("parameterGroupName")
    groups = stack.referenced(db, "parameterGroupName", PARAMETER_GROUP) or [
        group for group in stack.of_type(PARAMETER_GROUP) if isinstance(name, str) and group.get("name") == name
    ]
    if groups:
        return groups, None
    if name is UNKNOWN:
        return [], None
    if name is None or str(name).startswith("default."):
        return [], f"uses the engine's default parameter group {show(name)}, which this stack cannot configure"
    return [], f"uses parameter group {show(name)}, which this stack does not manage"


def _parameters(group):
    """name -> value of a parameter group's parameters (values may be UNKNOWN), or UNKNOWN when
    which parameters it has is not known."""
    listed = group.items("parameters")
    if listed is UNKNOWN or any(not isinstance(p, dict) or not isinstance(p.get("name"), str) for p in listed):
        return UNKNOWN
    return {p["name"]: p.get("value") for p in listed}


def _postgres_instances(stack):
    """Each PostgreSQL instance, why the parameter group it names cannot be checked (None when it
    can), and the parameters of each parameter group of the stack it uses."""
    for db in stack.of_type(INSTANCE):
        if postgres(db):
            groups, problem = _parameter_groups(stack, db)
            yield db, problem, [(group, _parameters(group)) for group in groups]


def _parameter_group_tls(stack, config):
    for db, problem, groups in _postgres_instances(stack):
        if problem:
            yield db.urn, problem
        for group, parameters in groups:
            value = UNKNOWN if parameters is UNKNOWN else parameters.get("rds.force_ssl")
            if value is UNKNOWN:
                continue
            if value is None:
                yield db.urn, f"parameter group {group.name} does not set rds.force_ssl (set it to 1)"
            elif str(value) != "1":
                yield db.urn, f"parameter group {group.name} sets rds.force_ssl to {show(value)}, not 1"


parameter_group_tls = stack_policy(
    Control(
        name="aws-rds-instance-parameter-group-tls",
        description="RDS PostgreSQL instances use a managed parameter group that forces TLS (rds.force_ssl=1).",
        category="encryption",
        severity=Severity.HIGH,
        checkov=("CKV2_AWS_69",),
        remediation=(
            "Create an aws.rds.ParameterGroup for the engine family with parameter rds.force_ssl=1 "
            "and pass its name as parameter_group_name."
        ),
    ),
    INSTANCE + PARAMETER_GROUP,
)(_parameter_group_tls)


def _parameter_group_logging(stack, config):
    for db, problem, groups in _postgres_instances(stack):
        if problem:
            yield db.urn, problem
        for group, parameters in groups:
            if parameters is UNKNOWN:
                continue
            for name, allowed in config["requiredParameters"].items():
                value = parameters.get(name)
                if value is not UNKNOWN and str(value) not in allowed:
                    what = f"does not set {name}" if value is None else f"sets {name} to {show(value)}"
                    yield db.urn, f"parameter group {group.name} {what} (allowed: {', '.join(allowed)})"
            if config["requireSlowQueryLog"]:
                value = parameters.get("log_min_duration_statement")
                if value is UNKNOWN:
                    continue
                try:
                    slow_log_on = value is not None and float(value) >= 0
                except ValueError:
                    slow_log_on = False
                if not slow_log_on:
                    what = "does not set" if value is None else f"sets {show(value)} as"
                    yield db.urn, f"parameter group {group.name} {what} log_min_duration_statement (slow query log off)"


parameter_group_logging = stack_policy(
    Control(
        name="aws-rds-instance-parameter-group-logging",
        description="RDS PostgreSQL parameter groups log DDL/DML statements, slow queries and connections.",
        category="logging",
        severity=Severity.MEDIUM,
        checkov=("CKV2_AWS_30",),
        remediation=(
            "Set log_statement (ddl or mod), log_min_duration_statement (milliseconds, >= 0) and "
            "log_connections=1 in the instance's aws.rds.ParameterGroup."
        ),
        config={
            "requiredParameters": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "default": {"log_statement": ["ddl", "mod", "all"], "log_connections": ["1"]},
                "description": "Parameter name -> the values it may take.",
            },
            "requireSlowQueryLog": {
                "type": "boolean",
                "default": True,
                "description": "Require log_min_duration_statement >= 0 (slow query log on).",
            },
        },
    ),
    INSTANCE + PARAMETER_GROUP,
)(_parameter_group_logging)


# The pack serves exactly these, in this order.
POLICIES = [
    parameter_group_tls,
    parameter_group_logging,
]
