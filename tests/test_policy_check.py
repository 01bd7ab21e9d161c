"""The offline policy check (tools.policy_check) and the pack as a whole: the analyzer protocol,
config handling as the engine does it, the CLI, the real stacks and mutations of them, and the
pack's metadata, packaging and the waivers its docs list."""

import copy
import importlib
import json
import re

import pytest
import yaml
from google.protobuf import json_format

from settings.stack_config import ROOT
from tests.policy_support import ACCOUNT, document, messages, resource
from tools import plan, policy_check
from tools.policy_check import UsageError, read_policy_config, stack_policy_config, stack_urn

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SUMMARY = re.compile(r"^\d+ mandatory, \d+ advisory violations in \d+ resources$")
UNENCRYPTED_DB = resource(
    "aws:rds/instance:Instance",
    "db",
    {"engine": "postgres", "storageEncrypted": False, "dbSubnetGroupName": "db-subnets", "backupRetentionPeriod": 7.0},
)
SERVICES = [
    "ec2",
    "kms",
    "cloudwatch",
    "iam",
    "s3",
    "elb",
    "wafv2",
    "ecs",
    "rds",
    "elasticache",
    "secretsmanager",
]
# tests/test_policies_<module>.py: one per service, and the final snapshots across services.
POLICY_TEST_MODULES = [*SERVICES, "final_snapshots"]


# -- the pack over the analyzer protocol -----------------------------------------------------


def test_the_pack_serves_its_policies_over_the_analyzer_protocol(policy_pack):
    info = policy_pack.info
    assert (info.name, info.supportsConfig, len(info.policies) > 70) == ("webapp-aws-baseline", True, True)


def test_a_violation_is_reported_with_its_enforcement_policy_urn_and_message(policy_pack):
    report = policy_pack.check(document(UNENCRYPTED_DB))
    assert [v.line() for v in report.by_policy("aws-rds-instance-storage-encrypted")] == [
        f"mandatory aws-rds-instance-storage-encrypted {UNENCRYPTED_DB['urn']}: "
        "storageEncrypted is false (the provider default is false)"
    ]


def test_secrets_reach_the_pack_in_their_wire_format():
    secret = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"}
    struct = policy_check._struct({"password": secret, "port": 5432.0})
    assert json_format.MessageToDict(struct) == {"password": secret, "port": 5432.0}


def test_a_secret_input_is_seen_by_the_policies(policy_pack):
    secret = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2hunter2"}
    db = resource("aws:rds/instance:Instance", "db", {"engine": "postgres", "password": secret})
    assert "password is set: the master password would sit in the program and the state" in messages(
        policy_pack.check(document(db)), "aws-rds-instance-managed-master-password"
    )


def test_resources_are_analyzed_in_dependency_order_whatever_the_document_order(policy_pack, prod, prod_report):
    shuffled = copy.deepcopy(prod.document)
    shuffled["resources"].reverse()
    assert (
        policy_pack.check(shuffled, read_policy_config(stack_policy_config("prod"))).violations
        == prod_report.violations
    )


# -- policy config, reconciled as the engine does -----------------------------------------------


def test_all_sets_every_policy_level(policy_pack):
    report = policy_pack.check(document(UNENCRYPTED_DB), {"all": "mandatory"})
    assert {v.enforcement for v in report.violations} == {"mandatory"} and report.advisory == 0


def test_a_policy_entry_overrides_all(policy_pack):
    config = {"all": "disabled", "aws-rds-instance-copy-tags-to-snapshots": "mandatory"}
    report = policy_pack.check(document(UNENCRYPTED_DB), config)
    assert {v.policy for v in report.violations} == {"aws-rds-instance-copy-tags-to-snapshots"}


def test_schema_defaults_apply_when_the_config_says_nothing(policy_pack):
    db = resource("aws:rds/instance:Instance", "db", {**UNENCRYPTED_DB["inputs"], "backupRetentionPeriod": 6.0})
    assert messages(policy_pack.check(document(db), {}), "aws-rds-instance-backup-retention") == [
        "backupRetentionPeriod is 6 (the provider default is 0, backups off); at least 7 days required"
    ]


