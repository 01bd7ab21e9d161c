"""Shared fixtures: the real stacks and a variant of each, synthesized once before the tests run,
the policy pack, started once per test process, and a moto account.

Imports happen inside the fixtures, so a run that needs none of them (one settings module) pays
for none of them."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support import Synth
    from tests.synth_ahead import Ahead


_AHEAD: pytest.StashKey[Ahead] = pytest.StashKey()


def _forked(config: pytest.Config) -> bool:
    return config.getoption("forks", 0) >= 2 and not config.option.collectonly


def pytest_configure(config: pytest.Config) -> None:
    """Collection imports pulumi-aws, moto and boto3: millions of objects that live as long as the
    process. With the collector's default thresholds, every 700 new objects start a collection and
    the full ones walk all of them again: letting young objects pile up longer from the start
    takes the imports from 5.5 to 3.5 CPU-s (measured on the program's and moto's imports).

    When the tests run in forked workers (tests.fork_workers), another interpreter starts making
    the session synths now, while this process collects (tests.synth_ahead)."""
    gc.set_threshold(10_000, 50, 100)
    if _forked(config):
        from tests.synth_ahead import Ahead

        config.stash[_AHEAD] = Ahead()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once everything is imported, move it out of the collector's reach, so that no collection
    walks it again. This takes about a sixth off the suite's CPU time (gc.freeze in the Python
    docs). No collection runs first: the imports leave next to no garbage (20 objects, measured),
    and a full collection would walk every one of the million objects for it (0.3 CPU-s).

    Before forked workers start, this process also prepares what every worker would otherwise
    pay for on its own: the program's modules imported, the session synths taken from the interpreter
    that made them, moto warmed up. In one process (one file, a mutant), each is made when a test
    first needs it."""
    ahead = session.config.stash.get(_AHEAD, None)
    if ahead is not None:
        from tests.synth_ahead import SESSION_SYNTHS

        wanted = {name for item in session.items for name in getattr(item, "fixturenames", ())}
        synths_wanted = bool(wanted.intersection(SESSION_SYNTHS))
        if synths_wanted:
            from tools.plan import import_program

            import_program()
        if "aws" in wanted:
            warm_moto()
        if synths_wanted:
            ahead.take()
        else:
            ahead.cancel()
    gc.freeze()


def warm_moto() -> None:
    """A web stack and a database built in a moto account as `aws` makes it, then forgotten: what
    the first moto test of a process pays for otherwise, about 1 CPU-s (moto's EC2, ELB, ECS,
    CloudWatch and RDS backends imported, those services' API models loaded by botocore and by
    moto, the shared session's clients built), and the first run of each builder, which records
    the state later calls restore (tests.moto_support.snapshotted). Done before the workers fork,
    it is paid once."""
    from moto import mock_aws

    from tests.moto_support import forget_accounts
    from tests.ops_builders import database, web_stack

    with pytest.MonkeyPatch.context() as patch, mock_aws():
        fake_account(patch)
        for build in (web_stack, database):
            forget_accounts()
            build()
        forget_accounts()


@pytest.fixture(scope="session")
def prod() -> Synth:
    from tests.synth_ahead import build

    return build("prod")


@pytest.fixture(scope="session")
def staging() -> Synth:
    from tests.synth_ahead import build

    return build("staging")


@pytest.fixture(scope="session")
def optional_prod() -> Synth:
    """Prod with its optional features on (tests.support.optional_prod)."""
    from tests.synth_ahead import build

    return build("optional_prod")


@pytest.fixture(scope="session")
def optional_staging() -> Synth:
    """Staging with settings away from its defaults (tests.support.optional_staging)."""
    from tests.synth_ahead import build

    return build("optional_staging")


@pytest.fixture(scope="session")
def policy_pack():
    """The CrossGuard pack in policies/, running as its own process for the whole session. It
    remembers its answer to each resource and each stack under each config (RememberingAnalyzer): the real
    stacks' mutations re-check 170 resources of which one or two changed."""
    from tests.policy_support import UNMUTATED_PACK_ANSWERS, RememberingAnalyzer
    from tools.policy_check import PolicyPack

    with PolicyPack() as pack:
        pack.stub = RememberingAnalyzer(pack.stub, UNMUTATED_PACK_ANSWERS)
        yield pack


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster on loopback set up like RDS (tests.postgres_support), one
    per session. Without PostgreSQL the tests skip, except under CI, which installs it."""
    import os

    from tests.postgres_support import binaries, start

    bin_dir = binaries()
    if bin_dir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql; .ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    yield from start(bin_dir)


@pytest.fixture(scope="module")
def report(request, policy_pack):
    """A policy test module's TABLE (tests.policy_support.PolicyTable), checked by the pack once."""
    return request.module.TABLE.report(policy_pack)


@pytest.fixture(scope="module")
def moto_mock() -> Iterator[None]:
    """moto's mock_aws, started once per test module: a start puts some 1,300 URL patterns in
    place (about 7 ms of CPU), while what a test must not share is the accounts, which `aws`
    resets before each test."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def aws(moto_mock: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh moto account; fake credentials so nothing can reach a real endpoint."""
    from tests.moto_support import forget_accounts

    fake_account(monkeypatch)
    forget_accounts()
    yield
    forget_accounts()


def fake_account(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a moto account (`aws`): fake credentials, moto's settings, quicker moto."""
    from tests.moto_support import quicken_moto
    from tests.ops_support import REGION

    quicken_moto(monkeypatch)
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
