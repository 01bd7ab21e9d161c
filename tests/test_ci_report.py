"""tools.ci_report: the offline plan and policy result a pull request's reviewer reads."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from settings.stack_config import ROOT
from tests.support import copied
from tools import ci_report
from tools.ci_report import Outcome, main, summary, write

VERDICT = re.compile(r"^(\d+) mandatory, (\d+) advisory violations(?: \((\d+) waived\))? in (\d+) resources$")
PLAN = "Stack webapp/prod: 3 resources in 1 components would be created\n\nnetwork [Network]  (3 resources)"
VIOLATION = "mandatory aws-rds-instance-encrypted urn:pulumi:prod::webapp::aws:rds/instance:Instance::db: not encrypted"


@pytest.fixture(autouse=True)
def no_job_summary(monkeypatch):
    """Tests run inside GitHub Actions too: keep them out of the real job summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def outcome(status: int, output: str) -> Outcome:
    return Outcome(stack="prod", plan=PLAN, policy_status=status, policy_output=output)


def test_real_stack_writes_plan_policy_and_summary_and_exits_with_the_verdict(tmp_path, monkeypatch, staging):
    # The session's synth of the stack (test_synth checks that one synth gives the same JSON as
    # another); the policy check starts its own pack, as in CI.
    monkeypatch.setattr(ci_report, "synthesize", lambda stack, config_file=None: copied(staging.document))
    status = main(["--stack", "staging", "--out", str(tmp_path)])
    directory = tmp_path / "staging"
    assert (directory / "plan.txt").read_text().startswith("Stack webapp/staging: ")
    verdict = VERDICT.match((directory / "policy.txt").read_text().splitlines()[-1])
    assert verdict, (directory / "policy.txt").read_text()
    assert status == (1 if int(verdict.group(1)) else 0)
    assert verdict.group(0) in (directory / "summary.md").read_text()
    assert json.loads((directory / "policy.sarif").read_text())["version"] == "2.1.0"


def test_invalid_stack_config_exits_2_and_reports_each_problem(tmp_path):
    document = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
    document["config"]["webapp:network"]["vpcCidr"] = "not-a-cidr"
    config_file = tmp_path / "Pulumi.broken.yaml"
    config_file.write_text(yaml.safe_dump(document))
    status = main(["--stack", "staging", "--out", str(tmp_path), "--config-file", str(config_file)])
    assert status == 2
    text = (tmp_path / "staging" / "summary.md").read_text()
    assert "stack config is invalid" in text and "staging: network.vpcCidr" in text
    assert (tmp_path / "staging" / "policy.txt").read_text() == "(not run)\n"


def test_summary_shows_a_passing_check_with_its_verdict():
    text = summary(outcome(0, "0 mandatory, 0 advisory violations in 0 resources"))
    assert ":white_check_mark: Policy check passed**: 0 mandatory, 0 advisory" in text


def test_summary_fails_on_a_mandatory_violation_and_lists_it():
    text = summary(outcome(1, f"{VIOLATION}\n1 mandatory, 0 advisory violations in 1 resources"))
    assert ":x: Mandatory policy violations**: 1 mandatory" in text
    assert VIOLATION in text


def test_summary_says_when_the_check_could_not_run():
    assert "could not run** (exit status 2)" in summary(outcome(2, "usage: ..."))


def test_summary_folds_the_plan_under_its_headline():
    text = summary(outcome(0, "0 mandatory, 0 advisory violations in 0 resources"))
    assert text.index(PLAN.splitlines()[0]) < text.index("<details><summary>Plan</summary>")
    assert "network [Network]  (3 resources)" in text


def test_exit_status_follows_the_policy_check():
    assert [outcome(s, "").status for s in (0, 1, 3)] == [0, 1, 3]


def test_summary_is_appended_to_the_github_job_summary(tmp_path, monkeypatch):
    job_summary = tmp_path / "step-summary.md"
    job_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(job_summary))
    write(outcome(0, "0 mandatory, 0 advisory violations in 0 resources"), tmp_path / "out")
    assert job_summary.read_text() == "earlier step\n" + (tmp_path / "out" / "prod" / "summary.md").read_text()
