"""tools.mutation reads mutmut's records (a small recorded mutants/ tree, tests/fixtures/mutmut_records)
into scores per package and the list of survivors, leaving out the skip list's mutants."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from settings.stack_config import ROOT
from tools import mutation
from tools.mutation import Skip, UsageError, read_modules, read_skips, tally

MUTANTS = Path(__file__).parent / "fixtures" / "mutmut_records"
DAILY = "settings.windows.x_daily_window__mutmut_3"


def test_a_failed_test_kills_a_mutant_a_timeout_does_not_and_an_unmeasured_one_counts_nowhere():
    windows = read_modules(MUTANTS, [])["settings/windows.py"]
    counts = (windows.killed, windows.survived, windows.no_tests, windows.timeouts, windows.not_measured)
    assert counts == (3, 2, 1, 1, 1)
    assert windows.score == pytest.approx(3 / 7)


def test_a_mutant_no_test_reaches_is_a_survivor():
    windows = read_modules(MUTANTS, [])["settings/windows.py"]
    assert "settings.windows.x_overlaps__mutmut_3" in windows.survivors


def test_a_skipped_mutant_leaves_the_score_and_the_survivors():
    skips = [Skip(DAILY, "equivalent: the bound is inclusive either way")]
    windows = read_modules(MUTANTS, skips)["settings/windows.py"]
    assert windows.score == pytest.approx(3 / 6) and DAILY not in windows.survivors and windows.skipped == 1


def test_a_pattern_skips_every_mutant_it_matches():
    result = tally({"a.x_log__mutmut_1": 0, "a.x_log__mutmut_2": 0, "a.x_f__mutmut_1": 1}, [Skip("a.x_log__*", "r")])
    assert (result.skipped, result.survived, result.score) == (2, 0, 1.0)


def test_the_package_row_sums_its_modules():
    out = mutation.score(MUTANTS, []).split("\n\n")[1]
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
    assert rows["settings"] == ["8", "7", "3", "2", "1", "1", "0", "42.9%"]
    assert rows["components"] == ["2", "2", "1", "1", "0", "0", "0", "50.0%"]
    assert rows["policies/webapp_policies"][-1] == "-"


def test_the_module_rows_name_each_measured_file():
    out = mutation.score(MUTANTS, []).split("\n\n")[0]
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["settings/windows.py", "components/cluster.py"]


def test_survivors_are_listed_with_their_module():
    assert mutation.survivors(MUTANTS, [], diff=False).splitlines() == [
        "settings/windows.py: settings.windows.x_daily_window__mutmut_3",
        "settings/windows.py: settings.windows.x_overlaps__mutmut_2",
        "settings/windows.py: settings.windows.x_overlaps__mutmut_3",
        "settings/windows.py: settings.windows.x_overlaps__mutmut_4",
        "components/cluster.py: components.cluster.xǁClusterǁ__init____mutmut_2",
    ]


def test_the_survivors_to_measure_again_are_named_alone_one_a_line_for_the_modules_asked(capsys):
    skips = [Skip(DAILY, "equivalent: recorded for this test")]
    assert mutation.main(["survivors", "--names", "--mutants", str(MUTANTS), "components.cluster"]) == 0
    assert capsys.readouterr().out == "components.cluster.xǁClusterǁ__init____mutmut_2\n"
    names = mutation.survivor_names(MUTANTS, skips, ["settings"]).splitlines()
    assert names == [f"settings.windows.x_overlaps__mutmut_{n}" for n in (2, 3, 4)]


def test_a_module_asked_for_is_matched_whole_not_as_the_start_of_another_name():
    assert mutation.survivor_names(MUTANTS, [], ["settings.window", "components.clust"]) == ""


def test_a_stopped_run_resumes_with_the_mutants_not_measured_yet_by_name(tmp_path):
    mutants, root = recorded_tree(tmp_path)
    assert mutation.to_measure(mutants, [], ["settings.windows"], root) == "settings.windows.x_parse_window__mutmut_1"


def test_a_module_not_recorded_yet_is_measured_whole():
    assert mutation.to_measure(MUTANTS, [], ["components.cache"]) == "components.cache.*"


def test_a_module_changed_since_mutmut_copied_it_is_measured_whole_but_not_its_submodules(tmp_path):
    mutants, root = recorded_tree(tmp_path)
    copied = (mutants / "components" / "cluster.py").stat().st_mtime
    os.utime(root / "components" / "cluster.py", (copied + 1, copied + 1))
    assert mutation.to_measure(mutants, [], ["components"], root) == "components.cluster.x[_ǁ]*"
    assert fnmatch.fnmatchcase("components.cluster.xǁClusterǁ__init____mutmut_2", "components.cluster.x[_ǁ]*")
    assert not fnmatch.fnmatchcase("settings.windows.x_f__mutmut_1", mutation.own_mutants("settings/__init__.py"))


def recorded_tree(tmp_path: Path) -> tuple[Path, Path]:
    """The recorded mutants/ tree with its mutated copies, and sources older than those beside it."""
    mutants, root = tmp_path / "mutants", tmp_path / "repo"
    shutil.copytree(MUTANTS, mutants)
    for meta in MUTANTS.rglob("*.meta"):
        module = meta.relative_to(MUTANTS).with_suffix("")
        (mutants / module).touch()
        (root / module).parent.mkdir(parents=True, exist_ok=True)
        (root / module).touch()
        os.utime(root / module, (0, 0))
    return mutants, root


def test_the_scores_go_to_the_job_summary_as_a_code_block(tmp_path, monkeypatch, capsys):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    skips = tmp_path / "skips.txt"
    skips.write_text("")
    assert mutation.main(["score", "--mutants", str(MUTANTS), "--skips", str(skips)]) == 0
    assert summary.read_text() == f"```\n{capsys.readouterr().out}```\n"


def test_the_survivors_are_written_beside_mutmut_records_for_the_weekly_artifact(tmp_path):
    mutants = tmp_path / "mutants"
    shutil.copytree(MUTANTS, mutants)
    skips = tmp_path / "skips.txt"
    skips.write_text(f"{DAILY}  # equivalent: recorded for this test\n")
    assert mutation.main(["survivors", "--mutants", str(mutants), "--skips", str(skips)]) == 0
    assert (mutants / "survivors.txt").read_text().splitlines()[0].endswith("x_overlaps__mutmut_2")


def test_a_skip_entry_needs_a_reason():
    with pytest.raises(UsageError, match=r"skips:3: expected `<mutant or pattern>  # <reason>`"):
        read_skips("# header\n\nsettings.windows.x_f__mutmut_1\n", "skips")


def test_the_skip_list_of_the_repository_reads():
    assert all(skip.reason for skip in read_skips(mutation.SKIPS.read_text()))


def test_nothing_measured_is_exit_2_with_one_line(tmp_path, capsys):
    skips = tmp_path / "skips.txt"
    skips.write_text("")
    assert mutation.main(["score", "--mutants", str(tmp_path), "--skips", str(skips)]) == 2
    assert capsys.readouterr().err == f"{tmp_path}: no mutant measured yet (make mutate)\n"


@pytest.mark.spawns
def test_the_mutation_copy_holds_every_tracked_path_of_the_repository():
    # mutmut runs the tests in mutants/, a copy of tests/, pyproject.toml, source_paths and
    # also_copy only: a path left out (a new directory) fails the stats run at collection, before
    # any mutant is measured. Marked `spawns`: it runs git, and mutants/ is no checkout.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    copied = [path.rstrip("/") for path in config["source_paths"] + config["also_copy"]]
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    missing = {
        path
        for path in tracked.splitlines()
        if path != "pyproject.toml"
        and not path.startswith("tests/")
        and not any(path == root or path.startswith(root + "/") for root in copied)
    }
    assert not missing
