"""The change review of one stack for a pull request, as files a CI job uploads.

    python -m tools.pr_report --stack NAME --base-ref REF [--out DIR] [--pr NUMBER]
    python -m tools.pr_report --stack NAME --base-synth BASE.json [--out DIR]

Synthesizes the head (this checkout) and the base (REF's tree, exported with `git archive` and
synthesized by its own code), then writes DIR/<stack>/: head.json and base.json (the synths),
diff.json and diff.md (tools.diff), cost.json (tools.cost's estimate with its delta),
policy.txt and policy.sarif (tools.policy_check, as tools.ci_report runs it), diagram.svg (tools.diagram with the changes highlighted, when Graphviz is installed),
and summary.json: the facts tools.pr_comment turns into the pull request's comment. report.md
is appended to $GITHUB_STEP_SUMMARY when that is set.

Runs no credentialed step: everything is offline, so pull requests from forks get it too.
Exit status: 1 when a change is blocking or a mandatory policy is violated, 2 when the head's
stack config is invalid, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from settings import ConfigError
from settings.stack_config import ROOT
from tools import exit_now
from tools.ci_report import run_policy_check
from tools.cost import prices
from tools.cost.cli import CostError, as_json, stack_settings
from tools.cost.estimate import estimate
from tools.diagram.__main__ import build
from tools.diagram.draw import render_svg
from tools.diff import compare
from tools.diff.base import EMPTY, base_synth
from tools.diff.render import markdown
from tools.policy_check import PolicyPack
from tools.policy_config import policy_config_path
from tools.synth import dumps, synthesize


def cost(stack: str, head: dict[str, Any], base: dict[str, Any] | None, directory: Path) -> dict[str, Any]:
    """tools.cost's estimate of the head with its delta against the base (its --json document)."""
    try:
        _, settings = stack_settings(stack, None)
    except CostError as error:
        return {"error": str(error)}
    book = prices.load()
    priced_base = estimate(base, settings.usage, book) if base else None
    output = as_json(estimate(head, settings.usage, book), priced_base, settings)
    (directory / "cost.json").write_text(json.dumps(output, indent=2) + "\n")
    delta = output.get("delta") or {}
    return {
        "monthly": output.get("monthlyTotal"),
        "baseMonthly": delta.get("baseMonthlyTotal"),
        "deltaMonthly": delta.get("monthlyTotal"),
        "budget": output.get("budget"),
    }


def policy(stack: str, head_file: Path, directory: Path, pack: PolicyPack | None = None) -> dict[str, Any]:
    """The offline policy check of the head (tools.ci_report's), its SARIF beside the report."""
    status, output = run_policy_check(head_file, policy_config_path(stack), directory / "policy.sarif", pack)
    (directory / "policy.txt").write_text(output + "\n")
    lines = output.splitlines()
    return {"status": status, "verdict": lines[-1] if lines else "(no output)"}


def report(
    stack: str, out: Path, base_ref: str | None, base_file: Path | None, pack: PolicyPack | None = None
) -> tuple[int, dict[str, Any]]:
    """Write the stack's review files; `pack` runs the policy check when given (else its own)."""
    directory = out / stack
    directory.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"stack": stack, "notes": []}
    try:
        head = synthesize(stack)
    except ConfigError as error:
        summary["configErrors"] = list(error.lines)
        (directory / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        return 2, summary
    head_file = directory / "head.json"
    head_file.write_text(dumps(head))
    base_path = directory / "base.json"
    if base_file is not None:
        shutil.copyfile(base_file, base_path)
    elif base_ref is not None:
        problem = base_synth(base_ref, stack, base_path)
        if problem:
            summary["notes"].append(problem)
    base = json.loads(base_path.read_text()) if base_path.is_file() else None
    diff = compare(base or EMPTY, head)
    (directory / "diff.json").write_text(json.dumps(diff.as_json(), indent=2, sort_keys=True) + "\n")
    (directory / "diff.md").write_text(markdown(diff, stack))
    summary["summary"] = diff.summary()
    summary["blocking"] = [_brief(c) for c in diff.blocking]
    summary["changes"] = [_brief(c) for c in diff.changes if not c.blocking]
    summary["cost"] = cost(stack, head, base, directory)
    summary["policy"] = policy(stack, head_file, directory, pack)
    if shutil.which("dot"):
        (directory / "diagram.svg").write_text(render_svg(build(head, base)))
    else:
        summary["notes"].append("no diagram: Graphviz is not installed")
    (directory / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    status = 1 if diff.blocking or summary["policy"]["status"] == 1 else 0
    return status, summary


def _brief(change) -> dict[str, Any]:
    return {"name": change.name, "type": change.type, "action": change.action, "reason": change.reason}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pr_report", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "ci-out" / "pr-report")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--base-ref", help="git commit or ref of the base (e.g. the pull request's base SHA)")
    source.add_argument("--base-synth", type=Path, help="a base synth already made")
    parser.add_argument("--pr", type=int, help="pull request number, recorded for the comment workflow")
    args = parser.parse_args(argv)
    status, summary = report(args.stack, args.out, args.base_ref, args.base_synth)
    if args.pr is not None:
        (args.out / "pr.json").write_text(json.dumps({"number": args.pr}) + "\n")
    text = (args.out / args.stack / "diff.md").read_text() if "summary" in summary else ""
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary and text:
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(text)
    for line in summary.get("configErrors", []) + summary["notes"]:
        print(line, file=sys.stderr)
    print(json.dumps({k: summary.get(k) for k in ("stack", "summary", "policy", "cost")}, sort_keys=True))
    return status


if __name__ == "__main__":
    exit_now(main())
