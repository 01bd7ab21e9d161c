"""The pack's zygote (tests/pack_zygote.py): the mutation run forks the pack's processes from one
that imported the SDK and the pack, and each forked pack must answer as one started anew, with the
mutant it is asked for active, in the functions the pack runs as it loads too."""

from __future__ import annotations

from pathlib import Path

from tests.pack_zygote import Zygote


def fake_pack(root: Path, main: str) -> Path:
    """A pack whose package records, as it loads, the mutant its environment names (as mutmut's
    trampolines read it), and whose `__main__` runs `main`."""
    pack = root / "pack"
    (pack / "webapp_policies").mkdir(parents=True)
    (pack / "webapp_policies" / "__init__.py").write_text(
        "import os\nMODULES = ()\nLOADED_WITH = os.environ.get('MUTANT_UNDER_TEST', 'none')\n"
    )
    (pack / "__main__.py").write_text(main)
    return pack


def printed_by(pack: Path, directory: Path, mutants: list[str | None]) -> list[str]:
    """What a pack forked by a zygote of `pack` printed, for each mutant in turn."""
    zygote = Zygote(pack, directory)
    try:
        printed = []
        for mutant in mutants:
            process = zygote.spawn("unix:/nowhere", mutant)
            printed.append(process.stdout.read().strip())
            assert process.wait(timeout=10) == 0
    finally:
        zygote.process.terminate()
        zygote.process.wait()
    return printed


def test_a_pack_forked_by_the_zygote_reports_as_a_new_process_does(policy_pack, tmp_path):
    """The mutation run forks the pack's processes from one that imported the pack (0.08 instead
    of 0.4 CPU-s for a table's check): the forked pack must answer as one started anew."""
    from tests.pack_zygote import Forked
    from tests.test_policies_kms import TABLE
    from tools.policy_check import PACK_DIR, PolicyPack

    zygote = Zygote(PACK_DIR, tmp_path)
    start = PolicyPack._start
    try:
        PolicyPack._start = lambda pack, command: zygote.spawn(command[-2], None)
        with PolicyPack() as forked:
            process = forked._process
            assert isinstance(process, Forked)
            report = forked.check(TABLE.document())
        assert process.poll() is not None
    finally:
        PolicyPack._start = start
        zygote.process.terminate()
        zygote.process.wait()
    expected = policy_pack.check(TABLE.document())
    assert sorted(v.line() for v in report.violations) == sorted(v.line() for v in expected.violations)


def test_a_forked_pack_runs_with_the_mutant_it_is_asked_for(tmp_path):
    pack = fake_pack(tmp_path, "import os\nprint(os.environ.get('MUTANT_UNDER_TEST', 'none'))\n")
    mutants = ["webapp_policies.kms.x__rotation__mutmut_1", None]
    assert printed_by(pack, tmp_path, mutants) == ["webapp_policies.kms.x__rotation__mutmut_1", "none"]


def test_a_pack_mutant_is_active_while_the_pack_loads(tmp_path):
    """The pack computes each policy's published fields as it loads: a mutant of the pack's own
    modules gets them imported again, with it active; any other mutant reuses the zygote's."""
    pack = fake_pack(tmp_path, "import webapp_policies\nprint(webapp_policies.LOADED_WITH)\n")
    mutants = ["webapp_policies.controls.x_tags__mutmut_1", "components.cache.x_args__mutmut_1", None]
    assert printed_by(pack, tmp_path, mutants) == ["webapp_policies.controls.x_tags__mutmut_1", "none", "none"]
