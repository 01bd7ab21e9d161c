"""ElastiCache (Valkey or Redis OSS) replication group in the isolated subnets.

Encrypted at rest with its own CMK and in transit with TLS required; clients authenticate with
an AUTH token that pulumi-random generates, kept in a Secrets Manager secret under the same key
and marked secret in the Pulumi state. Snapshots are kept for the configured days and a final
one is taken on delete; slow-log and engine-log go to KMS-encrypted CloudWatch log groups.

The security group admits nobody until `allow_from` names a service's security group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from settings.cache import CacheSettings

from .common import TYPE_PREFIX, AwsContext, ServiceLink, child
from .datastore import DataStore, KeyAccess, physical_name

PORT = 6379
LOG_TYPES = ("slow-log", "engine-log")
# ElastiCache accepts 16-128 printable characters except `@`, `"` and `/`; letters and digits
# only keep the token safe in URLs and shells too.
AUTH_TOKEN_LENGTH = 64
# SET replaces the token outright. ROTATE would keep accepting the old token, and, when a group
# had no token before, connections without any token (hashicorp/terraform-provider-aws#33439);
# the provider sends the strategy only when the token changes, so ROTATE could never be undone.
AUTH_TOKEN_UPDATE_STRATEGY = "SET"


@dataclass(frozen=True)
class CacheArgs:
    settings: CacheSettings
    context: AwsContext
    vpc_id: pulumi.Input[str]
    # The isolated subnets: no route to the internet.
    subnet_ids: Sequence[pulumi.Input[str]]
    log_key_arn: pulumi.Input[str]
    # Who the key policy names besides the account.
    key_access: KeyAccess = KeyAccess()


class Cache(DataStore):
    """The replication group with its key, AUTH token secret, subnet group, parameter group,
    security group and log groups."""

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:Cache", name, opts)
        settings = args.settings
        self.port = PORT
        label = physical_name(name)

        self._encryption_key(
            args.context,
            f"ElastiCache {label}: data at rest, snapshots, AUTH token secret",
            "elasticache",
            settings.protect,
            args.key_access,
        )
        self._security_group(args.vpc_id, f"{settings.engine} {label}: only from the services using it")
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(args.subnet_ids),
            description=f"Isolated subnets of {label}",
            opts=child(self),
        )
        parameter_group = aws.elasticache.ParameterGroup(
            f"{name}-params",
            family=settings.parameter_group_family,
            description=f"{settings.engine} {settings.engine_version} for {label}",
            parameters=[
                aws.elasticache.ParameterGroupParameterArgs(name="maxmemory-policy", value=settings.maxmemory_policy),
                # A cluster-mode-enabled group needs a parameter group with cluster-enabled=yes.
                *(
                    [aws.elasticache.ParameterGroupParameterArgs(name="cluster-enabled", value="yes")]
                    if settings.clustered
                    else []
                ),
            ],
            opts=child(self),
        )
        token = random.RandomPassword(
            f"{name}-auth-token",
            length=AUTH_TOKEN_LENGTH,
            special=False,
            opts=child(self),
        )
        self.token_secret = aws.secretsmanager.Secret(
            f"{name}-auth-token",
            description=f"AUTH token of {label}",
            kms_key_id=self.key.arn,
            recovery_window_in_days=30,
            opts=child(self),
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-auth-token",
            secret_id=self.token_secret.id,
            secret_string=token.result,
            opts=child(self),
        )
        log_groups = {
            log_type: aws.cloudwatch.LogGroup(
                f"{name}-{log_type}",
                name=f"/aws/elasticache/{label}/{log_type}",
                retention_in_days=settings.log_retention_days,
                kms_key_id=args.log_key_arn,
                opts=child(self),
            )
            for log_type in LOG_TYPES
        }

        self.replication_group = aws.elasticache.ReplicationGroup(
            f"{name}-group",
            description=f"{settings.engine} {settings.engine_version} for {pulumi.get_stack()}",
            engine=settings.engine,
            engine_version=settings.engine_version,
            node_type=settings.node_type,
            # Only sent for r6gd nodes, which require it (None leaves the input out for the others).
            data_tiering_enabled=settings.data_tiering or None,
            cluster_mode=settings.cluster_mode,
            # Cluster mode enabled: shards of a primary and its replicas; otherwise one shard of
            # num_nodes nodes. The inputs of the other mode stay unset (None).
            num_cache_clusters=None if settings.clustered else settings.num_nodes,
            num_node_groups=settings.shards if settings.clustered else None,
            replicas_per_node_group=settings.replicas_per_shard if settings.clustered else None,
            automatic_failover_enabled=settings.automatic_failover,
            multi_az_enabled=settings.multi_az,
            port=PORT,
            subnet_group_name=subnet_group.name,
            security_group_ids=[self.security_group.id],
            parameter_group_name=parameter_group.name,
            at_rest_encryption_enabled=True,
            kms_key_id=self.key.arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=token.result,
            auth_token_update_strategy=AUTH_TOKEN_UPDATE_STRATEGY,
            snapshot_retention_limit=settings.snapshot_retention_days,
            snapshot_window=settings.snapshot_window,
            maintenance_window=settings.maintenance_window,
            final_snapshot_identifier=f"{label}-final",
            auto_minor_version_upgrade=True,
            apply_immediately=settings.apply_immediately,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=group.name,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type=log_type,
                )
                for log_type, group in log_groups.items()
            ],
            tags={"Name": label},
            # protect: `pulumi destroy` or a replacing change must not drop the cache and its snapshots.
            opts=child(self, protect=settings.protect),
        )

        self.replication_group_id: pulumi.Output[str] = self.replication_group.id
        self.primary_endpoint: pulumi.Output[str] = self.replication_group.primary_endpoint_address
        self.reader_endpoint: pulumi.Output[str] = self.replication_group.reader_endpoint_address
        self.configuration_endpoint: pulumi.Output[str] = self.replication_group.configuration_endpoint_address
        self.clustered = settings.clustered
        # Cluster mode enabled: clients discover the shards through the configuration endpoint
        # (CLUSTER SLOTS) and read from replicas with READONLY; there is no primary or reader endpoint.
        hosts: dict[str, pulumi.Input[str]] = (
            {"CACHE_HOST": self.configuration_endpoint, "CACHE_CLUSTER_MODE": "enabled"}
            if settings.clustered
            else {"CACHE_HOST": self.primary_endpoint, "CACHE_READER_HOST": self.reader_endpoint}
        )
        self.token_secret_arn: pulumi.Output[str] = self.token_secret.arn
        self.link = ServiceLink(
            environment={
                **hosts,
                "CACHE_PORT": str(PORT),
                # In-transit encryption is required: clients must connect with TLS (rediss://).
                "CACHE_TLS": "true",
            },
            secrets={"CACHE_AUTH_TOKEN": self.token_secret_arn},
            secret_arns=[self.token_secret_arn],
            key_arns=[self.key_arn],
        )
        self.register_outputs(
            {
                "replication_group_id": self.replication_group_id,
                "primary_endpoint": self.primary_endpoint,
                "reader_endpoint": self.reader_endpoint,
                "port": PORT,
                "token_secret_arn": self.token_secret_arn,
                "security_group_id": self.security_group_id,
                "key_arn": self.key_arn,
            }
        )
