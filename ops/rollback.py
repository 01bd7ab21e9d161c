"""`rollback`: put the web service back on what ran before.

- A deployment in progress is stopped with StopServiceDeployment(stopType=ROLLBACK): ECS moves
  production traffic back to the source revision (one listener rule change) and scales the new
  one down. A rollback already under way is waited for, not requested twice.
- With none in progress, the service is updated to the previous ACTIVE revision of its task
  definition family, which runs a normal (blue/green) deployment of that revision.

Either way the command waits for the service deployment to finish and reports the final status
and how long it took.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import deployments
from .aws import Aws, OpsError, paginate
from .command import Command
from .outputs import Outputs
from .progress import Progress, duration, poll

COMMAND = Command(
    name="rollback",
    summary="roll the web service back and wait",
    description=(
        "A deployment in progress is stopped with ROLLBACK: production traffic moves back to the "
        "revision that served before. With none in progress, the service is redeployed with the "
        "previous ACTIVE task definition revision. Then it waits for the service deployment to "
        "finish and reports how long it took. "
        "\n\n"
        "--dry-run prints what it would do and changes nothing. Without --yes, it asks before "
        "changing anything when stdin is a terminal; in a pipeline (no terminal) it proceeds."
    ),
    failed="the rollback finished in another state than the one it asked for",
    exit_2_also=", or the confirmation was declined (nothing changed)",
    examples=(
        "python -m ops rollback --stack prod --dry-run",
        "python -m ops rollback --stack prod --yes --timeout 30",
    ),
    outputs=("clusterName", "webServiceName"),
)

# Shown the plan, says whether to go ahead.
Confirm = Callable[[str], bool]
DRY_RUN = "DRY_RUN"


@dataclass
class RollbackReport:
    stack: str
    service: str
    action: str
    deployment_arn: str
    from_revision: str | None
    to_revision: str | None
    status: str
    reason: str | None
    seconds: float
    expected: str

    @property
    def ok(self) -> bool:
        return self.status == self.expected

    @property
    def dry_run(self) -> bool:
        return self.status == DRY_RUN

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "service": self.service,
            "ok": self.ok,
            "action": self.action,
            "deploymentArn": self.deployment_arn,
            "from": self.from_revision,
            "to": self.to_revision,
            "status": self.status,
            "statusReason": self.reason,
            "seconds": round(self.seconds, 1),
            "dryRun": self.dry_run,
        }

    def render(self) -> str:
        if self.dry_run:
            return "\n".join(
                [
                    f"dry run: would roll back service {self.service} of stack {self.stack}; nothing changed",
                    f"  would:      {self.action}",
                    f"  from:       {_name(self.from_revision)}",
                    f"  to:         {_name(self.to_revision)}",
                ]
                + ([f"  deployment: {self.deployment_arn}"] if self.deployment_arn else [])
            )
        verdict = "rolled back" if self.ok else "ROLLBACK FAILED"
        lines = [
            f"{verdict}: service {self.service} of stack {self.stack} in {duration(self.seconds)}",
            f"  action:     {self.action}",
            f"  from:       {_name(self.from_revision)}",
            f"  to:         {_name(self.to_revision)}",
            f"  deployment: {self.deployment_arn}",
            f"  status:     {self.status}" + (f" ({self.reason})" if self.reason else ""),
        ]
        return "\n".join(lines)


def run(
    outputs: Outputs,
    aws: Aws,
    progress: Progress,
    timeout: float,
    interval: float = 15.0,
    *,
    dry_run: bool = False,
    confirm: Confirm | None = None,
) -> RollbackReport:
    """Roll back, or with `dry_run` only say how; `confirm` (when given) sees the plan first."""
    cluster = outputs.require("clusterName")
    service = outputs.require("webServiceName")
    ecs = aws.client("ecs")
    started = progress.clock.monotonic()
    plan = _plan(ecs, cluster, service)
    report = RollbackReport(
        stack=outputs.stack,
        service=service,
        action=plan.action,
        deployment_arn=plan.deployment_arn or "",
        from_revision=plan.from_revision,
        to_revision=plan.to_revision,
        status=DRY_RUN,
        reason=None,
        seconds=0.0,
        expected=DRY_RUN if dry_run else plan.expected,
    )
    if dry_run:
        return report
    if confirm is not None and not confirm(report.render()):
        raise OpsError("rollback not confirmed; nothing changed")
    report.deployment_arn = plan.start(ecs, cluster, service, progress)
    final = deployments.wait_finished(ecs, report.deployment_arn, progress, timeout=timeout, interval=interval)
    report.status = final["status"]
    report.reason = final.get("statusReason")
    report.seconds = progress.clock.monotonic() - started
    return report


@dataclass
class _Plan:
    """What a rollback does, worked out before anything changes."""

    action: str
    from_revision: str | None
    to_revision: str | None
    expected: str
    deployment_arn: str | None  # the deployment in progress, if any
    stop: bool  # stop that deployment with ROLLBACK (else wait for it, or redeploy when there is none)

    def start(self, ecs: Any, cluster: str, service: str, progress: Progress) -> str:
        """Do it; the service deployment to wait for."""
        if self.deployment_arn:
            short = deployments.short_id(self.deployment_arn)
            if self.stop:
                progress.say(f"stopping deployment {short} with ROLLBACK")
                ecs.stop_service_deployment(serviceDeploymentArn=self.deployment_arn, stopType="ROLLBACK")
            else:
                progress.say(f"deployment {short} is already finishing; waiting for it")
            return self.deployment_arn
        progress.say(
            f"no deployment in progress; deploying {_name(self.to_revision)} (was {_name(self.from_revision)})"
        )
        requested_at = progress.clock.now()
        response = ecs.update_service(cluster=cluster, service=service, taskDefinition=self.to_revision)
        return response["service"].get("currentServiceDeployment") or _deployment_since(
            ecs, cluster, service, requested_at, progress
        )


def _plan(ecs: Any, cluster: str, service: str) -> _Plan:
    active = deployments.in_progress(ecs, cluster, service)
    if active:
        current = active[0]
        sources = current.get("sourceServiceRevisions") or []
        stop = current["status"] in ("PENDING", "IN_PROGRESS")
        return _Plan(
            action=(
                f"stop the deployment in progress ({deployments.state(current)}) with ROLLBACK"
                if stop
                else f"wait for the deployment already {current['status']}"
            ),
            from_revision=(current.get("targetServiceRevision") or {}).get("arn"),
            to_revision=sources[0]["arn"] if sources else None,
            expected="ROLLBACK_SUCCESSFUL",
            deployment_arn=current["serviceDeploymentArn"],
            stop=stop,
        )
    from_revision = _current_task_definition(ecs, cluster, service)
    return _Plan(
        action="redeploy the previous task definition revision",
        from_revision=from_revision,
        to_revision=previous_revision(ecs, from_revision),
        expected="SUCCESSFUL",
        deployment_arn=None,
        stop=False,
    )


def previous_revision(ecs: Any, current: str) -> str:
    """The newest ACTIVE revision of `current`'s family older than `current`."""
    family, revision = parse_task_definition(current)
    arns = paginate(
        ecs, "list_task_definitions", "taskDefinitionArns", familyPrefix=family, status="ACTIVE", sort="DESC"
    )
    older = [
        (rev, arn) for arn in arns for fam, rev in [parse_task_definition(arn)] if fam == family and rev < revision
    ]
    if not older:
        raise OpsError(
            f"no ACTIVE revision of task definition family {family} older than {revision} to roll back to "
            "(the service component retains replaced revisions; was the previous one deregistered by hand?)"
        )
    return max(older)[1]


