"""tests.fork_workers: the suite's runner forks workers after collection; what it reports must be
what pytest itself would report for the same tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from settings.stack_config import ROOT
from tests.fork_workers import Queue, by_module, forks, groups, unfinished

pytest_plugins = ["pytester"]

# Two modules: one with a module fixture that records each setup, and every kind of outcome.
SAMPLE = {
    "test_outcomes": """
        import os, warnings, pytest

        @pytest.fixture(scope="module")
        def recorded(tmp_path_factory):
            with open(os.environ["SETUPS"], "a") as log:
                log.write(f"{os.getpid()} outcomes\\n")

        def test_passes(recorded):
            pass

        def test_fails(recorded):
            print("what the test printed")
            assert 1 == 2

        def test_warns():
            warnings.warn(DeprecationWarning("an old call"))

        @pytest.mark.skip(reason="not here")
        def test_skipped():
            pass

        @pytest.mark.xfail(strict=True)
        def test_expected_failure():
            assert 0
    """,
    "test_crash": """
        import os

        def test_before():
            pass

        def test_dies():
            os._exit(9)

        def test_after_the_crash():
            pass
    """,
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[pytest.RunResult, list[str]]:
    """One run of SAMPLE in two workers, in a process of its own (a fork of this big one would
    cost more), with -rA so that every outcome is listed; and the module fixture's setup log."""
    folder = tmp_path_factory.mktemp("sample")
    for name, source in SAMPLE.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
    setups = folder / "setups.log"
    environment = {**os.environ, "SETUPS": str(setups), "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "tests.fork_workers",
        "--forks",
        "2",
        "-rA",
        "-p",
        "no:cacheprovider",
    ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, timeout=120)
    result = pytest.RunResult(
        done.returncode, done.stdout.splitlines(), done.stderr.splitlines(), time.monotonic() - started
    )
    return result, setups.read_text().splitlines() if setups.exists() else []


@pytest.mark.spawns
def test_every_test_is_reported_once_with_its_outcome(sample):
    result, _ = sample
    result.assert_outcomes(passed=4, failed=2, skipped=1, xfailed=1, warnings=1)
    assert result.ret == 1


@pytest.mark.spawns
def test_a_failure_shows_its_assertion_and_what_it_printed(sample):
    result, _ = sample
    result.stdout.fnmatch_lines(
        ["*def test_fails*", "E       assert 1 == 2", "*Captured stdout call*", "what the test printed"]
    )


@pytest.mark.spawns
def test_a_warning_raised_in_a_worker_reaches_the_summary(sample):
    result, _ = sample
    result.stdout.fnmatch_lines(
        ["*warnings summary*", "test_outcomes.py::test_warns", "*DeprecationWarning: an old call"]
    )


@pytest.mark.spawns
def test_a_module_fixture_is_set_up_once(sample):
    _, setups = sample
    assert len(setups) == 1 and setups[0].endswith(" outcomes")


@pytest.mark.spawns
def test_a_worker_that_dies_fails_its_test_and_a_new_worker_runs_the_rest(sample):
    result, _ = sample
    result.stdout.fnmatch_lines(["_* test_dies _*", "the fork worker running this test died: exit status 9"])
    result.stdout.fnmatch_lines(["PASSED test_crash.py::test_after_the_crash"])


# Two tests that print while the other is running, in two workers (each waits for the other's flag).
CONCURRENT = """
    import os, time
    from pathlib import Path

    def test_{side}():
        print("printed by {side}")
        Path(os.environ["FLAGS"], "{side}").touch()
        deadline = time.monotonic() + 30
        while not Path(os.environ["FLAGS"], "{other}").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
"""


def test_a_report_shows_only_what_its_own_test_printed(pytester, monkeypatch):
    pytester.makepyfile(
        test_left=CONCURRENT.format(side="left", other="right"),
        test_right=CONCURRENT.format(side="right", other="left"),
    )
    monkeypatch.setenv("FLAGS", str(pytester.path))
    result = pytester.runpytest("-p", "tests.fork_workers", "--forks", "2", "-rP")
    result.assert_outcomes(passed=2)
    for side in ("left", "right"):
        result.stdout.fnmatch_lines([f"_* test_{side} _*", "*Captured stdout call*", f"printed by {side}"])
    assert sorted(line for line in result.stdout.lines if line.startswith("printed by")) == [
        "printed by left",
        "printed by right",
    ]


# One module fails at once; the other holds a session fixture and runs long after that failure.
FAILS_FIRST = """
    import os
    from pathlib import Path

    def test_fails():
        Path(os.environ["FLAGS"], "failed").touch()
        assert 0
"""
RUNS_LONG = """
    import os, time
    from pathlib import Path
    import pytest

    @pytest.fixture(scope="session")
    def resource():
        yield
        Path(os.environ["FLAGS"], "torn-down").touch()

    @pytest.mark.parametrize("step", range(100))
    def test_step(resource, step):
        deadline = time.monotonic() + 30
        while not Path(os.environ["FLAGS"], "failed").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
"""


