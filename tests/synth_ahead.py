"""The suite's session synths, made in another interpreter while the main process collects the tests.

Before the workers fork (tests.fork_workers) the main process collects the tests and imports the
program once: about 6 s on one core. The session fixtures' four synths (the real stacks and their
variants, about 3 CPU-s after the imports) are made meanwhile on the other core by `python -m
tests.synth_ahead`, started at configuration; the main process takes its documents into
tests.support's cache once collection is done, so every worker inherits them.

That interpreter runs under another hash seed than the test processes (tests.process_support), so
its str and bytes hashes differ from theirs and so does its set and dict iteration order: every
test that compares a synth of its own with a session document (tests/test_synth.py) shows that the
synth does not depend on that order, without a synth process of its own.

This module imports nothing heavy itself: the other interpreter does.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.process_support import another_hash_seed

ROOT = Path(__file__).resolve().parents[1]

# The session fixtures that synthesize (tests/conftest.py), in the order the other interpreter makes them.
SESSION_SYNTHS = ("prod", "staging", "optional_prod", "optional_staging")

# Whether this process holds the session documents made under another hash seed (Ahead.take).
_taken = False


def build(name: str) -> Any:
    """What the session fixture `name` returns (tests.support caches its document): the fixtures
    in tests/conftest.py and the other interpreter here make each synth the same way."""
    from tests import support

    if name in ("prod", "staging"):
        return support.synth(name)
    return getattr(support, name)()


def made_under_another_hash_seed() -> bool:
    """Whether the session documents in this process came from the other interpreter."""
    return _taken


class Ahead:
    """`python -m tests.synth_ahead` under another hash seed; `take` waits for its documents."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.synth_ahead"],
            cwd=ROOT,
            env=another_hash_seed(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            # A failure is shown where a test makes the synth again in its own process.
            stderr=subprocess.DEVNULL,
        )

    def take(self) -> bool:
        """Put the other interpreter's documents into this process's cache; False when it failed
        (each document is then made where a test first needs it, which shows the error)."""
        global _taken
        assert self.process.stdout is not None
        with self.process.stdout as source:
            data = source.read()
        if self.process.wait() != 0 or not data:
            return False
        from tests import support

        support.keep(pickle.loads(data))
        _taken = True
        return True

    def cancel(self) -> None:
        """No test needs the synths: stop the other interpreter."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def main() -> None:
    # Imports make about a million objects that live as long as the process: with the collector's
    # default thresholds, full collections walking them again take a third of the import time.
    gc.set_threshold(10_000, 50, 100)
    from tests import support

    for name in SESSION_SYNTHS:
        build(name)
    sys.stdout.buffer.write(pickle.dumps(support.documents(), pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    # Freeing the imported objects one by one would take about a second after the work is done.
    os._exit(0)


if __name__ == "__main__":
    main()
