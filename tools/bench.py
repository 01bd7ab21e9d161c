"""Benchmark of the team's feedback loop: wall time of the offline synth per stack.

    python -m tools.bench [--runs N] [--stack NAME ...]

`cold` is a fresh `python -m tools.synth` process (import of pulumi-aws included); `warm` is one
more synth in a process that already ran one (what `make plan` pays for each further stack);
`plan` is what `make plan STACK=<stack>` runs: a fresh process for the synth, the plan text and
the offline policy check. Reports the median and the spread of N runs.
"""

from __future__ import annotations

import functools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from settings.stack_config import ROOT, stack_names
from tools import cli_parser
from tools.synth import synthesize


def measure(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def cold(stack: str) -> None:
    _run("tools.synth", "--stack", stack, "--out", "/dev/null")


def plan(stack: str) -> None:
    _run("tools.plan", "--stack", stack, "--policy")


def _run(module: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tools.bench", __doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stack", action="append")
    args = parser.parse_args(argv)
    stacks = args.stack or stack_names()
    synthesize(stacks[0])  # pay the imports once before the warm measurements
    print(
        f"{'stack':<10} {'resources':>9} {'cold':>7} {'warm':>7} {'plan':>7}   "
        f"(median seconds of {args.runs} runs; min-max)"
    )
    for stack in stacks:
        resources = len(synthesize(stack)["resources"])
        cold_times = measure(functools.partial(cold, stack), args.runs)
        warm_times = measure(functools.partial(synthesize, stack), args.runs)
        plan_times = measure(functools.partial(plan, stack), args.runs)
        columns = (cold_times, warm_times, plan_times)
        print(
            f"{stack:<10} {resources:>9} "
            + " ".join(f"{statistics.median(times):>7.2f}" for times in columns)
            + "   "
            + ", ".join(f"{min(times):.2f}-{max(times):.2f}" for times in columns)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
