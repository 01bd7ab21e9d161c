"""Benchmark of the team's feedback loop: the offline synth and plan, and the test suite.

    python -m tools.bench [--runs N] [--stack NAME ...]     per stack: synth cold and warm, plan
    python -m tools.bench --plan [--runs N]                  `make plan` against one stack's synth
    python -m tools.bench --suite [--runs N]                 the whole test suite: `make test`

Per stack, `cold` is a fresh `python -m tools.synth` process (import of pulumi-aws included);
`warm` is one more synth in a process that already ran one; `plan` is what `make plan
STACK=<stack>` runs: a fresh process for the synth, the plan text and the offline policy check.

--plan times `python -m tools.plan --policy` (every stack planned and policy-checked, what `make
plan` runs) and `python -m tools.synth --stack prod` alone, alternately, and reports the ratio of
the medians. --suite times `make test`. Each figure is the median and the spread of
N runs of wall time, with the CPU time (user + system) of the median run; the load average is
printed before and after, since on a shared machine it moves every wall time.
"""

from __future__ import annotations

import functools
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from settings.stack_config import ROOT, stack_names
from tools import cli_parser

PLAN_ALL = ("-m", "tools.plan", "--policy")
SYNTH_PROD = ("-m", "tools.synth", "--stack", "prod", "--out", os.devnull)
SUITE = ("make", "--no-print-directory", "test")


@dataclass(frozen=True)
class Timing:
    """Wall and CPU seconds of each run of one command."""

    wall: list[float]
    cpu: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    def text(self) -> str:
        cpu = statistics.median(self.cpu)
        return f"{self.median:6.2f} s  ({min(self.wall):.2f}-{max(self.wall):.2f}; CPU {cpu:.2f} s)"


def measure(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def run(*args: str) -> tuple[float, float]:
    """Wall and CPU seconds (the process and its children) of a command; `-m ...` runs Python."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    command = [sys.executable, *args] if args[0] == "-m" else list(args)
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def alternate(commands: dict[str, tuple[str, ...]], runs: int) -> dict[str, Timing]:
    """Each command `runs` times, taking turns, so a change of load hits them alike."""
    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in commands}
    for _ in range(runs):
        for name, args in commands.items():
            wall, cpu = run(*args)
            results[name][0].append(wall)
            results[name][1].append(cpu)
    return {name: Timing(wall, cpu) for name, (wall, cpu) in results.items()}


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def bench_plan(runs: int) -> None:
    timings = alternate({"plan": PLAN_ALL, "synth": SYNTH_PROD}, runs)
    print(f"python {' '.join(PLAN_ALL)}:  {timings['plan'].text()}")
    print(f"python {' '.join(SYNTH_PROD[:4])}:  {timings['synth'].text()}")
    print(f"ratio of the medians: {timings['plan'].median / timings['synth'].median:.2f}")


def bench_suite(runs: int) -> None:
    timing = alternate({"suite": SUITE}, runs)["suite"]
    print(f"{' '.join(SUITE[:1] + SUITE[2:])}:  {timing.text()}")


def bench_stacks(runs: int, stacks: list[str]) -> None:
    from tools.synth import synthesize

    synthesize(stacks[0])  # pay the imports once before the warm measurements
    print(f"{'stack':<10} {'resources':>9} {'cold':>7} {'warm':>7} {'plan':>7}   (median seconds; min-max)")
    for stack in stacks:
        resources = len(synthesize(stack)["resources"])
        cold = alternate({"cold": ("-m", "tools.synth", "--stack", stack, "--out", os.devnull)}, runs)["cold"].wall
        warm = measure(functools.partial(synthesize, stack), runs)
        plan = alternate({"plan": ("-m", "tools.plan", "--stack", stack, "--policy")}, runs)["plan"].wall
        columns = (cold, warm, plan)
        print(
            f"{stack:<10} {resources:>9} "
            + " ".join(f"{statistics.median(times):>7.2f}" for times in columns)
            + "   "
            + ", ".join(f"{min(times):.2f}-{max(times):.2f}" for times in columns)
        )


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tools.bench", __doc__)
    parser.add_argument("--runs", type=int, default=3)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--stack", action="append", help="stack to measure (repeatable; default: every stack)")
    what.add_argument("--plan", action="store_true", help="`make plan` against one stack's synth, alternately")
    what.add_argument("--suite", action="store_true", help="the whole test suite, as `make test` runs it")
    args = parser.parse_args(argv)
    print(f"{args.runs} runs each; {_load()}")
    if args.plan:
        bench_plan(args.runs)
    elif args.suite:
        bench_suite(args.runs)
    else:
        bench_stacks(args.runs, args.stack or stack_names())
    print(_load())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
