"""Running a program apart from the test process, at the least CPU cost that keeps what the test
needs from the separation.

- `in_fork`: a child forked from this process shares its imports (pulumi-aws above all, seconds
  of CPU in a fresh interpreter) and nothing that happens afterwards: what the child changes in the
  global runtime state (Pulumi's mock runtime, the settings) never reaches the tests that follow.
- `another_hash_seed`: a fresh interpreter whose str and bytes hashes differ from this process's,
  for the tests whose point is that output does not depend on set or dict iteration order.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable


def in_fork(target: Callable[[], int], timeout: float = 120) -> tuple[int, str]:
    """Run `target` in a child forked from this process: its exit status (target's return value,
    1 on an exception) and what it wrote to stdout and stderr, together as a terminal shows them."""
    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryFile("w+") as output:
        child = context.Process(target=_with_output, args=(target, output.fileno()), daemon=True)
        child.start()
        child.join(timeout)
        if child.exitcode is None:
            child.kill()
            child.join()
            raise TimeoutError(f"the forked child ran past {timeout} s")
        output.seek(0)
        return child.exitcode, output.read()


def _with_output(target: Callable[[], int], fd: int) -> None:
    # pytest's capture replaced sys.stdout and sys.stderr with its own files: point both, and the
    # file descriptors under them, at the output file.
    stream = open(fd, "w", buffering=1, closefd=False)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = sys.stderr = stream
    # multiprocessing turns SystemExit into the exit status and prints any other exception's
    # traceback on sys.stderr, before it flushes the standard streams and ends the child.
    raise SystemExit(target())


def another_hash_seed() -> dict[str, str]:
    """This process's environment with PYTHONHASHSEED set to a seed this process was not started
    with: a child started with it hashes every str and bytes differently, so its sets and dicts
    iterate in another order (PYTHONHASHSEED in the Python documentation). Without it, a child
    would share this process's hashes whenever PYTHONHASHSEED is set in the environment."""
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    return {**os.environ, "PYTHONHASHSEED": seed}
