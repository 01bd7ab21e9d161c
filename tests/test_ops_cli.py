"""The operations commands' command line: `python -m ops <command> --help` for every command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ops.cli import COMMANDS as OPS_COMMANDS
from ops.cli import parser
from settings.stack_config import ROOT
from tests.ops_builders import web_stack
from tests.ops_support import run_cli

COMMANDS = ["preflight", "status", "rollback", "restore-drill", "recover", "snapshot", "verify"]


def test_the_commands_are_the_documented_ones():
    # argparse keeps its subcommands in the subparsers action.
    (commands,) = [a for a in parser()._actions if a.dest == "command"]
    assert sorted(commands.choices) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m ops {command} ") and "--stack STACK" in out


@pytest.mark.spawns
def test_python_dash_m_ops_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "ops", "status", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m ops status ")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_documents_outputs_exit_statuses_and_an_example(command, capsys):
    with pytest.raises(SystemExit):
        parser().parse_args([command, "--help"])
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert len(description) > 20 and not description.startswith("options:")
    assert "stack outputs needed: " in out
    assert "exit status:\n  0    all good\n  1    " in out and "\n  2    it could not run" in out
    assert f"example:\n  python -m ops {command} --stack " in out


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "preflight"])
def test_the_help_lists_exactly_the_outputs_the_command_checks(command, capsys):
    with pytest.raises(SystemExit):
        parser().parse_args([command, "--help"])
    listed = capsys.readouterr().out.split("stack outputs needed: ")[1].split("\n")[0].split(", ")
    assert listed == list(OPS_COMMANDS[command].outputs) and listed != ["none"]


def test_every_missing_output_is_reported_in_one_run(aws, tmp_path):
    values = web_stack()
    for name in ("clusterName", "alarmNames", "greenTargetGroupArn"):
        del values[name]
    result = run_cli(["status", "--stack", "prod"], tmp_path, values=values)
    assert result.code == 2
    assert result.stderr.count("\n") == 1
    assert "output(s) `greenTargetGroupArn`, `clusterName`, `alarmNames` (" in result.stderr


def test_the_summary_file_gets_the_outcome_and_the_report(aws, tmp_path):
    from tests.ops_support import run_cli

    summary = tmp_path / "summary.md"
    summary.write_text("earlier steps\n")
    result = run_cli(["status", "--stack", "prod", "--summary", str(summary)], tmp_path, values={"region": "us-east-1"})
    assert result.code == 2
    text = summary.read_text()
    assert text.startswith("earlier steps\n### `ops status` on prod: could not run\n")
    assert "error: stack prod lacks what `status` needs" in text
