"""tools.policy_sarif: a policy check as SARIF 2.1.0, valid against the OASIS schema (kept as
tests/fixtures/sarif-2.1.0.json, the errata01 text as published), for GitHub code scanning."""

import json

import jsonschema
import pytest

from settings.stack_config import ROOT
from tests.policy_support import document, resource
from tests.support import copied
from tools import policy_check
from tools.policy_config import stack_policy_config
from tools.policy_report import Report, Source, Violation
from tools.policy_sarif import sarif

SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "sarif-2.1.0.json").read_text())
FINAL_SNAPSHOT = "aws-rds-instance-final-snapshot"


def _skip_final_snapshot(doc):
    db = next(r for r in doc["resources"] if r["type"] == "aws:rds/instance:Instance")
    for field in ("inputs", "outputs"):
        db[field]["skipFinalSnapshot"] = True
        db[field].pop("finalSnapshotIdentifier", None)
    return db


@pytest.fixture(scope="module")
def mutated(prod, tmp_path_factory):
    """The prod synth with the database's final snapshot skipped, as a file."""
    doc = copied(prod.document)
    _skip_final_snapshot(doc)
    path = tmp_path_factory.mktemp("sarif") / "synth-prod.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def cli(policy_pack, mutated):
    """(exit status, SARIF log) of `python -m tools.policy_check` on the mutated prod synth."""
    out = mutated.parent / "policy.sarif"
    config = str(stack_policy_config("prod"))
    status = policy_check.main([str(mutated), "--policy-config", config, "--sarif", str(out)], pack=policy_pack)
    return status, json.loads(out.read_text())


@pytest.fixture(scope="module")
def log(cli):
    return cli[1]


@pytest.fixture(scope="module")
def results(log):
    return log["runs"][0]["results"]


def test_the_sarif_of_a_mutated_prod_synth_validates_against_the_schema(log):
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    assert sorted(e.message for e in jsonschema.Draft4Validator(SCHEMA).iter_errors(log)) == []


def test_the_schema_fixture_rejects_what_sarif_forbids(log):
    broken = copied(log)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert not jsonschema.Draft4Validator(SCHEMA).is_valid(broken)


def test_the_check_exits_1_and_the_skipped_snapshot_is_an_error_at_the_line_that_creates_the_instance(cli, results):
    (found,) = [r for r in results if r["ruleId"] == FINAL_SNAPSHOT]
    physical = found["locations"][0]["physicalLocation"]
    line = (ROOT / physical["artifactLocation"]["uri"]).read_text().splitlines()[physical["region"]["startLine"] - 1]
    assert (cli[0], found["level"], physical["artifactLocation"]["uriBaseId"]) == (1, "error", "%SRCROOT%")
    assert physical["artifactLocation"]["uri"] == "components/database.py" and "aws.rds.Instance(" in line


def test_each_result_names_its_resource_by_urn_as_logical_location(results):
    (found,) = [r for r in results if r["ruleId"] == FINAL_SNAPSHOT]
    (logical,) = found["locations"][0]["logicalLocations"]
    assert logical["fullyQualifiedName"].endswith("::database-instance") and logical["name"] == "database-instance"
    assert found["message"]["text"].startswith("database-instance (aws:rds/instance:Instance): skipFinalSnapshot")


def test_one_rule_per_policy_with_description_help_and_security_severity(policy_pack, log):
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [p.name for p in policy_pack.info.policies]
    privileged = next(r for r in rules if r["id"] == "aws-ecs-task-definition-non-privileged")
    assert privileged["properties"]["security-severity"] == "8.0" and "FSBP ECS.4" in privileged["help"]["markdown"]
    assert privileged["defaultConfiguration"] == {"level": "error"} and privileged["shortDescription"]["text"]


def test_a_result_points_at_its_rule(log, results):
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


def test_a_waived_advisory_is_a_warning_with_an_accepted_suppression(results):
    (port,) = [r for r in results if r["ruleId"] == "aws-rds-instance-non-default-port"]
    (suppression,) = port["suppressions"]
    assert (port["level"], suppression["kind"], suppression["status"]) == ("warning", "external", "accepted")
    assert suppression["justification"].startswith("PostgreSQL stays on 5432")


def test_each_stack_is_its_own_code_scanning_category(log):
    assert log["runs"][0]["automationDetails"] == {"id": "policy-check/prod/"}


def test_without_a_recorded_source_the_urn_is_the_only_location(policy_pack):
    logs = resource("aws:cloudwatch/logGroup:LogGroup", "logs", {"retentionInDays": 30.0})
    report = policy_pack.check(document(logs))
    found = sarif(report, policy_pack.info)["runs"][0]["results"]
    assert found and all(set(r["locations"][0]) == {"logicalLocations"} for r in found)


def test_a_check_without_mandatory_violations_writes_a_valid_log_of_warnings_and_exits_0(policy_pack, tmp_path):
    logs = resource("aws:cloudwatch/logGroup:LogGroup", "logs", {"retentionInDays": 30.0, "kmsKeyId": "arn:aws:kms:k"})
    synth, out = tmp_path / "synth.json", tmp_path / "policy.sarif"
    synth.write_text(json.dumps(document(logs)))
    status = policy_check.main([str(synth), "--pack-defaults", "--sarif", str(out), "--json"], pack=policy_pack)
    log = json.loads(out.read_text())
    assert status == 0 and jsonschema.Draft4Validator(SCHEMA).is_valid(log)
    assert [r["level"] for r in log["runs"][0]["results"]] == ["warning"]


def test_the_fingerprint_stays_when_the_code_moves(policy_pack):
    def fingerprints(line):
        urn = "urn:pulumi:prod::webapp::webapp:components:Database$aws:rds/instance:Instance::database-instance"
        found = Violation("mandatory", FINAL_SNAPSHOT, urn, "m", "medium", "backups", None, Source("a.py", line))
        report = Report(project="webapp", stack="prod", violations=[found])
        return [r["partialFingerprints"] for r in sarif(report, policy_pack.info)["runs"][0]["results"]]

    assert fingerprints(10) == fingerprints(13)
