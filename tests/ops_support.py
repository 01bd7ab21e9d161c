"""Test helpers of the operations commands: a moto account's clients, the prod stack's settings and
outputs, a fake clock, and the commands run in process. The AWS side each command reads is built
by tests.ops_builders; the calls moto 5.2.5 lacks are faked by tests.ops_fakes.

No test talks to AWS: every client is created inside `mock_aws`, with fake credentials from the
environment and IMDS disabled.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ops.aws import Aws
from ops.cli import Context, main
from ops.outputs import Outputs
from ops.progress import Clock, Progress
from settings import load_settings
from settings.stack_config import read_stack_config


class SharedClients(boto3.session.Session):
    """A session that makes each (service, region, config) client once per test process.

    A session loads each service's API model once (moto resets boto3's default session at every
    mock_aws start); a client still costs about 9 ms of CPU to build (its class, its event
    handlers, its endpoint rules), and the commands under test would build some 400 of them. A
    client holds no account state (moto keeps that, reset for every test) and signs with the
    fake credentials every test has, so one client serves every test. A client behind a
    Stubber, which registers handlers on it, comes from `stubbed` instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self._clients: dict[tuple[str, str | None, int], tuple[Any, Any]] = {}
        self._stubbers: dict[tuple[str, str | None, int], tuple[Stubber, Any]] = {}

    def client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
        if set(kwargs) - {"config"}:
            return self.new_client(service_name, region_name=region_name, **kwargs)
        config = kwargs.get("config")
        key = (service_name, region_name, id(config))
        if key not in self._clients:
            # The config is kept beside its client: its id stays unique while the entry lives.
            self._clients[key] = (self.new_client(service_name, region_name=region_name, config=config), config)
        return self._clients[key][0]

    def new_client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
        """A client of its own."""
        return super().client(service_name, region_name=region_name, **kwargs)

    def stubbed(self, service_name: str, region_name: str | None = None, config: Any = None) -> Stubber:
        """A new, active Stubber on a client kept apart from the shared ones (its `.client`). The
        Stubber made before it on that client is deactivated: what a test queued in it never
        answers another test's calls."""
        key = (service_name, region_name, id(config))
        if key in self._stubbers:
            previous, _ = self._stubbers[key]
            previous.deactivate()
            client = previous.client
        else:
            client = self.new_client(service_name, region_name=region_name, config=config)
        stubber = Stubber(client)
        stubber.activate()
        self._stubbers[key] = (stubber, config)
        return stubber


# One session for every test, and its clients (SharedClients).
SESSION = SharedClients()

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
STACK = "prod"


class FakeClock(Clock):
    """Time that moves only when something sleeps."""

    def __init__(self, start: datetime | None = None):
        self.t = 0.0
        self.start = start or datetime.now(UTC)
        self.sleeps: list[float] = []
        super().__init__(
            monotonic=lambda: self.t,
            sleep=self._sleep,
            now=lambda: self.start + timedelta(seconds=self.t),
            jitter=lambda: 1.0,
        )

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def progress(clock: FakeClock | None = None) -> Progress:
    return Progress(clock or FakeClock(), io.StringIO())


def client(service: str, region: str = REGION) -> Any:
    """A client of the test's moto account, to build or inspect the AWS side."""
    return SESSION.client(service, region_name=region)


def access_denied(operation: str) -> ClientError:
    return client_error("AccessDenied", operation, f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized")


def client_error(code: str, operation: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message or code}}, operation)


def stack_settings(**dns: Any):
    """The prod stack's real settings before its images are pinned (named by tag, as preflight
    resolves them), with `dns` fields replaced (moto's zone ids do not match the `Z...` pattern,
    so the replacement skips validation on purpose)."""
    settings = _stack_settings()
    services = [
        s.model_copy(update={"image": unpinned(s.image), "tracing_image": unpinned(s.tracing_image or "")})
        for s in settings.services
    ]
    settings = settings.model_copy(update={"services": services})
    return settings.model_copy(update={"dns": settings.dns.model_copy(update=dns)}) if dns else settings


@cache
def _stack_settings():
    """The stack file read and validated once per test process (settings are frozen models)."""
    return load_settings(STACK, read_stack_config(STACK))


def unpinned(image: str) -> str:
    """An image reference without its digest, in moto's account: `<repository>:<tag>`."""
    repository = image.split("@")[0].split("/", 1)[1]
    return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repository}"


def outputs(values: dict[str, Any]) -> Outputs:
    return Outputs(STACK, values, "test outputs")


def aws_session(
    wrap: dict[str, Callable[[Any], Any]] | None = None, session: boto3.session.Session | None = None
) -> Aws:
    return Aws(REGION, session=session or SESSION, wrap=wrap)


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(argv: list[str], tmp_path, values: dict[str, Any] | None = None, **context: Any) -> CliRun:
    """`python -m ops ...` in process, with `values` as the --outputs file when given."""
    if values is not None:
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(values))
        argv = [*argv, "--outputs", str(path)]
    stdout, stderr = io.StringIO(), io.StringIO()
    context.setdefault("clock", FakeClock())
    context.setdefault("session", SESSION)
    code = main(argv, Context(stdout=stdout, stderr=stderr, **context))
    return CliRun(code, stdout.getvalue(), stderr.getvalue())
