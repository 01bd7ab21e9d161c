"""A pytest plugin for the mutation run only (`make mutate` loads it with `-p tests.mutation_support`,
pyproject.toml [tool.mutmut]): it lets mutmut reach the policy pack, which runs in a process of its
own (tools.policy_check.PolicyPack).

- mutmut names a pack mutant after its file (`policies.webapp_policies.ecs.x_f__mutmut_3`) and
  activates it through the MUTANT_UNDER_TEST variable, which the pack's process inherits; the pack
  imports the module as `webapp_policies.ecs`, so its process gets the name without `policies.`.
- mutmut learns which tests reach which function from what its own process runs during a first,
  clean run (mutant "stats"). The pack's process is out of its sight, and could not record anything
  (mutmut's configuration is not in its working directory): there the pack runs unmutated, and each
  test that uses the pack is recorded as reaching the pack's functions: a test of
  tests/test_policies_<m>.py (or of tests/test_policies.py about the table of <m>) those of
  webapp_policies/<m>*.py and of the modules no table covers (values, documents, wire, ...), any
  other test (the real stacks, the CLI) all of them.
- mutmut credits what a fixture's setup reaches to the test that happened to set it up first. The
  session and module fixtures (the stacks' synths above all) run the whole program once for many
  tests: what their setup reaches is credited to every test that uses them, so a mutant of a
  component runs against every test of the stacks it changes, not one.
- mutmut forks each mutant's test run from a process that has already run the tests once: what
  the project caches per process (tests.support's synths above all) would hand the mutant the
  unmutated program's results. Every functools cache of the project is cleared first, but for
  the synth documents when the mutant is in a pack module the program does not import.
  The pack's answers to the requests it was sent (tests.policy_support.UNMUTATED_PACK_ANSWERS)
  stay for any mutant but the pack's own: its process imports nothing of the program, so it
  answers the same request the same way (a component mutant's run re-checks only the resources
  the mutant changed, where it re-checked every resource of every stack, about 3 CPU-s).
- mutmut hands a mutant's tests to pytest fastest first, whatever their file, and pytest runs them
  in that order: a module's fixtures (a custom synth, a policy table's report) were set up again
  each time its tests came back, and the tests written for the mutated module ran wherever their
  speed put them. They run first here (with tests/test_policies.py's tests of the mutated
  module's table), then the other files, cheapest first counting the session synths a file would
  build, one file at a time; mutmut's `-x` stops at the first failure."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

PACK_PACKAGE = Path("policies/webapp_policies")
PREFIX = "policies."
VARIABLE = "MUTANT_UNDER_TEST"
# How mutmut names the mutants of the pack's modules (their file's path, dotted).
PACK_MUTANTS = PREFIX + "webapp_policies"


def pack_mutant(name: str) -> str | None:
    """What the pack's process gets for the active mutant: a pack mutant without the `policies.`
    prefix, any other mutant as it is, nothing (unmutated code) during the stats run."""
    if name in ("stats", "list_all_tests", "mutant_generation"):
        return None
    return name.removeprefix(PREFIX) if name.startswith(PACK_MUTANTS) else name


def pack_answers_hold(name: str) -> bool:
    """Whether the pack answers what it answered unmutated while `name` is the active mutant: for
    any mutant but one of the pack's own (the pack's process imports none of the program's
    modules)."""
    return not name.startswith(PACK_MUTANTS)


@contextmanager
def pack_environment() -> Iterator[None]:
    """os.environ as the pack's process should inherit it, while it is spawned."""
    from mutmut.mutation.trampoline import get_mutant_under_test

    saved = os.environ.get(VARIABLE)
    name = pack_mutant(get_mutant_under_test())
    if name is None:
        os.environ.pop(VARIABLE, None)
    else:
        os.environ[VARIABLE] = name
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = saved


def pack_functions(package: Path = PACK_PACKAGE) -> dict[str, list[str]]:
    """The pack's mutated functions by module stem, as mutmut names them (its .meta files)."""
    from mutmut.utils.format_utils import get_mutant_name

    functions: dict[str, list[str]] = {}
    for meta in sorted(package.glob("*.py.meta")):
        source = meta.with_suffix("")
        names = json.loads(meta.read_text())["hash_by_function_name"]
        functions[source.stem] = [get_mutant_name(source, name) for name in names]
    return functions


