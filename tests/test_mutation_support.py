"""The mutation run's plugin: which mutant the policy pack's process runs, and which pack functions
a test that uses the pack is taken to reach."""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from types import ModuleType

import pytest

from settings.stack_config import ROOT
from tests import support
from tests.mutation_support import (
    CODE,
    PROGRAM_IMPORTS,
    clear_caches_for,
    clear_project_caches,
    cpu_line,
    ordered,
    own_tests,
    pack_answers_hold,
    pack_mutant,
    policy_tables,
    reached,
    synths_unchanged,
)
from tests.support import Documents

FUNCTIONS = {
    "ecs": ["policies.webapp_policies.ecs.x_check"],
    "rds": ["policies.webapp_policies.rds.x_check"],
    "rds_parameter_groups": ["policies.webapp_policies.rds_parameter_groups.x_check"],
    "values": ["policies.webapp_policies.values.x_tag"],
}
TABLES = {"ecs", "rds"}


def test_the_pack_runs_its_mutant_under_the_name_it_imports_the_module_by():
    assert pack_mutant("policies.webapp_policies.ecs.x_check__mutmut_3") == "webapp_policies.ecs.x_check__mutmut_3"


def test_the_pack_runs_unmutated_while_mutmut_records_which_tests_reach_what():
    assert pack_mutant("stats") is None


def test_a_mutant_of_the_program_reaches_the_pack_unchanged():
    assert pack_mutant("settings.windows.x_overlaps__mutmut_1") == "settings.windows.x_overlaps__mutmut_1"


def test_the_packs_remembered_answers_hold_for_any_mutant_but_the_packs_own():
    assert pack_answers_hold("components.network.xǁNetworkǁ__init____mutmut_3")
    assert pack_answers_hold("settings.windows.x_overlaps__mutmut_1")
    assert pack_answers_hold("stats") and pack_answers_hold("")
    assert not pack_answers_hold("policies.webapp_policies.ecs.x_check__mutmut_3")
    assert not pack_answers_hold("policies.webapp_policies.values.x_show__mutmut_1")


def test_a_policy_table_reaches_its_modules_and_the_shared_ones():
    assert reached("tests/test_policies_rds.py", FUNCTIONS, TABLES) == [
        "policies.webapp_policies.rds.x_check",
        "policies.webapp_policies.rds_parameter_groups.x_check",
        "policies.webapp_policies.values.x_tag",
    ]


def test_a_further_test_file_of_a_tables_service_reaches_what_the_table_does():
    assert reached("tests/test_policies_rds_access.py", FUNCTIONS, TABLES) == reached(
        "tests/test_policies_rds.py", FUNCTIONS, TABLES
    )
    assert len(reached("tests/test_policies_rdsx.py", FUNCTIONS, TABLES)) == 4


def test_any_other_test_of_the_pack_reaches_all_of_it():
    assert len(reached("tests/test_policy_stacks.py", FUNCTIONS, TABLES)) == 4


def test_a_test_of_the_tables_rules_reaches_what_its_services_table_reaches():
    assert reached("tests/test_policies.py", FUNCTIONS, TABLES, service="ecs") == [
        "policies.webapp_policies.ecs.x_check",
        "policies.webapp_policies.values.x_tag",
    ]
    assert len(reached("tests/test_policies.py", FUNCTIONS, TABLES)) == 4


def test_the_policy_tables_are_the_policy_test_files_with_a_table(tmp_path):
    (tmp_path / "test_policies_kms.py").write_text('"""Keys."""\n\nTABLE = PolicyTable(KEY)\n')
    (tmp_path / "test_policies_wire.py").write_text('"""The machinery."""\n\nDOCUMENT = {}\n')
    (tmp_path / "test_kms.py").write_text("TABLE = None\n")
    assert policy_tables(tmp_path) == {"kms"}
    assert {"kms", "rds", "ec2"} <= policy_tables(ROOT / "tests") and "wire" not in policy_tables(ROOT / "tests")


