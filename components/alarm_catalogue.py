"""The catalogue of every alarm the stack creates: one `AlarmKind` per kind (what it watches, its
condition, severity, timing and what to do when it fires). The alarms' names and descriptions
and the documentation's alarm table are all rendered from it, so they cannot disagree.

    python -m components.alarm_catalogue    prints the alarm table (Markdown)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from settings.alarms import MAX_BURN_RATE, AlarmSettings, Rule

CRITICAL, WARNING = "critical", "warning"
# Running tasks below the minimum: 3 one-minute periods, long enough for ECS to replace a task
# that stopped (Fargate start + health checks) without paging.
TASKS_LOW = Rule(threshold=1, period_seconds=60, evaluation_periods=3, datapoints_to_alarm=3)
# Error-budget burn windows (Google SRE workbook, multi-window multi-burn-rate): the threshold is
# the burn rate, a multiple of the budget rate (`alarms.slo`); the period is the whole window.
SLOW_BURN_RATE = 6.0
FAST_BURN_LONG = Rule(threshold=MAX_BURN_RATE, period_seconds=3600)
FAST_BURN_SHORT = Rule(threshold=MAX_BURN_RATE, period_seconds=300)
SLOW_BURN_LONG = Rule(threshold=SLOW_BURN_RATE, period_seconds=6 * 3600)
SLOW_BURN_SHORT = Rule(threshold=SLOW_BURN_RATE, period_seconds=1800)
BURN_RATIO = "(`HTTPCode_ELB_5XX_Count` + `HTTPCode_Target_5XX_Count`) over `RequestCount`"
OPERATORS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
}
PLACEHOLDER = re.compile(r"<(\w+)>")


@dataclass(frozen=True)
class AlarmKind:
    """One kind of alarm: one row of the alarm table."""

    name: str  # after `<project>-<stack>-`; <service>, <n>, <colour> stand for each instance
    watches: str
    metric: str
    condition: str  # `{op}` and `{threshold}` are filled from the comparison and the rule
    severity: str
    action: str
    setting: str | None = None  # the AlarmSettings field giving threshold and timing
    comparison: str = "GreaterThanThreshold"
    fixed: Rule | None = None  # timing when no setting gives it (neither: a composite alarm)

    def alarm_name(self, **placeholders: object) -> str:
        """The name of one alarm of this kind: each `<placeholder>` of the kind's name filled,
        e.g. `alb-unhealthy-hosts-<colour>` with colour="blue"."""
        wanted = set(PLACEHOLDER.findall(self.name))
        if wanted != set(placeholders):
            raise ValueError(f"alarm kind {self.name} takes {sorted(wanted)}, got {sorted(placeholders)}")
        return PLACEHOLDER.sub(lambda match: str(placeholders[match[1]]), self.name)

    def timed(self, settings: AlarmSettings) -> Rule | None:
        """Threshold and timing of a metric alarm of this kind; None for a composite."""
        return getattr(settings, self.setting) if self.setting else self.fixed

    def rule(self, settings: AlarmSettings) -> Rule:
        rule = self.timed(settings)
        if rule is None:
            raise ValueError(f"alarm kind {self.name} is a composite: it has no threshold nor timing")
        return rule

    def when(self, settings: AlarmSettings) -> str:
        rule = self.timed(settings)
        threshold = f"{rule.threshold:g}" if rule else ""
        return self.condition.format(op=OPERATORS.get(self.comparison, ""), threshold=threshold)

    def window(self, settings: AlarmSettings) -> str:
        rule = self.timed(settings)
        return rule.window() if rule else "as its members"

    def key(self) -> str:
        field = AlarmSettings.model_fields.get(self.setting or "")
        return f"`{field.alias or self.setting}`" if field else "fixed"


KINDS: dict[str, AlarmKind] = {
    kind.name: kind
    for kind in (
        AlarmKind(
            "alb-5xx-rate",
            "ALB",
            "`HTTPCode_ELB_5XX_Count` + `HTTPCode_Target_5XX_Count` over `RequestCount`",
            "{op} {threshold}% of requests",
            WARNING,
            "Users get errors, at a rate or for a time that spends little of the error budget (`slo-fast-burn` "
            "pages when it does): check the web service's logs and the latest deploy (`python -m ops status`).",
            setting="alb_5xx_percent",
        ),
        AlarmKind(
            "slo-fast-burn",
            "`slo-fast-burn-1h` and `slo-fast-burn-5m` (composite)",
            "`ALARM(...)` of both",
            "both in ALARM",
            CRITICAL,
            "The error budget burns 14.4x too fast (2% of 30 days' budget an hour): users get errors now. "
            "Check the latest deploy (`python -m ops status`) and the web service's logs; roll back if it "
            "started with one.",
        ),
        AlarmKind(
            "slo-slow-burn",
            "`slo-slow-burn-6h` and `slo-slow-burn-30m` (composite)",
            "`ALARM(...)` of both",
            "both in ALARM",
            WARNING,
            "The error budget burns 6x too fast (5% in 6 hours): find the failing requests in the ALB access "
            "logs and fix them in working hours.",
        ),
        *(
            AlarmKind(
                f"slo-{speed}-burn-{window}",
                "ALB",
                f"{BURN_RATIO} over {window}",
                "{op} {threshold}x the error budget rate",
                WARNING,
                f"Member of `slo-{speed}-burn`: alone it means errors that spend little budget.",
                fixed=rule,
            )
            for speed, window, rule in (
                ("fast", "1h", FAST_BURN_LONG),
                ("fast", "5m", FAST_BURN_SHORT),
                ("slow", "6h", SLOW_BURN_LONG),
                ("slow", "30m", SLOW_BURN_SHORT),
            )
        ),
        AlarmKind(
            "alb-latency-p95",
            "ALB",
            "`TargetResponseTime` p95",
            "{op} {threshold} s",
            WARNING,
            "Look at the database and cache alarms and the service's CPU; scale out if tasks are saturated.",
            setting="alb_p95_seconds",
        ),
        AlarmKind(
            "alb-latency-p99",
            "ALB",
            "`TargetResponseTime` p99",
            "{op} {threshold} s",
            WARNING,
            "As for p95; a p99 alone high points at one slow endpoint or query (X-Ray traces).",
            setting="alb_p99_seconds",
        ),
        AlarmKind(
            "alb-rejected-connections",
            "ALB",
            "`RejectedConnectionCount` (Sum)",
            "{op} {threshold}",
            WARNING,
            "The ALB is at its connection limit: check for a traffic spike or an attack (WAF alarm); if it "
            "lasts, reserve ALB capacity (LCU reservation).",
            setting="rejected_connections",
            comparison="GreaterThanOrEqualToThreshold",
        ),
        AlarmKind(
            "alb-unhealthy-hosts-<colour>",
            "each target group (blue, green)",
            "`UnHealthyHostCount` (Maximum)",
            "{op} {threshold}",
            CRITICAL,
            "Targets fail their health checks: check the task logs and ECS service events (`python -m ops status`).",
            setting="unhealthy_hosts",
            comparison="GreaterThanOrEqualToThreshold",
        ),
        AlarmKind(
            "alb-healthy-hosts-low",
            "web target groups",
            "`HealthyHostCount` (Minimum), blue + green",
            "{op} the web service's `minCount`",
            CRITICAL,
            "Capacity is lost: check ECS service events for stopped tasks and failed starts.",
            setting="unhealthy_hosts",
            comparison="LessThanThreshold",
        ),
        AlarmKind(
            "<service>-cpu",
            "each ECS service",
            "`CPUUtilization` (Average)",
            "{op} {threshold}%",
            WARNING,
            "Autoscaling should add tasks; if the service is at `maxCount`, raise it or the task size.",
            setting="service_cpu_percent",
        ),
        AlarmKind(
            "<service>-memory",
            "each ECS service",
            "`MemoryUtilization` (Average)",
            "{op} {threshold}%",
            WARNING,
            "Memory growing across deploys is a leak; otherwise raise the task memory.",
            setting="service_memory_percent",
        ),
        AlarmKind(
            "<service>-running-tasks-low",
            "each ECS service",
            "Container Insights `RunningTaskCount` (Minimum)",
            "{op} the service's `minCount`",
            CRITICAL,
            "Tasks fail to start or keep stopping: check ECS service events (image pull, secrets, health checks).",
            comparison="LessThanThreshold",
            fixed=TASKS_LOW,
        ),
        AlarmKind(
            "database-cpu",
            "RDS instance",
            "`CPUUtilization` (Average)",
            "{op} {threshold}%",
            WARNING,
            "Find the top queries in Performance Insights; add indexes, or move to a larger class.",
            setting="database_cpu_percent",
        ),
        AlarmKind(
            "database-freeable-memory-low",
            "RDS instance",
            "`FreeableMemory` (Average)",
            "{op} {threshold}% of the class's memory",
            WARNING,
            "The instance will swap soon: check the connection count and `work_mem`; consider a larger class.",
            setting="database_freeable_memory_percent",
            comparison="LessThanThreshold",
        ),
        AlarmKind(
            "database-free-storage-low",
            "RDS instance",
            "`FreeStorageSpace` (Minimum)",
            "{op} {threshold}% of `allocatedStorageGb`",
            CRITICAL,
            "A full disk stops writes. Storage autoscaling should grow it; at `maxAllocatedStorageGb`, raise "
            "that. Look for a stuck replication slot or bloat.",
            setting="database_free_storage_percent",
            comparison="LessThanThreshold",
        ),
        AlarmKind(
            "database-connections-high",
            "RDS instance",
            "`DatabaseConnections` (Maximum)",
            "{op} {threshold}% of `max_connections`",
            CRITICAL,
            "New connections will soon be refused: look for connection leaks; pool connections (RDS Proxy).",
            setting="database_connections_percent",
        ),
        AlarmKind(
            "database-replica-<n>-lag",
            "each read replica",
            "`ReplicaLag` (Maximum)",
            "{op} {threshold} s",
            WARNING,
            "Reads from this replica are stale: check the primary's write volume and the replica's CPU and I/O; "
            "a replica that never catches up needs a larger `replicaInstanceClass`.",
            setting="database_replica_lag_seconds",
        ),
        AlarmKind(
            "cache-<n>-cpu",
            "each cache node",
            "`EngineCPUUtilization` (Average)",
            "{op} {threshold}%",
            WARNING,
            "The engine thread is busy: look for expensive commands in the slow log (`KEYS`, large ranges).",
            setting="cache_cpu_percent",
        ),
        AlarmKind(
            "cache-<n>-memory",
            "each cache node",
            "`DatabaseMemoryUsagePercentage` (Average)",
            "{op} {threshold}%",
            WARNING,
            "Keys will soon be evicted: check TTLs; scale the node type up.",
            setting="cache_memory_percent",
        ),
        AlarmKind(
            "cache-<n>-evictions",
            "each cache node",
            "`Evictions` (Sum)",
            "{op} {threshold}",
            WARNING,
            "The cache drops keys for lack of memory: scale the node type up or shorten TTLs.",
            setting="cache_evictions",
        ),
        AlarmKind(
            "cache-<n>-replication-lag",
            "each cache node (with 2+ nodes)",
            "`ReplicationLag` (Maximum, replicas)",
            "{op} {threshold} s",
            WARNING,
            "A replica lags the primary: a failover now would lose recent writes. Check write volume and "
            "the nodes' network.",
            setting="cache_replication_lag_seconds",
        ),
        AlarmKind(
            "waf-blocked-spike",
            "web ACL",
            "`BlockedRequests` (Sum, all rules)",
            "{op} {threshold}",
            WARNING,
            "An attack, or a rule blocking real users: check sampled requests in the WAF console and the "
            "WAF log group.",
            setting="waf_blocked_requests",
        ),
        AlarmKind(
            "deploy-<colour>-5xx-rate",
            "each target group (blue, green)",
            "`HTTPCode_Target_5XX_Count` over `RequestCount`, from `deploymentMinimumRequests` a minute",
            "{op} {threshold}% of requests",
            WARNING,
            "Member of the deployment alarm (which pages): read the new version's logs.",
            setting="deployment_5xx_percent",
        ),
        AlarmKind(
            "deploy-<colour>-latency-p95",
            "each target group (blue, green)",
            "`TargetResponseTime` p95, from `deploymentMinimumRequests` a minute",
            "{op} {threshold} s",
            WARNING,
            "Member of the deployment alarm (which pages): the new version is slow; look at its traces and "
            "its queries.",
            setting="deployment_p95_seconds",
        ),
        AlarmKind(
            "deploy-<colour>-unhealthy",
            "each target group (blue, green)",
            "`UnHealthyHostCount` (Maximum)",
            "{op} {threshold}",
            WARNING,
            "Member of the deployment alarm (which pages): read the new tasks' logs and health check.",
            setting="deployment_unhealthy_hosts",
            comparison="GreaterThanOrEqualToThreshold",
        ),
        AlarmKind(
            "web-deployment",
            "the six `deploy-*` alarms (composite)",
            "`ALARM(...)` of any member",
            "any member in ALARM",
            CRITICAL,
            "During a deploy ECS rolls back by itself and the deploy fails: find out why before redeploying. "
            "Outside a deploy, production targets are failing now: see the member alarm.",
        ),
    )
}


def alarm_table(settings: AlarmSettings | None = None) -> str:
    """The table of every alarm (Markdown), rendered from `KINDS` and the settings (defaults)."""
    settings = settings or AlarmSettings()
    rows = [
        "| alarm (`webapp-<stack>-...`) | watches | metric | alarms when | for | key | severity | what to do |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS.values():
        rows.append(
            f"| `{kind.name}` | {kind.watches} | {kind.metric} | {kind.when(settings)} | {kind.window(settings)} "
            f"| {kind.key()} | {kind.severity} | {kind.action} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(alarm_table())
