"""components/common.py: what every component shares. A Deferred (a key policy's principals made
later in the program) settles with the program's error when the program fails first, so that what
waits for it ends the run with that error instead of waiting forever."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pulumi_aws as aws
import pytest

from components.common import Deferred
from tests.components_support import build

ERROR = "web: DATABASE_HOST is defined twice in its environment and secrets"


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fails what runs within it after `seconds` of wall time: a Deferred left unsettled keeps
    the run waiting for its Output forever (pulumi waits for every Output the program made)."""

    def expire(_signal: int, _frame: object) -> None:
        raise TimeoutError(f"the program still waited for a Deferred after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_deferred_failed_before_it_is_resolved_fails_what_waits_for_it_with_the_programs_error():
    def program() -> None:
        later = Deferred()
        aws.sns.Topic("waiting", policy=later.output)
        later.fail(ValueError(ERROR))

    with time_limit(20), pytest.raises(ValueError, match=ERROR):
        build("staging", program)


def test_a_deferred_resolved_before_the_program_fails_keeps_its_value():
    def program() -> None:
        later = Deferred()
        later.resolve(aws.sns.Topic("made-first").arn)
        later.fail(ValueError(ERROR))
        aws.sns.Topic("waiting", display_name=later.output)

    stack = build("staging", program)
    assert stack.named("waiting")["inputs"]["displayName"] == stack.named("made-first")["outputs"]["arn"]
