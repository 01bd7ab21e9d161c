"""One sticky pull-request comment from the change-review artifacts, posted by a trusted job.

    python -m tools.pr_comment --reports DIR --out BODY.md [--post]

Runs in the `workflow_run` workflow from the default branch's checkout, with the standard library
only: it never runs the pull request's code, it reads the `pr-report-<stack>` artifacts the
unprivileged run uploaded (tools.pr_report), and treats them as untrusted input:
- the pull request number comes from the workflow_run event (GITHUB_EVENT_PR); when the event has
  none (pull requests from forks), the artifact's number is used only if the GitHub API says that
  pull request's head is the commit the run tested (HEAD_SHA);
- only `<stack>/summary.json` files are read, stack names must look like stack names, sizes are
  capped, numbers must be numbers, and every string is escaped before it reaches Markdown (no
  HTML, no mentions, no links); the artifact's own Markdown is never pasted.
Per stack the body shows the change summary, the blocking changes first, the cost delta and the
policy verdict. Above GitHub's 65,536-character limit it drops the change lists, keeps every
summary and links the full report (the run's artifacts, REPORT_URL).
With --post it creates the comment, or edits the one carrying MARKER in place (one per pull request).
Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, HEAD_SHA, REPORT_URL, GITHUB_EVENT_PR (may be empty),
GITHUB_API_URL (default https://api.github.com).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

MARKER = "<!-- webapp-change-review -->"
LIMIT = 65_536
MAX_FILE = 2_000_000
MAX_LISTED = 1000
STACK = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
ACTIONS = ("create", "update", "replace", "delete", "same")

Api = Callable[[str, str, dict[str, Any] | None], Any]


class Untrusted(ValueError):
    """An artifact or an event that does not hold what the report workflow writes."""


def safe(value: Any, limit: int = 200) -> str:
    """Text from an artifact, made inert for Markdown: one line, no HTML, no mentions, capped."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("`", "'").replace("|", "\\|").replace("@", "@\u200b")
    text = re.sub(r"([\[\]()*_~#!])", r"\\\1", text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Untrusted(f"not a number: {safe(value, 40)}")
    return float(value)


def load_reports(directory: Path) -> list[dict[str, Any]]:
    """Every stack's summary.json under `directory` (artifact folders or stack folders), checked."""
    reports = []
    for path in sorted(directory.glob("**/summary.json")):
        stack = path.parent.name
        if not STACK.match(stack):
            raise Untrusted(f"unexpected stack folder {safe(stack, 40)}")
        if path.stat().st_size > MAX_FILE:
            raise Untrusted(f"{stack}: summary.json is too large")
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or data.get("stack") != stack:
            raise Untrusted(f"{stack}: summary.json names another stack")
        reports.append(_checked(stack, data))
    if not reports:
        raise Untrusted("no summary.json in the artifacts")
    return reports


def _checked(stack: str, data: dict[str, Any]) -> dict[str, Any]:
    counts = data.get("summary") or {}
    summary = {a: int(_number(counts.get(a)) or 0) for a in ACTIONS} if counts else None
    policy = data.get("policy") or {}
    cost = data.get("cost") or {}
    return {
        "stack": stack,
        "summary": summary,
        "blocking": [_change(c) for c in data.get("blocking") or []],
        "changes": [_change(c) for c in data.get("changes") or []],
        "configErrors": [safe(line) for line in data.get("configErrors") or []],
        "notes": [safe(line, 300) for line in data.get("notes") or []],
        "policy": {"status": _number(policy.get("status")), "verdict": safe(policy.get("verdict", ""), 300)}
        if policy
        else None,
        "cost": {k: _number(cost.get(k)) for k in ("monthly", "baseMonthly", "deltaMonthly")}
        | {
            "over": bool((cost.get("budget") or {}).get("over")),
            "error": safe(cost["error"]) if "error" in cost else "",
        }
        if cost
        else None,
    }


def _change(change: Any) -> dict[str, str]:
    if not isinstance(change, dict) or change.get("action") not in ACTIONS:
        raise Untrusted("a change without a known action")
    return {k: safe(change.get(k, ""), 400 if k == "reason" else 120) for k in ("name", "type", "action", "reason")}


def pull_request_number(artifact_dir: Path, event_pr: str, head_sha: str, api: Api, repository: str) -> int:
    """The pull request to comment on: the event's, else the artifact's once the API confirms it."""
    if event_pr.strip():
        return int(event_pr)
    path = next(iter(sorted(artifact_dir.glob("**/pr.json"))), None)
    if path is None:
        raise Untrusted("no pull request number in the event or the artifacts")
    number = json.loads(path.read_text()).get("number")
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        raise Untrusted("the artifact's pull request number is not a positive integer")
    pull = api("GET", f"/repos/{repository}/pulls/{number}", None)
    if (pull or {}).get("head", {}).get("sha") != head_sha:
        raise Untrusted(f"pull request #{number} is not at the tested commit {safe(head_sha, 40)}")
    return number


def _usd(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{'+' if signed and value > 0 else ''}{'-' if value < 0 else ''}${abs(value):,.2f}"


def stack_section(report: dict[str, Any], detail: int) -> list[str]:
    """Markdown of one stack; `detail` 2 lists every change, 1 only blocking ones, 0 neither."""
    lines = [f"### `{report['stack']}`", ""]
    if report["configErrors"]:
        return (
            [*lines, "**:x: The stack config is invalid; nothing was compared.**", ""]
            + [f"- {line}" for line in report["configErrors"][:MAX_LISTED]]
            + [""]
        )
    counts = report["summary"] or {}
    blocking = report["blocking"]
    flag = f":no_entry: **{len(blocking)} blocking**" if blocking else ":white_check_mark: nothing blocking"
    counted = " · ".join(f"{a} {counts.get(a, 0)}" for a in ACTIONS[:-1])
    lines += [f"{flag} — {counted} · unchanged {counts.get('same', 0)}", ""]
    if blocking and detail >= 1:
        lines += ["**Blocking changes**", ""]
        lines += [f"- **{c['action']}** `{c['name']}` ({c['type']}): {c['reason']}" for c in blocking[:MAX_LISTED]]
        lines += [f"- … and {len(blocking) - MAX_LISTED} more" if len(blocking) > MAX_LISTED else "", ""]
    lines.append(f"- **Cost:** {_cost(report['cost'])}")
    lines.append(f"- **Policy:** {_policy(report['policy'])}")
    lines += [f"> {note}" for note in report["notes"]]
    if report["changes"] and detail >= 2:
        lines += ["", "<details><summary>Other changes</summary>", ""]
        lines += [f"- {c['action']} `{c['name']}` ({c['type']})" for c in report["changes"][:MAX_LISTED]]
        lines += ["", "</details>"]
    return [*lines, ""]


def _cost(cost: dict[str, Any] | None) -> str:
    if cost is None:
        return "not estimated (tools/cost is not on this branch)"
    if cost["error"]:
        return f"the estimate failed: {cost['error']}"
    text = f"{_usd(cost['monthly'])}/month"
    if cost["deltaMonthly"] is not None:
        text += f" ({_usd(cost['deltaMonthly'], signed=True)} against {_usd(cost['baseMonthly'])})"
    return text + (" — :warning: over the stack's budget" if cost["over"] else "")


def _policy(policy: dict[str, Any] | None) -> str:
    if policy is None:
        return "not run"
    verdicts = {0: ":white_check_mark: passed", 1: ":x: mandatory violations"}
    status = policy["status"]
    return f"{verdicts.get(int(status) if status is not None else -1, ':x: could not run')}: {policy['verdict']}"


def body(reports: list[dict[str, Any]], head_sha: str, report_url: str) -> str:
    """The comment: the most detailed form that fits GitHub's limit (summaries always kept)."""
    header = [MARKER, "## Change review", "", f"Commit `{safe(head_sha[:12], 12)}` · [full report]({report_url})", ""]
    for detail in (2, 1, 0):
        lines = header + [line for report in reports for line in stack_section(report, detail)]
        if detail < 2:
            lines.append(f"_Lists shortened to fit GitHub's comment limit; the [full report]({report_url}) has them._")
        text = "\n".join(lines) + "\n"
        if len(text) <= LIMIT:
            return text
    return text[: LIMIT - 200] + f"\n\n_Cut to fit; see the [full report]({report_url})._\n"


def github_api(token: str, base_url: str) -> Api:
    def call(method: str, path: str, payload: dict[str, Any] | None) -> Any:
        request = urllib.request.Request(
            base_url.rstrip("/") + path,
            data=json.dumps(payload).encode() if payload is not None else None,
            method=method,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (fixed API host)
            return json.loads(response.read() or b"null")

    return call


def upsert(api: Api, repository: str, number: int, text: str) -> str:
    """Edit the comment that carries MARKER, or create it: one comment per pull request."""
    page = 1
    while True:
        comments = api("GET", f"/repos/{repository}/issues/{number}/comments?per_page=100&page={page}", None) or []
        mine = next(
            (c for c in comments if MARKER in (c.get("body") or "") and c.get("user", {}).get("type") == "Bot"), None
        )
        if mine is not None:
            api("PATCH", f"/repos/{repository}/issues/comments/{mine['id']}", {"body": text})
            return "edited"
        if len(comments) < 100:
            break
        page += 1
    api("POST", f"/repos/{repository}/issues/{number}/comments", {"body": text})
    return "created"


def main(argv: list[str] | None = None, api: Api | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pr_comment", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reports", type=Path, required=True, help="where the pr-report-* artifacts were unpacked")
    parser.add_argument("--out", type=Path, help="also write the body here")
    parser.add_argument("--post", action="store_true", help="create or edit the pull request's comment")
    args = parser.parse_args(argv)
    env = os.environ
    head_sha, report_url = env.get("HEAD_SHA", ""), env.get("REPORT_URL", "")
    if not re.fullmatch(r"[0-9a-f]{40}", head_sha) or not report_url.startswith("https://"):
        print("pr_comment: HEAD_SHA (40 hex) and REPORT_URL (https) must be set", file=sys.stderr)
        return 2
    try:
        text = body(load_reports(args.reports), head_sha, report_url)
        if args.out:
            args.out.write_text(text)
        if args.post:
            repository = env["GITHUB_REPOSITORY"]
            api = api or github_api(env["GITHUB_TOKEN"], env.get("GITHUB_API_URL", "https://api.github.com"))
            number = pull_request_number(args.reports, env.get("GITHUB_EVENT_PR", ""), head_sha, api, repository)
            print(f"comment {upsert(api, repository, number, text)} on #{number}")
    except (Untrusted, ValueError, KeyError) as error:
        print(f"pr_comment: refusing the artifacts: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
