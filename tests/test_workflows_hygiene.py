"""The workflows' hygiene: remote actions pinned to one commit with its version (and kept current
by Dependabot), checkout that never keeps the token, run steps that only call make targets a
developer has, the suite run the same way wherever it gates, and the download cache keyed on every
lock file (helpers: tests/workflows_support.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from settings.stack_config import ROOT
from tests.workflows_support import (
    ACTION_FILES,
    GITHUB,
    WORKFLOW_FILES,
    all_jobs,
    composite,
    load,
    step_using,
)

PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")

# --- hygiene: pins, checkout, make, cache -----------------------------------------------------


def _uses_lines() -> Iterator[tuple[str, str]]:
    for path in WORKFLOW_FILES + ACTION_FILES:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(.+?)\s*$", line)
            if match:
                yield path.name, match.group(1)


def test_remote_actions_are_pinned_to_a_commit_with_its_version():
    for name, ref in _uses_lines():
        assert ref.startswith("./") or PINNED.match(ref), f"{name}: {ref}"


def test_each_action_is_pinned_to_one_commit_everywhere():
    pins: dict[str, set[str]] = {}
    for _, ref in _uses_lines():
        if not ref.startswith("./"):
            action, rest = ref.split("@")
            pins.setdefault(action, set()).add(rest)
    assert all(len(versions) == 1 for versions in pins.values()), pins


def test_checkout_never_persists_the_token():
    for name, job_id, job in all_jobs():
        checkout = step_using(job["steps"], "actions/checkout")
        assert checkout["with"]["persist-credentials"] is False, f"{name}.{job_id}"


def _run_steps() -> Iterator[tuple[str, str]]:
    for _, job_id, job in all_jobs():
        for step in job["steps"]:
            if "run" in step:
                yield job_id, step["run"]
    for path in ACTION_FILES:
        for step in load(path)["runs"]["steps"]:
            if "run" in step:
                yield path.parent.name, step["run"]


def test_run_steps_only_call_make_targets_a_developer_has():
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    for where, command in _run_steps():
        words = command.strip().split()
        assert "\n" not in command.strip() and words[0] == "make", f"{where}: {command}"
        assert set(w for w in words[1:] if "=" not in w) <= targets, f"{where}: {command}"


def test_every_test_job_runs_the_suite_as_ci_does():
    """The deploy workflow's tests gate production: they install and run what a pull request's
    do, as .ci/run does, through one composite action."""
    test_jobs = {(name, job_id): job for name, job_id, job in all_jobs() if job_id == "test"}
    assert set(test_jobs) == {("pull-request", "test"), ("deploy", "test")}
    for job in test_jobs.values():
        step_using(job["steps"], "./.github/actions/test-suite")
    assert [where for where, command in _run_steps() if "make test" in command] == ["test-suite"]
    steps = composite("test-suite")["runs"]["steps"]
    runs = [step.get("run") for step in steps]
    assert runs[-1] == "make test" and {"make graphviz", "make postgresql"} <= set(runs)
    assert step_using(steps, "actions/cache")["with"]["path"] == ".pytest_cache/v/fork_workers/"


def test_the_download_cache_is_keyed_on_every_lock_file():
    steps = composite("setup")["runs"]["steps"]
    cache = step_using(steps, "actions/cache")["with"]
    assert cache["path"] == "~/.cache/uv"
    locks = {str(p.relative_to(ROOT)) for p in [*ROOT.glob("*.lock"), *ROOT.glob("policies/*.lock")]}
    assert set(re.findall(r"'([^']+\.lock)'", cache["key"])) == locks


def test_dependabot_keeps_every_pin_current():
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text())
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    action_dirs = {"/"} | {f"/{p.parent.relative_to(ROOT)}" for p in ACTION_FILES}
    assert set(updates["github-actions"]["directories"]) == action_dirs
