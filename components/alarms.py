"""CloudWatch alarms for every tier, the SNS topics they notify, the deployment (rollback)
alarm ECS watches during blue/green deploys, and the stack's dashboard.

Two topics, `critical` (page someone) and `warning` (look during working hours), encrypted with
a CMK whose policy lets CloudWatch publish. Every alarm notifies its topic on ALARM and on OK and
is created with actions enabled. Thresholds come from `AlarmSettings`; dimension values come
from the watched resources' outputs, so an alarm can never watch a resource that does not exist.
`KINDS` lists every alarm (what it watches, condition, severity, what to do): the alarms'
descriptions and the README's alarm table are both rendered from it.

Not alarmed, on purpose: RDS `ReplicaLag` (the stack has no read replica; the Multi-AZ standby
is synchronous and publishes no lag) and the cross-region replication of automated backups,
which publishes no CloudWatch metric at all (its failures are RDS events). A replication slot
that stops advancing shows up as falling free storage, which is alarmed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.alarms import AlarmSettings, Rule

from .common import TYPE_PREFIX, AwsContext, child
from .encryption import EncryptionKey, KeyArgs

CRITICAL, WARNING = "critical", "warning"
GIB = 1024**3
# RDS for PostgreSQL's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000).
# DBInstanceClassMemory is a little less than the class's memory, so the alarm's figure is an
# upper bound (a few connections high).
POSTGRES_BYTES_PER_CONNECTION = 9531392
POSTGRES_MAX_CONNECTIONS = 5000
# How long ECS needs, once the deployment alarm fires, to move production traffic back to the
# previous target group: one ModifyRule call on the listener (seconds); we allow 30 s.
ROLLBACK_TRAFFIC_SHIFT_SECONDS = 30
ROLLBACK_TARGET_SECONDS = 120
# Running tasks below the minimum: 3 one-minute periods, long enough for ECS to replace a task
# that stopped (Fargate start + health checks) without paging.
TASKS_LOW = Rule(threshold=1, period_seconds=60, evaluation_periods=3, datapoints_to_alarm=3)
ALB = "AWS/ApplicationELB"
OPERATORS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
}


@dataclass(frozen=True)
class AlarmKind:
    """One kind of alarm: one row of the README's alarm table."""

    name: str  # after `<project>-<stack>-`; <service>, <n>, <colour> stand for each instance
    watches: str
    metric: str
    condition: str  # `{op}` and `{threshold}` are filled from the comparison and the rule
    severity: str
    action: str
    setting: str | None = None  # the AlarmSettings field giving threshold and timing
    comparison: str = "GreaterThanThreshold"
    fixed: Rule | None = None  # timing when no setting gives it

    def rule(self, settings: AlarmSettings) -> Rule | None:
        return getattr(settings, self.setting) if self.setting else self.fixed

    def when(self, settings: AlarmSettings) -> str:
        rule = self.rule(settings)
        threshold = f"{rule.threshold:g}" if rule else ""
        return self.condition.format(op=OPERATORS.get(self.comparison, ""), threshold=threshold)

    def window(self, settings: AlarmSettings) -> str:
        rule = self.rule(settings)
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
            CRITICAL,
            "Users get errors. Check the web service's logs and the latest deploy (`python -m ops status`); "
            "roll back if it started with one.",
            setting="alb_5xx_percent",
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
            "the four `deploy-*` alarms (composite)",
            "`ALARM(...)` of any member",
            "any member in ALARM",
            CRITICAL,
            "During a deploy ECS rolls back by itself and the deploy fails: find out why before redeploying. "
            "Outside a deploy, production targets are failing now: see the member alarm.",
        ),
    )
}


@dataclass(frozen=True)
class WatchedLoadBalancer:
    arn_suffix: pulumi.Input[str]
    # Target group colour -> ARN suffix ("targetgroup/<name>/<id>").
    target_groups: Mapping[str, pulumi.Input[str]]
    # The web service's minimum task count: fewer healthy hosts than this is an outage.
    minimum_healthy_hosts: int


@dataclass(frozen=True)
class WatchedService:
    name: str
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    minimum_tasks: int


