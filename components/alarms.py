"""CloudWatch alarms for every tier, the SNS topics they notify, the deployment (rollback)
alarm ECS watches during blue/green deploys, and the stack's dashboard.

Two topics, `critical` (page someone) and `warning` (look during working hours), encrypted with
a CMK whose policy lets CloudWatch publish. Every alarm notifies its topic on ALARM and on OK and
is created with actions enabled. Thresholds come from `AlarmSettings`; dimension values come
from the watched resources' outputs, so an alarm can never watch a resource that does not exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from settings.alarms import AlarmSettings, Rule, Subscribers

from .common import TYPE_PREFIX, AwsContext, child
from .encryption import EncryptionKey, KeyArgs

CRITICAL, WARNING = "critical", "warning"
GIB = 1024**3
# RDS for PostgreSQL's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000).
POSTGRES_BYTES_PER_CONNECTION = 9531392
POSTGRES_MAX_CONNECTIONS = 5000
# How long ECS needs, once the deployment alarm fires, to move production traffic back to the
# previous target group: one ModifyRule call on the listener (seconds); we allow 30 s.
ROLLBACK_TRAFFIC_SHIFT_SECONDS = 30
ROLLBACK_TARGET_SECONDS = 120


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
    web_acl_name: pulumi.Input[str]
    database: Optional[WatchedDatabase] = None
    cache: Optional[WatchedCache] = None
    # protect the topics' key in prod: deleting it silences every alarm.
    protect_key: bool = False
    dashboard_services: Sequence[WatchedService] = field(default_factory=tuple)


class Alarms(pulumi.ComponentResource):
    """Topics, alarms per watched resource, the deployment composite alarm and the dashboard."""

    def __init__(self, name: str, args: AlarmsArgs, opts: Optional[pulumi.ResourceOptions] = None):
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
        self.topics = {
            severity: self._topic(severity, key, getattr(args.settings, severity))
            for severity in (CRITICAL, WARNING)
        }
        self.alarms: list[aws.cloudwatch.MetricAlarm] = []
        self._load_balancer_alarms(args.load_balancer)
        for service in args.services:
            self._service_alarms(service)
        if args.database:
            self._database_alarms(args.database)
        if args.cache:
            self._cache_alarms(args.cache)
        self._firewall_alarms(args.web_acl_name, args.context.region)
        self.deployment_alarm = self._deployment_alarm(args.load_balancer)
        self.deployment_alarm_name: pulumi.Output[str] = self.deployment_alarm.alarm_name
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

    def _topic(self, severity: str, key: EncryptionKey, subscribers: Subscribers) -> aws.sns.Topic:
        topic = aws.sns.Topic(
            f"{self._name}-{severity}",
            name=f"{self._prefix}-alarms-{severity}",
            kms_master_key_id=key.arn,
            opts=child(self),
        )
        endpoints = [("email", e) for e in subscribers.emails] + [("https", u) for u in subscribers.https_endpoints]
        for index, (protocol, endpoint) in enumerate(endpoints):
            aws.sns.TopicSubscription(
                f"{self._name}-{severity}-{protocol}-{index}",
                topic=topic.arn,
                protocol=protocol,
                endpoint=endpoint,
                opts=child(self),
            )
        return topic

    # Alarm factory

    def _alarm(
        self,
        key: str,
        rule: Rule,
        severity: str,
        description: str,
        *,
        comparison: str = "GreaterThanThreshold",
        threshold: Optional[pulumi.Input[float]] = None,
        missing: str = "notBreaching",
        **metric: Any,
    ) -> aws.cloudwatch.MetricAlarm:
        topic = self.topics[severity].arn
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-{key}",
            name=f"{self._prefix}-{key}",
            alarm_description=f"[{severity}] {description}",
            comparison_operator=comparison,
            threshold=rule.threshold if threshold is None else threshold,
            evaluation_periods=rule.evaluation_periods,
            datapoints_to_alarm=rule.datapoints_to_alarm,
            treat_missing_data=missing,
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
            tags={"severity": severity},
            **({"period": rule.period_seconds} if "metric_queries" not in metric else {}),
            **metric,
            opts=child(self),
        )
        self.alarms.append(alarm)
        return alarm

    def _metric_query(
        self, query_id: str, namespace: str, metric_name: str, dimensions: Mapping[str, Any], stat: str, period: int
    ) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query_id,
            return_data=False,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=namespace, metric_name=metric_name, dimensions=dict(dimensions), stat=stat, period=period
            ),
        )

    def _expression(self, expression: str, label: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(id="result", expression=expression, label=label, return_data=True)

    # Load balancer

    def _load_balancer_alarms(self, lb: WatchedLoadBalancer) -> None:
        s = self._settings
        dims = {"LoadBalancer": lb.arn_suffix}
        alb = "AWS/ApplicationELB"
        period = s.alb_5xx_percent.period_seconds
        self._alarm(
            "alb-5xx-rate",
            s.alb_5xx_percent,
            CRITICAL,
            "More than the allowed share of requests fail with a 5xx (load balancer or targets). "
            "Check the service's logs and the latest deploy; roll back if it started with one.",
            metric_queries=[
                self._metric_query("elb", alb, "HTTPCode_ELB_5XX_Count", dims, "Sum", period),
                self._metric_query("target", alb, "HTTPCode_Target_5XX_Count", dims, "Sum", period),
                self._metric_query("requests", alb, "RequestCount", dims, "Sum", period),
                self._expression(
                    "IF(requests > 0, 100 * (FILL(elb, 0) + FILL(target, 0)) / requests, 0)", "5xx rate (%)"
                ),
            ],
        )
        for percentile, rule in (("p95", s.alb_p95_seconds), ("p99", s.alb_p99_seconds)):
            self._alarm(
                f"alb-latency-{percentile}",
                rule,
                WARNING,
                f"{percentile} target response time is above {rule.threshold} s. Look at the database and "
                "cache alarms and the service's CPU; scale out if tasks are saturated.",
                namespace=alb,
                metric_name="TargetResponseTime",
                dimensions=dims,
                extended_statistic=percentile,
            )
        self._alarm(
            "alb-rejected-connections",
            s.rejected_connections,
            WARNING,
            "The load balancer rejected connections (it hit its connection limit).",
            comparison="GreaterThanOrEqualToThreshold",
            namespace=alb,
            metric_name="RejectedConnectionCount",
            dimensions=dims,
            statistic="Sum",
        )
        for colour, target_group in lb.target_groups.items():
            self._alarm(
                f"alb-unhealthy-hosts-{colour}",
                s.unhealthy_hosts,
                CRITICAL,
                f"Targets of the {colour} target group fail their health checks. Check the task logs "
                "and `python -m tools.ops status`.",
                comparison="GreaterThanOrEqualToThreshold",
                namespace=alb,
                metric_name="UnHealthyHostCount",
                dimensions={**dims, "TargetGroup": target_group},
                statistic="Maximum",
            )
        # Only the colour serving production has healthy hosts between deploys, so the minimum is
        # judged on the sum of both target groups.
        period = s.unhealthy_hosts.period_seconds
        self._alarm(
            "alb-healthy-hosts-low",
            s.unhealthy_hosts,
            CRITICAL,
            f"Fewer healthy web targets than the service minimum ({lb.minimum_healthy_hosts}). "
            "Capacity is lost: check ECS events and task stops.",
            comparison="LessThanThreshold",
            threshold=lb.minimum_healthy_hosts,
            missing="breaching",
            metric_queries=[
                self._metric_query(
                    colour, alb, "HealthyHostCount", {**dims, "TargetGroup": target_group}, "Minimum", period
                )
                for colour, target_group in lb.target_groups.items()
            ]
            + [self._expression(" + ".join(f"FILL({c}, 0)" for c in lb.target_groups), "healthy hosts")],
        )

    # Services

    def _service_alarms(self, service: WatchedService) -> None:
        s = self._settings
        dims = {"ClusterName": service.cluster_name, "ServiceName": service.service_name}
        for metric, rule in (("CPUUtilization", s.service_cpu_percent), ("MemoryUtilization", s.service_memory_percent)):
            short = "cpu" if metric.startswith("CPU") else "memory"
            self._alarm(
                f"{service.name}-{short}",
                rule,
                WARNING,
                f"{service.name} {short} above {rule.threshold}%. Autoscaling should add tasks; if it is at "
                "its maximum, raise maxCount or the task size.",
                namespace="AWS/ECS",
                metric_name=metric,
                dimensions=dims,
                statistic="Average",
            )
        self._alarm(
            f"{service.name}-running-tasks-low",
            Rule(threshold=service.minimum_tasks, period_seconds=60, evaluation_periods=3, datapoints_to_alarm=3),
            CRITICAL,
            f"{service.name} runs fewer tasks than its minimum ({service.minimum_tasks}). Check ECS service "
            "events for failed task starts (image pull, secrets, health checks).",
            comparison="LessThanThreshold",
            missing="breaching",
            namespace="ECS/ContainerInsights",
            metric_name="RunningTaskCount",
            dimensions=dims,
            statistic="Minimum",
        )

    # Database

    def _database_alarms(self, db: WatchedDatabase) -> None:
        s = self._settings
        dims = {"DBInstanceIdentifier": db.identifier}
        rds = {"namespace": "AWS/RDS", "dimensions": dims, "statistic": "Average"}
        memory_bytes = db.memory_gib * GIB
        max_connections = min(int(memory_bytes // POSTGRES_BYTES_PER_CONNECTION), POSTGRES_MAX_CONNECTIONS)
        self._alarm(
            "database-cpu",
            s.database_cpu_percent,
            CRITICAL,
            "Database CPU is high: look at Performance Insights for the top queries.",
            metric_name="CPUUtilization",
            **rds,
        )
        self._alarm(
            "database-freeable-memory-low",
            s.database_freeable_memory_percent,
            WARNING,
            "Database freeable memory is low: the instance is swapping soon; consider a larger class.",
            comparison="LessThanThreshold",
            threshold=round(memory_bytes * s.database_freeable_memory_percent.threshold / 100),
            metric_name="FreeableMemory",
            **rds,
        )
        self._alarm(
            "database-free-storage-low",
            s.database_free_storage_percent,
            CRITICAL,
            "Database free storage is below its share of allocated storage. Storage autoscaling should "
            "grow it; if it is at maxAllocatedStorageGb, raise that.",
            comparison="LessThanThreshold",
            threshold=round(db.allocated_storage_gb * GIB * s.database_free_storage_percent.threshold / 100),
            metric_name="FreeStorageSpace",
            **rds,
        )
        self._alarm(
            "database-connections-high",
            s.database_connections_percent,
            CRITICAL,
            f"Database connections above {s.database_connections_percent.threshold}% of max_connections "
            f"({max_connections}). Check for connection leaks; add pooling (RDS Proxy).",
            threshold=round(max_connections * s.database_connections_percent.threshold / 100),
            metric_name="DatabaseConnections",
            **rds,
        )

    # Cache

    def _cache_alarms(self, cache: WatchedCache) -> None:
        s = self._settings
        for index in range(1, cache.nodes + 1):
            node = pulumi.Output.from_input(cache.replication_group_id).apply(lambda rg, i=index: f"{rg}-{i:03d}")
            dims = {"CacheClusterId": node}
            metric = {"namespace": "AWS/ElastiCache", "dimensions": dims}
            self._alarm(
                f"cache-{index}-cpu",
                s.cache_cpu_percent,
                WARNING,
                "Cache engine CPU is high (the engine is single-threaded): check for expensive commands.",
                metric_name="EngineCPUUtilization",
                statistic="Average",
                **metric,
            )
            self._alarm(
                f"cache-{index}-memory",
                s.cache_memory_percent,
                WARNING,
                "Cache memory is filling up: keys will be evicted; scale the node type up.",
                metric_name="DatabaseMemoryUsagePercentage",
                statistic="Average",
                **metric,
            )
            self._alarm(
                f"cache-{index}-evictions",
                s.cache_evictions,
                WARNING,
                "The cache evicts keys for lack of memory.",
                metric_name="Evictions",
                statistic="Sum",
                **metric,
            )
            if cache.nodes > 1:
                # Reported by replicas only; on the primary the metric is missing (not breaching).
                self._alarm(
                    f"cache-{index}-replication-lag",
                    s.cache_replication_lag_seconds,
                    WARNING,
                    "A cache replica lags behind the primary: a failover now would lose writes.",
                    metric_name="ReplicationLag",
                    statistic="Maximum",
                    **metric,
                )

    # Firewall

    def _firewall_alarms(self, web_acl_name: pulumi.Input[str], region: str) -> None:
        self._alarm(
            "waf-blocked-spike",
            self._settings.waf_blocked_requests,
            WARNING,
            "The web ACL blocks an unusual number of requests: an attack, or a rule catching real users "
            "(check sampled requests in the WAF console).",
            namespace="AWS/WAFV2",
            metric_name="BlockedRequests",
            dimensions={"WebACL": web_acl_name, "Region": region, "Rule": "ALL"},
            statistic="Sum",
        )

    # Deployment

    def _deployment_alarm(self, lb: WatchedLoadBalancer) -> aws.cloudwatch.CompositeAlarm:
        """Fast alarms on BOTH target groups (the one taking the new version alternates between
        deploys), combined into the composite alarm ECS watches to roll a deploy back."""
        s = self._settings
        alb = "AWS/ApplicationELB"
        members = []
        for colour, target_group in lb.target_groups.items():
            dims = {"LoadBalancer": lb.arn_suffix, "TargetGroup": target_group}
            period = s.deployment_5xx_percent.period_seconds
            members.append(
                self._alarm(
                    f"deploy-{colour}-5xx-rate",
                    s.deployment_5xx_percent,
                    CRITICAL,
                    f"Deployment guard: the {colour} targets answer with 5xx. ECS rolls the deploy back.",
                    metric_queries=[
                        self._metric_query("errors", alb, "HTTPCode_Target_5XX_Count", dims, "Sum", period),
                        self._metric_query("requests", alb, "RequestCount", dims, "Sum", period),
                        self._expression(
                            f"IF(requests >= {s.deployment_minimum_requests}, 100 * FILL(errors, 0) / requests, 0)",
                            "target 5xx rate (%)",
                        ),
                    ],
                )
            )
            members.append(
                self._alarm(
                    f"deploy-{colour}-unhealthy",
                    s.deployment_unhealthy_hosts,
                    CRITICAL,
                    f"Deployment guard: {colour} targets fail health checks. ECS rolls the deploy back.",
                    comparison="GreaterThanOrEqualToThreshold",
                    namespace=alb,
                    metric_name="UnHealthyHostCount",
                    dimensions=dims,
                    statistic="Maximum",
                )
            )
        topic = self.topics[CRITICAL].arn
        rule = pulumi.Output.all(*[m.name for m in members]).apply(
            lambda names: " OR ".join(f'ALARM("{n}")' for n in names)
        )
        return aws.cloudwatch.CompositeAlarm(
            f"{self._name}-deployment",
            alarm_name=f"{self._prefix}-web-deployment",
            alarm_description="[critical] A blue/green deploy is unhealthy; ECS rolls it back automatically.",
            alarm_rule=rule,
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
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
            "acl": args.web_acl_name,
            "db": args.database.identifier if args.database else None,
            "cache": args.cache.replication_group_id if args.cache else None,
            "cache_nodes": args.cache.nodes if args.cache else 0,
        }
        body = pulumi.Output.from_input(values).apply(lambda v: json.dumps(_dashboard_body(v, region), sort_keys=True))
        return aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            dashboard_name=f"{self._prefix}-webapp",
            dashboard_body=body,
            opts=child(self),
        )

    @staticmethod
    def rollback_seconds(settings: AlarmSettings) -> int:
        """Worst case from a bad version's first errors to production traffic back on the old
        version: the slower deployment alarm's time to fire, plus ECS's traffic shift."""
        detection = max(settings.deployment_5xx_percent.seconds_to_alarm, settings.deployment_unhealthy_hosts.seconds_to_alarm)
        return detection + ROLLBACK_TRAFFIC_SHIFT_SECONDS


def _widget(title: str, metrics: list[list[Any]], region: str, stat: str = "Sum", period: int = 60, **extra: Any) -> dict:
    return {
        "type": "metric",
        "width": 12,
        "height": 6,
        "properties": {"title": title, "metrics": metrics, "region": region, "stat": stat, "period": period, **extra},
    }


def _dashboard_body(v: dict[str, Any], region: str) -> dict[str, Any]:
    alb = "AWS/ApplicationELB"
    lb = ["LoadBalancer", v["lb"]]
    widgets = [
        _widget("Requests", [[alb, "RequestCount", *lb]], region),
        _widget(
            "5xx rate (%)",
            [
                [alb, "HTTPCode_ELB_5XX_Count", *lb, {"id": "elb", "visible": False}],
                [alb, "HTTPCode_Target_5XX_Count", *lb, {"id": "target", "visible": False}],
                [alb, "RequestCount", *lb, {"id": "requests", "visible": False}],
                [{"expression": "100 * (FILL(elb, 0) + FILL(target, 0)) / requests", "label": "5xx %"}],
            ],
            region,
        ),
        _widget(
            "Target response time",
            [[alb, "TargetResponseTime", *lb, {"stat": p, "label": p}] for p in ("p50", "p95", "p99")],
            region,
            stat="p95",
        ),
        _widget(
            "Healthy hosts per target group",
            [[alb, "HealthyHostCount", "TargetGroup", tg, *lb, {"label": colour}] for colour, tg in v["tgs"].items()],
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
                [["ECS/ContainerInsights", "RunningTaskCount", *dims], ["ECS/ContainerInsights", "DesiredTaskCount", *dims]],
                region,
                stat="Average",
            )
        )
    if v["db"]:
        db = ["DBInstanceIdentifier", v["db"]]
        widgets += [
            _widget("Database CPU (%) / connections", [["AWS/RDS", "CPUUtilization", *db], ["AWS/RDS", "DatabaseConnections", *db, {"yAxis": "right"}]], region, stat="Average"),
            _widget("Database free storage (bytes)", [["AWS/RDS", "FreeStorageSpace", *db]], region, stat="Minimum"),
            _widget("Database latency (s)", [["AWS/RDS", "ReadLatency", *db], ["AWS/RDS", "WriteLatency", *db]], region, stat="Average"),
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
        _widget("WAF allowed / blocked", [["AWS/WAFV2", "AllowedRequests", *waf], ["AWS/WAFV2", "BlockedRequests", *waf]], region)
    )
    return {"widgets": widgets}
