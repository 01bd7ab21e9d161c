"""What the tests of .github/ share: the parsed workflows and composite actions, and the queries
over them (every job, the step using an action, the jobs that run Pulumi and on which stacks).

The workflows share composite actions: `setup` (Python, the download cache, `make venv`), `pulumi`
(policy venv, OIDC credentials, one Pulumi command with the policy pack), `aws` (credentials for
the operations commands) and `test-suite` (what `make test` needs, then `make test`). The tests are
split by what they hold the workflows to: tests/test_workflows.py (each workflow's triggers and
job order), tests/test_workflows_pulumi.py (the Pulumi command), tests/test_workflows_guards.py
(guards, permissions, concurrency, timeouts), tests/test_workflows_hygiene.py (pins, checkout,
make, cache) and tests/test_workflows_actionlint.py (what actionlint checks).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from settings.stack_config import ROOT, stack_names

GITHUB = ROOT / ".github"
WORKFLOW_FILES = sorted((GITHUB / "workflows").glob("*.yml"))
ACTION_FILES = sorted((GITHUB / "actions").glob("*/action.yml"))
SETUP = "./.github/actions/setup"
PULUMI = "./.github/actions/pulumi"
AWS = "./.github/actions/aws"
STACKS = stack_names()
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
MAIN_GUARD = "github.ref == 'refs/heads/main'"


@cache
def load(path: Path) -> dict[str, Any]:
    """The file's document, parsed once per test process (with PyYAML's pure-Python parser the 65
    tests spent about 2 s of CPU parsing the same files again); no test changes what it reads."""
    document = yaml.safe_load(path.read_text())
    if True in document:  # YAML 1.1 reads the key `on` as the boolean True
        document["on"] = document.pop(True)
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(GITHUB / "workflows" / f"{name}.yml")


def composite(name: str) -> dict[str, Any]:
    return load(GITHUB / "actions" / name / "action.yml")


def all_jobs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in WORKFLOW_FILES:
        for job_id, job in load(path)["jobs"].items():
            yield path.stem, job_id, job


def step_using(steps: list[dict[str, Any]], action: str) -> dict[str, Any]:
    found = [s for s in steps if s.get("uses", "").split("@")[0] == action]
    assert len(found) == 1, f"expected one step using {action}, found {len(found)}"
    return found[0]


def index_of(steps: list[dict[str, Any]], action: str) -> int:
    return steps.index(step_using(steps, action))


def pulumi_step(job: dict[str, Any]) -> dict[str, Any] | None:
    calls = [s for s in job["steps"] if s.get("uses") == PULUMI]
    return calls[0] if calls else None


def pulumi_calls() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(workflow, job id, job, the `pulumi` composite's inputs) for every job that runs Pulumi."""
    for name, job_id, job in all_jobs():
        step = pulumi_step(job)
        if step is not None:
            yield name, job_id, job, step["with"]


def stacks_of(job: dict[str, Any], inputs: dict[str, Any]) -> list[str]:
    """The stacks a Pulumi call runs on: a literal, or every value of the job's matrix."""
    if inputs["stack"] == "${{ matrix.stack }}":
        return list(job["strategy"]["matrix"]["stack"])
    return [inputs["stack"]]


def job_for(workflow_name: str, command: str, stack: str) -> tuple[str, dict[str, Any]]:
    found = [
        (job_id, job)
        for name, job_id, job, inputs in pulumi_calls()
        if name == workflow_name and inputs["command"] == command and stack in stacks_of(job, inputs)
    ]
    assert len(found) == 1, f"{workflow_name}: expected one job running {command} on {stack}"
    return found[0]


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*[:?]?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"Makefile defines no {name}"
    return match.group(1)


def the_pulumi_action() -> dict[str, Any]:
    return step_using(composite("pulumi")["runs"]["steps"], "pulumi/actions")["with"]