@dataclass(frozen=True)
class WatchedDatabase:
    identifier: pulumi.Input[str]
    allocated_storage_gb: int
    memory_gib: float


@dataclass(frozen=True)
class WatchedCache:
    replication_group_id: pulumi.Input[str]
    nodes: int


@dataclass(frozen=True)
class AlarmsArgs:
    settings: AlarmSettings
    context: AwsContext
    load_balancer: WatchedLoadBalancer
    services: Sequence[WatchedService]
    # The web ACL's CloudWatch metric name (its visibility config's `metric_name`): the value of
    # the `WebACL` dimension of AWS/WAFV2 metrics, which is not the ACL's name.
    web_acl_metric_name: pulumi.Input[str]
    database: WatchedDatabase | None = None
    cache: WatchedCache | None = None
    # protect the topics' key in prod: deleting it silences every alarm.
    protect_key: bool = False


class Alarms(pulumi.ComponentResource):
    """Topics, alarms per watched resource, the deployment composite alarm and the dashboard."""

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:Alarms", name, None, opts)
        self._name = name
        self._prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"
        self._settings = args.settings
        key = EncryptionKey(
            f"{name}-topics",
            KeyArgs(
                context=args.context,
                description="SNS alarm topics",
                publishers=["cloudwatch.amazonaws.com"],
                via_services=["sns"],
                protect=args.protect_key,
            ),
            opts=child(self),
        )
        self.topics = {severity: self._topic(severity, key, args.settings) for severity in (CRITICAL, WARNING)}
        self.alarms: list[aws.cloudwatch.MetricAlarm] = []
        self._load_balancer_alarms(args.load_balancer)
        for service in args.services:
            self._service_alarms(service)
        if args.database:
            self._database_alarms(args.database)
        if args.cache:
            self._cache_alarms(args.cache)
        self._firewall_alarms(args.web_acl_metric_name, args.context.region)
        self.deployment_alarm = self._deployment_alarm(args.load_balancer)
        self.deployment_alarm_name: pulumi.Output[str] = self.deployment_alarm.alarm_name
        # What the web service's deployment watches: the composite, and its members too. ECS's
        # documentation neither confirms nor rules out composite alarms; with the members named
        # as well, a bad deploy rolls back either way (any listed alarm in ALARM fails it).
        self.deployment_alarm_names: list[pulumi.Output[str]] = [
            self.deployment_alarm_name,
            *(member.name for member in self._deployment_members),
        ]
        self.alarm_names = pulumi.Output.all(*[a.name for a in self.alarms], self.deployment_alarm_name)
        self.dashboard = self._dashboard(args)
        self.dashboard_url = pulumi.Output.concat(
            "https://",
            args.context.region,
            ".console.aws.amazon.com/cloudwatch/home?region=",
            args.context.region,
            "#dashboards/dashboard/",
            self.dashboard.dashboard_name,
        )
        self.register_outputs(
            {
                "critical_topic_arn": self.topics[CRITICAL].arn,
                "warning_topic_arn": self.topics[WARNING].arn,
                "alarm_names": self.alarm_names,
                "deployment_alarm_name": self.deployment_alarm_name,
                "dashboard_url": self.dashboard_url,
            }
        )

    # Notifications

    def _topic(self, severity: str, key: EncryptionKey, settings: AlarmSettings) -> aws.sns.Topic:
        topic = aws.sns.Topic(
            f"{self._name}-{severity}",
            name=f"{self._prefix}-alarms-{severity}",
            kms_master_key_id=key.arn,
            opts=child(self),
        )
        for protocol, endpoint in getattr(settings, severity).endpoints:
            # Named after the endpoint, not its position: removing one subscriber must not
            # replace (and re-confirm) the others.
            digest = hashlib.sha256(endpoint.encode()).hexdigest()[:8]
            aws.sns.TopicSubscription(
                f"{self._name}-{severity}-{protocol}-{digest}",
                topic=topic.arn,
                protocol=protocol,
                # Incident-tool URLs carry their integration key: keep them out of state and
                # previews in plaintext.
                endpoint=pulumi.Output.secret(endpoint) if protocol == "https" else endpoint,
                opts=child(self),
            )
        return topic

    # Alarm factory

    def _alarm(
        self,
        kind: str,
        name: str,
        subject: str,
        *,
        threshold: pulumi.Input[float] | None = None,
        missing: str = "notBreaching",
        **metric: Any,
    ) -> aws.cloudwatch.MetricAlarm:
        """One metric alarm of `KINDS[kind]`, on its severity's topic. `metric` is either
        namespace/metric_name/dimensions/statistic (or extended_statistic), or metric_queries."""
        spec = KINDS[kind]
        rule = spec.rule(self._settings)
        assert rule is not None, kind
        topic = self.topics[spec.severity].arn
        timing = {} if "metric_queries" in metric else {"period": rule.period_seconds}
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-{name}",
            name=f"{self._prefix}-{name}",
            alarm_description=f"[{spec.severity}] {subject}: {spec.metric} {spec.when(self._settings)} "
            f"({rule.window()}). {spec.action}",
            comparison_operator=spec.comparison,
            threshold=rule.threshold if threshold is None else threshold,
            evaluation_periods=rule.evaluation_periods,
            datapoints_to_alarm=rule.datapoints_to_alarm,
            treat_missing_data=missing,
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
            tags={"severity": spec.severity},
            **timing,
            **metric,
            opts=child(self),
        )
        self.alarms.append(alarm)
        return alarm

    @staticmethod
    def _metric_query(
        query_id: str, namespace: str, metric_name: str, dimensions: Mapping[str, Any], stat: str, period: int
    ) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query_id,
            return_data=False,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=namespace, metric_name=metric_name, dimensions=dict(dimensions), stat=stat, period=period
            ),
        )

    @staticmethod
    def _expression(expression: str, label: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
        """The one query whose result the alarm compares with its threshold."""
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id="result", expression=expression, label=label, return_data=True
        )

    # Load balancer

    def _load_balancer_alarms(self, lb: WatchedLoadBalancer) -> None:
        s = self._settings
        dims = {"LoadBalancer": lb.arn_suffix}
        period = s.alb_5xx_percent.period_seconds
        self._alarm(
            "alb-5xx-rate",
            "alb-5xx-rate",
            "ALB",
            metric_queries=[
                self._metric_query("elb", ALB, "HTTPCode_ELB_5XX_Count", dims, "Sum", period),
                self._metric_query("target", ALB, "HTTPCode_Target_5XX_Count", dims, "Sum", period),
                self._metric_query("requests", ALB, "RequestCount", dims, "Sum", period),
                self._expression(
                    "IF(requests > 0, 100 * (FILL(elb, 0) + FILL(target, 0)) / requests, 0)", "5xx rate (%)"
                ),
            ],
        )
        for percentile in ("p95", "p99"):
            self._alarm(
                f"alb-latency-{percentile}",
                f"alb-latency-{percentile}",
                "ALB",
                namespace=ALB,
                metric_name="TargetResponseTime",
                dimensions=dims,
                extended_statistic=percentile,
                # A percentile of a handful of requests (a quiet night) is noise, not latency.
                evaluate_low_sample_count_percentiles="ignore",
            )
        self._alarm(
            "alb-rejected-connections",
            "alb-rejected-connections",
            "ALB",
            namespace=ALB,
            metric_name="RejectedConnectionCount",
            dimensions=dims,
            statistic="Sum",
        )
        for colour, target_group in lb.target_groups.items():
            self._alarm(
                "alb-unhealthy-hosts-<colour>",
                f"alb-unhealthy-hosts-{colour}",
                f"{colour} target group",
                namespace=ALB,
                metric_name="UnHealthyHostCount",
                dimensions={**dims, "TargetGroup": target_group},
                statistic="Maximum",
            )
        # Only the colour serving production has targets between deploys, so the minimum is
        # judged on the sum of both target groups.
        period = s.unhealthy_hosts.period_seconds
        self._alarm(
            "alb-healthy-hosts-low",
            "alb-healthy-hosts-low",
            f"web target groups (minCount {lb.minimum_healthy_hosts})",
            threshold=lb.minimum_healthy_hosts,
            missing="breaching",
            metric_queries=[
                self._metric_query(
                    colour, ALB, "HealthyHostCount", {**dims, "TargetGroup": target_group}, "Minimum", period
                )
                for colour, target_group in lb.target_groups.items()
            ]
            + [self._expression(" + ".join(f"FILL({c}, 0)" for c in lb.target_groups), "healthy hosts")],
        )

    # Services

    def _service_alarms(self, service: WatchedService) -> None:
        dims = {"ClusterName": service.cluster_name, "ServiceName": service.service_name}
        for short, metric in (("cpu", "CPUUtilization"), ("memory", "MemoryUtilization")):
            self._alarm(
                f"<service>-{short}",
                f"{service.name}-{short}",
                f"service {service.name}",
                namespace="AWS/ECS",
                metric_name=metric,
                dimensions=dims,
                statistic="Average",
            )
        # Published by Container Insights, which the cluster runs in enhanced mode.
        self._alarm(
            "<service>-running-tasks-low",
            f"{service.name}-running-tasks-low",
            f"service {service.name} (minCount {service.minimum_tasks})",
            threshold=service.minimum_tasks,
            missing="breaching",
            namespace="ECS/ContainerInsights",
            metric_name="RunningTaskCount",
            dimensions=dims,
            statistic="Minimum",
        )

    # Database

    def _database_alarms(self, db: WatchedDatabase) -> None:
        s = self._settings
        rds = {"namespace": "AWS/RDS", "dimensions": {"DBInstanceIdentifier": db.identifier}}
        memory_bytes = db.memory_gib * GIB
        max_connections = min(int(memory_bytes // POSTGRES_BYTES_PER_CONNECTION), POSTGRES_MAX_CONNECTIONS)
        self._alarm(
            "database-cpu", "database-cpu", "database", metric_name="CPUUtilization", statistic="Average", **rds
        )
        self._alarm(
            "database-freeable-memory-low",
            "database-freeable-memory-low",
            f"database ({db.memory_gib:g} GiB)",
            threshold=round(memory_bytes * s.database_freeable_memory_percent.threshold / 100),
            metric_name="FreeableMemory",
            statistic="Average",
            **rds,
        )
        self._alarm(
            "database-free-storage-low",
            "database-free-storage-low",
            f"database ({db.allocated_storage_gb} GB allocated)",
            threshold=round(db.allocated_storage_gb * GIB * s.database_free_storage_percent.threshold / 100),
            metric_name="FreeStorageSpace",
            statistic="Minimum",
            **rds,
        )
        self._alarm(
            "database-connections-high",
            "database-connections-high",
            f"database (max_connections {max_connections})",
            threshold=round(max_connections * s.database_connections_percent.threshold / 100),
            metric_name="DatabaseConnections",
            statistic="Maximum",
            **rds,
        )

    # Cache

    def _cache_alarms(self, cache: WatchedCache) -> None:
        for index in range(1, cache.nodes + 1):
            # ElastiCache names the member clusters of a replication group `<group>-001`, ...
            node = pulumi.Output.from_input(cache.replication_group_id).apply(lambda rg, i=index: f"{rg}-{i:03d}")
            metric = {"namespace": "AWS/ElastiCache", "dimensions": {"CacheClusterId": node}}
            subject = f"cache node {index}"
            self._alarm(
                "cache-<n>-cpu",
                f"cache-{index}-cpu",
                subject,
                metric_name="EngineCPUUtilization",
                statistic="Average",
                **metric,
            )
            self._alarm(
                "cache-<n>-memory",
                f"cache-{index}-memory",
                subject,
                metric_name="DatabaseMemoryUsagePercentage",
                statistic="Average",
                **metric,
            )
            self._alarm(
                "cache-<n>-evictions",
                f"cache-{index}-evictions",
                subject,
                metric_name="Evictions",
                statistic="Sum",
                **metric,
            )
            if cache.nodes > 1:
                # Reported by replicas only; on the primary the metric is missing (not breaching).
                # Every node gets one: after a failover another node is the primary.
                self._alarm(
                    "cache-<n>-replication-lag",
                    f"cache-{index}-replication-lag",
                    subject,
                    metric_name="ReplicationLag",
                    statistic="Maximum",
                    **metric,
                )

    # Firewall

    def _firewall_alarms(self, web_acl_metric_name: pulumi.Input[str], region: str) -> None:
        self._alarm(
            "waf-blocked-spike",
            "waf-blocked-spike",
            "web ACL",
            namespace="AWS/WAFV2",
            metric_name="BlockedRequests",
            dimensions={"WebACL": web_acl_metric_name, "Region": region, "Rule": "ALL"},
            statistic="Sum",
        )

    # Deployment

    def _deployment_alarm(self, lb: WatchedLoadBalancer) -> aws.cloudwatch.CompositeAlarm:
        """Fast alarms on BOTH target groups (the one taking the new version alternates between
        deploys), combined into the composite alarm ECS watches to roll a deploy back. The
        members notify the warning topic; the composite pages, once."""
        s = self._settings
        period = s.deployment_5xx_percent.period_seconds
        members = []
        for colour, target_group in lb.target_groups.items():
            dims = {"LoadBalancer": lb.arn_suffix, "TargetGroup": target_group}
            members.append(
                self._alarm(
                    "deploy-<colour>-5xx-rate",
                    f"deploy-{colour}-5xx-rate",
                    f"{colour} target group",
                    metric_queries=[
                        self._metric_query("errors", ALB, "HTTPCode_Target_5XX_Count", dims, "Sum", period),
                        self._metric_query("requests", ALB, "RequestCount", dims, "Sum", period),
                        self._expression(
                            f"IF(requests >= {s.deployment_minimum_requests}, 100 * FILL(errors, 0) / requests, 0)",
                            "target 5xx rate (%)",
                        ),
                    ],
                )
            )
            members.append(
                self._alarm(
                    "deploy-<colour>-unhealthy",
                    f"deploy-{colour}-unhealthy",
                    f"{colour} target group",
                    namespace=ALB,
                    metric_name="UnHealthyHostCount",
                    dimensions=dims,
                    statistic="Maximum",
                )
            )
        spec = KINDS["web-deployment"]
        topic = self.topics[spec.severity].arn
        self._deployment_members = members
        rule = pulumi.Output.all(*[m.name for m in members]).apply(
            lambda names: " OR ".join(f'ALARM("{n}")' for n in names)
        )
        return aws.cloudwatch.CompositeAlarm(
            f"{self._name}-deployment",
            alarm_name=f"{self._prefix}-{spec.name}",
            alarm_description=f"[{spec.severity}] web service: {spec.watches}, {spec.condition}. {spec.action}",
            alarm_rule=rule,
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
            tags={"severity": spec.severity},
            opts=child(self),
        )

    # Dashboard

    def _dashboard(self, args: AlarmsArgs) -> aws.cloudwatch.Dashboard:
        lb = args.load_balancer
        region = args.context.region
        values: dict[str, Any] = {
            "lb": lb.arn_suffix,
            "tgs": dict(lb.target_groups),
            "services": [{"name": s.name, "cluster": s.cluster_name, "service": s.service_name} for s in args.services],
            "acl": args.web_acl_metric_name,
            "db": args.database.identifier if args.database else None,
            "cache": args.cache.replication_group_id if args.cache else None,
            "cache_nodes": args.cache.nodes if args.cache else 0,
        }
        body = pulumi.Output.from_input(values).apply(lambda v: json.dumps(_dashboard_body(v, region), sort_keys=True))
        return aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            dashboard_name=self._prefix,
            dashboard_body=body,
            opts=child(self),
        )

    @staticmethod
    def rollback_seconds(settings: AlarmSettings) -> int:
        """Worst case from a bad version's first errors to production traffic back on the old
        version: the slower deployment alarm's time to fire, plus ECS's traffic shift."""
        detection = max(
            settings.deployment_5xx_percent.seconds_to_alarm, settings.deployment_unhealthy_hosts.seconds_to_alarm
        )
        return detection + ROLLBACK_TRAFFIC_SHIFT_SECONDS


def alarm_table(settings: AlarmSettings | None = None) -> str:
    """The README's table of every alarm, rendered from `KINDS` and the settings (defaults)."""
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


def _widget(
    title: str, metrics: list[list[Any]], region: str, stat: str = "Sum", period: int = 60, **extra: Any
) -> dict:
    return {
        "type": "metric",
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "view": "timeSeries",
            "metrics": metrics,
            "region": region,
            "stat": stat,
            "period": period,
            **extra,
        },
    }


