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

from dataclasses import dataclass
from typing import Any

from . import deployments
from .aws import Aws, OpsError, paginate
from .outputs import Outputs
from .progress import Progress, duration, poll


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
        }

    def render(self) -> str:
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


def run(outputs: Outputs, aws: Aws, progress: Progress, timeout: float, interval: float = 15.0) -> RollbackReport:
    cluster = outputs.require("clusterName")
    service = outputs.require("webServiceName")
    ecs = aws.client("ecs")
    started = progress.clock.monotonic()
    active = deployments.in_progress(ecs, cluster, service)
    if active:
        current = active[0]
        arn = current["serviceDeploymentArn"]
        if current["status"] in ("PENDING", "IN_PROGRESS"):
            progress.say(
                f"stopping deployment {deployments.short_id(arn)} ({deployments.state(current)}) with ROLLBACK"
            )
            ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
            action = "stopped the deployment in progress with ROLLBACK"
        else:
            progress.say(f"deployment {deployments.short_id(arn)} is already {current['status']}; waiting for it")
            action = f"waited for the deployment already {current['status']}"
        sources = current.get("sourceServiceRevisions") or []
        from_revision = (current.get("targetServiceRevision") or {}).get("arn")
        to_revision = sources[0]["arn"] if sources else None
        expected = "ROLLBACK_SUCCESSFUL"
    else:
        from_revision = _current_task_definition(ecs, cluster, service)
        to_revision = previous_revision(ecs, from_revision)
        progress.say(f"no deployment in progress; deploying {_name(to_revision)} (was {_name(from_revision)})")
        requested_at = progress.clock.now()
        response = ecs.update_service(cluster=cluster, service=service, taskDefinition=to_revision)
        arn = response["service"].get("currentServiceDeployment") or _deployment_since(
            ecs, cluster, service, requested_at, progress
        )
        action = "redeployed the previous task definition revision"
        expected = "SUCCESSFUL"
    final = deployments.wait_finished(ecs, arn, progress, timeout=timeout, interval=interval)
    return RollbackReport(
        stack=outputs.stack,
        service=service,
        action=action,
        deployment_arn=arn,
        from_revision=from_revision,
        to_revision=to_revision,
        status=final["status"],
        reason=final.get("statusReason"),
        seconds=progress.clock.monotonic() - started,
        expected=expected,
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
