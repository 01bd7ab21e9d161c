"""Progress lines for long waits, and the polling loop every wait uses.

The display is plain lines on stderr (stdout stays clean for `--json`): one line when a wait
starts, one whenever the watched state changes, and a heartbeat every HEARTBEAT_SECONDS while
it does not. It needs no TTY, so it reads the same in a terminal, a CI log and CloudWatch Logs.

Time is injected (`Clock`) so tests run waits without sleeping.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO, TypeVar

from botocore.exceptions import ClientError

from .aws import OpsError, is_throttling

HEARTBEAT_SECONDS = 60.0
MAX_THROTTLED_DELAY = 120.0

T = TypeVar("T")


@dataclass
class Clock:
    """Monotonic time for durations, wall time for timestamps, and sleep; fakes in tests."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    jitter: Callable[[], float] = random.random


class Progress:
    """Timestamped progress lines: `[  2m05s] message`, counted from the command's start."""

    def __init__(self, clock: Clock, stream: TextIO | None = None):
        self.clock = clock
        self.stream = stream
        self.started = clock.monotonic()

    def elapsed(self) -> float:
        return self.clock.monotonic() - self.started

    def say(self, message: str) -> None:
        stream = self.stream or sys.stderr
        print(f"[{duration(self.elapsed()):>7}] {message}", file=stream, flush=True)


class WaitTimeout(OpsError):
    """A wait ran past its deadline."""


def poll(
    fetch: Callable[[], T],
    state_of: Callable[[T], str],
    done: Callable[[T], bool],
    *,
    what: str,
    progress: Progress,
    timeout: float,
    interval: float = 15.0,
) -> T:
    """Call `fetch` every `interval` seconds until `done(value)`; returns that value.

    Prints the state (`state_of(value)`) when it changes and every HEARTBEAT_SECONDS. A
    throttled fetch is retried with exponential backoff and jitter (up to
    MAX_THROTTLED_DELAY); any other error propagates. Raises WaitTimeout after `timeout`.
    """
    clock = progress.clock
    start = clock.monotonic()
    deadline = start + timeout
    last_state: str | None = None
    last_said = start
    throttled = 0
    progress.say(f"waiting for {what} (up to {duration(timeout)})")
    while True:
        try:
            value = fetch()
        except ClientError as error:
            if not is_throttling(error):
                raise
            throttled += 1
            delay = min(interval * 2**throttled, MAX_THROTTLED_DELAY) * (0.5 + clock.jitter() / 2)
            progress.say(f"{what}: throttled by AWS, retrying in {delay:.0f}s")
        else:
            throttled = 0
            delay = interval
            state = state_of(value)
            now = clock.monotonic()
            if state != last_state or now - last_said >= HEARTBEAT_SECONDS:
                progress.say(f"{what}: {state} ({duration(now - start)})")
                last_state, last_said = state, now
            if done(value):
                return value
        if clock.monotonic() + delay > deadline:
            raise WaitTimeout(
                f"gave up waiting for {what} after {duration(clock.monotonic() - start)} (last state: {last_state})"
            )
        clock.sleep(delay)


def duration(seconds: float) -> str:
    """`45s`, `2m05s`, `1h02m`."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def iso(value: Any) -> Any:
    """A datetime as ISO 8601 text for JSON; anything else unchanged."""
    return value.isoformat() if isinstance(value, datetime) else value
