"""The README is a short entry point: what this is, the two commands, the layout, the links."""

from __future__ import annotations

import re
import subprocess

import pytest

from settings.stack_config import ROOT
from tests.docs_support import DOCS, README, broken_links, code_blocks

TEXT = README.read_text()
MAX_LINES = 250


def layout_table() -> dict[str, str]:
    """The `## Layout` table: each path cell (a cell may name several paths) -> its row."""
    section = TEXT.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {path: row for row in rows for path in re.findall(r"`([^`]+)`", row.split(" | ")[0])}


def tracked_top_level() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {line.split("/")[0] + ("/" if "/" in line else "") for line in files.splitlines()}


def test_the_readme_is_at_most_250_lines():
    assert len(TEXT.splitlines()) <= MAX_LINES


def test_the_readme_gives_the_two_commands_that_work_on_a_fresh_machine():
    commands = [line.split("#")[0].strip() for block in code_blocks(TEXT, "sh") for line in block.splitlines()]
    assert commands[:2] == ["make plan STACK=prod", "make test"]
    assert "Python 3.11" in TEXT


def test_every_readme_link_resolves():
    assert broken_links(README) == []


def test_the_readme_links_every_docs_page():
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)", TEXT))
    assert linked == {page.name for page in DOCS}


def test_every_path_of_the_layout_table_exists():
    missing = [path for path in layout_table() if not list(ROOT.glob(path.replace("<stack>", "*")))]
    assert missing == []


@pytest.mark.spawns
def test_every_top_level_directory_and_source_file_is_in_the_layout_table():
    listed = {path.rstrip("/") for path in layout_table()}
    listed |= {p.name for path in layout_table() for p in ROOT.glob(path.replace("<stack>", "*"))}
    wanted = {entry.rstrip("/") for entry in tracked_top_level() if entry.endswith("/") or entry.endswith(".py")}
    assert sorted(wanted - listed) == []