# A run started from a terminal, and one started in the background by a shell without job control
# (a script's `make test &`), which hands the run SIGINT ignored.
SIGINT_AT_START = pytest.mark.parametrize(
    "sigint", [signal.default_int_handler, signal.SIG_IGN], ids=["sigint-handled", "sigint-ignored"]
)


@SIGINT_AT_START
def test_exit_first_interrupts_the_other_workers_which_tear_their_fixtures_down(pytester, monkeypatch, sigint):
    pytester.makepyfile(test_fails_first=FAILS_FIRST, test_runs_long=RUNS_LONG)
    monkeypatch.setenv("FLAGS", str(pytester.path))
    previous = signal.signal(signal.SIGINT, sigint)
    try:
        result = pytester.runpytest("-p", "tests.fork_workers", "--forks", "2", "-x")
    finally:
        signal.signal(signal.SIGINT, previous)
    result.stdout.fnmatch_lines(["*stopping after 1 failures*"])
    assert result.ret == 1
    assert result.parseoutcomes().get("passed", 0) < 50
    assert (pytester.path / "torn-down").exists()


def test_a_warning_the_main_process_recorded_is_reported_once(pytester):
    # A collection warning is recorded before the fork; each worker, the one that replaces a dead
    # worker too, would otherwise send it back when its relay registers (a historic hook).
    pytester.makepyfile(
        test_warns_at_import="import warnings\nwarnings.warn(UserWarning('at import'))\ndef test_a(): pass",
        test_dies="import os\ndef test_dies(): os._exit(9)\ndef test_after(): pass",
    )
    result = pytester.runpytest("-p", "tests.fork_workers", "--forks", "2")
    result.assert_outcomes(passed=2, failed=1, warnings=1)


def test_what_a_dead_worker_left_is_the_rest_of_its_module_then_its_later_modules():
    # Modules of 3 and 2 tests; the worker had all of module 0 and module 1 from its second test.
    assert unfinished([3, 2], [(0, 0), (1, 1)], finished=2) == [(0, 2), (1, 1)]
    assert unfinished([3, 2], [(0, 0), (1, 1)], finished=3) == [(1, 1)]
    assert unfinished([3, 2], [(0, 1), (1, 0)], finished=3) == [(1, 1)]


def test_tests_are_grouped_by_module_in_collection_order(pytester):
    pytester.makepyfile(test_one="def test_a(): pass\ndef test_b(): pass", test_two="def test_c(): pass")
    items, _ = pytester.inline_genitems()
    assert [[item.name for item in module] for module in by_module(items)] == [["test_a", "test_b"], ["test_c"]]


# Modules 0 and 2 use the pack, module 1 does not.
PACK_GROUPS = ["policy_pack", None, "policy_pack"]


def test_the_modules_of_a_group_go_to_the_worker_that_took_its_first():
    queue = Queue([(0, 0), (2, 0), (1, 0)], PACK_GROUPS)
    first, second = object(), object()
    assert queue.take(first) == (0, 0)
    assert queue.take(second) == (1, 0)
    assert queue.take(first) == (2, 0)


def test_another_worker_takes_a_module_of_a_group_rather_than_idle():
    queue = Queue([(0, 0), (2, 0)], PACK_GROUPS)
    first, second = object(), object()
    assert queue.take(first) == (0, 0)
    assert queue.take(second) == (2, 0)
    assert queue.take(second) is None


def test_a_dead_workers_modules_come_back_first_and_its_groups_go_to_the_next_taker():
    queue = Queue([(0, 0), (1, 0), (2, 0)], PACK_GROUPS)
    dead, other = object(), object()
    assert queue.take(dead) == (0, 0)
    queue.put_back([(0, 3)], dead)
    assert queue.take(other) == (0, 3)
    assert queue.take(dead) == (1, 0)
    assert queue.take(other) == (2, 0)


def test_a_module_is_in_the_group_of_the_first_listed_fixture_any_of_its_tests_uses(pytester):
    pytester.makeconftest("import pytest\n@pytest.fixture(scope='session')\ndef pack(): pass\n")
    pytester.makepyfile(test_one="def test_a(): pass\ndef test_b(pack): pass", test_two="def test_c(tmp_path): pass")
    items, _ = pytester.inline_genitems()
    assert groups(by_module(items), ["pack", "tmp_path"]) == ["pack", "tmp_path"]
    assert groups(by_module(items), ["other"]) == [None, None]


def test_auto_forks_one_worker_per_cpu_this_process_may_use(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5})
    assert (forks("auto"), forks("2")) == (3, 2)