def test_what_an_earlier_run_cached_is_dropped_before_a_mutant_runs():
    synths = ModuleType("tests.support")
    synths.synth = functools.cache(lambda stack: {"stack": stack})
    synths.synth("prod")
    library = ModuleType("yaml")
    library.load = functools.cache(lambda text: text)
    library.load("a")
    assert clear_project_caches({"tests.support": synths, "yaml": library}) == 1
    assert synths.synth.cache_info().currsize == 0 and library.load.cache_info().currsize == 1


def test_the_synth_documents_and_stack_files_are_dropped_before_a_mutant_runs(monkeypatch: pytest.MonkeyPatch):
    """The helpers' module itself, as the mutation run finds it: its Documents class, which
    clears like a cache but is not one, beside the documents and the stack files read."""
    documents = Documents({"prod {}": "{}"})
    stack_files = functools.cache(lambda stack: {"webapp:network": {}})
    stack_files("prod")
    monkeypatch.setattr(support, "_DOCUMENTS", documents)
    monkeypatch.setattr(support, "_stack_file_config", stack_files)
    assert clear_project_caches({"tests.support": support}) == 2
    assert documents == {} and stack_files.cache_info().currsize == 0


def test_between_the_stats_runs_tests_only_the_programs_caches_are_dropped():
    program = ModuleType("settings.regions")
    program.partitions = functools.cache(lambda: {"aws": ("us-east-1",)})
    program.partitions()
    helpers = ModuleType("tests.support")
    helpers.synth = functools.cache(lambda stack: {"stack": stack})
    helpers.synth("prod")
    assert clear_project_caches({"settings.regions": program, "tests.support": helpers}, packages=CODE) == 1
    assert program.partitions.cache_info().currsize == 0 and helpers.synth.cache_info().currsize == 1


def test_the_synths_stay_only_for_a_mutant_of_a_pack_module_the_program_does_not_import():
    assert synths_unchanged("policies.webapp_policies.kms.x__rotation__mutmut_3")
    assert synths_unchanged("policies.webapp_policies.wire.xǁPreparedǁproperties__mutmut_1")
    assert not synths_unchanged("policies.webapp_policies.names.x_credential_problem__mutmut_1")
    assert not synths_unchanged("policies.webapp_policies.x_all_policies__mutmut_1")
    assert not synths_unchanged("components.cache.x_f__mutmut_1")
    assert not synths_unchanged("settings.windows.x_overlaps__mutmut_1")


def helpers_with_a_synth(monkeypatch: pytest.MonkeyPatch) -> tuple[Documents, functools._lru_cache_wrapper]:
    documents = Documents({"prod {}": "{}"})
    stack_files = functools.cache(lambda stack: {"webapp:network": {}})
    stack_files("prod")
    monkeypatch.setattr(support, "_DOCUMENTS", documents)
    monkeypatch.setattr(support, "_stack_file_config", stack_files)
    return documents, stack_files


@pytest.mark.parametrize("mutant", ["policies.webapp_policies.kms.x__rotation__mutmut_3", "fail"])
def test_a_pack_mutant_and_the_forced_failure_keep_the_synths_and_drop_the_rest(monkeypatch, mutant):
    """mutmut forks the mutants from the process that ran the clean tests and then the forced
    failure: the documents those made are what a pack mutant's tests check."""
    documents, stack_files = helpers_with_a_synth(monkeypatch)
    clear_caches_for(mutant, {"tests.support": support})
    assert documents == {"prod {}": "{}"} and stack_files.cache_info().currsize == 0


@pytest.mark.parametrize(
    "mutant", ["policies.webapp_policies.names.x_words__mutmut_1", "components.cache.x_f__mutmut_1", ""]
)
def test_a_mutant_the_program_runs_drops_the_synths(monkeypatch, mutant):
    documents, _ = helpers_with_a_synth(monkeypatch)
    clear_caches_for(mutant, {"tests.support": support})
    assert documents == {}


