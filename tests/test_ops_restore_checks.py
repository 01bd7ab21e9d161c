"""The restore drill's TCP check against a local port: it passes when the port accepts a
connection, and when nothing listens it retries 5 s apart within its whole budget, gaps included
(the fake clock's sleeps)."""

from __future__ import annotations

import socket

import pytest

from ops import restore_checks
from ops.restore_checks import CheckFailed, Endpoint
from tests.ops_support import REGION, FakeClock

TEMPORARY = "webapp-prod-db-drill-20260301043000"


def test_the_tcp_check_passes_when_the_port_accepts_connections():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert restore_checks.tcp_check(budget=1)(Endpoint(TEMPORARY, "127.0.0.1", port, "app", REGION)).startswith(
            "TCP connection"
        )


def test_the_tcp_check_fails_when_nothing_listens():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]  # closed again when the block ends
    with pytest.raises(CheckFailed, match=f"cannot open a TCP connection to 127.0.0.1:{port} in 3 attempt"):
        restore_checks.tcp_check(budget=30, clock=FakeClock())(Endpoint(TEMPORARY, "127.0.0.1", port, "app", REGION))


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]  # closed again when the block ends


def test_the_tcp_check_retries_three_times_five_seconds_apart():
    clock = FakeClock()
    with pytest.raises(CheckFailed):
        restore_checks.tcp_check(budget=30, clock=clock)(Endpoint(TEMPORARY, "127.0.0.1", closed_port(), "app", REGION))
    assert clock.sleeps == [5.0, 5.0]


def test_the_tcp_check_stays_within_its_budget_gaps_included():
    clock = FakeClock()
    with pytest.raises(CheckFailed, match="in 2 attempt"):
        restore_checks.tcp_check(budget=7, clock=clock)(Endpoint(TEMPORARY, "127.0.0.1", closed_port(), "app", REGION))
    # One gap fits in 7 s; a second would end after the budget, so the check gives up instead.
    assert clock.t <= 7 and clock.sleeps == [5.0]
