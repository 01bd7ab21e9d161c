"""The offline policy check (tools.policy_check) and the pack as a whole: the analyzer protocol,
the CLI, the real stacks with their waivers and careless changes to them, and the pack's
metadata, packaging and generated documentation."""

import copy
import importlib
import json
import re

import pytest
import yaml
from google.protobuf import json_format

from settings.stack_config import ROOT
from tests.policy_support import ACCOUNT, document, messages, resource
from tools import plan, policy_check, policy_config, policy_report
from tools.policy_check import stack_urn
from tools.policy_config import read_policy_config, stack_policy_config
from tools.policy_report import read_waivers, waivers_path

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SUMMARY = re.compile(r"^\d+ mandatory, \d+ advisory violations( \(\d+ waived\))? in \d+ resources$")
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


def test_a_violation_is_reported_with_its_enforcement_policy_category_severity_urn_and_message(policy_pack):
    report = policy_pack.check(document(UNENCRYPTED_DB))
    assert [v.line() for v in report.by_policy("aws-rds-instance-storage-encrypted")] == [
        f"mandatory aws-rds-instance-storage-encrypted (encryption, medium) {UNENCRYPTED_DB['urn']}: "
        "storageEncrypted is false (the provider default is false)"
    ]


def test_a_violation_carries_the_source_line_the_synth_recorded(policy_pack, prod_report):
    port = next(v for v in prod_report.violations if v.policy == "aws-rds-instance-non-default-port")
    assert port.source is not None and port.source.file == "components/database.py"


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
    config, waivers = read_policy_config(stack_policy_config("prod")), read_waivers(waivers_path("prod"), "prod")
    assert policy_pack.check(shuffled, config, waivers).violations == prod_report.violations


# -- the command line ---------------------------------------------------------------------------

ADVISORY_LOG_GROUP = resource(
    "aws:cloudwatch/logGroup:LogGroup",
    "logs",
    {"retentionInDays": 30.0, "kmsKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"},
)


def _write(tmp_path, *resources) -> str:
    path = tmp_path / "synth.json"
    path.write_text(json.dumps(document(*resources)))
    return str(path)


def _waivers(tmp_path, entries) -> str:
    path = tmp_path / "waivers.json"
    path.write_text(json.dumps(entries))
    return str(path)


def test_cli_groups_mandatory_first_with_category_and_severity_and_exits_1(policy_pack, tmp_path, capsys):
    status = policy_check.main([_write(tmp_path, ADVISORY_LOG_GROUP, UNENCRYPTED_DB)], pack=policy_pack)
    lines = capsys.readouterr().out.splitlines()
    advisory = lines.index(next(line for line in lines if line.startswith("Advisory: ")))
    assert status == 1 and lines[0].startswith("Mandatory (blocks the deployment): ")
    assert (
        f"  mandatory aws-rds-instance-storage-encrypted (encryption, medium) {UNENCRYPTED_DB['urn']}: "
        "storageEncrypted is false (the provider default is false)"
    ) in lines[:advisory]
    assert all(line.startswith("  advisory ") for line in lines[advisory + 1 : -1]) and re.match(SUMMARY, lines[-1])


def test_cli_marks_a_waived_advisory_with_its_reason_after_the_new_ones(policy_pack, tmp_path, capsys):
    other = resource(ADVISORY_LOG_GROUP["type"], "other-logs", ADVISORY_LOG_GROUP["inputs"])
    reason = "Debug logs: a month is all anyone reads."
    waivers = _waivers(tmp_path, {"aws-cloudwatch-log-group-retention": {"resources": ["logs"], "reason": reason}})
    status = policy_check.main([_write(tmp_path, ADVISORY_LOG_GROUP, other), "--waivers", waivers], pack=policy_pack)
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[:4] == [
        "Advisory: 2 (1 new, 1 waived)",
        f"  advisory aws-cloudwatch-log-group-retention (logging, medium) {other['urn']}: "
        "retentionInDays is 30; at least 365 required",
        f"  advisory aws-cloudwatch-log-group-retention (logging, medium) {ADVISORY_LOG_GROUP['urn']}: "
        "retentionInDays is 30; at least 365 required",
        f"    waived: {reason}",
    ]
    assert lines[-1] == "0 mandatory, 2 advisory violations (1 waived) in 2 resources"