@pytest.mark.parametrize(
    "config, error",
    [
        (
            {"aws-rds-instance-backup-retention": {"minimumDays": 0}},
            "aws-rds-instance-backup-retention: minimumDays: 0 is less than the minimum of 1",
        ),
        (
            {"aws-rds-instance-backup-retention": {"minimumDay": 3}},
            "aws-rds-instance-backup-retention: unknown properties minimumDay",
        ),
        (
            {"aws-rds-instance-backup-retention": "strict"},
            'aws-rds-instance-backup-retention: "strict" is not a valid enforcement level',
        ),
        ({"aws-rds-backup-retention": "mandatory"}, "policy config names unknown policies: aws-rds-backup-retention"),
    ],
    ids=["schema", "typo-in-property", "level", "typo-in-policy"],
)
def test_an_invalid_policy_config_is_a_usage_error(policy_pack, config, error):
    with pytest.raises(UsageError, match=re.escape(error)):
        policy_pack.check(document(UNENCRYPTED_DB), config)


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_each_stack_config_is_valid(policy_pack, stack):
    policy_check.reconcile(policy_pack.info, read_policy_config(stack_policy_config(stack)))


def test_prod_enforces_every_high_and_critical_policy(policy_pack):
    levels = policy_check.reconcile(policy_pack.info, read_policy_config(stack_policy_config("prod")))
    severe = [p.name for p in policy_pack.info.policies if policy_check.SEVERITIES[p.severity] in ("high", "critical")]
    assert severe and [name for name in severe if levels[name][0] != "mandatory"] == []


@pytest.mark.parametrize(
    "policy, prod_level, staging_level",
    [
        ("aws-ec2-vpc-flow-logs", "mandatory", "advisory"),
        ("aws-rds-instance-final-snapshot", "mandatory", "advisory"),
        ("aws-rds-cluster-final-snapshot", "mandatory", "advisory"),
        ("aws-elasticache-replication-group-final-snapshot", "mandatory", "advisory"),
    ],
)
def test_stack_configs_set_the_level_of_medium_policies_prod_needs(policy_pack, policy, prod_level, staging_level):
    levels = [
        policy_check.reconcile(policy_pack.info, read_policy_config(stack_policy_config(stack)))[policy][0]
        for stack in ("prod", "staging")
    ]
    assert levels == [prod_level, staging_level]


# -- the command line ---------------------------------------------------------------------------


def _write(tmp_path, *resources) -> str:
    path = tmp_path / "synth.json"
    path.write_text(json.dumps(document(*resources)))
    return str(path)


def test_cli_prints_one_line_per_violation_then_the_summary_and_exits_1_on_mandatory(tmp_path, capsys):
    status = policy_check.main([_write(tmp_path, UNENCRYPTED_DB)])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert (
        f"mandatory aws-rds-instance-storage-encrypted {UNENCRYPTED_DB['urn']}: storageEncrypted is false (the provider default is false)"
        in lines
    )
    assert re.match(SUMMARY, lines[-1]) and all(line.split()[0] in ("mandatory", "advisory") for line in lines[:-1])


