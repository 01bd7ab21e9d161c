"""CloudWatch alarms on every part of the stack, the SNS topics they notify, the deployment
(rollback) alarm ECS watches during blue/green deploys, and the stack's dashboard.

Two topics, `critical` (page someone) and `warning` (look during working hours), encrypted with
a CMK whose policy lets CloudWatch publish. Every alarm notifies its topic on ALARM and on OK and
is created with actions enabled. Thresholds come from `AlarmSettings`; dimension values come
from the watched resources' outputs, so an alarm can never watch a resource that does not exist.
Every alarm is of a kind of `alarm_catalogue.KINDS` (what it watches, condition, severity,
what to do), which gives its name and description; `dashboard.py` lays the dashboard out.

Not alarmed, on purpose: RDS `ReplicaLag` (the stack has no read replica; the Multi-AZ standby
is synchronous and publishes no lag) and the cross-region replication of automated backups,
which publishes no CloudWatch metric at all (its failures are RDS events). A replication slot
that stops advancing shows up as falling free storage, which is alarmed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.alarms import AlarmSettings

from .alarm_catalogue import CRITICAL, KINDS, WARNING
from .common import TYPE_PREFIX, AwsContext, child
from .dashboard import ALB, dashboard, dashboard_url
from .encryption import EncryptionKey, KeyArgs
from .watched import Watched, WatchedCache, WatchedDatabase, WatchedLoadBalancer, WatchedService

GIB = 1024**3
# RDS for PostgreSQL's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000).
# DBInstanceClassMemory is a little less than the class's memory, so the alarm's figure is an
# upper bound (a few connections high).
POSTGRES_BYTES_PER_CONNECTION = 9531392
POSTGRES_MAX_CONNECTIONS = 5000
# How long ECS needs, once the deployment alarm fires, to move production traffic back to the
# previous target group: one ModifyRule call on the listener (seconds); we allow 30 s.
ROLLBACK_TRAFFIC_SHIFT_SECONDS = 30
# The rollback objective: a bad version's errors reach users for at most two minutes.
ROLLBACK_TARGET_SECONDS = 120


@dataclass(frozen=True)
class AlarmsArgs:
    settings: AlarmSettings
    context: AwsContext
    watched: Watched
    # protect the topics' key in prod: deleting it silences every alarm.
    protect_key: bool = False
    # IAM role ARNs that administer the topics' key.
    key_administrators: Sequence[pulumi.Input[str]] = ()


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
                administrators=args.key_administrators,
                publishers=["cloudwatch.amazonaws.com"],
                protect=args.protect_key,
            ),
            opts=child(self),
        )
        self.topics = {severity: self._topic(severity, key, args.settings) for severity in (CRITICAL, WARNING)}
        watched = args.watched
        members = self._deployment_members(watched.load_balancer)
        self.alarms: list[aws.cloudwatch.MetricAlarm] = [
            *self._load_balancer_alarms(watched.load_balancer),
            *(alarm for service in watched.services for alarm in self._service_alarms(service)),
            *(self._database_alarms(watched.database) if watched.database else []),
            *(self._cache_alarms(watched.cache) if watched.cache else []),
            *self._firewall_alarms(watched.web_acl_metric_name, args.context.region),
            *members,
        ]
        self.deployment_alarm = self._deployment_alarm(members)
        self.deployment_alarm_name: pulumi.Output[str] = self.deployment_alarm.alarm_name
        # What the web service's deployment watches: the composite, and its members too. ECS's
        # documentation neither confirms nor rules out composite alarms; with the members named
        # as well, a bad deploy rolls back either way (any listed alarm in ALARM fails it).
        self.deployment_alarm_names: list[pulumi.Output[str]] = [
            self.deployment_alarm_name,
            *(member.name for member in members),
        ]
        self.alarm_names = pulumi.Output.all(*[a.name for a in self.alarms], self.deployment_alarm_name)
        self.dashboard = dashboard(f"{name}-dashboard", self._prefix, watched, args.context.region, child(self))
        self.dashboard_url = dashboard_url(self.dashboard, args.context.region)
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
        subject: str,
        *,
        fill: Mapping[str, object] | None = None,
        threshold: pulumi.Input[float] | None = None,
        missing: str = "notBreaching",
        **metric: Any,
    ) -> aws.cloudwatch.MetricAlarm:
        """One metric alarm of `KINDS[kind]`, on its severity's topic, named after its kind with
        `fill` in the placeholders. `metric` is either namespace/metric_name/dimensions/statistic
        (or extended_statistic), or metric_queries."""
        spec = KINDS[kind]
        name = spec.alarm_name(**(fill or {}))
        rule = spec.rule(self._settings)
        topic = self.topics[spec.severity].arn
        timing = {} if "metric_queries" in metric else {"period": rule.period_seconds}
        return aws.cloudwatch.MetricAlarm(
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

    def _load_balancer_alarms(self, lb: WatchedLoadBalancer) -> list[aws.cloudwatch.MetricAlarm]:
        s = self._settings
        dims = {"LoadBalancer": lb.arn_suffix}
        period = s.alb_5xx_percent.period_seconds
        alarms = [
            self._alarm(
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
        ]
        alarms += [
            self._alarm(
                f"alb-latency-{percentile}",
                "ALB",
                namespace=ALB,
                metric_name="TargetResponseTime",
                dimensions=dims,
                extended_statistic=percentile,
                # A percentile of a handful of requests (a quiet night) is noise, not latency.
                evaluate_low_sample_count_percentiles="ignore",
            )
            for percentile in ("p95", "p99")
        ]
        alarms.append(
            self._alarm(
                "alb-rejected-connections",
                "ALB",
                namespace=ALB,
                metric_name="RejectedConnectionCount",
                dimensions=dims,
                statistic="Sum",
            )
        )
        alarms += [
            self._alarm(
                "alb-unhealthy-hosts-<colour>",
                f"{colour} target group",
                fill={"colour": colour},
                namespace=ALB,
                metric_name="UnHealthyHostCount",
                dimensions={**dims, "TargetGroup": target_group},
                statistic="Maximum",
            )
            for colour, target_group in lb.target_groups.items()
        ]
        # Only the colour serving production has targets between deploys, so the minimum is
        # judged on the sum of both target groups.
        period = s.unhealthy_hosts.period_seconds
        alarms.append(
            self._alarm(
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
        )
        return alarms

    # Services

    def _service_alarms(self, service: WatchedService) -> list[aws.cloudwatch.MetricAlarm]:
        dims = {"ClusterName": service.cluster_name, "ServiceName": service.service_name}
        alarms = [
            self._alarm(
                f"<service>-{short}",
                f"service {service.name}",
                fill={"service": service.name},
                namespace="AWS/ECS",
                metric_name=metric,
                dimensions=dims,
                statistic="Average",
            )
            for short, metric in (("cpu", "CPUUtilization"), ("memory", "MemoryUtilization"))
        ]
        # Published by Container Insights, which the cluster runs in enhanced mode.
        alarms.append(
            self._alarm(
                "<service>-running-tasks-low",
                f"service {service.name} (minCount {service.minimum_tasks})",
                fill={"service": service.name},
                threshold=service.minimum_tasks,
                missing="breaching",
                namespace="ECS/ContainerInsights",
                metric_name="RunningTaskCount",
                dimensions=dims,
                statistic="Minimum",
            )
        )
        return alarms

    # Database

    def _database_alarms(self, db: WatchedDatabase) -> list[aws.cloudwatch.MetricAlarm]:
        s = self._settings
        rds = {"namespace": "AWS/RDS", "dimensions": {"DBInstanceIdentifier": db.identifier}}
        memory_bytes = db.memory_gib * GIB
        max_connections = min(int(memory_bytes // POSTGRES_BYTES_PER_CONNECTION), POSTGRES_MAX_CONNECTIONS)
        return [
            self._alarm("database-cpu", "database", metric_name="CPUUtilization", statistic="Average", **rds),
            self._alarm(
                "database-freeable-memory-low",
                f"database ({db.memory_gib:g} GiB)",
                threshold=round(memory_bytes * s.database_freeable_memory_percent.threshold / 100),
                metric_name="FreeableMemory",
                statistic="Average",
                **rds,
            ),
            self._alarm(
                "database-free-storage-low",
                f"database ({db.allocated_storage_gb} GB allocated)",
                threshold=round(db.allocated_storage_gb * GIB * s.database_free_storage_percent.threshold / 100),
                metric_name="FreeStorageSpace",
                statistic="Minimum",
                **rds,
            ),
            self._alarm(
                "database-connections-high",
                f"database (max_connections {max_connections})",
                threshold=round(max_connections * s.database_connections_percent.threshold / 100),
                metric_name="DatabaseConnections",
                statistic="Maximum",
                **rds,
            ),
        ]

    # Cache

    def _cache_alarms(self, cache: WatchedCache) -> list[aws.cloudwatch.MetricAlarm]:
        # ReplicationLag is reported by replicas only; on the primary the metric is missing (not
        # breaching). Every node gets one: after a failover another node is the primary.
        metrics = [("cpu", "EngineCPUUtilization", "Average"), ("memory", "DatabaseMemoryUsagePercentage", "Average")]
        metrics.append(("evictions", "Evictions", "Sum"))
        if cache.nodes > 1:
            metrics.append(("replication-lag", "ReplicationLag", "Maximum"))
        alarms = []
        for index in range(1, cache.nodes + 1):
            # ElastiCache names the member clusters of a replication group `<group>-001`, ...
            node = pulumi.Output.from_input(cache.replication_group_id).apply(lambda rg, i=index: f"{rg}-{i:03d}")
            alarms += [
                self._alarm(
                    f"cache-<n>-{short}",
                    f"cache node {index}",
                    fill={"n": index},
                    namespace="AWS/ElastiCache",
                    dimensions={"CacheClusterId": node},
                    metric_name=metric,
                    statistic=statistic,
                )
                for short, metric, statistic in metrics
            ]
        return alarms

    # Firewall

    def _firewall_alarms(self, web_acl_metric_name: pulumi.Input[str], region: str) -> list[aws.cloudwatch.MetricAlarm]:
        return [
            self._alarm(
                "waf-blocked-spike",
                "web ACL",
                namespace="AWS/WAFV2",
                metric_name="BlockedRequests",
                dimensions={"WebACL": web_acl_metric_name, "Region": region, "Rule": "ALL"},
                statistic="Sum",
            )
        ]

    # Deployment

    def _deployment_members(self, lb: WatchedLoadBalancer) -> list[aws.cloudwatch.MetricAlarm]:
        """Fast alarms on BOTH target groups (the one taking the new version alternates between
        deploys): the members of the deployment alarm. They notify the warning topic; the
        composite pages, once."""
        s = self._settings
        period = s.deployment_5xx_percent.period_seconds
        members = []
        for colour, target_group in lb.target_groups.items():
            dims = {"LoadBalancer": lb.arn_suffix, "TargetGroup": target_group}
            members.append(
                self._alarm(
                    "deploy-<colour>-5xx-rate",
                    f"{colour} target group",
                    fill={"colour": colour},
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
                    f"{colour} target group",
                    fill={"colour": colour},
                    namespace=ALB,
                    metric_name="UnHealthyHostCount",
                    dimensions=dims,
                    statistic="Maximum",
                )
            )
        return members

    def _deployment_alarm(self, members: Sequence[aws.cloudwatch.MetricAlarm]) -> aws.cloudwatch.CompositeAlarm:
        """The composite alarm ECS watches to roll a deploy back: any member in ALARM."""
        spec = KINDS["web-deployment"]
        name = spec.alarm_name()
        topic = self.topics[spec.severity].arn
        rule = pulumi.Output.all(*[m.name for m in members]).apply(
            lambda names: " OR ".join(f'ALARM("{n}")' for n in names)
        )
        return aws.cloudwatch.CompositeAlarm(
            f"{self._name}-{name}",
            alarm_name=f"{self._prefix}-{name}",
            alarm_description=f"[{spec.severity}] web service: {spec.watches}, {spec.condition}. {spec.action}",
            alarm_rule=rule,
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
            tags={"severity": spec.severity},
            # Formerly `<component>-deployment`: the alias takes the deployed alarm over, unreplaced.
            opts=child(self, aliases=[pulumi.Alias(name=f"{self._name}-deployment")]),
        )

    @staticmethod
    def rollback_seconds(settings: AlarmSettings) -> int:
        """Worst case from a bad version's first errors to production traffic back on the old
        version: the slower deployment alarm's time to fire, plus ECS's traffic shift."""
        detection = max(
            settings.deployment_5xx_percent.seconds_to_alarm, settings.deployment_unhealthy_hosts.seconds_to_alarm
        )
        return detection + ROLLBACK_TRAFFIC_SHIFT_SECONDS
