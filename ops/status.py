"""`status`: what serves production and whether it is healthy.

Reads the production (and test) listener rule's forward weights to tell which colour serves
traffic, the web service's unfinished service deployment and its lifecycle stage, the health of
the targets in both target groups, running/desired tasks of every service and the state of every
alarm. Anything that needs a human is listed under "attention" and makes the exit status 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import deployments
from .aws import DESCRIBE_SERVICES_MAX, Aws, chunks
from .command import Command
from .outputs import Outputs
from .progress import iso

COMMAND = Command(
    name="status",
    summary="production colour, deployment, target health, alarms",
    description=(
        "Reads which colour (blue or green) the production and test listener rules forward to, the "
        "web service's unfinished deployment and its lifecycle stage, the health of both target "
        "groups, running against desired tasks of every service, and every alarm of the stack. "
        "Changes nothing."
    ),
    failed="something needs a human: an alarm not OK, unhealthy targets, tasks missing, a deployment stuck",
    examples=("python -m ops status --stack prod", "python -m ops status --stack prod --json | jq .attention"),
    outputs=(
        "blueTargetGroupArn",
        "greenTargetGroupArn",
        "productionListenerRuleArn",
        "clusterName",
        "webServiceName",
        "serviceNames",
        "alarmNames",
    ),
    optional_outputs=("testListenerRuleArn", "deploymentAlarmName"),
)
UNHEALTHY_TARGET_STATES = ("unhealthy", "unhealthy.draining", "unavailable")
DESCRIBE_ALARMS_MAX = 100


@dataclass
class StatusReport:
    stack: str
    region: str
    routing: dict[str, dict[str, float] | None]  # "production"/"test" -> colour -> weight %
    deployment: dict[str, Any] | None
    target_groups: dict[str, dict[str, Any]]
    services: list[dict[str, Any]]
    alarms: list[dict[str, Any]]
    attention: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.attention

    @property
    def serving(self) -> str:
        return serving(self.routing["production"] or {})

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "ok": self.ok,
            "production": {"serving": self.serving, "weights": self.routing["production"]},
            "test": None
            if self.routing["test"] is None
            else {
                "serving": serving(self.routing["test"]),
                "weights": self.routing["test"],
            },
            "deployment": self.deployment,
            "targetGroups": self.target_groups,
            "services": self.services,
            "alarms": self.alarms,
            "attention": self.attention,
        }

    def render(self) -> str:
        lines = [f"Stack {self.stack} ({self.region})"]
        lines.append(f"production traffic: {_routing_line(self.routing['production'] or {})}")
        if self.routing["test"] is not None:
            lines.append(f"test traffic:       {_routing_line(self.routing['test'])}")
        lines.append(f"deployment:         {_deployment_line(self.deployment)}")
        lines.append("target health:")
        for colour, health in self.target_groups.items():
            counts = ", ".join(f"{n} {s}" for s, n in sorted(health["states"].items())) or "no targets"
            lines.append(f"  {colour:<6} {counts}")
            for target in health["unhealthy"]:
                lines.append(
                    f"         {target['target']} {target['state']}: {target['reason']} {target['description']}".rstrip()
                )
        lines.append("services:")
        for service in self.services:
            lines.append(
                f"  {service['name']:<20} {service['running']}/{service['desired']} running"
                f"  ({service['taskDefinition'].rsplit('/', 1)[-1]})"
            )
        by_state: dict[str, int] = {}
        for alarm in self.alarms:
            by_state[alarm["state"]] = by_state.get(alarm["state"], 0) + 1
        lines.append("alarms:             " + (", ".join(f"{n} {s}" for s, n in sorted(by_state.items())) or "none"))
        for alarm in self.alarms:
            if alarm["state"] != "OK":
                lines.append(f"  {alarm['state']:<17} {alarm['name']}: {alarm['reason']}")
        if self.attention:
            lines.append("attention:")
            lines += [f"  - {item}" for item in self.attention]
        else:
            lines.append("attention:          nothing")
        return "\n".join(lines)


def run(outputs: Outputs, aws: Aws) -> StatusReport:
    colours = {outputs.require("blueTargetGroupArn"): "blue", outputs.require("greenTargetGroupArn"): "green"}
    rules = {"production": outputs.require("productionListenerRuleArn"), "test": outputs.get("testListenerRuleArn")}
    cluster = outputs.require("clusterName")
    web_service = outputs.require("webServiceName")
    service_names = outputs.require_list("serviceNames")
    alarm_names = list(dict.fromkeys(outputs.require_list("alarmNames") + [outputs.get("deploymentAlarmName")]))
    alarm_names = [name for name in alarm_names if name]

    routing = _routing(aws.client("elbv2"), rules, colours)
    ecs = aws.client("ecs")
    active = deployments.in_progress(ecs, cluster, web_service)
    report = StatusReport(
        stack=outputs.stack,
        region=aws.region,
        routing=routing,
        deployment=deployments.summary(active[0]) if active else None,
        target_groups={colour: _target_health(aws.client("elbv2"), arn) for arn, colour in colours.items()},
        services=[],
        alarms=[],
    )
    report.services, missing_services = _services(ecs, cluster, service_names)
    report.alarms, missing_alarms = _alarms(aws.client("cloudwatch"), alarm_names)
    report.attention = _attention(report, missing_services, missing_alarms)
    return report


def serving(weights: dict[str, float]) -> str:
    live = [colour for colour, weight in weights.items() if weight > 0]
    if len(live) == 1:
        return live[0]
    if not live:
        return "nothing"
    return "shifting: " + " / ".join(f"{c} {weights[c]:g}%" for c in live)


def _routing(elbv2: Any, rules: dict[str, str | None], colours: dict[str, str]) -> dict[str, dict[str, float] | None]:
    wanted = [arn for arn in rules.values() if arn]
    described = {rule["RuleArn"]: rule for rule in elbv2.describe_rules(RuleArns=wanted)["Rules"]}
    routing: dict[str, dict[str, float] | None] = {}
    for role, arn in rules.items():
        routing[role] = _weights_of(described[arn], colours) if arn else None
    return routing


def _weights_of(rule: dict[str, Any], colours: dict[str, str]) -> dict[str, float]:
    """Forward weights of a rule as percentages per colour (an unknown target group by name)."""
    raw: dict[str, float] = {}
    for action in rule.get("Actions", []):
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or [
            {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}
        ]
        for group in groups:
            arn: str = group["TargetGroupArn"]
            name = colours.get(arn, arn.split("/")[-2])
            raw[name] = raw.get(name, 0) + group.get("Weight", 1)
    total = sum(raw.values())
    return {name: round(100 * weight / total, 1) if total else 0.0 for name, weight in raw.items()}


def _target_health(elbv2: Any, arn: str) -> dict[str, Any]:
    descriptions = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    states: dict[str, int] = {}
    unhealthy = []
    for item in descriptions:
        health = item["TargetHealth"]
        states[health["State"]] = states.get(health["State"], 0) + 1
        if health["State"] in UNHEALTHY_TARGET_STATES:
            target = item["Target"]
            unhealthy.append(
                {
                    "target": f"{target['Id']}:{target.get('Port', '')}".rstrip(":"),
                    "state": health["State"],
                    "reason": health.get("Reason", ""),
                    "description": health.get("Description", ""),
                }
            )
    return {"arn": arn, "states": states, "healthy": states.get("healthy", 0), "unhealthy": unhealthy}


def _services(ecs: Any, cluster: str, names: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    services: list[dict[str, Any]] = []
    missing: list[str] = []
    for batch in chunks(names, DESCRIBE_SERVICES_MAX):
        response = ecs.describe_services(cluster=cluster, services=batch)
        for service in response["services"]:
            services.append(
                {
                    "name": service["serviceName"],
                    "status": service["status"],
                    "running": service["runningCount"],
                    "desired": service["desiredCount"],
                    "pending": service["pendingCount"],
                    "taskDefinition": service["taskDefinition"],
                }
            )
        missing += [f["arn"].rsplit("/", 1)[-1] for f in response.get("failures", [])]
    return services, missing


def _alarms(cloudwatch: Any, names: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    alarms: list[dict[str, Any]] = []
    for batch in chunks(names, DESCRIBE_ALARMS_MAX):
        response = cloudwatch.describe_alarms(AlarmNames=batch, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        for kind, key in (("metric", "MetricAlarms"), ("composite", "CompositeAlarms")):
            for alarm in response.get(key, []):
                alarms.append(
                    {
                        "name": alarm["AlarmName"],
                        "type": kind,
                        "state": alarm["StateValue"],
                        "reason": alarm.get("StateReason", ""),
                        "since": iso(alarm.get("StateUpdatedTimestamp")),
                    }
                )
    found = {alarm["name"] for alarm in alarms}
    return sorted(alarms, key=lambda a: a["name"]), [name for name in names if name not in found]


def _attention(report: StatusReport, missing_services: list[str], missing_alarms: list[str]) -> list[str]:
    items: list[str] = []
    for alarm in report.alarms:
        if alarm["state"] == "ALARM":
            items.append(f"alarm {alarm['name']} is in ALARM: {alarm['reason']}")
    items += [f"alarm {name} does not exist" for name in missing_alarms]
    production = report.routing["production"] or {}
    for colour, health in report.target_groups.items():
        if health["unhealthy"]:
            items.append(f"{colour} target group has {len(health['unhealthy'])} unhealthy target(s)")
        if production.get(colour, 0) > 0 and not health["healthy"]:
            items.append(f"{colour} serves {production[colour]:g}% of production traffic but has no healthy target")
    if report.deployment and report.deployment["status"] in deployments.ROLLING_BACK:
        reason = report.deployment["rollbackReason"] or report.deployment["statusReason"] or "no reason given"
        items.append(f"the deployment is rolling back: {reason}")
    items += [f"service {name} does not exist in the cluster" for name in missing_services]
    if report.deployment is None:
        for service in report.services:
            if service["running"] < service["desired"]:
                items.append(
                    f"service {service['name']} runs {service['running']} of {service['desired']} tasks "
                    "with no deployment in progress"
                )
    return items


def _routing_line(weights: dict[str, float]) -> str:
    """`blue  [blue 100%, green 0%]`, or only `shifting: blue 80% / green 20%`."""
    if not weights:
        return "no forward action"
    line = serving(weights)
    if line.startswith("shifting"):
        return line
    return f"{line}  [" + ", ".join(f"{colour} {weight:g}%" for colour, weight in weights.items()) + "]"


def _deployment_line(deployment: dict[str, Any] | None) -> str:
    if deployment is None:
        return "none in progress"
    line = f"{deployment['status']}"
    if deployment["stage"]:
        line += f", stage {deployment['stage']}"
    if deployment["startedAt"]:
        line += f", started {deployment['startedAt']}"
    target = deployment["targetRevision"]
    if target:
        line += f"; new revision {target['runningTasks']}/{target['requestedTasks']} tasks"
    return line
