"""Mutation scores per package, and the surviving mutants, from what mutmut recorded in mutants/.

    python -m tools.mutation score                killed / (measured - skipped) per module, then per package
    python -m tools.mutation survivors [--diff]   the survivors not on the skip list (also into
                                                  mutants/survivors.txt)
    python -m tools.mutation survivors --names [MODULE ...]
                                                  their names alone, of these modules (dotted, as
                                                  components.cache) or all: what `make
                                                  mutate-survivors` measures again
    python -m tools.mutation unmeasured MODULE ...
                                                  the names of these modules' mutants not measured
                                                  yet: what `make mutate MUTATE=...` measures

mutmut (`make mutate`) keeps one `<file>.py.meta` per mutated file under mutants/: each mutant's
name and the exit status of the tests run against it. A mutant is *killed* when a test failed,
*survived* when every test passed, *no tests* when no test reached its function, *timeout* when its
tests ran past their time limit: not killed, since that cannot tell an endless loop the mutant
made from a run that hung; *not measured* ones (the run was stopped first) count nowhere, and the
table says how many there are. Mutants on the skip list
(tools/mutation_skips.txt: equivalent mutants, log wording) count nowhere either.

The scores are appended to $GITHUB_STEP_SUMMARY (as a code block) when that is set.

Exit status: 0, or 2 when there is nothing measured or the skip list is malformed."""

from __future__ import annotations

import fnmatch
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools import cli_parser

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
SKIPS = Path(__file__).resolve().parent / "mutation_skips.txt"
PACKAGES = ("settings", "components", "policies/webapp_policies")

# mutmut's exit statuses (mutmut.stats.status_by_exit_code) in the four outcomes that matter here.
KILLED = {1, 3}  # a test failed; pytest's internal error
TIMEOUT = {24, -24, 152, 255, 36}  # SIGXCPU at the CPU or wall time limit
SURVIVED = {0}
NO_TESTS = {5, 33}
NOT_MEASURED = {None, 2}


class UsageError(Exception):
    """A problem for the user to fix: printed as one line, exit status 2."""


@dataclass(frozen=True)
class Skip:
    pattern: str
    reason: str


