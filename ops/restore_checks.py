"""The restore drill's connectivity checks: what `restore-drill` runs against the restored
instance's endpoint once it is available, to show the restored database answers.

A check (`Check`) gets the `Endpoint` and returns a one-line description of what passed, or raises
CheckFailed. `tcp_check` opens a TCP connection to endpoint:port, which only works from inside the
VPC and from a security group the database's security group admits (run the drill as an ECS task
in a service's security group, see docs/operations.md); `command_check` runs any command (e.g.
`pg_isready`, or a query that checks the data) with the endpoint in its environment; `no_check`
skips it when the drill runs outside the VPC.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from .progress import Clock, duration

# The tcp check: attempts 5 s apart (a new instance's DNS name can take a moment), all within
# the budget (`--connect-timeout`).
TCP_CHECK_ATTEMPTS = 3
TCP_CHECK_GAP = 5.0
TCP_CHECK_BUDGET = 30.0


class CheckFailed(Exception):
    """The restored database did not pass the connectivity check."""


# A check gets the endpoint and returns a one-line description of what passed, or raises CheckFailed.
Check = Callable[["Endpoint"], str]


@dataclass(frozen=True)
class Endpoint:
    instance_id: str
    host: str
    port: int
    database: str | None
    region: str


def tcp_check(
    budget: float = TCP_CHECK_BUDGET,
    attempts: int = TCP_CHECK_ATTEMPTS,
    retry_delay: float = TCP_CHECK_GAP,
    clock: Clock | None = None,
) -> Check:
    """A TCP connect to endpoint:port, retried (a new endpoint's DNS name can lag a little).

    `budget` covers everything: each attempt may use what is left of it, and no attempt starts
    (nor gap is slept) once it is spent, so the check never takes much longer than `budget`.
    """
    clock = clock or Clock()

    def check(endpoint: Endpoint) -> str:
        deadline = clock.monotonic() + budget
        last: OSError | None = None
        tried = 0
        while tried < attempts and (left := deadline - clock.monotonic()) > 0:
            tried += 1
            try:
                with socket.create_connection((endpoint.host, endpoint.port), timeout=left):
                    return f"TCP connection to {endpoint.host}:{endpoint.port} opened"
            except OSError as error:
                last = error
            if tried < attempts and deadline - clock.monotonic() > retry_delay:
                clock.sleep(retry_delay)
            else:
                break
        raise CheckFailed(
            f"cannot open a TCP connection to {endpoint.host}:{endpoint.port} in {tried} attempt(s) within "
            f"{budget:g} s ({last}); is this host in the VPC?"
        )

    return check


def command_check(command: str, timeout: float = 300.0) -> Check:
    """Run `command` in a shell with DRILL_HOST, DRILL_PORT, DRILL_DATABASE, DRILL_INSTANCE_ID and
    DRILL_REGION set; exit status 0 passes."""

    def check(endpoint: Endpoint) -> str:
        env = {
            **os.environ,
            "DRILL_HOST": endpoint.host,
            "DRILL_PORT": str(endpoint.port),
            "DRILL_DATABASE": endpoint.database or "",
            "DRILL_INSTANCE_ID": endpoint.instance_id,
            "DRILL_REGION": endpoint.region,
        }
        try:
            result = subprocess.run(command, shell=True, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"check command did not finish within {duration(timeout)}: {command}") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise CheckFailed(f"check command exited {result.returncode}: {detail[-1] if detail else command}")
        return f"check command passed: {command}"

    return check


def no_check(endpoint: Endpoint) -> str:
    return "skipped (--check none): the RTO covers the restore only"
