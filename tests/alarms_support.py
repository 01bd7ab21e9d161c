"""Queries over the alarms component of a synth, shared by the tests/test_alarms*.py modules: its
metric and composite alarms, an alarm by its short name, the metrics (and dimension values) an
alarm watches, and the member alarms of a composite.

The alarms' tests mirror components/alarms.py: tests/test_alarms.py what holds for every alarm
(published metrics, the watched resources, CloudWatch's rules, the catalogue's kinds), then one
module per part of the stack: test_alarms_service_path.py (load balancer, services, firewall),
test_alarms_data_tier.py (database, cache), test_alarms_notifications.py (topics and
subscriptions), test_alarms_rollback.py (the deployment alarm) and test_alarms_slo.py (the
error-budget burn-rate alarms of components/slo.py). test_alarms_alone.py and
test_alarms_alone_metrics.py read the component built alone (`alone`), with settings and watched
resources away from the defaults.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarms import Alarms, AlarmsArgs
from components.watched import Watched, WatchedCache, WatchedDatabase, WatchedLoadBalancer, WatchedService
from settings import load_settings
from tests.components_support import CONTEXT, build, settings_with
from tests.support import Synth, config_with

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"


def settings_of(stack_name: str):
    return load_settings(stack_name, config_with(stack_name, {}))


def metric_alarms(s: Synth) -> list[dict[str, Any]]:
    return [r for r in s.children("alarms") if r["type"] == ALARM]


def all_alarms(s: Synth) -> list[dict[str, Any]]:
    return [r for r in s.children("alarms") if r["type"] in (ALARM, COMPOSITE)]


def short(s: Synth, alarm: dict[str, Any]) -> str:
    """The alarm's name without `<project>-<stack>-`."""
    name = alarm["outputs"].get("alarmName") or alarm["outputs"]["name"]
    return name.removeprefix(f"webapp-{s.document['stack']}-")


def alarm(s: Synth, name: str) -> dict[str, Any]:
    return next(a for a in all_alarms(s) if short(s, a) == name)


def metrics(alarm_: dict[str, Any]) -> list[dict[str, Any]]:
    """The metric (namespace, metricName, dimensions) of an alarm, or of each of its queries."""
    inputs = alarm_["inputs"]
    if "metricQueries" in inputs:
        return [q["metric"] for q in inputs["metricQueries"] if "metric" in q]
    return [{k: inputs[k] for k in ("namespace", "metricName", "dimensions")}]


def watching(s: Synth, dimension: str, value: str) -> dict[str, set[str]]:
    """Alarm name -> metric names, of the alarms with a metric whose `dimension` is `value`."""
    found: dict[str, set[str]] = {}
    for a in metric_alarms(s):
        for m in metrics(a):
            if m["dimensions"].get(dimension) == value:
                found.setdefault(short(s, a), set()).add(m["metricName"])
    return found


def watched_metrics(s: Synth, dimension: str, value: str) -> set[str]:
    return set().union(*watching(s, dimension, value).values())


def deployment_members(s: Synth, kind: str = "web-deployment") -> list[dict[str, Any]]:
    composite = alarm(s, kind)
    names = re.findall(r'ALARM\("([^"]+)"\)', composite["inputs"]["alarmRule"])
    by_name = {a["outputs"]["name"]: a for a in metric_alarms(s)}
    return [by_name[n] for n in names]


# The component built alone (about 0.1 CPU-s a build, where a stack synth takes 0.6-0.9): what it
# watches is given here, with values no stack file has, so each input reaches a resource visibly.
LOAD_BALANCER = "app/webapp-prod-alb/50dc6c495c0c9188"
BLUE = "targetgroup/webapp-prod-blue/943f017f100becff"
GREEN = "targetgroup/webapp-prod-green/a1b2c3d4e5f60718"
KEY_ADMIN = "arn:aws:iam::123456789012:role/webapp-prod-key-admin"


def watched(**changes: Any) -> Watched:
    """A web service `api` (minimum 4 tasks, its ECS name not its name), three healthy hosts
    wanted, a database of 333 GB on a 7.5 GiB class with two read replicas, and a cluster-mode
    cache of two shards of a primary and a replica; `changes` replaces any of these."""
    fields: dict[str, Any] = {
        "load_balancer": WatchedLoadBalancer(
            arn_suffix=LOAD_BALANCER, target_groups={"blue": BLUE, "green": GREEN}, minimum_healthy_hosts=3
        ),
        "services": [
            WatchedService(name="api", cluster_name="webapp-prod-ecs", service_name="webapp-prod-api", minimum_tasks=4)
        ],
        "web_acl_metric_name": "webapp-prod-waf-metric",
        "database": WatchedDatabase(
            identifier="webapp-prod-database",
            allocated_storage_gb=333,
            memory_gib=7.5,
            replicas=["webapp-prod-database-replica-1", "webapp-prod-database-replica-2"],
        ),
        "cache": WatchedCache(replication_group_id="webapp-prod-cache", nodes=0, shards=2, replicas_per_shard=1),
    }
    return Watched(**{**fields, **changes})


# Settings away from the defaults wherever components/alarms.py reads one itself.
ALONE_ALARMS = {
    "critical": {
        "emails": ["oncall@example.com"],
        "httpsEndpoints": ["https://events.example.com/integration/abc/enqueue"],
    },
    "warning": {"emails": ["team@example.com"]},
    "slo": {"availabilityPercent": 99.5},
    "alb5xxPercent": {"periodSeconds": 120},
    "unhealthyHosts": {"periodSeconds": 180},
    "databaseFreeableMemoryPercent": {"threshold": 20},
    "databaseFreeStoragePercent": {"threshold": 15},
    "databaseConnectionsPercent": {"threshold": 70},
    "deployment5xxPercent": {"periodSeconds": 120},
    "deploymentP95Seconds": {"periodSeconds": 180},
    "deploymentMinimumRequests": 25,
}


def alone(
    alarms: dict[str, Any] | None = None,
    *,
    name: str = "monitoring",
    provider: bool = False,
    export_names: bool = False,
    **watched_changes: Any,
) -> Synth:
    """The Alarms component of prod, alone, named `name` (not the composition's `alarms`), with
    the `webapp:alarms` settings `alarms` (ALONE_ALARMS by default), its topics' key protected and
    administered by KEY_ADMIN, watching `watched(**watched_changes)`; through a stack provider
    (named aws) if asked, and with its deployment_alarm_names as the stack output
    `deploymentAlarmNames` if asked."""
    settings = settings_with("prod", {"webapp:alarms": ALONE_ALARMS if alarms is None else alarms}).alarms

    def program() -> None:
        opts = pulumi.ResourceOptions(provider=aws.Provider("aws", region=CONTEXT.region)) if provider else None
        component = Alarms(
            name,
            AlarmsArgs(
                settings=settings,
                context=CONTEXT,
                watched=watched(**watched_changes),
                protect_key=True,
                key_administrators=[KEY_ADMIN],
            ),
            opts=opts,
        )
        if export_names:
            pulumi.export("deploymentAlarmNames", component.deployment_alarm_names)

    return build("prod", program)


def subject(alarm_: dict[str, Any]) -> str:
    """What the alarm's description says it watches: between `[severity] ` and the first `: `."""
    return alarm_["inputs"]["alarmDescription"].split("] ", 1)[1].split(": ", 1)[0]