def test_cli_json_has_the_same_result_and_exits_0_without_mandatory(tmp_path, capsys):
    log_group = resource(
        "aws:cloudwatch/logGroup:LogGroup",
        "logs",
        {"retentionInDays": 30.0, "kmsKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"},
    )
    status = policy_check.main([_write(tmp_path, log_group), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (result["mandatory"], result["advisory"], result["resources"]) == (0, 1, 1)
    assert result["violations"] == [
        {
            "enforcement": "advisory",
            "policy": "aws-cloudwatch-log-group-retention",
            "urn": log_group["urn"],
            "message": "retentionInDays is 30; at least 365 required",
            "severity": "medium",
        }
    ]


@pytest.mark.parametrize(
    "content", [None, "not json", '{"resources": "x"}'], ids=["missing", "not-json", "not-a-synth"]
)
def test_cli_exits_2_on_an_unreadable_synth(tmp_path, capsys, content):
    path = tmp_path / "synth.json"
    if content is not None:
        path.write_text(content)
    assert policy_check.main([str(path)]) == 2
    assert capsys.readouterr().err.startswith("policy check: ")


def test_cli_exits_2_on_an_invalid_policy_config(tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"aws-no-such-policy": "mandatory"}))
    assert policy_check.main([_write(tmp_path, UNENCRYPTED_DB), "--policy-config", str(config)]) == 2
    assert "unknown policies: aws-no-such-policy" in capsys.readouterr().err


