"""The Fargate services' scaling, built alone (tests.service_support): the task count between
the configured bounds, CPU and memory tracked at their targets with the configured cooldowns, and
the web service's requests per task across both target groups of its blue/green routing."""

from __future__ import annotations

import pytest

from tests.service_support import (
    ALB_SUFFIX,
    CLUSTER_NAME,
    SCALING_POLICY,
    SCALING_TARGET,
    built,
    own,
    service_settings,
)
from tests.support import Synth


@pytest.fixture(scope="module")
def alone() -> Synth:
    return built()


SCALED = {"serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount"}


@pytest.mark.parametrize("name, kind", [("web", "web"), ("jobs", "worker")])
def test_the_task_count_scales_between_the_configured_bounds(alone, name, kind):
    settings = service_settings()[kind]
    assert own(alone, name, SCALING_TARGET)["inputs"] == {
        **SCALED,
        "resourceId": f"service/{CLUSTER_NAME}/{name}",
        "minCapacity": settings.min_count,
        "maxCapacity": settings.max_count,
    }


@pytest.mark.parametrize("name, kind", [("web", "web"), ("jobs", "worker")])
def test_cpu_and_memory_are_tracked_at_their_targets_with_the_configured_cooldowns(alone, name, kind):
    settings = service_settings()[kind]
    for metric, target, predefined in (
        ("cpu", settings.cpu_target_percent, "ECSServiceAverageCPUUtilization"),
        ("memory", settings.memory_target_percent, "ECSServiceAverageMemoryUtilization"),
    ):
        assert own(alone, name, SCALING_POLICY, f"{name}-scale-on-{metric}")["inputs"] == {
            **SCALED,
            "resourceId": f"service/{CLUSTER_NAME}/{name}",
            "policyType": "TargetTrackingScaling",
            "targetTrackingScalingPolicyConfiguration": {
                "targetValue": target,
                "predefinedMetricSpecification": {"predefinedMetricType": predefined},
                "scaleOutCooldown": settings.scale_out_cooldown_seconds,
                "scaleInCooldown": settings.scale_in_cooldown_seconds,
            },
        }


def test_the_web_service_scales_on_requests_per_task_of_both_target_groups(alone):
    def per_target(color: str) -> dict:
        group = alone.one("aws:lb/targetGroup:TargetGroup", f"web-{color}")["outputs"]["arnSuffix"]
        return {
            "id": color,
            "returnData": False,
            "metricStat": {
                "stat": "Sum",
                "metric": {
                    "namespace": "AWS/ApplicationELB",
                    "metricName": "RequestCountPerTarget",
                    "dimensions": [
                        {"name": "LoadBalancer", "value": ALB_SUFFIX},
                        {"name": "TargetGroup", "value": group},
                    ],
                },
            },
        }

    assert own(alone, "web", SCALING_POLICY, "web-scale-on-requests")["inputs"] == {
        **SCALED,
        "resourceId": f"service/{CLUSTER_NAME}/web",
        "policyType": "TargetTrackingScaling",
        "targetTrackingScalingPolicyConfiguration": {
            "targetValue": 750,
            "customizedMetricSpecification": {
                "metrics": [
                    per_target("blue"),
                    per_target("green"),
                    {
                        "id": "requests",
                        "expression": "blue + green",
                        "label": "Requests per task (live target group)",
                        "returnData": True,
                    },
                ]
            },
            "scaleOutCooldown": 45,
            "scaleInCooldown": 420,
        },
    }
    assert not [r for r in alone.of_type(SCALING_POLICY) if r["name"] == "jobs-scale-on-requests"]
