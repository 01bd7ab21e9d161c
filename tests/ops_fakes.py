"""Thin fakes for the calls moto 5.2.5 lacks or gets wrong, in front of its clients (`Aws(wrap=...)`):
a client with some methods replaced, ECS service deployments, composite alarms, service quotas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from tests.ops_builders import FARGATE_DIMENSIONS
from tests.ops_support import ACCOUNT, REGION, SESSION


class Patched:
    """A client whose named methods are replaced; everything else goes to the real (moto) one."""

    def __init__(self, real: Any, **methods: Callable[..., Any]):
        self._real = real
        self._methods = methods

    def __getattr__(self, name: str) -> Any:
        return self._methods.get(name) or getattr(self._real, name)


def failing(error: ClientError, times: int, then: Callable[..., Any]) -> Callable[..., Any]:
    """A call that raises `error` `times` times, then behaves like `then`."""
    calls = {"n": 0}

    def call(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return then(**kwargs)

    return call


# ---------------------------------------------------------------------------------------------
# ECS service deployments: moto 5.2.5 has no ListServiceDeployments, DescribeServiceDeployments
# or StopServiceDeployment, and its UpdateService names no currentServiceDeployment.


@dataclass
class FakeDeployment:
    arn: str
    statuses: list[str]  # what successive describes return; the last one sticks
    stage: str | None = None
    source: str = "arn:aws:ecs:us-east-1:123456789012:service-revision/webapp/web/1111"
    target: str = "arn:aws:ecs:us-east-1:123456789012:service-revision/webapp/web/2222"

    def describe(self) -> dict[str, Any]:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {
            "serviceDeploymentArn": self.arn,
            "status": status,
            "lifecycleStage": self.stage,
            "createdAt": datetime(2026, 1, 1, tzinfo=UTC),
            "sourceServiceRevisions": [{"arn": self.source, "requestedTaskCount": 2, "runningTaskCount": 2}],
            "targetServiceRevision": {"arn": self.target, "requestedTaskCount": 2, "runningTaskCount": 1},
        }


@dataclass
class FakeEcsDeployments:
    """The service-deployment calls of ECS, in front of moto's ECS client."""

    deployments: list[FakeDeployment] = field(default_factory=list)
    # Statuses of the deployment the next UpdateService starts.
    next_update: list[str] = field(default_factory=lambda: ["IN_PROGRESS", "SUCCESSFUL"])
    stopped: list[tuple[str, str]] = field(default_factory=list)
    describe_error: Callable[[], ClientError | None] | None = None

    def wrap(self, real: Any) -> Patched:
        return Patched(
            real,
            list_service_deployments=self.list_service_deployments,
            describe_service_deployments=self.describe_service_deployments,
            stop_service_deployment=self.stop_service_deployment,
            update_service=lambda **kwargs: self.update_service(real, **kwargs),
        )

    def list_service_deployments(
        self, cluster: str, service: str, status: list[str] | None = None, **_: Any
    ) -> dict[str, Any]:
        current = [d for d in self.deployments if status is None or d.statuses[0] in status]
        return {"serviceDeployments": [{"serviceDeploymentArn": d.arn, "status": d.statuses[0]} for d in current]}

    def describe_service_deployments(self, serviceDeploymentArns: list[str]) -> dict[str, Any]:
        error = self.describe_error() if self.describe_error else None
        if error:
            raise error
        return {
            "serviceDeployments": [d.describe() for d in self.deployments if d.arn in serviceDeploymentArns],
            "failures": [],
        }

    def stop_service_deployment(self, serviceDeploymentArn: str, stopType: str) -> dict[str, Any]:
        self.stopped.append((serviceDeploymentArn, stopType))
        return {"serviceDeploymentArn": serviceDeploymentArn}

    def update_service(self, real: Any, **kwargs: Any) -> dict[str, Any]:
        response = real.update_service(**kwargs)
        arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/webapp/web/update{len(self.deployments)}"
        self.deployments.append(FakeDeployment(arn, list(self.next_update)))
        response["service"]["currentServiceDeployment"] = arn
        return response


def composite_alarm(name: str, state: str = "OK") -> Callable[[Any], Any]:
    """A composite alarm in DescribeAlarms (moto 5.2.5 has no PutCompositeAlarm)."""

    def wrap(real: Any) -> Patched:
        def describe_alarms(AlarmNames: list[str], **kwargs: Any) -> dict[str, Any]:
            response = real.describe_alarms(AlarmNames=[n for n in AlarmNames if n != name], **kwargs)
            if name in AlarmNames:
                response["CompositeAlarms"] = [{"AlarmName": name, "StateValue": state, "StateReason": "composite"}]
            return response

        return Patched(real, describe_alarms=describe_alarms)

    return wrap


def quotas(fargate_vcpus: float, elastic_ips: float) -> Callable[[Any], Any]:
    """service-quotas through botocore's Stubber (moto 5.2.5 knows only the `vpc` quotas): the
    two GetServiceQuota calls preflight makes, in its order, with the usage metric AWS names."""

    def wrap(real: Any) -> Any:
        stubber = SESSION.stubbed("service-quotas", region_name=real.meta.region_name, config=real.meta.config)
        stubber.add_response(
            "get_service_quota",
            {
                "Quota": {
                    "ServiceCode": "fargate",
                    "QuotaCode": "L-3032A538",
                    "Value": fargate_vcpus,
                    "UsageMetric": {
                        "MetricNamespace": "AWS/Usage",
                        "MetricName": "ResourceCount",
                        "MetricDimensions": FARGATE_DIMENSIONS,
                        "MetricStatisticRecommendation": "Maximum",
                    },
                }
            },
            {"ServiceCode": "fargate", "QuotaCode": "L-3032A538"},
        )
        stubber.add_response(
            "get_service_quota",
            {"Quota": {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3", "Value": elastic_ips}},
            {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3"},
        )
        return stubber.client

    return wrap
