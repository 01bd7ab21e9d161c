"""Shared fixtures: the real stacks, synthesized once per test process."""

import pytest

from tests.support import Synth, synth


@pytest.fixture(scope="session")
def prod() -> Synth:
    return synth("prod")


@pytest.fixture(scope="session")
def staging() -> Synth:
    return synth("staging")
