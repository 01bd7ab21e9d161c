"""The offline plan and policy check of one stack, as files a CI job publishes.

    python -m tools.ci_report --stack NAME [--out DIR] [--config-file FILE]

Writes DIR/<stack>/plan.txt (tools.plan's text), policy.txt (what `python -m tools.policy_check`
prints with policies/config/<stack>.json and the stack's waivers, run in this process),
policy.sarif (the same result as SARIF 2.1.0, for `github/codeql-action/upload-sarif`) and
summary.md (Markdown for the GitHub job summary; appended to $GITHUB_STEP_SUMMARY when that is
set). Exits 0 when the
stack builds and no mandatory policy is violated, 1 on a mandatory violation, 2 when the stack
config is invalid, and the check's own status when it cannot run.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from settings import ConfigError
from settings.stack_config import ROOT
from tools import cli_parser, exit_now, policy_check
from tools.plan import render
from tools.policy_check import PolicyPack
from tools.policy_config import stack_policy_config
from tools.policy_report import UsageError
from tools.synth import dumps, synthesize

CONFIG_ERROR = 2


@dataclass(frozen=True)
class Outcome:
    """What CI reports for one stack: the plan (or the config errors) and the policy result."""

    stack: str
    plan: str
    config_errors: tuple[str, ...] = ()
    policy_status: int | None = None  # None: the check did not run (the stack did not build)
    policy_output: str = ""
    policy_sarif: str = ""  # the SARIF log, when the check ran

    @property
    def status(self) -> int:
        if self.config_errors:
            return CONFIG_ERROR
        return self.policy_status or 0


def run_policy_check(
    synth_file: Path, config_file: Path, sarif_file: Path, pack: PolicyPack | None = None
) -> tuple[int, str]:
    """The offline policy check, as `make policy` runs it (tools.policy_check's command line, in
    this process), also writing `sarif_file`; its exit status and what it printed. `pack` serves
    the check when given; otherwise the check starts the pack for itself."""
    printed = io.StringIO()
    with redirect_stdout(printed), redirect_stderr(printed):
        status = policy_check.main(
            [str(synth_file), "--policy-config", str(config_file), "--sarif", str(sarif_file)], pack=pack
        )
    return status, printed.getvalue().strip()


def evaluate(stack: str, config_file: Path | None = None, pack: PolicyPack | None = None) -> Outcome:
    try:
        policy_config = stack_policy_config(stack)
        document = synthesize(stack, config_file=config_file)
    except ConfigError as error:
        return Outcome(stack=stack, plan="", config_errors=tuple(error.lines))
    except UsageError as error:
        return Outcome(stack=stack, plan="", config_errors=(str(error),))
    with tempfile.TemporaryDirectory() as scratch:
        synth_file = Path(scratch) / f"synth-{stack}.json"
        synth_file.write_text(dumps(document))
        sarif_file = Path(scratch) / "policy.sarif"
        status, output = run_policy_check(synth_file, policy_config, sarif_file, pack)
        sarif = sarif_file.read_text() if sarif_file.exists() else ""
    return Outcome(stack=stack, plan=render(document), policy_status=status, policy_output=output, policy_sarif=sarif)


def summary(outcome: Outcome) -> str:
    """The job summary: the verdict first, then the policy lines and the plan, folded."""
    lines = [f"## Offline plan and policy check: `{outcome.stack}`", ""]
    if outcome.config_errors:
        lines += ["**:x: The stack config is invalid; nothing was planned.**", ""]
        lines += _block(outcome.config_errors)
        return "\n".join(lines) + "\n"
    output = outcome.policy_output.splitlines()
    verdict = output[-1] if output else "(no output)"
    if outcome.policy_status == 0:
        lines.append(f"**:white_check_mark: Policy check passed**: {verdict}")
    elif outcome.policy_status == 1:
        lines.append(f"**:x: Mandatory policy violations**: {verdict}")
    else:
        lines.append(f"**:x: The policy check could not run** (exit status {outcome.policy_status})")
    lines += ["", f"{outcome.plan.splitlines()[0]}", ""]
    lines += _folded("Policy check output", output)
    lines += _folded("Plan", outcome.plan.splitlines())
    return "\n".join(lines) + "\n"


def _block(lines: tuple[str, ...] | list[str]) -> list[str]:
    return ["```text", *lines, "```", ""]


def _folded(title: str, lines: list[str]) -> list[str]:
    return [f"<details><summary>{title}</summary>", "", *_block(lines), "</details>", ""]


def write(outcome: Outcome, out_dir: Path) -> Path:
    """Write plan.txt, policy.txt, policy.sarif (when the check ran) and summary.md for the
    stack; return the stack's directory."""
    directory = out_dir / outcome.stack
    directory.mkdir(parents=True, exist_ok=True)
    plan = outcome.plan if not outcome.config_errors else "\n".join(outcome.config_errors)
    (directory / "plan.txt").write_text(plan + "\n")
    (directory / "policy.txt").write_text((outcome.policy_output or "(not run)") + "\n")
    if outcome.policy_sarif:
        (directory / "policy.sarif").write_text(outcome.policy_sarif)
    text = summary(outcome)
    (directory / "summary.md").write_text(text)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(text)
    return directory


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tools.ci_report", __doc__)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "ci-out", help="directory for <stack>/ (default ci-out)")
    parser.add_argument("--config-file", type=Path, help="use this file instead of Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)
    outcome = evaluate(args.stack, args.config_file)
    directory = write(outcome, args.out)
    if outcome.config_errors:
        print("\n".join(outcome.config_errors), file=sys.stderr)
    else:
        print(outcome.plan + "\n\n" + outcome.policy_output)
    sarif = ", policy.sarif" if outcome.policy_sarif else ""
    print(f"\nwritten: {directory}/plan.txt, policy.txt{sarif}, summary.md")
    return outcome.status


if __name__ == "__main__":
    exit_now(main())
