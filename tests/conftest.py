"""Shared fixtures: the real stacks, synthesized once per test process."""

import pytest

from tests.support import Synth, synth


@pytest.fixture(scope="session")
def prod() -> Synth:
    return synth("prod")


@pytest.fixture(scope="session")
def staging() -> Synth:
    return synth("staging")


@pytest.fixture(scope="session")
def policy_pack():
    """The CrossGuard pack in policies/, running as its own process for the whole session."""
    from tools.policy_check import PolicyPack

    with PolicyPack() as pack:
        yield pack
