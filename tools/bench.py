"""Benchmark of the team's feedback loop: wall time of the offline synth per stack.

    python -m tools.bench [--runs N] [--stack NAME ...]

`cold` is a fresh `python -m tools.synth` process (what `make synth` and the policy check pay,
import of pulumi-aws included); `warm` is one more synth in a process that already ran one (what
`make plan` pays for each further stack). Reports the median and the spread of N runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from typing import Callable, Optional

from tools.stack_config import ROOT, stack_names
from tools.synth import synthesize


def measure(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def cold(stack: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "tools.synth", "--stack", stack, "--out", "/dev/null"], cwd=ROOT, check=True
    )


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stack", action="append")
    args = parser.parse_args(argv)
    stacks = args.stack or stack_names()
    synthesize(stacks[0])  # pay the imports once before the warm measurements
    print(f"{'stack':<10} {'resources':>9} {'cold median':>12} {'warm median':>12}   (seconds, {args.runs} runs; min-max)")
    for stack in stacks:
        resources = len(synthesize(stack)["resources"])
        cold_times = measure(lambda: cold(stack), args.runs)
        warm_times = measure(lambda: synthesize(stack), args.runs)
        print(
            f"{stack:<10} {resources:>9} {statistics.median(cold_times):>12.2f} {statistics.median(warm_times):>12.2f}"
            f"   cold {min(cold_times):.2f}-{max(cold_times):.2f}, warm {min(warm_times):.2f}-{max(warm_times):.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
