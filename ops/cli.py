"""Command line of the operations commands.

    python -m ops preflight     --stack NAME [--outputs FILE] [--json]
    python -m ops status        --stack NAME [--outputs FILE] [--json]
    python -m ops rollback      --stack NAME [--outputs FILE] [--json] [--timeout MINUTES] [--dry-run] [--yes]
    python -m ops restore-drill --stack NAME [--outputs FILE] [--json]
                                [--point-in-time latest|ISO-8601] [--check tcp|none] [--check-command CMD]
                                [--connect-timeout SECONDS] [--instance-class CLASS] [--timeout MINUTES] [--recovery-site]
    python -m ops recover       --stack NAME [--outputs FILE] [--json] [--to-time ISO-8601 | --latest] [--dry-run]
                                [--target ID] [--timeout MINUTES]
    python -m ops snapshot      --stack NAME --reason TEXT [--git-sha SHA] [--retention-days DAYS]
                                [--outputs FILE] [--json] [--timeout MINUTES]
    python -m ops verify        --stack NAME [--outputs FILE] [--json]

Each command's help (its `Command` in its module) says what it does, the stack outputs it needs,
its exit statuses and an example. Exit status: 0 all good, 1 the command found a problem (a failed
check, something needing attention, a rollback or drill that failed), 2 it could not run (usage,
stack config, missing outputs, missing permissions, AWS errors).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from boto3.session import Session
from botocore.exceptions import BotoCoreError, ClientError

from settings import ConfigError, StackSettings, load_settings
from settings.stack_config import read_stack_config

from . import preflight, recover, restore, restore_checks, rollback, snapshot, status, verify
from .aws import EXIT_ERROR, EXIT_FAILED, EXIT_OK, Aws, OpsError, describe_error
from .command import Command
from .outputs import Outputs, load_outputs
from .progress import Clock, Progress
from .site import site_of


@dataclass
class Context:
    """What a run needs from the outside world; tests replace the parts that touch it."""

    clock: Clock = field(default_factory=Clock)
    session: Session | None = None
    wrap: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    run_command: Callable[..., subprocess.CompletedProcess] = subprocess.run
    stdout: TextIO | None = None
    stderr: TextIO | None = None
    stdin: TextIO | None = None
    config_root: Path | None = None
    # How `verify` GETs the health path (default: urllib over HTTPS with the system's trust store).
    fetch: verify.Fetch | None = None


COMMANDS: dict[str, Command] = {
    module.COMMAND.name: module.COMMAND for module in (preflight, status, rollback, restore, recover, snapshot, verify)
}


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    common.add_argument("--outputs", type=Path, help="JSON of `pulumi stack output --json` (default: run it)")
    common.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    common.add_argument(
        "--summary",
        type=Path,
        metavar="FILE",
        help="also append the result as Markdown to FILE (in CI: $GITHUB_STEP_SUMMARY, the job summary)",
    )
    top = argparse.ArgumentParser(
        prog="python -m ops",
        description="Operations commands of the webapp stacks; `python -m ops COMMAND --help` for each.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    COMMANDS["preflight"].add_to(commands, [common])
    COMMANDS["status"].add_to(commands, [common])
    back = COMMANDS["rollback"].add_to(commands, [common])
    back.add_argument("--timeout", type=float, default=60, metavar="MINUTES", help="how long to wait (default 60)")
    back.add_argument("--dry-run", action="store_true", help="print what it would do; change nothing")
    back.add_argument("--yes", action="store_true", help="do not ask for confirmation on a terminal")
    drill = COMMANDS["restore-drill"].add_to(commands, [common])
    drill.add_argument(
        "--point-in-time",
        type=_point_in_time,
        metavar="WHEN",
        help="`latest` or an ISO 8601 time (UTC unless it says otherwise); default: the newest automated snapshot",
    )
    drill.add_argument(
        "--check",
        choices=("tcp", "none"),
        help="connectivity check (default tcp; none with --recovery-site, whose security group admits nothing)",
    )
    drill.add_argument("--check-command", metavar="CMD", help="run CMD as the check (DRILL_HOST, DRILL_PORT... set)")
    drill.add_argument(
        "--connect-timeout",
        type=_positive,
        default=restore_checks.TCP_CHECK_BUDGET,
        metavar="SECONDS",
        help=(
            "whole budget of the tcp check, its attempts and gaps included "
            f"(default {restore_checks.TCP_CHECK_BUDGET:g})"
        ),
    )
    drill.add_argument("--instance-class", help="class of the temporary instance (default: the snapshot's)")
    drill.add_argument("--timeout", type=float, default=120, metavar="MINUTES", help="how long to wait (default 120)")
    drill.add_argument(
        "--recovery-site",
        action="store_true",
        help="restore the backups replicated to the backup region into the recovery site (the region-loss path)",
    )
    _recover_parser(commands, common)
    snap = COMMANDS["snapshot"].add_to(commands, [common])
    snap.add_argument("--reason", required=True, help="why the snapshot is taken (tagged on it)")
    snap.add_argument("--git-sha", help="commit being released (default $GITHUB_SHA, else `git rev-parse HEAD`)")
    snap.add_argument(
        "--retention-days",
        type=_positive_int,
        default=snapshot.DEFAULT_RETENTION_DAYS,
        metavar="DAYS",
        help=f"delete this command's snapshots older than this (default {snapshot.DEFAULT_RETENTION_DAYS})",
    )
    snap.add_argument("--timeout", type=float, default=120, metavar="MINUTES", help="how long to wait (default 120)")
    COMMANDS["verify"].add_to(commands, [common])
    return top


def _recover_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    recover_ = COMMANDS["recover"].add_to(commands, [common])
    when = recover_.add_mutually_exclusive_group()
    when.add_argument(
        "--to-time",
        type=_time,
        metavar="ISO-8601",
        help="restore to this time (UTC unless it says otherwise), inside the replicated backups' restore window",
    )
    when.add_argument("--latest", action="store_true", help="restore to the latest restorable time (the default)")
    recover_.add_argument("--dry-run", action="store_true", help="check everything and print the plan; create nothing")
    recover_.add_argument("--target", metavar="ID", help="identifier of the restored instance (default: the source's)")
    recover_.add_argument(
        "--timeout", type=float, default=180, metavar="MINUTES", help="how long to wait (default 180)"
    )


def main(argv: list[str] | None = None, context: Context | None = None) -> int:
    context = context or Context()
    args = parser().parse_args(argv)
    stdout = context.stdout or sys.stdout
    stderr = context.stderr or sys.stderr
    try:
        report = _run(args, context, Progress(context.clock, stderr))
    except (OpsError, ClientError, BotoCoreError) as error:
        message = describe_error(error)
        print(f"error: {message}", file=stderr)
        if args.json:
            print(json.dumps({"stack": args.stack, "ok": False, "error": message}, indent=2), file=stdout)
        _summarize(args, "could not run", f"error: {message}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=stderr)
        return 130
    print(json.dumps(report.to_json(), indent=2, default=str) if args.json else report.render(), file=stdout)
    _summarize(args, "passed" if report.ok else "FAILED", report.render())
    return EXIT_OK if report.ok else EXIT_FAILED


def _summarize(args: argparse.Namespace, outcome: str, text: str) -> None:
    """Append the outcome and the report to the --summary file: a heading a reader of the job
    summary sees at once, and the report as the terminal shows it."""
    if args.summary is None:
        return
    fence = "~~~"
    with args.summary.open("a", encoding="utf-8") as summary:
        summary.write(f"### `ops {args.command}` on {args.stack}: {outcome}\n\n{fence}\n{text}\n{fence}\n\n")


def _run(args: argparse.Namespace, context: Context, progress: Progress) -> Any:
    if args.command == "preflight":
        config = _stack_config(args.stack, context)
        # Images named by tag are what preflight resolves to the digests prod requires.
        settings = _settings(args.stack, config, pinned_images=False)
        outputs = _optional_outputs(args, context, progress)
        aws = Aws(settings.region, context.session, context.wrap)
        return preflight.run(settings, outputs, aws, context.clock, settings.allowed_account_ids)
    outputs = load_outputs(args.stack, args.outputs, context.run_command)
    if args.command == "recover":
        settings = _settings(args.stack, _stack_config(args.stack, context))
        aws = Aws(site_of(outputs).region, context.session, context.wrap)
        COMMANDS[args.command].check_outputs(outputs)
        return recover.run(
            outputs,
            settings,
            aws,
            progress,
            to_time=args.to_time,
            dry_run=args.dry_run,
            target=args.target,
            timeout=args.timeout * 60,
        )
    COMMANDS[args.command].check_outputs(outputs)
    site = site_of(outputs) if args.command == "restore-drill" and args.recovery_site else None
    region = (site.region if site else None) or outputs.get("region")
    region = region or _settings(args.stack, _stack_config(args.stack, context)).region
    aws = Aws(region, context.session, context.wrap)
    if args.command == "status":
        return status.run(outputs, aws)
    if args.command == "verify":
        return verify.run(outputs, aws, progress, fetch=context.fetch)
    if args.command == "snapshot":
        return snapshot.run(
            outputs,
            aws,
            progress,
            reason=args.reason,
            git_sha=args.git_sha or _git_sha(context),
            retention_days=args.retention_days,
            timeout=args.timeout * 60,
        )
    if args.command == "rollback":
        confirm = None if args.yes or args.dry_run else _terminal_confirmation(context)
        return rollback.run(outputs, aws, progress, timeout=args.timeout * 60, dry_run=args.dry_run, confirm=confirm)
    return restore.run(
        outputs,
        aws,
        progress,
        check=_check(args, context),
        point_in_time=args.point_in_time,
        instance_class=args.instance_class,
        timeout=args.timeout * 60,
        site=site,
    )


def _check(args: argparse.Namespace, context: Context) -> restore_checks.Check:
    if args.check_command:
        return restore_checks.command_check(args.check_command)
    if (args.check or ("none" if args.recovery_site else "tcp")) == "none":
        return restore_checks.no_check
    return restore_checks.tcp_check(budget=args.connect_timeout, clock=context.clock)


def _terminal_confirmation(context: Context) -> rollback.Confirm | None:
    """Ask on the terminal; with no terminal (a pipeline, a runbook script) there is no one to ask."""
    stdin = context.stdin or sys.stdin
    if not stdin.isatty():
        return None
    stderr = context.stderr or sys.stderr

    def confirm(plan: str) -> bool:
        print(f"{plan}\nProceed? Type `yes` to roll back: ", end="", file=stderr, flush=True)
        return stdin.readline().strip().lower() == "yes"

    return confirm


def _stack_config(stack: str, context: Context) -> dict[str, Any]:
    try:
        return read_stack_config(stack, **({"root": context.config_root} if context.config_root else {}))
    except ConfigError as error:
        raise OpsError(error.lines[0]) from None


def _settings(stack: str, config: dict[str, Any], pinned_images: bool = True) -> StackSettings:
    try:
        return load_settings(stack, config, pinned_images)
    except ConfigError as error:
        raise OpsError("the stack config is not valid:\n" + "\n".join(error.lines)) from None


def _optional_outputs(args: argparse.Namespace, context: Context, progress: Progress) -> Outputs | None:
    """Preflight runs before the first deploy too, when a stack has no outputs yet."""
    try:
        return load_outputs(args.stack, args.outputs, context.run_command)
    except OpsError as error:
        if args.outputs is not None:
            raise
        progress.say(f"no stack outputs ({error}); checking from the config alone")
        return None


def _git_sha(context: Context) -> str:
    """The commit being released: the workflow's, else the checkout's."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        result = context.run_command(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise OpsError("no --git-sha, no $GITHUB_SHA and no git to ask: pass --git-sha") from None
    if result.returncode != 0:
        raise OpsError("no --git-sha, no $GITHUB_SHA and `git rev-parse HEAD` failed: pass --git-sha")
    return result.stdout.strip()


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number of days: {text}")
    return int(text)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text}")
    return value


def _point_in_time(text: str) -> Any:
    if text == restore.LATEST:
        return text
    try:
        return _time(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"not `latest` nor an ISO 8601 time: {text}") from None


def _time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
