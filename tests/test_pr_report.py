"""tools.pr_report: the change review files of one stack, as the pull-request workflow uploads them."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.diff_support import edited, resource
from tools.pr_report import base_synth, report


def test_a_blocking_change_fails_the_report_and_is_listed_first(tmp_path, staging, policy_pack):
    # The base had another database name: the head replaces the (protected) database.
    base = edited(staging.document, lambda d: resource(d, "database-instance")["inputs"].update(dbName="legacy"))
    base_file = tmp_path / "base-in.json"
    base_file.write_text(json.dumps(base))
    status, summary = report("staging", tmp_path / "out", None, base_file, policy_pack)
    assert status == 1
    assert summary["blocking"][0]["name"] == "database-instance" and summary["blocking"][0]["action"] == "replace"
    folder = tmp_path / "out" / "staging"
    assert json.loads((folder / "diff.json").read_text())["summary"] == summary["summary"]
    assert summary["policy"]["status"] == 0 and (folder / "policy.sarif").is_file()
    assert (folder / "diagram.svg").is_file() == (shutil.which("dot") is not None)
    assert json.loads((folder / "summary.json").read_text()) == summary


@pytest.mark.spawns
def test_the_base_is_synthesized_by_the_commits_own_code_and_says_why_it_failed(tmp_path):
    # The commit's tree is exported and its tools.synth runs there: its own unknown-stack message.
    problem = base_synth("HEAD", "no-such-stack", tmp_path / "base.json")
    assert problem is not None and "stack no-such-stack does not exist" in problem
    assert "Pulumi.no-such-stack.yaml" in problem and not (tmp_path / "base.json").exists()


def test_an_unknown_base_commit_says_so(tmp_path):
    problem = base_synth("0" * 40, "staging", tmp_path / "base.json")
    assert problem is not None and problem.startswith("git archive")
