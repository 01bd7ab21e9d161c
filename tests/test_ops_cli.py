"""The operations commands' command line: `python -m ops <command> --help` for every command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ops.cli import parser
from settings.stack_config import ROOT

COMMANDS = ["preflight", "status", "rollback", "restore-drill"]


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


def test_python_dash_m_ops_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "ops", "status", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m ops status ")