def policy_tables(tests: Path = Path("tests")) -> set[str]:
    """The services with a policy table: each tests/test_policies_<service>.py that defines a
    `TABLE` (tests/test_policies_wire.py tests the machinery every table goes through instead)."""
    return {
        path.stem.removeprefix("test_policies_")
        for path in tests.glob("test_policies_*.py")
        if "\nTABLE = " in path.read_text()
    }


def reached(test_file: str, functions: dict[str, list[str]], tables: set[str], service: str | None = None) -> list[str]:
    """The pack functions a test in `test_file` that uses the pack is taken to reach. A test of
    tests/test_policies.py, which holds every table to the same rules, is parametrized by the
    `service` whose table it checks and reads only that table's policies: it reaches what that
    service's own table file reaches. A further file of a table's service
    (tests/test_policies_rds_access.py beside tests/test_policies_rds.py) reaches what the table does."""
    stem = service if service in tables else Path(test_file).stem.removeprefix("test_policies_")
    table = max((name for name in tables if stem == name or stem.startswith(name + "_")), key=len, default=None)
    if table is None:
        return [name for names in functions.values() for name in names]
    own = [module for module in functions if module == table or module.startswith(table + "_")]
    shared = [module for module in functions if not any(module.startswith(table) for table in tables)]
    return [name for module in own + shared for name in functions[module]]


# What mutmut names the active mutant when none is: generating, recording, checking its setup.
NOT_A_MUTANT = ("", "stats", "fail", "list_all_tests", "mutant_generation")


def own_tests(test_file: str, mutant: str) -> bool:
    """Whether `test_file` is named after the mutant's module: tests/test_cache.py and
    tests/test_cache_cluster_mode.py for components.cache, test_settings_network.py for
    settings.network, test_policies_rds.py for the pack's rds, rds_access and rds_parameter_groups."""
    module = mutant.rpartition(".")[0].rpartition(".")[2]
    subject = Path(test_file).stem.removeprefix("test_")
    for prefix in ("settings_", "policies_"):
        subject = subject.removeprefix(prefix)
    return module == subject or module.startswith(subject + "_") or subject.startswith(module + "_")


# What a mutant's run pays to set up a session fixture the first time a test needs it, in CPU
# seconds (measured in a mutant's forked run): a whole-stack synth, the policy pack's process. mutmut
# measures only the tests' calls, not their fixtures' setup.
SETUP_COST = {"prod": 0.5, "staging": 0.5, "optional_prod": 0.5, "optional_staging": 0.5, "policy_pack": 0.5}
# Holds every policy table to the same rules, one test per service (its first parameter).
TABLE_RULES = "tests/test_policies.py"


def own_test(nodeid: str, mutant: str) -> bool:
    """Whether the test `nodeid` is one of the mutant's own (own_tests), or a test of
    tests/test_policies.py about the table of the mutant's module (`[kms-no-rotation]`)."""
    file, _, test = nodeid.partition("::")
    if file == TABLE_RULES and "[" in test:
        service = test.partition("[")[2].partition("-")[0].removesuffix("]")
        return own_tests(f"tests/test_policies_{service}.py", mutant)
    return own_tests(file, mutant)


