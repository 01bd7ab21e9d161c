"""The suite's session synths, made in a child process while the main process collects the tests.

Before the workers fork (tests.fork_workers) the main process collects the tests and imports the
program once: about 7 s on one core, with the other idle. The session fixtures' four synths (the
real stacks and their variants, about 3 CPU-s after the imports) are made meanwhile by a child
forked at start-up, before anything heavy is imported; the main process takes its documents into
tests.support's cache once collection is done, so every worker inherits them.

This module imports nothing heavy itself: the child does, after the fork.
"""

from __future__ import annotations

import os
import pickle
import signal
from typing import Any

# The session fixtures that synthesize (tests/conftest.py), in the order the child makes them.
SESSION_SYNTHS = ("prod", "staging", "optional_prod", "optional_staging")


def build(name: str) -> Any:
    """What the session fixture `name` returns (tests.support caches its document): the fixtures
    in tests/conftest.py and the child here make each synth the same way."""
    from tests import support

    if name in ("prod", "staging"):
        return support.synth(name)
    return getattr(support, name)()


class Ahead:
    """A child process making the session synths; `take` waits for it and keeps what it made."""

    def __init__(self) -> None:
        reader, writer = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(reader)
            _make(writer)
        os.close(writer)
        self.reader = reader

    def take(self) -> bool:
        """Put the child's documents into this process's cache; False when it failed (each
        document is then made where a test first needs it, which shows the error)."""
        with os.fdopen(self.reader, "rb") as source:
            data = source.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            return False
        from tests import support

        support.keep(pickle.loads(data))
        return True

    def cancel(self) -> None:
        """No test needs the synths: stop the child."""
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.reader)


def _make(writer: int) -> None:
    status = 1
    try:
        from tests import support

        for name in SESSION_SYNTHS:
            build(name)
        with os.fdopen(writer, "wb") as out:
            pickle.dump(support.documents(), out)
        status = 0
    except BaseException:  # noqa: BLE001 (the main process rebuilds and reports what failed)
        pass
    finally:
        os._exit(status)
