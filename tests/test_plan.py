"""tools.plan: what stops a plan before it starts (unknown stacks, missing policy configs)."""

from __future__ import annotations

import subprocess

from settings.stack_config import ROOT
from tools import ci_report, plan, policy_config


def test_an_unknown_stack_is_one_line_listing_the_stacks_and_exit_2(capsys):
    assert plan.main(["--stack", "nosuch", "--policy"]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["stack nosuch does not exist: no Pulumi.nosuch.yaml (stacks: prod, staging)"]
    assert captured.out == ""


def test_a_stack_without_a_policy_config_stops_before_planning(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(policy_config, "CONFIG_DIR", tmp_path)
    assert plan.main(["--stack", "staging", "--policy"]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"policy check: no policy config for stack staging: {tmp_path / 'staging.json'} does not exist; create it "
        f"from staging's (non-production levels) or prod's (the strict set), e.g. cp {tmp_path / 'staging.json'} "
        f"{tmp_path / 'staging.json'}"
    ]
    assert captured.out == ""


def test_ci_report_fails_the_same_way_without_a_policy_config(tmp_path, monkeypatch):
    monkeypatch.setattr(policy_config, "CONFIG_DIR", tmp_path)
    outcome = ci_report.evaluate("staging")
    assert outcome.status == 2
    assert outcome.config_errors[0].startswith("no policy config for stack staging: ")


def test_make_plan_with_an_unknown_stack_prints_no_traceback():
    result = subprocess.run(
        ["make", "--no-print-directory", "plan", "STACK=nosuch"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    # make exits 2 whenever a recipe fails; its own last line gives the tool's status.
    assert result.returncode == 2 and result.stderr.splitlines()[-1].endswith("Error 2")
    assert "Traceback" not in result.stderr
    assert "stack nosuch does not exist: no Pulumi.nosuch.yaml (stacks: prod, staging)" in result.stderr.splitlines()
