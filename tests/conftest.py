"""Shared fixtures: the real stacks, synthesized once per test process, and a moto account."""

from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.ops_support import REGION
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


@pytest.fixture(scope="module")
def report(request, policy_pack):
    """A policy test module's TABLE (tests.policy_support.PolicyTable), checked by the pack once."""
    return request.module.TABLE.report(policy_pack)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh moto account; fake credentials so nothing can reach a real endpoint."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        # moto reports this many running tasks for every new ECS service.
        "MOTO_ECS_SERVICE_RUNNING": "2",
        # No test needs moto's catalogue of AMIs; loading it costs half a second per test.
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield
