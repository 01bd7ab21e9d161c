"""The lock files: every package pinned with hashes, in step with the human-edited requirements,
and one version of each package shared by the project's .venv and the policy pack's virtualenv.

Every check reads the files alone, so it gives the same answer on any date and on any machine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings.stack_config import ROOT

PROJECT_LOCK = ROOT / "requirements.lock"
PACK_LOCK = ROOT / "policies" / "requirements.lock"
BOOTSTRAP_LOCK = ROOT / "requirements-bootstrap.lock"
LOCKS = [PROJECT_LOCK, PACK_LOCK, BOOTSTRAP_LOCK]
INPUTS = {
    PROJECT_LOCK: [ROOT / "requirements.txt", ROOT / "requirements-dev.txt"],
    PACK_LOCK: [ROOT / "policies" / "requirements.txt"],
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def canonical(name: str) -> str:
    """PEP 503 normalisation: PyYAML, pyyaml and py_yaml are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def entries(lock: Path) -> dict[str, list[str]]:
    """Each requirement of a lock (name==version) with the continuation lines that follow it."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lock.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            assert current is not None, f"{lock.name}: continuation before any requirement: {line}"
            current.append(line.strip())
        else:
            current = found.setdefault(line.split(" ")[0], [])
    return found


def pins(path: Path) -> dict[str, str]:
    """name -> version for every `name==version` requirement of a file (markers ignored)."""
    result: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            result[canonical(match.group(1))] = match.group(2)
    return result


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_locked_package_is_an_exact_pin_with_hashes(lock: Path):
    locked = entries(lock)
    assert locked, f"{lock.name} lists nothing"
    assert [r for r in locked if not PIN.match(r)] == []
    assert [r for r, lines in locked.items() if not any(x.startswith("--hash=sha256:") for x in lines)] == []


@pytest.mark.parametrize("lock", list(INPUTS), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_human_edited_requirements_are_exact_pins(lock: Path):
    for source in INPUTS[lock]:
        lines = [line.split("#")[0].strip() for line in source.read_text().splitlines()]
        floating = [line for line in lines if line and not line.startswith("-r ") and not PIN.match(line)]
        assert floating == [], f"{source.name} has requirements that are not exact pins"


@pytest.mark.parametrize("lock", list(INPUTS), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_lock_holds_every_requirement_at_its_pinned_version(lock: Path):
    """A bump in a requirements file without `make lock` fails here, not on a fresh clone."""
    wanted = {name: version for source in INPUTS[lock] for name, version in pins(source).items()}
    locked = pins(lock)
    assert {n: (v, locked.get(n)) for n, v in wanted.items() if locked.get(n) != v} == {}


def test_the_pack_runs_the_versions_the_project_runs():
    """The offline check runs the pack from .venv; the CLI runs it from policies/venv: same code."""
    project, pack = pins(PROJECT_LOCK), pins(PACK_LOCK)
    assert {n: (v, project.get(n)) for n, v in pack.items() if project.get(n) != v} == {}


def test_the_bootstrapped_uv_is_the_one_the_lock_keeps():
    assert pins(BOOTSTRAP_LOCK) == {"uv": pins(PROJECT_LOCK)["uv"]}
