"""The smoke-test hook's handler (functions/smoke_test/handler.py) against a real HTTP server on
loopback: passing checks, a failing status, a slow answer (timeout), a wrong body, the bounded
retry through IN_PROGRESS, and the hook's answer shape ECS reads."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from components.function_package import FUNCTIONS_DIR

SLOW_SECONDS = 1.5


def _load_handler():
    spec = importlib.util.spec_from_file_location("smoke_test_handler", FUNCTIONS_DIR / "smoke_test" / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


smoke = _load_handler()

PAGES = {
    "/healthz": (200, "ok"),
    "/api/ready": (200, '{"ready": true, "version": "1.4.2"}'),
    "/broken": (503, "upstream unavailable"),
    "/wrong": (200, '{"ready": false}'),
}


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/slow":
                time.sleep(SLOW_SECONDS)
                status, body = 200, "late"
            else:
                status, body = PAGES.get(self.path, (404, "not found"))
            data = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: the timeout a test checks, not a server fault

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll: shutdown() waits for the serving loop to look, 0.5 s by default.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def config(base_url: str, *checks: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "base_url": base_url,
        "checks": [{"path": "/healthz", "expectStatus": 200}, *checks],
        "timeout": 0.5,
        "max_attempts": 3,
        "delay": 20,
        **overrides,
    }


def answer(site: str, *checks: dict[str, Any], attempt: int | None = None, **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/webapp/web"}
    if attempt is not None:
        event["hookDetails"] = {"attempt": attempt}
    return smoke.evaluate(event, config(site, *checks, **overrides), smoke.urllib_fetch())


def test_passing_checks_let_the_deployment_continue(site):
    ready = {"path": "/api/ready", "expectStatus": 200, "expectBodyContains": '"ready": true'}
    assert answer(site, ready) == {"hookStatus": "SUCCEEDED"}


def test_a_failing_status_is_retried_with_the_next_attempt_in_hook_details(site):
    assert answer(site, {"path": "/broken", "expectStatus": 200}) == {
        "hookStatus": "IN_PROGRESS",
        "callBackDelay": 20,
        "hookDetails": {"attempt": 2},
    }


def test_the_last_attempt_fails_the_deployment_so_ecs_rolls_back(site):
    assert answer(site, {"path": "/broken", "expectStatus": 200}, attempt=3) == {"hookStatus": "FAILED"}


def test_a_slow_answer_fails_its_check_within_the_timeout(site):
    started = time.monotonic()
    result = smoke.check(site, {"path": "/slow", "expectStatus": 200}, 0.3, smoke.urllib_fetch())
    assert time.monotonic() - started < SLOW_SECONDS
    assert not result["ok"] and result["reason"].startswith("no answer within 0.3 s")


def test_a_wrong_body_fails_its_check(site):
    result = smoke.check(
        site, {"path": "/wrong", "expectStatus": 200, "expectBodyContains": '"ready": true'}, 1, smoke.urllib_fetch()
    )
    assert result["reason"] == "body does not contain '\"ready\": true'"


def test_an_expected_non_200_status_passes(site):
    result = smoke.check(site, {"path": "/missing", "expectStatus": 404}, 1, smoke.urllib_fetch())
    assert result["ok"]


def test_the_health_path_is_checked_even_without_smoke_tests(site, capsys):
    assert answer(site) == {"hookStatus": "SUCCEEDED"}
    (line,) = capsys.readouterr().out.splitlines()
    assert [r["path"] for r in json.loads(line)["results"]] == ["/healthz"]


def test_hook_details_may_arrive_as_json_text(site):
    event = {"hookDetails": json.dumps({"attempt": 3})}
    broken = config(site, {"path": "/broken", "expectStatus": 200})
    assert smoke.evaluate(event, broken, smoke.urllib_fetch()) == {"hookStatus": "FAILED"}


def test_the_handler_reads_its_checks_from_the_environment(site, monkeypatch):
    monkeypatch.setenv("SMOKE_BASE_URL", site)
    monkeypatch.setenv("SMOKE_CHECKS", json.dumps([{"path": "/healthz", "expectStatus": 200}]))
    assert smoke.handler({"lifecycleStage": "POST_TEST_TRAFFIC_SHIFT"}, None) == {"hookStatus": "SUCCEEDED"}