def parse_task_definition(arn: str) -> tuple[str, int]:
    """`arn:...:task-definition/web:12` -> ("web", 12)."""
    family, _, revision = arn.rsplit("/", 1)[-1].partition(":")
    if not revision.isdigit():
        raise OpsError(f"not a task definition revision ARN: {arn}")
    return family, int(revision)


def _current_task_definition(ecs: Any, cluster: str, service: str) -> str:
    response = ecs.describe_services(cluster=cluster, services=[service])
    if not response["services"]:
        raise OpsError(f"service {service} not found in cluster {cluster}")
    return response["services"][0]["taskDefinition"]


def _deployment_since(ecs: Any, cluster: str, service: str, since: Any, progress: Progress) -> str:
    """The service deployment UpdateService started, when its response did not name it."""
    found = poll(
        lambda: ecs.list_service_deployments(cluster=cluster, service=service, createdAt={"after": since})[
            "serviceDeployments"
        ],
        lambda items: f"{len(items)} found",
        bool,
        what="the new service deployment to appear",
        progress=progress,
        timeout=120,
        interval=5,
    )
    return max(found, key=lambda item: item["createdAt"])["serviceDeploymentArn"]


def _name(arn: str | None) -> str:
    return arn.rsplit("/", 1)[-1] if arn else "unknown"