def program_sources(root: Path) -> list[Path]:
    """Every Python file of the project but the pack's own and the tests'."""
    folders = [
        path
        for path in sorted(root.iterdir())
        if path.is_dir() and not path.name.startswith(".") and path.name not in ("policies", "tests", "mutants")
    ]
    return [root / "__main__.py", *(path for folder in folders for path in sorted(folder.rglob("*.py")))]


PACKAGE = "policies.webapp_policies"


def pack_imports(path: Path, package: str, pack: Path) -> set[str]:
    """The pack modules (`policies.webapp_policies[.<m>]`) that the source `path` imports, when
    `package` is the package it belongs to (its relative imports); a name taken from the pack's
    package that is not one of its modules (`all_policies`) shows as `<package>:<name>`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("policies")}
        elif isinstance(node, ast.ImportFrom):
            module = (
                f"{package}.{node.module}" if node.level and node.module else package if node.level else node.module
            )
            if not module or not module.startswith("policies"):
                continue
            found.add(module)
            if module == PACKAGE:
                found |= {
                    f"{module}.{alias.name}" if (pack / f"{alias.name}.py").exists() else f"{module}:{alias.name}"
                    for alias in node.names
                }
    # Importing a module of the pack runs its package's __init__ first.
    return found | ({PACKAGE} if any(name.startswith(PACKAGE + ".") for name in found) else set())


def test_the_program_imports_no_pack_module_but_names():
    """A synth runs what the program imports: with none of the pack's checks among it, a mutant of
    a check cannot change a synth, and the mutation run keeps the stacks across such mutants."""
    pack = ROOT / "policies" / "webapp_policies"
    found = set().union(*(pack_imports(path, "", pack) for path in program_sources(ROOT)))
    read: set[str] = set()
    while unread := {name for name in found if ":" not in name} - read:
        for name in unread:
            source = pack / "__init__.py" if name == PACKAGE else pack / f"{name.rpartition('.')[2]}.py"
            found |= pack_imports(source, PACKAGE, pack)
        read |= unread
    assert sorted(found) == sorted(PROGRAM_IMPORTS)


MUTANT_TESTS = [
    "tests/test_policy_stacks.py::test_prod_passes",
    "tests/test_network.py::test_nat",
    "tests/test_cache_cluster_mode.py::test_shards",
    "tests/test_policy_stacks.py::test_staging_passes",
    "tests/test_cache.py::test_auth_token",
    "tests/test_network.py::test_flow_logs",
]


DURATIONS = {"tests/test_policy_stacks.py::test_prod_passes": 3.0, "tests/test_network.py::test_nat": 1.0}


def test_a_mutants_own_tests_run_first_then_the_other_files_cheapest_first_a_file_at_a_time():
    order = ordered(MUTANT_TESTS, "components.cache.xǁCacheǁ__init____mutmut_3", DURATIONS)
    assert [MUTANT_TESTS[index] for index in order] == [
        "tests/test_cache.py::test_auth_token",
        "tests/test_cache_cluster_mode.py::test_shards",
        "tests/test_network.py::test_nat",
        "tests/test_network.py::test_flow_logs",
        "tests/test_policy_stacks.py::test_prod_passes",
        "tests/test_policy_stacks.py::test_staging_passes",
    ]


# The tests of a component mutant, with the session fixtures each needs: the component's own file
# builds prod; the dashboard's file is quick but needs the staging synth too.
SYNTH_TESTS = {
    "tests/test_dashboard.py::test_widgets": ("staging", "prod", "request"),
    "tests/test_service.py::test_cluster": ("prod",),
    "tests/test_cache.py::test_auth_token": ("prod",),
    "tests/test_policy_stacks.py::test_prod_passes": ("policy_pack", "prod"),
    "tests/test_encryption.py::test_key_policy": ("optional_staging", "prod"),
}
SYNTH_DURATIONS = {
    "tests/test_dashboard.py::test_widgets": 0.01,
    "tests/test_service.py::test_cluster": 0.2,
    "tests/test_cache.py::test_auth_token": 0.3,
    "tests/test_policy_stacks.py::test_prod_passes": 0.3,
    "tests/test_encryption.py::test_key_policy": 0.05,
}


def test_the_next_file_is_the_cheapest_counting_the_session_synths_it_would_build():
    tests = list(SYNTH_TESTS)
    order = ordered(tests, "components.cache.xǁCacheǁ__init____mutmut_3", SYNTH_DURATIONS, SYNTH_TESTS)
    assert [tests[index].partition("::")[0] for index in order] == [
        "tests/test_cache.py",  # its own, first
        "tests/test_service.py",  # prod is built: 0.2 s
        "tests/test_dashboard.py",  # 0.01 s and a staging synth
        "tests/test_encryption.py",  # 0.05 s and a synth
        "tests/test_policy_stacks.py",  # 0.3 s and the pack's process
    ]


def test_without_the_fixtures_known_the_order_is_by_the_tests_durations():
    tests = list(SYNTH_TESTS)
    order = ordered(tests, "components.cache.xǁCacheǁ__init____mutmut_3", SYNTH_DURATIONS)
    assert [tests[index].partition("::")[0] for index in order][1:] == [
        "tests/test_dashboard.py",
        "tests/test_encryption.py",
        "tests/test_service.py",
        "tests/test_policy_stacks.py",
    ]


def test_a_mutants_cpu_line_names_it_its_cpu_seconds_the_tests_run_and_the_one_that_killed_it():
    passed = pytest.TestReport("tests/test_cache.py::test_a", ("", 0, ""), {}, "passed", None, "call")
    failed = pytest.TestReport("tests/test_cache.py::test_b", ("", 0, ""), {}, "failed", None, "call")
    name, own, children, ran, killer = cpu_line(
        "components.cache.x_f__mutmut_1", {"passed": [passed], "failed": [failed]}
    ).split("\t")
    assert (name, ran, killer) == ("components.cache.x_f__mutmut_1", "2", "tests/test_cache.py::test_b\n")
    assert float(own) > 0 and float(children) >= 0
    assert cpu_line("components.cache.x_f__mutmut_2", {"passed": [passed]}).endswith("\t1\t\n")


def test_the_tests_of_a_pack_modules_table_run_first_with_its_own_file():
    tests = [
        "tests/test_policy_stacks.py::test_prod_passes",
        "tests/test_policies.py::test_each_case_fires_exactly_its_policies[rds-public]",
        "tests/test_policies.py::test_unknown_values_never_violate[kms]",
        "tests/test_policies.py::test_each_case_fires_exactly_its_policies[kms-no-rotation]",
        "tests/test_policies.py::test_every_policy_of_the_pack_has_a_case_that_fires_it",
        "tests/test_policies_kms.py::test_messages",
    ]
    durations = {tests[0]: 1.0, tests[1]: 2.0, tests[5]: 0.1}
    order = ordered(tests, "policies.webapp_policies.kms.x__rotation__mutmut_3", durations)
    assert [tests[index] for index in order] == [
        "tests/test_policies.py::test_unknown_values_never_violate[kms]",
        "tests/test_policies.py::test_each_case_fires_exactly_its_policies[kms-no-rotation]",
        "tests/test_policies_kms.py::test_messages",
        "tests/test_policy_stacks.py::test_prod_passes",
        "tests/test_policies.py::test_each_case_fires_exactly_its_policies[rds-public]",
        "tests/test_policies.py::test_every_policy_of_the_pack_has_a_case_that_fires_it",
    ]


def test_own_tests_are_found_for_settings_and_for_the_packs_tables():
    assert own_tests("tests/test_settings_network.py", "settings.network.x_check_vpc_cidr__mutmut_5")
    assert own_tests(
        "tests/test_policies_rds.py", "policies.webapp_policies.rds_parameter_groups.x__parameters__mutmut_1"
    )
    assert own_tests("tests/test_policies_rds.py", "policies.webapp_policies.rds_access.x__subnet_group__mutmut_1")
    assert not own_tests("tests/test_policies_rds.py", "policies.webapp_policies.s3.x__encryption__mutmut_1")
    assert not own_tests("tests/test_network.py", "components.cache.x_f__mutmut_1")


# mutmut 3 leaves every decorated function unmutated (a decorator runs when the module is imported,
# so a mutated decorator or a second copy of the function could break the import), staticmethod
# and classmethod excepted. The pack's checks are therefore plain functions that the module applies
# `resource_policy`/`stack_policy` to explicitly, and its helpers are undecorated too.
UNMUTATED_DECORATORS = {"staticmethod", "classmethod"}
# In mutmut's copy of the tree (mutants/) every function it mutates carries mutmut's own decorator:
# the sources there are mutmut's, and the project's were checked before it copied them.
PROJECT_SOURCES = pytest.mark.skipif(ROOT.name == "mutants", reason="mutmut's copy of the sources")


def decorated(source: str) -> list[str]:
    """The functions (at any depth) of `source` that mutmut would not mutate, as `line name`."""
    return [
        f"{node.lineno} {node.name}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(not (isinstance(d, ast.Name) and d.id in UNMUTATED_DECORATORS) for d in node.decorator_list)
    ]


def test_a_decorated_check_or_helper_is_found_and_a_staticmethod_is_not():
    source = """