def test_plan_with_the_policy_check_ends_with_the_summary(capsys):
    status = plan.main(["--stack", "prod", "--policy"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0 and "Policy check (policies/config/prod.json):" in lines and re.match(SUMMARY, lines[-1])


# -- the real stacks -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod_report(policy_pack, prod):
    return policy_pack.check(prod.document, read_policy_config(stack_policy_config("prod")))


@pytest.fixture(scope="module")
def staging_report(policy_pack, staging):
    return policy_pack.check(staging.document, read_policy_config(stack_policy_config("staging")))


def test_prod_has_no_mandatory_violation(prod_report):
    assert [v.line() for v in prod_report.violations if v.enforcement == "mandatory"] == []


def test_staging_has_no_mandatory_violation(staging_report):
    assert [v.line() for v in staging_report.violations if v.enforcement == "mandatory"] == []


def _documented_waivers(stack: str) -> set:
    page = (ROOT / "docs" / "policies.md").read_text()
    table = page[page.index("<!-- policy-waivers:begin -->") : page.index("<!-- policy-waivers:end -->")]
    rows = [
        [c.strip().strip("`") for c in line.strip("|").split("|")]
        for line in table.splitlines()
        if line.startswith("| ")
    ]
    return {(policy, name) for row_stack, policy, name, _ in rows[1:] if row_stack == stack}


def test_every_prod_advisory_violation_is_a_documented_waiver(prod, prod_report):
    if not prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        pytest.skip("the prod synth has no aws:cloudwatch/metricAlarm:MetricAlarm yet (alarms tier not landed)")
    reported = {(v.policy, v.urn.rsplit("::", 1)[1]) for v in prod_report.violations if v.enforcement == "advisory"}
    assert reported == _documented_waivers("prod")


def _require(synth, type_):
    if not synth.of_type(type_):
        pytest.skip(f"the prod synth has no {type_} yet (its tier has not landed)")


def _set(record, key, value):
    for field in ("inputs", "outputs"):
        record[field][key] = value


def _rds_unencrypted(doc):
    for r in _of(doc, "aws:rds/instance:Instance"):
        _set(r, "storageEncrypted", False)


def _rds_retention_1(doc):
    for r in _of(doc, "aws:rds/instance:Instance"):
        _set(r, "backupRetentionPeriod", 1.0)


def _postgres_open_to_world(doc):
    db = _of(doc, "aws:rds/instance:Instance")[0]
    groups = set(db["propertyDependencies"]["vpcSecurityGroupIds"])
    rules = [
        r
        for r in _of(doc, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if set(r["propertyDependencies"].get("securityGroupId", [])) & groups
    ]
    for rule in rules:
        for field in ("inputs", "outputs"):
            rule[field].pop("referencedSecurityGroupId", None)
            rule[field]["cidrIpv4"] = "0.0.0.0/0"
        rule["propertyDependencies"].pop("referencedSecurityGroupId", None)


def _waf_association_dropped(doc):
    doc["resources"] = [r for r in doc["resources"] if r["type"] != "aws:wafv2/webAclAssociation:WebAclAssociation"]


def _cache_transit_preferred(doc):
    for r in _of(doc, "aws:elasticache/replicationGroup:ReplicationGroup"):
        _set(r, "transitEncryptionMode", "preferred")


def _secret_in_task_environment(doc):
    for r in _of(doc, "aws:ecs/taskDefinition:TaskDefinition"):
        containers = json.loads(r["inputs"]["containerDefinitions"])
        containers[0].setdefault("environment", []).append({"name": "AWS_SECRET_ACCESS_KEY", "value": "AKIA..."})
        _set(r, "containerDefinitions", json.dumps(containers))


def _rds_final_snapshot_skipped(doc):
    for r in _of(doc, "aws:rds/instance:Instance"):
        _set(r, "skipFinalSnapshot", True)
        for field in ("inputs", "outputs"):
            r[field].pop("finalSnapshotIdentifier", None)


def _cache_final_snapshot_dropped(doc):
    for r in _of(doc, "aws:elasticache/replicationGroup:ReplicationGroup"):
        for field in ("inputs", "outputs"):
            r[field].pop("finalSnapshotIdentifier", None)


def _privileged_container(doc):
    for r in _of(doc, "aws:ecs/taskDefinition:TaskDefinition"):
        containers = json.loads(r["inputs"]["containerDefinitions"])
        containers[0]["privileged"] = True
        _set(r, "containerDefinitions", json.dumps(containers))


def _admin_task_policy(doc):
    policy = next(r for r in _of(doc, "aws:iam/rolePolicy:RolePolicy") if r["name"] == "web-task-tracing")
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    _set(policy, "policy", json.dumps(admin))


def _flow_log_dropped(doc):
    doc["resources"] = [r for r in doc["resources"] if r["type"] != "aws:ec2/flowLog:FlowLog"]


def _of(doc, type_):
    return [r for r in doc["resources"] if r["type"] == type_]


# mutation: (what it needs in the prod synth, change, the mandatory policies that must catch it)
MUTATIONS = {
    "rds-storage-unencrypted": ("aws:rds/instance:Instance", _rds_unencrypted, {"aws-rds-instance-storage-encrypted"}),
    "rds-backup-retention-1": ("aws:rds/instance:Instance", _rds_retention_1, {"aws-rds-instance-backup-retention"}),
    "postgres-open-to-the-world": (
        "aws:rds/instance:Instance",
        _postgres_open_to_world,
        {
            "aws-ec2-security-group-high-risk-ports",
            "aws-ec2-security-group-world-ingress-ports",
            "aws-ec2-security-group-data-tier-sources",
            "aws-ec2-security-group-world-ingress-load-balancer-only",
        },
    ),
    "waf-association-dropped": (
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        _waf_association_dropped,
        {"aws-elb-load-balancer-waf"},
    ),
    "cache-transit-preferred": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        _cache_transit_preferred,
        {"aws-elasticache-replication-group-encrypted-in-transit"},
    ),
    "aws-keys-in-task-environment": (
        "aws:ecs/taskDefinition:TaskDefinition",
        _secret_in_task_environment,
        {"aws-ecs-task-definition-no-secrets-in-environment"},
    ),
    "rds-final-snapshot-skipped": (
        "aws:rds/instance:Instance",
        _rds_final_snapshot_skipped,
        {"aws-rds-instance-final-snapshot"},
    ),
    "cache-final-snapshot-dropped": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        _cache_final_snapshot_dropped,
        {"aws-elasticache-replication-group-final-snapshot"},
    ),
    "privileged-container": (
        "aws:ecs/taskDefinition:TaskDefinition",
        _privileged_container,
        {"aws-ecs-task-definition-non-privileged"},
    ),
    "admin-iam-policy": ("aws:iam/rolePolicy:RolePolicy", _admin_task_policy, {"aws-iam-policy-no-full-admin"}),
    "flow-log-dropped": ("aws:ec2/flowLog:FlowLog", _flow_log_dropped, {"aws-ec2-vpc-flow-logs"}),
}


@pytest.fixture(scope="module")
def mutated(policy_pack, prod):
    """mutation -> the prod check of the prod synth with that mutation (each checked once)."""
    reports = {}

    def report(mutation):
        if mutation not in reports:
            needs, change, _ = MUTATIONS[mutation]
            _require(prod, needs)
            doc = copy.deepcopy(prod.document)
            change(doc)
            reports[mutation] = policy_pack.check(doc, read_policy_config(stack_policy_config("prod")))
        return reports[mutation]

    return report


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_mutated_prod_synth_fails_with_the_right_policy(mutated, prod_report, mutation):
    policies = MUTATIONS[mutation][2]
    report = mutated(mutation)
    new = set(report.violations) - set(prod_report.violations)
    assert report.exit_code == 1
    assert {v.policy for v in new if v.enforcement == "mandatory"} == policies


# The careless changes to prod that must be blocked, and the resource the check must name.
BLOCKED = {
    "rds-final-snapshot-skipped": "database-instance",
    "cache-final-snapshot-dropped": "cache-group",
    "privileged-container": "web-task",
    "admin-iam-policy": "web-task-tracing",
    "flow-log-dropped": "network-vpc",
}


@pytest.mark.parametrize("mutation", BLOCKED)
def test_a_careless_prod_change_is_blocked_naming_the_resource(mutated, mutation):
    (policy,) = MUTATIONS[mutation][2]
    report = mutated(mutation)
    blamed = {v.urn.rsplit("::", 1)[1] for v in report.by_policy(policy) if v.enforcement == "mandatory"}
    assert (report.exit_code, blamed) == (1, {BLOCKED[mutation]})


def test_a_stack_level_violation_without_a_resource_blames_the_stack(prod):
    assert stack_urn(prod.document) == "urn:pulumi:prod::webapp::pulumi:pulumi:Stack::webapp-prod"


# -- metadata, packaging, documentation ----------------------------------------------------------


def test_every_policy_name_is_aws_service_resource_check(policy_pack):
    pattern = re.compile(rf"^aws-({'|'.join(SERVICES)})-[a-z0-9]+(-[a-z0-9]+)+$")
    assert [p.name for p in policy_pack.info.policies if not pattern.match(p.name)] == []


def test_every_policy_has_description_severity_remediation_and_category(policy_pack):
    incomplete = [
        p.name
        for p in policy_pack.info.policies
        if not (p.description and p.severity and p.remediation_steps and p.tags and ":" not in p.tags[0])
    ]
    assert incomplete == []


def test_the_framework_is_fsbp_with_a_security_hub_link(policy_pack):
    framed = [p for p in policy_pack.info.policies if p.framework.reference]
    assert {p.framework.name for p in framed} == {"AWS Foundational Security Best Practices"}
    assert all(p.url.endswith("#" + p.framework.reference.lower().replace(".", "-")) for p in framed)


def test_default_enforcement_is_mandatory_exactly_for_the_blocking_categories(policy_pack):
    blocking = {"encryption", "backups", "public-exposure", "secrets", "deletion-safety"}
    levels = {
        p.name: (p.tags[0] in blocking, policy_check.LEVELS[p.enforcementLevel]) for p in policy_pack.info.policies
    }
    assert {name for name, (blocks, level) in levels.items() if blocks != (level == "mandatory")} == set()


def test_every_threshold_has_a_default(policy_pack):
    schemas = [json_format.MessageToDict(p.configSchema).get("properties", {}) for p in policy_pack.info.policies]
    assert [key for schema in schemas for key, spec in schema.items() if "default" not in spec] == []


def test_every_policy_is_exercised_by_a_service_test_module(policy_pack):
    tested = set()
    for name in POLICY_TEST_MODULES:
        module = importlib.import_module(f"tests.test_policies_{name}")
        tested |= {p for name, value in vars(module).items() if name.endswith("_POLICIES") for p in value}
    assert {p.name for p in policy_pack.info.policies} - tested == set()


def test_pulumi_policy_yaml_declares_a_python_pack_with_its_virtualenv():
    project = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    assert project["version"] and project["description"]
