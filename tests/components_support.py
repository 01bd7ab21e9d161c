"""Single components built alone under the mocks, for tests that compare two settings of one
component: about 0.05 CPU-s a build, where a whole stack takes 0.6-0.9 CPU-s. Their inputs are
what the composition hands them, in AWS's formats; their settings come from a stack file with
overrides, through the same validation as a deploy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarms import Alarms, AlarmsArgs
from components.common import AwsContext, ServiceLink
from components.database import Database, DatabaseArgs
from components.database_bootstrap import DatabaseBootstrap, DatabaseBootstrapArgs
from components.network import Network, NetworkArgs
from components.watched import Watched, WatchedCache, WatchedDatabase, WatchedLoadBalancer, WatchedService
from settings import StackSettings, load_settings
from settings.functions import FunctionSettings
from settings.instance_classes import db_memory_gib
from tests.support import Synth, config_with

CONTEXT = AwsContext(account_id="123456789012", region="us-east-1")
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
VPC = "vpc-0123456789abcdef0"
PRIVATE_SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788", "subnet-0123abcd4567ef890"]
ISOLATED_SUBNETS = ["subnet-0b2c3d4e5f6071829", "subnet-0e1d2c3b4a5968778", "subnet-0fedcba9876543210"]
ENDPOINT_SG = "sg-0a1b2c3d4e5f60718"
LOG_KEY = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-4998-8776-655443322110"


def settings_with(stack: str, overrides: dict[str, Any]) -> StackSettings:
    """The stack's validated settings with these config overrides (tests.support.config_with)."""
    return load_settings(stack, config_with(stack, overrides))


def build(stack: str, program: Callable[[], None]) -> Synth:
    from tools.mocks import AwsMocks
    from tools.synth import RecordingMonitor, record

    return Synth(record(program, RecordingMonitor(AwsMocks(CONTEXT.region)), stack))


def export_link(link: ServiceLink) -> None:
    """What a data store hands the services it links to, as the stack output `link`: read back from
    the synth's outputs, with the values its resources resolved to."""
    pulumi.export(
        "link",
        {
            "environment": link.environment,
            "secrets": link.secrets,
            "secret_arns": link.secret_arns,
            "key_arns": link.key_arns,
            "task_statements": link.task_statements,
        },
    )


def network(stack: str, overrides: dict[str, Any]) -> Synth:
    """The Network component of `stack` with these config overrides, alone."""
    settings = settings_with(stack, overrides)

    def program() -> None:
        Network(
            "network",
            NetworkArgs(
                settings=settings.network,
                context=CONTEXT,
                availability_zones=ZONES,
                log_key_arn=LOG_KEY,
                endpoint_clients=[ENDPOINT_SG],
            ),
        )

    return build(stack, program)


def database(
    stack: str,
    overrides: dict[str, Any],
    *,
    bootstrap: bool = False,
    availability_zones: Sequence[str] = ZONES,
    through_provider: bool = False,
    bootstrap_log_retention_days: int | None = None,
    endpoint_security_group_id: str | None = ENDPOINT_SG,
) -> Synth:
    """The Database component of `stack` with these config overrides (and the bootstrap that
    creates its application role, if asked), alone, its replicas spread over
    `availability_zones`; a second-region provider for its replicated backups when the
    settings replicate them, as the composition makes. `through_provider` builds both through a
    stack provider (named aws), as the composition does; the bootstrap keeps its logs as long as
    the database's unless told otherwise, and reaches the AWS APIs through the interface
    endpoints' group `endpoint_security_group_id`, or through NAT (None)."""
    settings = settings_with(stack, overrides)

    def program() -> None:
        opts = pulumi.ResourceOptions(provider=aws.Provider("aws", region=CONTEXT.region)) if through_provider else None
        backup_provider = None
        if settings.database.cross_region_backups:
            backup_provider = aws.Provider("aws-backup-region", region=settings.database.backup_replication_region)
        store = Database(
            "database",
            DatabaseArgs(
                settings=settings.database,
                context=CONTEXT,
                vpc_id=VPC,
                subnet_ids=ISOLATED_SUBNETS,
                log_key_arn=LOG_KEY,
                backup_provider=backup_provider,
                availability_zones=availability_zones,
            ),
            opts=opts,
        )
        if bootstrap:
            DatabaseBootstrap(
                "db-bootstrap",
                DatabaseBootstrapArgs(
                    settings=FunctionSettings(
                        log_retention_days=settings.database.log_retention_days
                        if bootstrap_log_retention_days is None
                        else bootstrap_log_retention_days
                    ),
                    context=CONTEXT,
                    database=store,
                    vpc_id=VPC,
                    subnet_ids=PRIVATE_SUBNETS,
                    log_key_arn=LOG_KEY,
                    endpoint_security_group_id=endpoint_security_group_id,
                ),
                opts=opts,
            )

    return build(stack, program)


def alarms(stack: str, overrides: dict[str, Any]) -> Synth:
    """The Alarms component of `stack` with these config overrides, alone, watching what the
    composition would hand it: the ALB and its blue and green target groups, each service, the
    web ACL, the database and the cache, named by the ids CloudWatch publishes them under."""
    settings = settings_with(stack, overrides)
    prefix = f"webapp-{stack}"
    cache = settings.cache

    def program() -> None:
        Alarms(
            "alarms",
            AlarmsArgs(
                settings=settings.alarms,
                context=CONTEXT,
                watched=Watched(
                    load_balancer=WatchedLoadBalancer(
                        arn_suffix=f"app/{prefix}-alb/50dc6c495c0c9188",
                        target_groups={
                            "blue": f"targetgroup/{prefix}-blue/943f017f100becff",
                            "green": f"targetgroup/{prefix}-green/a1b2c3d4e5f60718",
                        },
                        minimum_healthy_hosts=settings.web_service.min_count,
                    ),
                    services=[
                        WatchedService(
                            name=service.name,
                            cluster_name=f"{prefix}-ecs",
                            service_name=service.name,
                            minimum_tasks=service.min_count,
                        )
                        for service in settings.services
                    ],
                    web_acl_metric_name=f"{prefix}-waf",
                    database=WatchedDatabase(
                        identifier=f"{prefix}-database",
                        allocated_storage_gb=settings.database.allocated_storage_gb,
                        memory_gib=db_memory_gib(settings.database.instance_class),
                    ),
                    cache=WatchedCache(
                        replication_group_id=f"{prefix}-cache",
                        nodes=cache.num_nodes,
                        shards=cache.shards if cache.clustered else 0,
                        replicas_per_shard=cache.replicas_per_shard,
                    ),
                ),
            ),
        )

    return build(stack, program)
