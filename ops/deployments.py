"""ECS service deployments (ListServiceDeployments / DescribeServiceDeployments, botocore 1.44):
the deployment in progress, its lifecycle stage, and waiting for one to finish."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .aws import OpsError, chunks
from .progress import Progress, iso, poll

IN_PROGRESS = ("PENDING", "IN_PROGRESS", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
ROLLING_BACK = ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
FINISHED = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
DESCRIBE_MAX_ARNS = 20  # DescribeServiceDeployments takes at most 20 ARNs
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def in_progress(ecs: Any, cluster: str, service: str) -> list[dict[str, Any]]:
    """The service's unfinished deployments, described, newest first."""
    arns: list[str] = []
    request: dict[str, Any] = {"cluster": cluster, "service": service, "status": list(IN_PROGRESS)}
    while True:
        page = ecs.list_service_deployments(**request)
        arns += [item["serviceDeploymentArn"] for item in page.get("serviceDeployments", [])]
        if not page.get("nextToken"):
            break
        request["nextToken"] = page["nextToken"]
    return describe(ecs, arns)


def describe(ecs: Any, arns: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for batch in chunks(arns, DESCRIBE_MAX_ARNS):
        response = ecs.describe_service_deployments(serviceDeploymentArns=batch)
        for failure in response.get("failures", []):
            raise OpsError(
                f"cannot describe service deployment {failure.get('arn')}: {failure.get('reason')} {failure.get('detail', '')}".strip()
            )
        found += response.get("serviceDeployments", [])
    return sorted(found, key=lambda d: d.get("createdAt") or d.get("startedAt") or _EPOCH, reverse=True)


def state(deployment: dict[str, Any]) -> str:
    stage = deployment.get("lifecycleStage")
    return f"{deployment['status']}" + (f", stage {stage}" if stage else "")


def wait_finished(ecs: Any, arn: str, progress: Progress, timeout: float, interval: float) -> dict[str, Any]:
    """Poll one deployment until it reaches a final status; returns it described."""

    def fetch() -> dict[str, Any]:
        found = describe(ecs, [arn])
        if not found:
            raise OpsError(f"service deployment {arn} not found")
        return found[0]

    return poll(
        fetch,
        state,
        lambda d: d["status"] in FINISHED,
        what=f"deployment {short_id(arn)}",
        progress=progress,
        timeout=timeout,
        interval=interval,
    )


def summary(deployment: dict[str, Any]) -> dict[str, Any]:
    """The parts of a service deployment an operator reads, JSON-ready."""
    target = deployment.get("targetServiceRevision") or {}
    alarms = deployment.get("alarms") or {}
    rollback = deployment.get("rollback") or {}
    return {
        "arn": deployment["serviceDeploymentArn"],
        "status": deployment["status"],
        "stage": deployment.get("lifecycleStage"),
        "statusReason": deployment.get("statusReason"),
        "startedAt": iso(deployment.get("startedAt") or deployment.get("createdAt")),
        "targetRevision": _revision(target) if target else None,
        "sourceRevisions": [_revision(r) for r in deployment.get("sourceServiceRevisions", [])],
        "triggeredAlarms": alarms.get("triggeredAlarmNames", []),
        "rollbackReason": rollback.get("reason"),
    }


def short_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _revision(revision: dict[str, Any]) -> dict[str, Any]:
    return {
        "arn": revision.get("arn"),
        "requestedTasks": revision.get("requestedTaskCount"),
        "runningTasks": revision.get("runningTaskCount"),
        "productionTrafficWeight": revision.get("requestedProductionTrafficWeight"),
        "testTrafficWeight": revision.get("requestedTestTrafficWeight"),
    }
