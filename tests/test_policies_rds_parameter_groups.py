"""RDS PostgreSQL parameter group policies (policies/webapp_policies/rds_parameter_groups.py)
beyond what the table in tests/test_policies_rds.py fires: the problem lines a reviewer reads in
the PR report, a group found by its name or not managed by the stack, more than one group behind
an instance's parameterGroupName, and the slow query log's thresholds."""

from tests.policy_support import DELETE, UNKNOWN, document, messages, resource
from tests.test_policies_rds import INSTANCE, INSTANCE_INPUTS, PARAMETER_GROUP, PARAMETERS

TLS = "aws-rds-instance-parameter-group-tls"
LOGGING = "aws-rds-instance-parameter-group-logging"


def group(name: str, **values) -> dict:
    """A parameter group named <name>-1 with the compliant parameters, `values` changing them
    by name (DELETE drops one, UNKNOWN makes its value unknown)."""
    parameters = [
        {**p, "value": values.get(p["name"], p["value"])} for p in PARAMETERS if values.get(p["name"]) is not DELETE
    ]
    return resource(PARAMETER_GROUP, name, {"family": "postgres17", "name": f"{name}-1", "parameters": parameters})


def instance(*groups: dict, name: str = "params-1") -> dict:
    """The compliant instance naming parameter group `name`, that input coming from `groups`."""
    deps = {"parameterGroupName": [g["urn"] for g in groups]} if groups else None
    return resource(INSTANCE, "db", {**INSTANCE_INPUTS, "parameterGroupName": name}, deps=deps)


def test_a_group_the_stack_does_not_manage_cannot_prove_tls_or_logging(policy_pack):
    result = policy_pack.check(document(group("params"), instance(name="shared-postgres17")))
    problem = "uses parameter group 'shared-postgres17', which this stack does not manage"
    assert messages(result, TLS) == [problem]
    assert messages(result, LOGGING) == [problem]


def test_a_group_named_literally_is_found_by_its_name_and_only_it(policy_pack):
    # The name written as a string carries no dependency: the stack's group of that name is the one.
    named, other = group("params", **{"rds.force_ssl": "0"}), group("legacy", **{"rds.force_ssl": "0"})
    result = policy_pack.check(document(named, other, instance()))
    assert messages(result, TLS) == ["parameter group params sets rds.force_ssl to '0', not 1"]


def test_a_group_not_known_yet_does_not_hide_the_next_one(policy_pack):
    # A name computed from more than one group (each is checked); the first one's parameters are
    # unknown in a preview.
    pending = resource(PARAMETER_GROUP, "pending", {"family": "postgres17", "parameters": UNKNOWN})
    legacy = group("legacy", **{"rds.force_ssl": "0", "log_connections": "0"})
    result = policy_pack.check(document(pending, legacy, instance(pending, legacy)))
    assert messages(result, TLS) == ["parameter group legacy sets rds.force_ssl to '0', not 1"]
    assert messages(result, LOGGING) == ["parameter group legacy sets log_connections to '0' (allowed: 1)"]


def test_a_value_not_known_yet_does_not_hide_the_next_group(policy_pack):
    pending = group("pending", **{"rds.force_ssl": UNKNOWN, "log_min_duration_statement": UNKNOWN})
    legacy = group("legacy", **{"rds.force_ssl": "0", "log_min_duration_statement": "-1"})
    result = policy_pack.check(document(pending, legacy, instance(pending, legacy)))
    assert messages(result, TLS) == ["parameter group legacy sets rds.force_ssl to '0', not 1"]
    assert messages(result, LOGGING) == [
        "parameter group legacy sets '-1' as log_min_duration_statement (slow query log off)"
    ]


def test_logging_problem_lines_name_the_parameter_and_the_allowed_values(policy_pack):
    params = group("params", log_statement="none", log_connections=DELETE, log_min_duration_statement=DELETE)
    result = policy_pack.check(document(params, instance(params)))
    assert sorted(messages(result, LOGGING)) == [
        "parameter group params does not set log_connections (allowed: 1)",
        "parameter group params does not set log_min_duration_statement (slow query log off)",
        "parameter group params sets log_statement to 'none' (allowed: ddl, mod, all)",
    ]


def test_a_zero_slow_query_threshold_logs_every_statement_and_passes(policy_pack):
    # log_min_duration_statement=0 logs every statement's duration; -1 turns the log off.
    params = group("params", log_min_duration_statement="0")
    result = policy_pack.check(document(params, instance(params)))
    assert messages(result, LOGGING) == []


def test_a_slow_query_threshold_that_is_not_a_number_is_not_taken_as_on(policy_pack):
    # RDS takes the threshold in milliseconds as an integer (allowed values -1-2147483647).
    params = group("params", log_min_duration_statement="1s")
    result = policy_pack.check(document(params, instance(params)))
    assert messages(result, LOGGING) == [
        "parameter group params sets '1s' as log_min_duration_statement (slow query log off)"
    ]