def ordered(
    nodeids: list[str],
    mutant: str,
    durations: dict[str, float],
    fixtures: dict[str, tuple[str, ...]] | None = None,
) -> list[int]:
    """The order (indexes into `nodeids`) to run a mutant's tests in: its own tests first
    (own_test), then the other files, each file's tests in a row and in their order. The next file
    is always the one that costs least to run from where the run is: the sum of its tests'
    `durations` plus the setup of the session fixtures (SETUP_COST, by each test's `fixtures`) that
    no file before it built. A file of the prod stack's tests costs next to nothing once prod is
    built, while the file that needs the first staging synth pays for it."""
    fixtures = fixtures or {}
    # A file's tests, apart from its own tests of the mutant's table (tests/test_policies.py).
    files: dict[tuple[str, bool], list[int]] = {}
    cost: dict[tuple[str, bool], float] = {}
    needs: dict[tuple[str, bool], set[str]] = {}
    for index, nodeid in enumerate(nodeids):
        group = (nodeid.partition("::")[0], own_test(nodeid, mutant))
        files.setdefault(group, []).append(index)
        cost[group] = cost.get(group, 0.0) + durations.get(nodeid, 0.0)
        needs.setdefault(group, set()).update(name for name in fixtures.get(nodeid, ()) if name in SETUP_COST)
    built: set[str] = set()

    def marginal(group: tuple[str, bool]) -> tuple[float, str]:
        return cost[group] + sum(SETUP_COST[name] for name in needs[group] - built), group[0]

    order: list[int] = []
    own = [group for group in files if group[1]]
    for groups in (own, [group for group in files if not group[1]]):
        while groups:
            group = min(groups, key=marginal)
            groups.remove(group)
            order += files[group]
            built |= needs[group]
    return order


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    from mutmut.mutation.trampoline import get_mutant_under_test
    from mutmut.state import state

    mutant = get_mutant_under_test()
    if mutant in NOT_A_MUTANT:
        return
    fixtures = {item.nodeid: tuple(getattr(item, "fixturenames", ())) for item in items}
    order = ordered([item.nodeid for item in items], mutant, state().duration_by_test, fixtures)
    items[:] = [items[index] for index in order]


PROJECT = ("settings", "components", "policies", "webapp_policies", "composition", "tools", "ops", "tests")


def clear_project_caches(
    modules: dict[str, ModuleType | None] | None = None, packages: tuple[str, ...] = PROJECT
) -> int:
    """Clear the functools caches of the project's imported modules (of `packages`); how many there were."""
    cleared = 0
    for name, module in list((sys.modules if modules is None else modules).items()):
        if module is None or name.split(".")[0] not in packages:
            continue
        for value in list(vars(module).values()):
            # A class that clears like a cache (tests.support.Documents) is not one; its instances are.
            if isinstance(value, type):
                continue
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                value.cache_clear()
                cleared += 1
    return cleared


# The pack's modules that the program imports: the stack settings and the task definitions check
# credential names with `names` (tests/test_mutation_support.py holds the program's imports to
# this). A mutant of any other pack module runs in the pack's process and in tests of the pack,
# never in a synth.
PROGRAM_IMPORTS = (PACK_MUTANTS, PACK_MUTANTS + ".names")


def synths_unchanged(mutant: str) -> bool:
    """Whether `mutant` leaves every synth as the unmutated program makes it: a mutant of a pack
    module the program does not import (mutmut names a mutant `<module>.<function>__mutmut_<n>`)."""
    module = mutant.rpartition(".")[0]
    return module.startswith(PACK_MUTANTS + ".") and module not in PROGRAM_IMPORTS


def clear_caches_for(mutant: str, modules: dict[str, ModuleType | None] | None = None) -> None:
    """Empty the project's caches before `mutant`'s tests (clear_project_caches), but for the
    synth documents (tests.support) where the mutant cannot change them: a pack mutant's tests
    then check the stacks mutmut's process synthesized for its clean run (about 2 CPU-s a mutant
    whose tests reach the real stacks). mutmut's forced failure runs in that process before the
    mutants are forked from it, and keeps them for them."""
    modules = sys.modules if modules is None else modules
    helpers = modules.get("tests.support")
    kept = helpers.documents() if helpers is not None and (mutant == "fail" or synths_unchanged(mutant)) else {}
    clear_project_caches(modules)
    if helpers is not None:
        helpers.keep(kept)


def pytest_configure(config: pytest.Config) -> None:
    from mutmut.mutation.trampoline import get_mutant_under_test

    clear_caches_for(get_mutant_under_test())
    if not pack_answers_hold(get_mutant_under_test()):
        from tests.policy_support import UNMUTATED_PACK_ANSWERS

        UNMUTATED_PACK_ANSWERS.clear()
    from tools.policy_check import PolicyPack

    if not getattr(PolicyPack._start, "forks_the_pack", False):
        PolicyPack._start = forking_start(PolicyPack._start)
    if "tests.pack_zygote" in sys.modules:  # a mutant's run counts its own pack processes
        sys.modules["tests.pack_zygote"].ENDED_CPU[0] = 0.0


# The zygote of the pack's processes (tests.pack_zygote) by pack directory, started by the first
# process of the run that starts the pack: mutmut's own, from which it forks the mutants' runs.
ZYGOTES: dict[Path, Any] = {}