def _dashboard_body(v: dict[str, Any], region: str) -> dict[str, Any]:
    """Widgets for the ALB, each service, the database, the cache and the web ACL. A metric row
    is [namespace, metric, dimension name, value, ..., {options}]; an expression row is
    [{"expression", "label", "id"}]."""
    lb = ["LoadBalancer", v["lb"]]
    widgets = [
        _widget("Requests", [[ALB, "RequestCount", *lb]], region),
        _widget(
            "5xx rate (%)",
            [
                [ALB, "HTTPCode_ELB_5XX_Count", *lb, {"id": "elb", "visible": False}],
                [ALB, "HTTPCode_Target_5XX_Count", *lb, {"id": "target", "visible": False}],
                [ALB, "RequestCount", *lb, {"id": "requests", "visible": False}],
                [{"expression": "100 * (FILL(elb, 0) + FILL(target, 0)) / requests", "label": "5xx %", "id": "rate"}],
            ],
            region,
        ),
        _widget(
            "Target response time (s)",
            [[ALB, "TargetResponseTime", *lb, {"stat": p, "label": p}] for p in ("p50", "p95", "p99")],
            region,
            stat="p95",
        ),
        _widget(
            "Healthy hosts per target group",
            [[ALB, "HealthyHostCount", "TargetGroup", tg, *lb, {"label": colour}] for colour, tg in v["tgs"].items()],
            region,
            stat="Minimum",
        ),
    ]
    for service in v["services"]:
        dims = ["ClusterName", service["cluster"], "ServiceName", service["service"]]
        widgets.append(
            _widget(
                f"{service['name']}: CPU / memory (%)",
                [["AWS/ECS", "CPUUtilization", *dims], ["AWS/ECS", "MemoryUtilization", *dims]],
                region,
                stat="Average",
            )
        )
        widgets.append(
            _widget(
                f"{service['name']}: tasks",
                [
                    ["ECS/ContainerInsights", "RunningTaskCount", *dims],
                    ["ECS/ContainerInsights", "DesiredTaskCount", *dims],
                ],
                region,
                stat="Average",
            )
        )
    if v["db"]:
        db = ["DBInstanceIdentifier", v["db"]]
        widgets += [
            _widget(
                "Database CPU (%) / connections",
                [["AWS/RDS", "CPUUtilization", *db], ["AWS/RDS", "DatabaseConnections", *db, {"yAxis": "right"}]],
                region,
                stat="Average",
            ),
            _widget("Database free storage (bytes)", [["AWS/RDS", "FreeStorageSpace", *db]], region, stat="Minimum"),
            _widget(
                "Database latency (s)",
                [["AWS/RDS", "ReadLatency", *db], ["AWS/RDS", "WriteLatency", *db]],
                region,
                stat="Average",
            ),
        ]
    if v["cache"]:
        # ElastiCache publishes per member cluster: "<replication group>-001", "-002", ...
        nodes = [["CacheClusterId", f"{v['cache']}-{i:03d}"] for i in range(1, v["cache_nodes"] + 1)]
        widgets.append(
            _widget(
                "Cache CPU / memory (%) and hit rate",
                [
                    ["AWS/ElastiCache", metric, *node, {"yAxis": axis}]
                    for node in nodes
                    for metric, axis in (
                        ("EngineCPUUtilization", "left"),
                        ("DatabaseMemoryUsagePercentage", "left"),
                        ("CacheHitRate", "right"),
                    )
                ],
                region,
                stat="Average",
            )
        )
    waf = ["WebACL", v["acl"], "Region", region, "Rule", "ALL"]
    widgets.append(
        _widget(
            "WAF allowed / blocked",
            [["AWS/WAFV2", "AllowedRequests", *waf], ["AWS/WAFV2", "BlockedRequests", *waf]],
            region,
        )
    )
    return {"widgets": widgets}


if __name__ == "__main__":
    print(alarm_table())
