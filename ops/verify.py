"""`verify`: is a deployed stack serving, healthy and settled? The pipeline's gate after each
`pulumi up`.

Four checks, each printed as it runs:
- the health path (the live target group's health check path) on the stack's `url` answers
  200 over HTTPS (a few attempts, a new DNS name or certificate can lag);
- every target in the live target group (the one the production rule forwards to) is healthy,
  and there is at least one;
- no alarm of the stack (stack outputs `alarmNames`, `deploymentAlarmName`) is in ALARM;
- every ECS service runs its desired count with one deployment, and no service deployment of
  the web service is in progress.

Any failed check makes the exit status 1 with one line per reason. The target health, alarms and
services come from `status` (the same reading of the same outputs).
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import status
from .aws import DESCRIBE_SERVICES_MAX, Aws, chunks
from .command import Command
from .outputs import Outputs
from .progress import Clock, Progress

HTTP_ATTEMPTS = 3
HTTP_GAP_SECONDS = 10.0
HTTP_TIMEOUT_SECONDS = 10.0
BODY_EXCERPT = 200

COMMAND = Command(
    name="verify",
    summary="check that a deployed stack serves, is healthy and has settled",
    description=(
        "Checks, in order: the health path on the stack's url answers 200 over HTTPS; every target of "
        "the live target group is healthy; no alarm of the stack is in ALARM; every ECS service runs its "
        "desired count with one deployment and the web service has no deployment in progress. The "
        "deploy pipeline runs it after each `pulumi up` and stops on a failure."
    ),
    failed="a check failed; each reason is printed on its own line",
    examples=("python -m ops verify --stack staging", "python -m ops verify --stack prod --json"),
    outputs=(
        "url",
        "clusterName",
        "webServiceName",
        "serviceNames",
        "alarmNames",
        "blueTargetGroupArn",
        "greenTargetGroupArn",
        "productionListenerRuleArn",
    ),
    optional_outputs=("deploymentAlarmName", "testListenerRuleArn"),
)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: str


# GET a URL within a timeout: the answer, or an OSError (connection, TLS, timeout).
Fetch = Callable[[str, float], HttpAnswer]


def https_get(context: ssl.SSLContext | None = None) -> Fetch:
    """GET with urllib, verifying the certificate (`context`: the trust store; default the
    system's). Any HTTP status is an answer; only a failure to get one raises."""

    def fetch(url: str, timeout: float) -> HttpAnswer:
        request = urllib.request.Request(url, headers={"User-Agent": "webapp-ops-verify"})
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
                return HttpAnswer(response.status, response.read(BODY_EXCERPT).decode(errors="replace"))
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, error.read(BODY_EXCERPT).decode(errors="replace"))

    return fetch


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class VerifyReport:
    stack: str
    region: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [f"{check.name}: {check.detail}" for check in self.checks if not check.ok]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "ok": self.ok,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "reasons": self.reasons,
        }

    def render(self) -> str:
        lines = [f"Verify stack {self.stack} ({self.region})"]
        lines += [f"  {'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}" for c in self.checks]
        lines.append("OK" if self.ok else "FAILED:\n" + "\n".join(f"  - {reason}" for reason in self.reasons))
        return "\n".join(lines)


def run(outputs: Outputs, aws: Aws, progress: Progress, fetch: Fetch | None = None) -> VerifyReport:
    report = VerifyReport(stack=outputs.stack, region=aws.region)
    state = status.run(outputs, aws)
    live = _live_group(state)

    def record(check: Check) -> None:
        progress.say(f"{'ok' if check.ok else 'FAILED'}: {check.name}: {check.detail}")
        report.checks.append(check)

    path = _health_path(aws, state, live)
    record(_health(outputs.require("url"), path, fetch or https_get(), progress.clock))
    record(_targets(state, live))
    record(_alarms(state))
    record(_services(aws, outputs, state))
    return report


def _live_group(state: status.StatusReport) -> str | None:
    """The colour the production rule forwards all traffic to; None while it is split."""
    weights = state.routing["production"] or {}
    live = [colour for colour, weight in weights.items() if weight > 0]
    return live[0] if len(live) == 1 else None


def _health_path(aws: Aws, state: status.StatusReport, live: str | None) -> str:
    arn = state.target_groups[live or "blue"]["arn"]
    group = aws.client("elbv2").describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
    return group.get("HealthCheckPath") or "/"


def _health(url: str, path: str, fetch: Fetch, clock: Clock) -> Check:
    target = url.rstrip("/") + path
    name = f"GET {target}"
    if not target.startswith("https://"):
        return Check(name, False, "the stack's url is not HTTPS")
    last = ""
    for attempt in range(1, HTTP_ATTEMPTS + 1):
        try:
            answer = fetch(target, HTTP_TIMEOUT_SECONDS)
        except OSError as error:
            last = f"no answer ({getattr(error, 'reason', None) or error})"
        else:
            if answer.status == 200:
                return Check(name, True, "200")
            first_line = answer.body.strip().splitlines()[0] if answer.body.strip() else ""
            last = f"answered {answer.status}" + (f": {first_line}" if first_line else "")
        if attempt < HTTP_ATTEMPTS:
            clock.sleep(HTTP_GAP_SECONDS)
    return Check(name, False, f"{last} after {HTTP_ATTEMPTS} attempts")


def _targets(state: status.StatusReport, live: str | None) -> Check:
    name = "live target group"
    if live is None:
        return Check(
            name, False, f"production traffic is not on one group ({status.serving(state.routing['production'] or {})})"
        )
    health = state.target_groups[live]
    states = health["states"]
    others = {s: n for s, n in states.items() if s != "healthy"}
    if not health["healthy"]:
        return Check(f"{name} ({live})", False, "no healthy target")
    if others:
        listed = ", ".join(f"{n} {s}" for s, n in sorted(others.items()))
        return Check(f"{name} ({live})", False, f"{health['healthy']} healthy, {listed}")
    return Check(f"{name} ({live})", True, f"{health['healthy']} healthy")


def _alarms(state: status.StatusReport) -> Check:
    firing = [f"{a['name']} ({a['reason']})" for a in state.alarms if a["state"] == "ALARM"]
    if firing:
        return Check("alarms", False, "in ALARM: " + "; ".join(firing))
    return Check("alarms", True, f"none of {len(state.alarms)} in ALARM")


def _services(aws: Aws, outputs: Outputs, state: status.StatusReport) -> Check:
    cluster = outputs.require("clusterName")
    names = outputs.require_list("serviceNames")
    problems = []
    found = set()
    ecs = aws.client("ecs")
    for batch in chunks(names, DESCRIBE_SERVICES_MAX):
        for service in ecs.describe_services(cluster=cluster, services=batch)["services"]:
            found.add(service["serviceName"])
            running, desired = service["runningCount"], service["desiredCount"]
            deployments = len(service.get("deployments", []))
            if running != desired:
                problems.append(f"{service['serviceName']} runs {running} of {desired} tasks")
            if deployments != 1:
                problems.append(f"{service['serviceName']} has {deployments} deployments")
    problems += [f"{name} does not exist" for name in names if name not in found]
    if state.deployment is not None:
        problems.append(f"the web service's deployment is {state.deployment['status']}")
    if problems:
        return Check("services", False, "; ".join(problems))
    return Check("services", True, f"{len(names)} at desired count, one deployment each")