@dataclass
class Tally:
    killed: int = 0
    survived: int = 0
    no_tests: int = 0
    timeouts: int = 0
    other: int = 0  # suspicious, segfault: counted as not killed
    skipped: int = 0
    not_measured: int = 0
    survivors: list[str] = field(default_factory=list)
    unmeasured: list[str] = field(default_factory=list)

    @property
    def measured(self) -> int:
        return self.killed + self.survived + self.no_tests + self.timeouts + self.other

    @property
    def score(self) -> float | None:
        return self.killed / self.measured if self.measured else None

    def add(self, other: Tally) -> None:
        for name in ("killed", "survived", "no_tests", "timeouts", "other", "skipped", "not_measured"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.survivors += other.survivors
        self.unmeasured += other.unmeasured


def read_skips(text: str, source: str = "mutation_skips.txt") -> list[Skip]:
    """`<mutant name or fnmatch pattern>  # <why it is equivalent or does not matter>` per line;
    blank lines and lines starting with # are comments. An entry without a reason is an error."""
    skips = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pattern, _, reason = stripped.partition("#")
        if not reason.strip() or len(pattern.split()) != 1:
            raise UsageError(f"{source}:{number}: expected `<mutant or pattern>  # <reason>`, got {stripped!r}")
        skips.append(Skip(pattern.strip(), reason.strip()))
    return skips


def skipped(name: str, skips: Iterable[Skip]) -> bool:
    return any(fnmatch.fnmatchcase(name, skip.pattern) for skip in skips)


def tally(exit_codes: dict[str, int | None], skips: Sequence[Skip]) -> Tally:
    """One module's outcome from its .meta file's exit_code_by_key."""
    result = Tally()
    for name, code in exit_codes.items():
        if skipped(name, skips):
            result.skipped += 1
        elif code in NOT_MEASURED:
            result.not_measured += 1
            result.unmeasured.append(name)
        elif code in KILLED:
            result.killed += 1
        elif code in TIMEOUT:
            result.timeouts += 1
            result.survivors.append(name)
        elif code in SURVIVED or code in NO_TESTS:
            if code in SURVIVED:
                result.survived += 1
            else:
                result.no_tests += 1
            result.survivors.append(name)
        else:
            result.other += 1
            result.survivors.append(name)
    return result


def module_of(meta: Path, mutants: Path) -> str:
    """`settings/windows.py` for mutants/settings/windows.py.meta."""
    return meta.relative_to(mutants).as_posix().removesuffix(".meta")


def read_modules(mutants: Path, skips: Sequence[Skip]) -> dict[str, Tally]:
    """Every mutated module of PACKAGES that mutmut recorded, by its path in the repository."""
    modules = {}
    for package in PACKAGES:
        for meta in sorted((mutants / package).glob("*.py.meta")):
            exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
            modules[module_of(meta, mutants)] = tally(exit_codes, skips)
    return modules


def by_package(modules: dict[str, Tally]) -> dict[str, Tally]:
    packages = {package: Tally() for package in PACKAGES}
    for module, result in modules.items():
        packages[module.rsplit("/", 1)[0]].add(result)
    return packages


def percent(score: float | None) -> str:
    return "-" if score is None else f"{100 * score:.1f}%"


def table(rows: dict[str, Tally]) -> str:
    header: tuple[object, ...] = (
        "",
        "mutants",
        "measured",
        "killed",
        "survived",
        "no tests",
        "timeout",
        "skipped",
        "score",
    )
    lines: list[tuple[object, ...]] = [header]
    for name, t in rows.items():
        total = t.measured + t.skipped + t.not_measured
        row = (name, total, t.measured, t.killed, t.survived, t.no_tests, t.timeouts, t.skipped, percent(t.score))
        lines.append(row)
    width = max(len(str(row[0])) for row in lines)
    return "\n".join(f"{row[0]:<{width}}" + "".join(f"{str(cell):>10}" for cell in row[1:]) for row in lines).rstrip()


def score(mutants: Path, skips: Sequence[Skip]) -> str:
    """The measured modules' table, then the packages' table."""
    recorded = read_modules(mutants, skips)
    if not any(t.measured for t in recorded.values()):
        raise UsageError(f"{mutants}: no mutant measured yet (make mutate)")
    modules = table({m: t for m, t in recorded.items() if t.measured})
    return f"{modules}\n\n{table(by_package(recorded))}"


def in_modules(name: str, modules: Sequence[str]) -> bool:
    """Whether the mutant `name` (`components.cache.x_f__mutmut_1`) is of one of `modules`
    (`components.cache`, or a package: `components`); any module when none is given."""
    return not modules or any(name.startswith(module + ".") for module in modules)


def survivor_names(mutants: Path, skips: Sequence[Skip], modules: Sequence[str] = ()) -> str:
    """The survivors' names, one a line, of `modules` (in_modules)."""
    recorded = read_modules(mutants, skips)
    return "\n".join(name for result in recorded.values() for name in result.survivors if in_modules(name, modules))


def dotted(module: str) -> str:
    """`components.cache` for components/cache.py, `settings` for settings/__init__.py."""
    return module.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def own_mutants(module: str) -> str:
    """The fnmatch pattern of one module's mutants alone: mutmut names a function's `x_<name>` and a
    method's `xǁ<class>ǁ<name>`, so a package's pattern leaves its submodules' out."""
    return f"{dotted(module)}.x[_ǁ]*"


def to_measure(mutants: Path, skips: Sequence[Skip], modules: Sequence[str], root: Path = ROOT) -> str:
    """What `make mutate MUTATE=...` hands mutmut, one a line: the mutants of `modules` not measured
    yet, by name (mutmut measures again every mutant it is given by name, so naming the modules
    would measure their measured mutants again). A module mutmut has not recorded, or whose source
    is newer than its mutated copy (mutmut makes that module's mutants again), goes whole, by
    pattern."""
    recorded = read_modules(mutants, skips)
    lines: list[str] = []
    for asked in modules:
        found = [m for m in recorded if dotted(m) == asked or dotted(m).startswith(asked + ".")]
        if not found:
            lines.append(f"{asked}.*")
        for module in found:
            copy = mutants / module
            if not copy.exists() or (root / module).stat().st_mtime > copy.stat().st_mtime:
                lines.append(own_mutants(module))
            else:
                lines += recorded[module].unmeasured
    return "\n".join(lines)


def survivors(mutants: Path, skips: Sequence[Skip], diff: bool) -> str:
    recorded = read_modules(mutants, skips)
    lines = []
    for module, result in recorded.items():
        for name in result.survivors:
            lines.append(f"{module}: {name}")
            if diff:
                lines.append(mutant_diff(name))
    return "\n".join(lines)


def mutant_diff(name: str) -> str:
    """mutmut's diff of one mutant against the original (as `mutmut show` prints it)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    return get_diff_for_mutant(name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = cli_parser("python -m tools.mutation", __doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    score_parser = commands.add_parser("score", help="mutation score per module and package")
    survivors_parser = commands.add_parser("survivors", help="surviving mutants not on the skip list")
    survivors_parser.add_argument("--diff", action="store_true", help="each with its diff")
    survivors_parser.add_argument("--names", action="store_true", help="their names alone, one a line")
    survivors_parser.add_argument("modules", nargs="*", help="with --names: only these modules' (components.cache)")
    unmeasured_parser = commands.add_parser("unmeasured", help="the names of the mutants not measured yet")
    unmeasured_parser.add_argument("modules", nargs="+", help="modules or packages (components.cache, components)")
    for sub in (score_parser, survivors_parser, unmeasured_parser):
        sub.add_argument("--mutants", type=Path, default=MUTANTS, help="mutmut's directory (default: mutants/)")
        sub.add_argument("--skips", type=Path, default=SKIPS, help="the skip list")
    args = parser.parse_args(argv)
    try:
        skips = read_skips(args.skips.read_text(), str(args.skips))
        if args.command == "score":
            out = score(args.mutants, skips)
            step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
            if step_summary:
                with open(step_summary, "a") as summary:
                    summary.write(f"```\n{out}\n```\n")
        elif args.command == "unmeasured":
            out = to_measure(args.mutants, skips, args.modules)
        elif args.names:
            out = survivor_names(args.mutants, skips, args.modules)
        elif args.modules:
            raise UsageError("modules select survivors by name only: add --names")
        else:
            out = survivors(args.mutants, skips, args.diff)
            (args.mutants / "survivors.txt").write_text(out + "\n" if out else "")
    except UsageError as error:
        print(error, file=sys.stderr)
        return 2
    if out:
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
