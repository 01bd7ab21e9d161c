"""CloudWatch alarms on every part of the stack, the SNS topics they notify, the deployment
(rollback) alarm ECS watches during blue/green deploys, the error-budget burn-rate alarms
(`slo.py`), and the stack's dashboard.

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
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.alarms import AlarmSettings

from .alarm_catalogue import CRITICAL, WARNING
from .alarm_factory import AlarmFactory, expression, metric_query
from .common import TYPE_PREFIX, AwsContext, child
from .dashboard import ALB, SloPanel, dashboard, dashboard_url
from .encryption import EncryptionKey, KeyArgs
from .slo import burn_rate_alarms, composite_names
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
        self._factory = AlarmFactory(
            parent=self,
            resource_prefix=name,
            name_prefix=self._prefix,
            settings=args.settings,
            topics={severity: topic.arn for severity, topic in self.topics.items()},
        )
        watched = args.watched
        members = self._deployment_members(watched.load_balancer)
        self.burn = burn_rate_alarms(self._factory, watched.load_balancer, args.settings.slo)
        self.alarms: list[aws.cloudwatch.MetricAlarm] = [
            *self._load_balancer_alarms(watched.load_balancer),
            *(alarm for service in watched.services for alarm in self._service_alarms(service)),
            *(self._database_alarms(watched.database) if watched.database else []),
            *(self._cache_alarms(watched.cache) if watched.cache else []),
            *self._firewall_alarms(watched.web_acl_metric_name, args.context.region),
            *members,
            *self.burn.members,
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
        self.slo_alarm_names = composite_names(self.burn)
        self.alarm_names = pulumi.Output.all(
            *[a.name for a in self.alarms], self.deployment_alarm_name, *self.slo_alarm_names
        )
        self.dashboard = dashboard(
            f"{name}-dashboard",
            self._prefix,
            watched,
            args.context.region,
            child(self),
            slo=SloPanel(args.settings.slo, [alarm.arn for alarm in self.burn.composites.values()]),
        )
        self.dashboard_url = dashboard_url(self.dashboard, args.context.region)
        self.register_outputs(
            {
                "critical_topic_arn": self.topics[CRITICAL].arn,
                "warning_topic_arn": self.topics[WARNING].arn,
                "alarm_names": self.alarm_names,
                "deployment_alarm_name": self.deployment_alarm_name,
                "slo_alarm_names": self.slo_alarm_names,
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

    # Load balancer

    def _load_balancer_alarms(self, lb: WatchedLoadBalancer) -> list[aws.cloudwatch.MetricAlarm]:
        s = self._settings
        dims = {"LoadBalancer": lb.arn_suffix}
        period = s.alb_5xx_percent.period_seconds
        alarms = [
            self._factory.alarm(
                "alb-5xx-rate",
                "ALB",
                metric_queries=[
                    metric_query("elb", ALB, "HTTPCode_ELB_5XX_Count", dims, "Sum", period),
                    metric_query("target", ALB, "HTTPCode_Target_5XX_Count", dims, "Sum", period),
                    metric_query("requests", ALB, "RequestCount", dims, "Sum", period),
                    expression(
                        "IF(requests > 0, 100 * (FILL(elb, 0) + FILL(target, 0)) / requests, 0)", "5xx rate (%)"
                    ),
                ],
            )
        ]
        alarms += [
            self._factory.alarm(
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
            self._factory.alarm(
                "alb-rejected-connections",
                "ALB",
                namespace=ALB,
                metric_name="RejectedConnectionCount",
                dimensions=dims,
                statistic="Sum",
            )
        )
        alarms += [
            self._factory.alarm(
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
            self._factory.alarm(
                "alb-healthy-hosts-low",
                f"web target groups (minCount {lb.minimum_healthy_hosts})",
                threshold=lb.minimum_healthy_hosts,
                missing="breaching",
                metric_queries=[
                    metric_query(
                        colour, ALB, "HealthyHostCount", {**dims, "TargetGroup": target_group}, "Minimum", period
                    )
                    for colour, target_group in lb.target_groups.items()
                ]
                + [expression(" + ".join(f"FILL({c}, 0)" for c in lb.target_groups), "healthy hosts")],
            )
        )
        return alarms

    # Services

    def _service_alarms(self, service: WatchedService) -> list[aws.cloudwatch.MetricAlarm]:
        dims = {"ClusterName": service.cluster_name, "ServiceName": service.service_name}
        alarms = [
            self._factory.alarm(
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
            self._factory.alarm(
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
            self._factory.alarm("database-cpu", "database", metric_name="CPUUtilization", statistic="Average", **rds),
            self._factory.alarm(
                "database-freeable-memory-low",
                f"database ({db.memory_gib:g} GiB)",
                threshold=round(memory_bytes * s.database_freeable_memory_percent.threshold / 100),
                metric_name="FreeableMemory",
                statistic="Average",
                **rds,
            ),
            self._factory.alarm(
                "database-free-storage-low",
                f"database ({db.allocated_storage_gb} GB allocated)",
                threshold=round(db.allocated_storage_gb * GIB * s.database_free_storage_percent.threshold / 100),
                metric_name="FreeStorageSpace",
                statistic="Minimum",
                **rds,
            ),
            self._factory.alarm(
                "database-connections-high",
                f"database (max_connections {max_connections})",
                threshold=round(max_connections * s.database_connections_percent.threshold / 100),
                metric_name="DatabaseConnections",
                statistic="Maximum",
                **rds,
            ),
            *(
                self._factory.alarm(
                    "database-replica-<n>-lag",
                    f"read replica {number}",
                    fill={"n": number},
                    namespace="AWS/RDS",
                    dimensions={"DBInstanceIdentifier": replica},
                    metric_name="ReplicaLag",
                    statistic="Maximum",
                )
                for number, replica in enumerate(db.replicas, start=1)
            ),
        ]

    # Cache

    def _cache_alarms(self, cache: WatchedCache) -> list[aws.cloudwatch.MetricAlarm]:
        # ReplicationLag is reported by replicas only; on the primary the metric is missing (not
        # breaching). Every node gets one: after a failover another node is the primary.
        metrics = [("cpu", "EngineCPUUtilization", "Average"), ("memory", "DatabaseMemoryUsagePercentage", "Average")]
        metrics.append(("evictions", "Evictions", "Sum"))
        if len(cache.node_suffixes()) > 1:
            metrics.append(("replication-lag", "ReplicationLag", "Maximum"))
        alarms = []
        for index, suffix in enumerate(cache.node_suffixes(), start=1):
            # Without cluster mode `cache-<n>-...` numbers the nodes (001 -> 1) as before; in cluster
            # mode <n> is the node's id (`0002-001`), stable when shards are added.
            label = suffix if cache.shards else index
            node = pulumi.Output.from_input(cache.replication_group_id).apply(lambda rg, s=suffix: f"{rg}-{s}")
            alarms += [
                self._factory.alarm(
                    f"cache-<n>-{short}",
                    f"cache node {label}",
                    fill={"n": label},
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
            self._factory.alarm(
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
        """Alarms on BOTH target groups (the one taking the new version alternates between
        deploys): 5xx rate, p95 latency and unhealthy targets, the members of the deployment alarm. They notify the warning topic; the
        composite pages, once."""
        s = self._settings
        period = s.deployment_5xx_percent.period_seconds
        latency_period = s.deployment_p95_seconds.period_seconds
        members = []
        for colour, target_group in lb.target_groups.items():
            dims = {"LoadBalancer": lb.arn_suffix, "TargetGroup": target_group}
            members.append(
                self._factory.alarm(
                    "deploy-<colour>-5xx-rate",
                    f"{colour} target group",
                    fill={"colour": colour},
                    metric_queries=[
                        metric_query("errors", ALB, "HTTPCode_Target_5XX_Count", dims, "Sum", period),
                        metric_query("requests", ALB, "RequestCount", dims, "Sum", period),
                        expression(
                            f"IF(requests >= {s.deployment_minimum_requests}, 100 * FILL(errors, 0) / requests, 0)",
                            "target 5xx rate (%)",
                        ),
                    ],
                )
            )
            members.append(
                self._factory.alarm(
                    "deploy-<colour>-latency-p95",
                    f"{colour} target group",
                    fill={"colour": colour},
                    metric_queries=[
                        metric_query("p95", ALB, "TargetResponseTime", dims, "p95", latency_period),
                        metric_query("requests", ALB, "RequestCount", dims, "Sum", latency_period),
                        # A p95 of a handful of test requests is noise, not a slow version.
                        expression(
                            f"IF(requests >= {s.deployment_minimum_requests}, FILL(p95, 0), 0)", "target p95 (s)"
                        ),
                    ],
                )
            )
            members.append(
                self._factory.alarm(
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
        return self._factory.composite(
            "web-deployment",
            "web service",
            members,
            "OR",
            # Formerly `<component>-deployment`: the alias takes the deployed alarm over, unreplaced.
            aliases=[pulumi.Alias(name=f"{self._name}-deployment")],
        )

    @staticmethod
    def rollback_seconds(settings: AlarmSettings) -> int:
        """Worst case from a bad version's first errors to production traffic back on the old
        version: the slower of the error alarms (5xx, unhealthy targets) to fire, plus ECS's
        traffic shift."""
        detection = max(
            settings.deployment_5xx_percent.seconds_to_alarm, settings.deployment_unhealthy_hosts.seconds_to_alarm
        )
        return detection + ROLLBACK_TRAFFIC_SHIFT_SECONDS

    @staticmethod
    def latency_rollback_seconds(settings: AlarmSettings) -> int:
        """Worst case from a slow version's first slow minute to production traffic back: the
        latency alarm holds for its whole window on purpose (p95 above the threshold for
        `deploymentP95Seconds`' datapoints x period), plus ECS's traffic shift."""
        return settings.deployment_p95_seconds.seconds_to_alarm + ROLLBACK_TRAFFIC_SHIFT_SECONDS