def forking_start(start: Callable[[Any, list[str]], Any]) -> Callable[[Any, list[str]], Any]:
    """PolicyPack._start for the mutation run: the project's pack is forked from its zygote with
    the active mutant (about 0.4 CPU-s of imports less per mutant); another pack (a test's broken
    one) starts as usual, in the environment that names the mutant."""
    from tools.policy_check import PACK_DIR

    def start_forked(pack: Any, command: list[str]) -> Any:
        from mutmut.mutation.trampoline import get_mutant_under_test

        if Path(pack.pack_dir).resolve() != PACK_DIR.resolve() or command[-2:] != [pack.engine_address, "."]:
            with pack_environment():
                return start(pack, command)
        if PACK_DIR not in ZYGOTES:
            from tests.pack_zygote import Zygote

            ZYGOTES[PACK_DIR] = Zygote(PACK_DIR, Path(tempfile.mkdtemp(prefix="pack-zygote-")))
        return ZYGOTES[PACK_DIR].spawn(pack.engine_address, pack_mutant(get_mutant_under_test()))

    start_forked.forks_the_pack = True  # pyright: ignore[reportFunctionMemberAccess]
    return start_forked


# Fixture name -> the functions its setup reached (stats run only).
FIXTURE_HITS: dict[str, set[str]] = {}


def recording() -> bool:
    from mutmut.mutation.trampoline import get_mutant_under_test

    return get_mutant_under_test() == "stats"


# The program's own packages: what the tests' helpers cache (tests.support's synths) stays.
CODE = tuple(package for package in PROJECT if package != "tests")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """In the stats run, each test starts with the program's caches empty: mutmut credits a
    function to the tests that run it, and a cached one (settings.regions.partitions) ran only for
    the first test that needed it, so its mutants ran against that one test alone and survived."""
    if recording():
        clear_project_caches(packages=CODE)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
    if not recording() or fixturedef.scope == "function":
        return (yield)
    from mutmut.state import state

    outer, state()._stats = state()._stats, set()
    try:
        return (yield)
    finally:
        FIXTURE_HITS.setdefault(fixturedef.argname, set()).update(state()._stats)
        state()._stats = outer | state()._stats


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    from mutmut.stats import record_trampoline_hit

    fixtures = getattr(item, "fixturenames", ())
    if not recording():
        return
    for fixture in fixtures:
        for name in FIXTURE_HITS.get(fixture, ()):
            record_trampoline_hit(name)
    if "policy_pack" in fixtures:
        callspec = getattr(item, "callspec", None)
        service = callspec.params.get("service") if callspec is not None else None
        for name in reached(str(item.path), pack_functions(), policy_tables(), service):
            record_trampoline_hit(name)


def cpu_line(mutant: str, stats: dict[str, list[pytest.TestReport]]) -> str:
    """A mutant's line in the MUTATE_CPU_LOG file: its name, the CPU seconds of its run's process
    and of the children it waited for (the policy pack's process), how many tests ran, and the
    tests that failed (none: it survived). Tab-separated."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ran = sum(len(stats.get(outcome, [])) for outcome in ("passed", "failed", "error"))
    failed = " ".join(report.nodeid for report in stats.get("failed", []) + stats.get("error", []))
    forked = sys.modules["tests.pack_zygote"].ENDED_CPU[0] if "tests.pack_zygote" in sys.modules else 0.0
    cpu = f"{own.ru_utime + own.ru_stime:.2f}\t{children.ru_utime + children.ru_stime + forked:.2f}"
    return f"{mutant}\t{cpu}\t{ran}\t{failed}\n"


def pytest_unconfigure(config: pytest.Config) -> None:
    """With MUTATE_CPU_LOG naming a file, each mutant's run appends its cpu_line to it: what a
    mutant costs, and which test killed it (a mutant's process is forked from mutmut's, so its
    CPU time starts at zero)."""
    from mutmut.mutation.trampoline import get_mutant_under_test

    path = os.environ.get("MUTATE_CPU_LOG")
    mutant = get_mutant_under_test()
    if not path or mutant in NOT_A_MUTANT:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    with open(path, "a") as log:
        log.write(cpu_line(mutant, getattr(reporter, "stats", {})))