@resource_policy(Control(name="x"), TYPES)
def check(resource, config): ...

class Rule:
    @property
    def world(self): ...

    @staticmethod
    def parse(text): ...

def wrap(step):
    @functools.wraps(step)
    def remembered(value): ...
"""
    assert decorated(source) == ["3 check", "7 world", "14 remembered"]


@PROJECT_SOURCES
def test_mutmut_reaches_every_function_of_the_policy_pack():
    package = ROOT / "policies" / "webapp_policies"
    found = [
        f"{path.relative_to(ROOT)}:{hit}"
        for path in sorted(package.glob("*.py"))
        for hit in decorated(path.read_text())
    ]
    assert found == []


VALIDATORS = {"field_validator", "model_validator"}


def validators_with_logic(source: str) -> list[str]:
    """The pydantic validators of `source` that do more than return what a plain function (which
    mutmut mutates) answers, and its decorated module-level functions, as `line name`."""
    found = []
    functions = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)]
    for node in sorted(functions, key=lambda node: node.lineno):
        if not node.decorator_list:
            continue
        names = {d.func.id for d in node.decorator_list if isinstance(d, ast.Call) and isinstance(d.func, ast.Name)}
        body = node.body[1:] if ast.get_docstring(node) else node.body
        delegates = len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Call)
        if (names & VALIDATORS and not delegates) or node.col_offset == 0:
            found.append(f"{node.lineno} {node.name}")
    return found


def test_a_validator_with_logic_or_a_decorated_function_is_found_and_a_delegating_validator_is_not():
    source = """
class Rule(Model):
    @field_validator("period_seconds")
    @classmethod
    def _period(cls, value):
        return whole_minutes(value)

    @model_validator(mode="before")
    @classmethod
    def _merged(cls, data):
        if not isinstance(data, dict):
            return data
        return dict(data)

@cache
def partitions(): ...
"""
    assert validators_with_logic(source) == ["10 _merged", "16 partitions"]


@PROJECT_SOURCES
def test_mutmut_reaches_the_work_of_the_settings_validators():
    package = ROOT / "settings"
    found = [
        f"{path.relative_to(ROOT)}:{hit}"
        for path in sorted(package.glob("*.py"))
        for hit in validators_with_logic(path.read_text())
    ]
    assert found == []