def test_cli_waivers_default_to_the_stack_of_the_synth(policy_pack, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(policy_report, "WAIVERS_DIR", tmp_path)
    (tmp_path / "test.json").write_text(
        json.dumps({"aws-cloudwatch-log-group-retention": {"resources": ["logs"], "reason": "Kept short."}})
    )
    policy_check.main([_write(tmp_path, ADVISORY_LOG_GROUP)], pack=policy_pack)
    assert "    waived: Kept short." in capsys.readouterr().out.splitlines()


def test_cli_json_has_the_same_result_for_scripts(policy_pack, tmp_path, capsys):
    status = policy_check.main([_write(tmp_path, ADVISORY_LOG_GROUP, UNENCRYPTED_DB), "--json"], pack=policy_pack)
    result = json.loads(capsys.readouterr().out)
    enforcement = [v["enforcement"] for v in result["violations"]]
    assert status == 1 and enforcement == sorted(enforcement, reverse=True) and result["mandatory"] > 0
    assert result["advisory"] == enforcement.count("advisory") and result["waived"] == 0
    assert next(v for v in result["violations"] if v["urn"] == ADVISORY_LOG_GROUP["urn"]) == {
        "enforcement": "advisory",
        "policy": "aws-cloudwatch-log-group-retention",
        "urn": ADVISORY_LOG_GROUP["urn"],
        "type": "aws:cloudwatch/logGroup:LogGroup",
        "name": "logs",
        "message": "retentionInDays is 30; at least 365 required",
        "severity": "medium",
        "category": "logging",
        "waived": None,
        "source": None,
    }


def test_cli_json_exits_0_without_a_mandatory_violation(policy_pack, tmp_path, capsys):
    assert policy_check.main([_write(tmp_path, ADVISORY_LOG_GROUP), "--json"], pack=policy_pack) == 0
    assert json.loads(capsys.readouterr().out)["mandatory"] == 0


@pytest.mark.parametrize(
    "content", [None, "not json", '{"resources": "x"}'], ids=["missing", "not-json", "not-a-synth"]
)
def test_cli_exits_2_on_an_unreadable_synth(tmp_path, capsys, content):
    path = tmp_path / "synth.json"
    if content is not None:
        path.write_text(content)
    assert policy_check.main([str(path)]) == 2
    assert capsys.readouterr().err.startswith("policy check: ")


def test_cli_exits_2_on_an_invalid_policy_config(policy_pack, tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"aws-no-such-policy": "mandatory"}))
    synth = _write(tmp_path, UNENCRYPTED_DB)
    assert policy_check.main([synth, "--policy-config", str(config)], pack=policy_pack) == 2
    assert "unknown policies: aws-no-such-policy" in capsys.readouterr().err


def test_cli_exits_2_on_a_waiver_without_a_reason(policy_pack, tmp_path, capsys):
    waivers = _waivers(tmp_path, {"aws-cloudwatch-log-group-retention": {"resources": ["logs"], "reason": " "}})
    assert policy_check.main([_write(tmp_path, ADVISORY_LOG_GROUP), "--waivers", waivers], pack=policy_pack) == 2
    assert "aws-cloudwatch-log-group-retention: reason must say why" in capsys.readouterr().err


def test_plan_with_the_policy_check_ends_with_the_summary(capsys):
    status = plan.main(["--stack", "prod", "--policy"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0 and "Policy check (policies/config/prod.json):" in lines and re.match(SUMMARY, lines[-1])


# -- the real stacks -----------------------------------------------------------------------------


def _check(pack, synth, stack):
    """The check `make policy` runs: the stack's policy config and waivers."""
    config = read_policy_config(stack_policy_config(stack))
    return pack.check(synth.document, config, read_waivers(waivers_path(stack), stack))


@pytest.fixture(scope="module")
def prod_report(policy_pack, prod):
    return _check(policy_pack, prod, "prod")


@pytest.fixture(scope="module")
def staging_report(policy_pack, staging):
    return _check(policy_pack, staging, "staging")


@pytest.fixture(params=["prod", "staging"])
def stack_report(request, prod_report, staging_report):
    return {"prod": prod_report, "staging": staging_report}[request.param]


def test_prod_has_no_mandatory_violation(prod_report):
    assert [v.line() for v in prod_report.violations if v.enforcement == "mandatory"] == []


def test_staging_has_no_mandatory_violation(staging_report):
    assert [v.line() for v in staging_report.violations if v.enforcement == "mandatory"] == []


def test_every_advisory_violation_of_a_stack_is_waived_with_a_reason(stack_report):
    assert [v.line() for v in stack_report.violations if v.enforcement == "advisory" and not v.waived] == []


def test_every_waiver_of_a_stack_still_covers_a_violation(stack_report):
    assert [(w.policy, w.resources) for w in stack_report.unused_waivers] == []


def test_every_waiver_explains_an_advisory_policy(policy_pack):
    for stack in ("prod", "staging"):
        levels = policy_config.reconcile(policy_pack.info, read_policy_config(stack_policy_config(stack)))
        assert [w.policy for w in read_waivers(waivers_path(stack), stack) if levels[w.policy][0] != "advisory"] == []


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
            config, waivers = (
                read_policy_config(stack_policy_config("prod")),
                read_waivers(waivers_path("prod"), "prod"),
            )
            reports[mutation] = policy_pack.check(doc, config, waivers)
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
        p.name: (p.tags[0] in blocking, policy_config.LEVELS[p.enforcementLevel]) for p in policy_pack.info.policies
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
