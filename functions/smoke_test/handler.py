"""Smoke tests of a new web service version, run by ECS native blue/green as a Lambda lifecycle
hook at POST_TEST_TRAFFIC_SHIFT: the test listener then routes to the new version only, while
production still goes to the old one.

Contract (Amazon ECS Developer Guide, "Lambda hooks for Amazon ECS service deployments",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html): the
function returns a JSON object with `hookStatus`:
- `SUCCEEDED`: the deployment moves on to production traffic;
- `FAILED`: ECS rolls back to the last successful service revision;
- `IN_PROGRESS`: ECS invokes the function again after `callBackDelay` seconds (30 by default);
  `hookDetails` returned with it comes back in the next invocation's event.
A function error or a missing `hookStatus` also rolls back.

Each invocation GETs every check (`SMOKE_CHECKS`: the health check path first, then the
service's `smokeTests`) on `SMOKE_BASE_URL` (the test listener, `https://<domain>:<port>`),
each within `SMOKE_REQUEST_TIMEOUT` seconds. All pass: SUCCEEDED. Any fails: IN_PROGRESS with the
attempt count in `hookDetails`, so a version whose tasks are still warming up gets another
chance, until `SMOKE_MAX_ATTEMPTS`; then FAILED. Standard library only.
"""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

BODY_LIMIT = 64 * 1024
STAGE = "POST_TEST_TRAFFIC_SHIFT"

# GET url within timeout -> (status, body); raises OSError when there is no answer.
Fetch = Callable[[str, float], tuple[int, str]]


def urllib_fetch(context: ssl.SSLContext | None = None) -> Fetch:
    def fetch(url: str, timeout: float) -> tuple[int, str]:
        request = urllib.request.Request(url, headers={"User-Agent": "webapp-smoke-test"})
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
                return response.status, response.read(BODY_LIMIT).decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read(BODY_LIMIT).decode(errors="replace")

    return fetch


def check(base_url: str, spec: dict[str, Any], timeout: float, fetch: Fetch) -> dict[str, Any]:
    """One check: {"path", "expectStatus", "expectBodyContains"?} -> its result with a reason."""
    url = base_url.rstrip("/") + spec["path"]
    expected = int(spec.get("expectStatus", 200))
    started = time.monotonic()
    result: dict[str, Any] = {"path": spec["path"], "ok": False}
    try:
        status, body = fetch(url, timeout)
    except (TimeoutError, OSError) as error:
        result["reason"] = f"no answer within {timeout:g} s: {getattr(error, 'reason', None) or error}"
    else:
        wanted = spec.get("expectBodyContains")
        if status != expected:
            result["reason"] = f"status {status}, expected {expected}"
        elif wanted and wanted not in body:
            result["reason"] = f"body does not contain {wanted!r}"
        else:
            result["ok"] = True
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def _attempt(event: dict[str, Any]) -> int:
    details = event.get("hookDetails") or {}
    if isinstance(details, str):
        try:
            details = json.loads(details)
        except ValueError:
            details = {}
    try:
        return int(details.get("attempt", 1))
    except (TypeError, ValueError, AttributeError):
        return 1


def evaluate(event: dict[str, Any], config: dict[str, Any], fetch: Fetch) -> dict[str, Any]:
    """The hook's answer for this invocation (pure but for `fetch`)."""
    attempt = _attempt(event)
    results = [check(config["base_url"], spec, config["timeout"], fetch) for spec in config["checks"]]
    failed = [r for r in results if not r["ok"]]
    print(json.dumps({"attempt": attempt, "results": results}))
    if not failed:
        return {"hookStatus": "SUCCEEDED"}
    if attempt < config["max_attempts"]:
        return {"hookStatus": "IN_PROGRESS", "callBackDelay": config["delay"], "hookDetails": {"attempt": attempt + 1}}
    return {"hookStatus": "FAILED"}


def config_from(environ: dict[str, str]) -> dict[str, Any]:
    return {
        "base_url": environ["SMOKE_BASE_URL"],
        "checks": json.loads(environ["SMOKE_CHECKS"]),
        "timeout": float(environ.get("SMOKE_REQUEST_TIMEOUT", "5")),
        "max_attempts": int(environ.get("SMOKE_MAX_ATTEMPTS", "4")),
        "delay": int(environ.get("SMOKE_RETRY_DELAY", "30")),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    stage = event.get("lifecycleStage")
    if stage and stage != STAGE:
        # Configured for one stage only; never block another one.
        return {"hookStatus": "SUCCEEDED"}
    return evaluate(event, config_from(dict(os.environ)), urllib_fetch())
