"""tools.pr_comment: one sticky, size-capped comment from untrusted report artifacts, offline."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from settings.stack_config import ROOT
from tools.pr_comment import LIMIT, MARKER, Untrusted, body, load_reports, main, pull_request_number, safe, upsert

SHA = "0123456789abcdef0123456789abcdef01234567"
URL = "https://github.com/acme/webapp/actions/runs/42"
REPO = "acme/webapp"


def summary(stack: str, **overrides) -> dict:
    document = {
        "stack": stack,
        "summary": {"create": 1, "update": 2, "replace": 1, "delete": 1, "same": 150},
        "blocking": [
            {
                "name": "cache-group",
                "type": "aws:elasticache/replicationGroup:ReplicationGroup",
                "action": "delete",
                "reason": "blocking: deletes a stateful resource (cache)",
            }
        ],
        "changes": [
            {"name": "alarms-new", "type": "aws:cloudwatch/metricAlarm:MetricAlarm", "action": "create", "reason": ""}
        ],
        "cost": {"monthly": 1200.5, "baseMonthly": 1161.99, "deltaMonthly": 38.51, "budget": {"over": False}},
        "policy": {"status": 0, "verdict": "0 mandatory, 3 advisory violations in 2 resources"},
        "notes": [],
    }
    document.update(overrides)
    return document


def write_reports(root: Path, *documents: dict, number: int | None = 7) -> Path:
    for document in documents:
        folder = root / f"pr-report-{document['stack']}" / document["stack"]
        folder.mkdir(parents=True)
        (folder / "summary.json").write_text(json.dumps(document))
        if number is not None:
            (folder.parent / "pr.json").write_text(json.dumps({"number": number}))
    return root


class FakeGitHub:
    """The few REST calls the tool makes, recorded; pull request 7 is at SHA."""

    def __init__(self, comments=None, head_sha=SHA):
        self.comments = comments or []
        self.head_sha = head_sha
        self.calls: list[tuple[str, str, dict | None]] = []

    def __call__(self, method, path, payload):
        self.calls.append((method, path, payload))
        if method == "GET" and path == f"/repos/{REPO}/pulls/7":
            return {"number": 7, "head": {"sha": self.head_sha}}
        if method == "GET" and "/comments" in path:
            return self.comments
        return {}


def test_each_stack_shows_summary_blocking_first_cost_delta_and_policy(tmp_path):
    text = body(load_reports(write_reports(tmp_path, summary("prod"), summary("staging"))), SHA, URL)
    prod = text[text.index("### `prod`") : text.index("### `staging`")]
    assert "create 1 · update 2 · replace 1 · delete 1 · unchanged 150" in prod
    assert prod.index("Blocking changes") < prod.index("cache-group") < prod.index("Cost") < prod.index("alarms-new")
    assert "$1,200.50/month (+$38.51 against $1,161.99)" in prod
    assert ":white_check_mark: passed: 0 mandatory, 3 advisory violations" in prod
    assert text.startswith(MARKER) and f"[full report]({URL})" in text


def test_artifact_text_cannot_mention_link_or_inject_html(tmp_path):
    evil = summary(
        "prod",
        blocking=[
            {
                "name": "@acme/admins",
                "type": "<img src=x onerror=alert(1)>",
                "action": "delete",
                "reason": "[click](https://evil.example)`code`",
            }
        ],
    )
    text = body(load_reports(write_reports(tmp_path, evil)), SHA, URL)
    assert "@acme" not in text and "<img" not in text and "](https://evil" not in text and "`code`" not in text
    assert safe("a\nb|c") == "a b\\|c"


def test_above_the_limit_the_summaries_stay_and_the_artifact_is_linked(tmp_path):
    many = [{"name": f"r{i}", "type": "aws:x/y:Z", "action": "delete", "reason": "x" * 390} for i in range(3000)]
    reports = load_reports(write_reports(tmp_path, summary("prod", blocking=many), summary("staging", changes=many)))
    text = body(reports, SHA, URL)
    assert len(text) <= LIMIT
    assert "### `prod`" in text and "### `staging`" in text and "unchanged 150" in text
    assert "3000 blocking" in text and f"[full report]({URL}) has them" in text


def test_a_stack_folder_that_is_not_a_stack_name_is_refused(tmp_path):
    folder = tmp_path / "pr-report-x" / "..evil"
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(summary("..evil")))
    with pytest.raises(Untrusted):
        load_reports(tmp_path)


def test_a_non_numeric_count_is_refused(tmp_path):
    bad = summary("prod", summary={"create": "1; drop", "update": 0, "replace": 0, "delete": 0, "same": 0})
    with pytest.raises(Untrusted):
        load_reports(write_reports(tmp_path, bad))


def test_the_event_number_wins_and_needs_no_lookup(tmp_path):
    api = FakeGitHub()
    assert pull_request_number(write_reports(tmp_path, summary("prod"), number=999), "7", SHA, api, REPO) == 7
    assert api.calls == []


def test_a_fork_pull_request_number_is_checked_against_the_tested_commit(tmp_path):
    reports = write_reports(tmp_path, summary("prod"), number=7)
    assert pull_request_number(reports, "", SHA, FakeGitHub(), REPO) == 7
    with pytest.raises(Untrusted, match="not at the tested commit"):
        pull_request_number(reports, "", SHA, FakeGitHub(head_sha="f" * 40), REPO)


def test_the_comment_is_edited_in_place_when_it_exists():
    mine = {"id": 5, "body": f"{MARKER}\nold", "user": {"type": "Bot"}}
    forged = {"id": 4, "body": f"{MARKER}\nby a person", "user": {"type": "User"}}
    api = FakeGitHub(comments=[forged, mine])
    assert upsert(api, REPO, 7, "new") == "edited"
    assert api.calls[-1] == ("PATCH", f"/repos/{REPO}/issues/comments/5", {"body": "new"})


def test_the_comment_is_created_once_when_there_is_none():
    api = FakeGitHub(comments=[{"id": 4, "body": "lgtm", "user": {"type": "User"}}])
    assert upsert(api, REPO, 7, "new") == "created"
    assert [c for c in api.calls if c[0] == "POST"] == [("POST", f"/repos/{REPO}/issues/7/comments", {"body": "new"})]


def test_main_posts_nothing_when_the_artifact_names_another_pull_request(tmp_path, monkeypatch, capsys):
    reports = write_reports(tmp_path, summary("prod"), number=7)
    monkeypatch.setenv("HEAD_SHA", SHA)
    monkeypatch.setenv("REPORT_URL", URL)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_EVENT_PR", "")
    api = FakeGitHub(head_sha="e" * 40)
    assert main(["--reports", str(reports), "--post"], api=api) == 1
    assert not any(method in ("POST", "PATCH") for method, _, _ in api.calls)
    assert "refusing the artifacts" in capsys.readouterr().err


def test_the_tool_needs_only_the_standard_library():
    tree = ast.parse((ROOT / "tools" / "pr_comment.py").read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)
