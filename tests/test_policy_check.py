"""The offline policy check (tools.policy_check) and the pack as a whole: the analyzer protocol,
the CLI (grouped text, waivers, JSON, exit status), and the pack's metadata and packaging. The
real stacks are in test_policy_stacks, the SARIF output in test_policy_sarif."""

import importlib
import json
import re

import pytest
import yaml
from google.protobuf import json_format

from settings.stack_config import ROOT
from tests.policy_support import ACCOUNT, document, messages, resource
from tools import policy_check, policy_config, policy_report

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


# -- the pack over the analyzer protocol -----------------------------------------------------


def test_the_pack_serves_its_policies_over_the_analyzer_protocol(policy_pack):
    info = policy_pack.info
    assert (info.name, info.supportsConfig, len(info.policies) > 70) == ("webapp-aws-baseline", True, True)


def test_a_directory_without_pulumipolicy_yaml_is_not_a_pack(tmp_path):
    with pytest.raises(policy_report.UsageError, match="no PulumiPolicy.yaml, not a policy pack"):
        policy_check.PolicyPack(tmp_path).spawn()


def test_a_pack_that_fails_to_build_is_a_usage_error_showing_its_stderr(tmp_path):
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text("raise SystemExit('no policies here')\n")
    with pytest.raises(policy_report.UsageError, match=r"did not start:\n(.|\n)*no policies here"):
        with policy_check.PolicyPack(tmp_path):
            pass


def test_a_violation_is_reported_with_its_enforcement_policy_category_severity_urn_and_message(policy_pack):
    report = policy_pack.check(document(UNENCRYPTED_DB))
    assert [v.line() for v in report.by_policy("aws-rds-instance-storage-encrypted")] == [
        f"mandatory aws-rds-instance-storage-encrypted (encryption, medium) {UNENCRYPTED_DB['urn']}: "
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
    status = policy_check.main(
        [_write(tmp_path, ADVISORY_LOG_GROUP, UNENCRYPTED_DB), "--pack-defaults"], pack=policy_pack
    )
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
    status = policy_check.main(
        [_write(tmp_path, ADVISORY_LOG_GROUP, other), "--pack-defaults", "--waivers", waivers], pack=policy_pack
    )
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
    policy_check.main([_write(tmp_path, ADVISORY_LOG_GROUP), "--pack-defaults"], pack=policy_pack)
    assert "    waived: Kept short." in capsys.readouterr().out.splitlines()


def test_cli_json_has_the_same_result_for_scripts(policy_pack, tmp_path, capsys):
    status = policy_check.main(
        [_write(tmp_path, ADVISORY_LOG_GROUP, UNENCRYPTED_DB), "--pack-defaults", "--json"], pack=policy_pack
    )
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
    assert policy_check.main([_write(tmp_path, ADVISORY_LOG_GROUP), "--pack-defaults", "--json"], pack=policy_pack) == 0
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
    assert (
        policy_check.main(
            [_write(tmp_path, ADVISORY_LOG_GROUP), "--pack-defaults", "--waivers", waivers], pack=policy_pack
        )
        == 2
    )
    assert "aws-cloudwatch-log-group-retention: reason must say why" in capsys.readouterr().err


def test_cli_without_a_config_for_the_synths_stack_says_how_to_create_it(tmp_path, capsys):
    # The synth's stack ("test") has no policies/config/test.json.
    assert policy_check.main([_write(tmp_path, UNENCRYPTED_DB)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "policy check: no policy config for stack test: policies/config/test.json does not exist; create it from "
        "staging's (non-production levels) or prod's (the strict set), e.g. cp policies/config/staging.json "
        "policies/config/test.json"
    ]


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


def test_each_policy_module_lists_every_policy_it_defines_once(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "policies"))
    from pulumi_policy import Policy

    webapp_policies = importlib.import_module("webapp_policies")
    for module in webapp_policies.modules():
        defined = [value for value in vars(module).values() if isinstance(value, Policy)]
        listed = module.POLICIES
        assert len({id(p) for p in listed}) == len(listed) and {id(p) for p in listed} == {id(p) for p in defined}, (
            module.__name__
        )


def test_the_pack_serves_the_modules_policies_in_their_order(policy_pack, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "policies"))
    webapp_policies = importlib.import_module("webapp_policies")
    expected = [p.name for module in webapp_policies.modules() for p in module.POLICIES]
    assert [p.name for p in policy_pack.info.policies] == expected


def test_pulumi_policy_yaml_declares_a_python_pack_with_its_virtualenv():
    project = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    assert project["version"] and project["description"]
