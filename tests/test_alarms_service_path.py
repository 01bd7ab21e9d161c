"""The alarms of the service path (components/alarms.py: load balancer, services, firewall): every
ECS service, the ALB, each target group and the web ACL have their alarms, and the task-count
alarms follow each service's scaling minimum and fire when the metric stops."""

from __future__ import annotations

from tests.alarms_support import alarm, watched_metrics, watching
from tests.observability import STACKS, stack


@STACKS
def test_every_ecs_service_has_cpu_memory_and_running_task_alarms(request, stack_name):
    s = stack(request, stack_name)
    for service in s.of_type("aws:ecs/service:Service"):
        seen = watched_metrics(s, "ServiceName", service["outputs"]["name"])
        assert seen == {"CPUUtilization", "MemoryUtilization", "RunningTaskCount"}, service["name"]


@STACKS
def test_the_alb_has_error_latency_and_connection_alarms(request, stack_name):
    s = stack(request, stack_name)
    alb = s.one("aws:lb/loadBalancer:LoadBalancer")["outputs"]["arnSuffix"]
    assert {
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_Target_5XX_Count",
        "RequestCount",
        "TargetResponseTime",
        "RejectedConnectionCount",
    } <= watched_metrics(s, "LoadBalancer", alb)
    percentiles = {alarm(s, f"alb-latency-{p}")["inputs"]["extendedStatistic"] for p in ("p95", "p99")}
    assert percentiles == {"p95", "p99"}


@STACKS
def test_each_target_group_has_unhealthy_healthy_and_deployment_alarms(request, stack_name):
    s = stack(request, stack_name)
    groups = s.of_type("aws:lb/targetGroup:TargetGroup")
    assert len(groups) == 2
    for group in groups:
        colour = group["name"].rsplit("-", 1)[1]
        assert set(watching(s, "TargetGroup", group["outputs"]["arnSuffix"])) == {
            f"alb-unhealthy-hosts-{colour}",
            "alb-healthy-hosts-low",
            f"deploy-{colour}-5xx-rate",
            f"deploy-{colour}-latency-p95",
            f"deploy-{colour}-unhealthy",
        }


@STACKS
def test_the_web_acl_has_a_blocked_requests_alarm(request, stack_name):
    s = stack(request, stack_name)
    metric_name = s.one("aws:wafv2/webAcl:WebAcl")["outputs"]["visibilityConfig"]["metricName"]
    assert watching(s, "WebACL", metric_name) == {"waf-blocked-spike": {"BlockedRequests"}}


# Thresholds that follow the watched resources


@STACKS
def test_task_count_alarms_fire_below_each_services_scaling_minimum(request, stack_name):
    s = stack(request, stack_name)
    minimum = {
        t["inputs"]["resourceId"].rsplit("/", 1)[1]: t["inputs"]["minCapacity"]
        for t in s.of_type("aws:appautoscaling/target:Target")
    }
    for service, floor in minimum.items():
        low = alarm(s, f"{service}-running-tasks-low")["inputs"]
        assert (low["comparisonOperator"], low["threshold"]) == ("LessThanThreshold", floor)
    healthy = alarm(s, "alb-healthy-hosts-low")["inputs"]
    assert (healthy["comparisonOperator"], healthy["threshold"]) == ("LessThanThreshold", minimum["web"])


@STACKS
def test_the_every_task_is_gone_alarms_fire_when_their_metric_stops(request, stack_name):
    """With no task left, Container Insights publishes no RunningTaskCount and the target groups
    report no HealthyHostCount: the missing datapoints are the outage, so they must breach."""
    s = stack(request, stack_name)
    services = [t["inputs"]["resourceId"].rsplit("/", 1)[1] for t in s.of_type("aws:appautoscaling/target:Target")]
    gone = [f"{service}-running-tasks-low" for service in services] + ["alb-healthy-hosts-low"]
    assert {name: alarm(s, name)["inputs"]["treatMissingData"] for name in gone} == dict.fromkeys(gone, "breaching")
