"""Read replicas of the database's primary instance, children of the `Database` component.

Each replica copies the primary through RDS replication (`replicate_source_db`), in the primary's
DB subnet group (the isolated subnets) and security group, encrypted with the primary's key, with
its parameter group, IAM authentication, Performance Insights, Enhanced Monitoring and log exports
into KMS-encrypted log groups created first. Replicas go to the AZs other than the primary's, in
turn; with fewer AZs than replicas + 1 some share one. RDS picks the primary's AZ at create and a
Multi-AZ failover moves it, so a replica keeps the AZ it was created in (`ignore_changes`).

A replica has no automated backups of its own (PostgreSQL replicas do not support them) and no
final snapshot (RDS refuses one for a read replica): it holds a copy of the primary's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.database import LOG_EXPORTS, DatabaseSettings

from .common import child


@dataclass(frozen=True)
class ReplicaArgs:
    settings: DatabaseSettings
    primary: aws.rds.Instance
    identifier: str  # the primary's; replica n is `<identifier>-replica-<n>`
    subnet_group_name: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    parameter_group_name: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    log_key_arn: pulumi.Input[str]
    monitoring_role_arn: pulumi.Input[str]
    availability_zones: Sequence[str]


def replica_identifier(identifier: str, number: int) -> str:
    return f"{identifier}-replica-{number}"


def read_replicas(parent: pulumi.Resource, name: str, args: ReplicaArgs) -> list[aws.rds.Instance]:
    """`settings.read_replicas` replicas named `<name>-replica-<n>` (n from 1)."""
    return [_replica(parent, name, args, number) for number in range(1, args.settings.read_replicas + 1)]


def _replica(parent: pulumi.Resource, name: str, args: ReplicaArgs, number: int) -> aws.rds.Instance:
    settings = args.settings
    identifier = replica_identifier(args.identifier, number)
    log_groups = [
        aws.cloudwatch.LogGroup(
            f"{name}-replica-{number}-{export}-logs",
            name=f"/aws/rds/instance/{identifier}/{export}",
            retention_in_days=settings.log_retention_days,
            kms_key_id=args.log_key_arn,
            opts=child(parent),
        )
        for export in LOG_EXPORTS
    ]
    zones = list(args.availability_zones)
    zone = args.primary.availability_zone.apply(lambda primary: _zone(zones, primary, number)) if zones else None
    return aws.rds.Instance(
        f"{name}-replica-{number}",
        identifier=identifier,
        # The source's ARN: a same-region replica names a DB subnet group only with it.
        replicate_source_db=args.primary.arn,
        instance_class=settings.replica_class,
        db_subnet_group_name=args.subnet_group_name,
        vpc_security_group_ids=[args.security_group_id],
        availability_zone=zone,
        multi_az=False,
        publicly_accessible=False,
        network_type="IPV4",
        port=settings.port,
        storage_type="gp3",
        max_allocated_storage=settings.max_allocated_storage_gb,
        storage_encrypted=True,
        kms_key_id=args.key_arn,
        parameter_group_name=args.parameter_group_name,
        iam_database_authentication_enabled=True,
        copy_tags_to_snapshot=True,
        deletion_protection=settings.deletion_protection,
        # RDS takes no final snapshot of a read replica; the primary's backups hold the data.
        skip_final_snapshot=True,
        enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
        monitoring_interval=settings.monitoring_interval_seconds,
        monitoring_role_arn=args.monitoring_role_arn,
        performance_insights_enabled=True,
        performance_insights_kms_key_id=args.key_arn,
        performance_insights_retention_period=settings.performance_insights_retention_days,
        auto_minor_version_upgrade=True,
        ca_cert_identifier=settings.ca_certificate,
        maintenance_window=settings.maintenance_window,
        apply_immediately=settings.apply_immediately,
        tags={"Name": identifier, "replica-of": args.identifier},
        opts=child(
            parent,
            # Like the primary (the pack's deletion-protection control requires it in prod); removing
            # a replica takes `pulumi state unprotect` first (docs/data-tier.md).
            protect=settings.protect,
            depends_on=log_groups,
            ignore_changes=["availabilityZone"],
            custom_timeouts=pulumi.CustomTimeouts(create="90m", update="120m", delete="90m"),
        ),
    )


def _zone(zones: Sequence[str], primary: str | None, number: int) -> str:
    """Replica `number`'s AZ: the AZs other than the primary's in turn (the primary's when it is
    the only one)."""
    others = [zone for zone in zones if zone != primary] or list(zones)
    return others[(number - 1) % len(others)]
