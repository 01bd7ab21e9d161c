"""RDS for PostgreSQL in the isolated subnets.

One instance (Multi-AZ where the settings say so) on gp3 storage that grows by itself, encrypted
with its own CMK, which also encrypts Performance Insights and the master secret. RDS manages the
master password in Secrets Manager, so no password is ever an input of this program; IAM database
authentication is on for application users. TLS is forced by the parameter group, slow queries
and connections are logged to KMS-encrypted log groups created here before RDS would create
unencrypted ones, and automated backups (point-in-time recovery) are kept for the configured
days and, where configured, copied to a second region under a key of that region.

The security group admits nobody until `allow_from` names a service's security group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.database import LOG_EXPORTS, DatabaseSettings

from .common import TYPE_PREFIX, AwsContext, ServiceLink, child, provided, service_trust_policy
from .datastore import DataStore, KeyAccess, physical_name
from .encryption import EncryptionKey, KeyArgs
from .read_replicas import ReplicaArgs, read_replicas

ENHANCED_MONITORING_POLICY = "policy/service-role/AmazonRDSEnhancedMonitoringRole"


@dataclass(frozen=True)
class DatabaseArgs:
    settings: DatabaseSettings
    context: AwsContext
    vpc_id: pulumi.Input[str]
    # The isolated subnets: no route to the internet.
    subnet_ids: Sequence[pulumi.Input[str]]
    log_key_arn: pulumi.Input[str]
    # A provider for `settings.backup_replication_region`; required when cross-region backups are on.
    backup_provider: pulumi.ProviderResource | None = None
    # Who the key policies name: administrators of both keys, consumers of the instance's key.
    key_access: KeyAccess = KeyAccess()
    # The AZs of the isolated subnets, which the read replicas spread over.
    availability_zones: Sequence[str] = ()


class Database(DataStore):
    """PostgreSQL on RDS with its key, subnet group, parameter group, security group, monitoring
    role, log groups and (optionally) cross-region backup replication."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:Database", name, opts)
        settings = args.settings
        self.port = settings.port
        self.identifier = physical_name(name)

        self._encryption_key(
            args.context,
            f"RDS {self.identifier}: storage, Performance Insights, master user secret",
            "rds",
            settings.protect,
            args.key_access,
        )
        self._security_group(args.vpc_id, f"PostgreSQL {self.identifier}: only from the services using it")
        self.subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(args.subnet_ids),
            description=f"Isolated subnets of {self.identifier}",
            opts=child(self),
        )
        self.parameter_group = self._parameter_group(name, settings)
        log_groups = self._log_groups(name, args)
        monitoring_role, monitoring_policy = self._monitoring_role(name, args.context, settings.read_replicas > 0)

        self.instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=self.identifier,
            engine="postgres",
            engine_version=settings.engine_version,
            instance_class=settings.instance_class,
            storage_type="gp3",
            allocated_storage=settings.allocated_storage_gb,
            max_allocated_storage=settings.max_allocated_storage_gb,
            storage_encrypted=True,
            kms_key_id=self.key.arn,
            db_name=settings.database_name,
            username=settings.master_username,
            port=settings.port,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=self.key.arn,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=self.subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            publicly_accessible=False,
            network_type="IPV4",
            multi_az=settings.multi_az,
            parameter_group_name=self.parameter_group.name,
            backup_retention_period=settings.backup_retention_days,
            backup_window=settings.backup_window,
            maintenance_window=settings.maintenance_window,
            copy_tags_to_snapshot=True,
            # Keep automated backups after a deletion, so point-in-time restore still works.
            delete_automated_backups=False,
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=settings.skip_final_snapshot,
            final_snapshot_identifier=None if settings.skip_final_snapshot else f"{self.identifier}-final",
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            monitoring_interval=settings.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=self.key.arn,
            performance_insights_retention_period=settings.performance_insights_retention_days,
            auto_minor_version_upgrade=True,
            ca_cert_identifier=settings.ca_certificate,
            apply_immediately=settings.apply_immediately,
            tags={"Name": self.identifier},
            opts=child(
                self,
                # protect: `pulumi destroy` or a replacing change must not delete the data.
                protect=settings.protect,
                # RDS would create the log groups unencrypted, without retention, on first export;
                # it must find ours. Enhanced monitoring validates the role's policy at create.
                depends_on=[*log_groups, monitoring_policy],
                # Multi-AZ creates and class changes of a loaded instance outlast the defaults.
                custom_timeouts=pulumi.CustomTimeouts(create="90m", update="120m", delete="90m"),
            ),
        )
        self.replicas = read_replicas(
            self,
            name,
            ReplicaArgs(
                settings=settings,
                primary=self.instance,
                identifier=self.identifier,
                subnet_group_name=self.subnet_group.name,
                security_group_id=self.security_group.id,
                parameter_group_name=self.parameter_group.name,
                key_arn=self.key.arn,
                log_key_arn=args.log_key_arn,
                monitoring_role_arn=monitoring_role.arn,
                availability_zones=args.availability_zones,
            ),
        )
        self.replica_ids: list[pulumi.Output[str]] = [replica.identifier for replica in self.replicas]
        self.reader_addresses: list[pulumi.Output[str]] = [replica.address for replica in self.replicas]
        self.backup_key: EncryptionKey | None = None
        self.backup_replication = self._backup_replication(name, args) if settings.cross_region_backups else None
        # The replicated automated backups in the backup region (its id is their ARN): what a
        # region-loss recovery restores from.
        self.replicated_backups_arn: pulumi.Output[str] | None = (
            self.backup_replication.id if self.backup_replication else None
        )

        self.instance_id: pulumi.Output[str] = self.instance.identifier
        self.address: pulumi.Output[str] = self.instance.address
        self.endpoint: pulumi.Output[str] = self.instance.endpoint
        self.database_name = settings.database_name
        self.secret_arn: pulumi.Output[str] = self.instance.master_user_secrets.apply(master_secret_arn)
        self.subnet_group_name: pulumi.Output[str] = self.subnet_group.name
        self.parameter_group_name: pulumi.Output[str] = self.parameter_group.name
        self.app_user = settings.app_user
        self.link = ServiceLink(
            environment={
                "DATABASE_HOST": self.address,
                "DATABASE_PORT": str(settings.port),
                "DATABASE_NAME": settings.database_name,
                # The read replicas' addresses, comma-separated; the primary's without replicas, so
                # an application reads from DATABASE_READ_HOSTS whether or not replicas exist.
                "DATABASE_READ_HOSTS": pulumi.Output.all(*(self.reader_addresses or [self.address])).apply(",".join),
                # IAM database authentication: the app mints a 15-minute token per connection
                # with its task role, so there is no password to inject or rotate.
                "DATABASE_USER": settings.app_user,
                # IAM auth needs TLS; verify-full also checks the server is this instance.
                "DATABASE_SSLMODE": "verify-full",
                "DATABASE_SSLROOTCERT": settings.ca_bundle_path,
            },
            secrets={},
            secret_arns=[],
            key_arns=[],
            task_statements=[
                {
                    "Sid": "ConnectAsAppUser",
                    "Effect": "Allow",
                    "Action": "rds-db:connect",
                    # The replicas are instances of their own (their own DbiResourceId).
                    "Resource": [
                        self.connect_arn(args.context, settings.app_user, instance)
                        for instance in [self.instance, *self.replicas]
                    ],
                }
            ],
        )
        self.register_outputs(
            {
                "instance_id": self.instance_id,
                "endpoint": self.endpoint,
                "port": settings.port,
                "database_name": self.database_name,
                "secret_arn": self.secret_arn,
                "security_group_id": self.security_group_id,
                "key_arn": self.key_arn,
            }
        )

    @staticmethod
    def connect_arn(context: AwsContext, user: str, instance: aws.rds.Instance) -> pulumi.Output[str]:
        """The ARN `rds-db:connect` grants logging in as `user` to `instance` with
        (`dbuser:<DbiResourceId>/<user>`, the partition from the provider)."""
        return instance.resource_id.apply(lambda resource_id: context.arn("rds-db", f"dbuser:{resource_id}/{user}"))

    def _parameter_group(self, name: str, settings: DatabaseSettings) -> aws.rds.ParameterGroup:
        return aws.rds.ParameterGroup(
            f"{name}-params",
            family=settings.parameter_group_family,
            description=f"PostgreSQL {settings.major_version} for {self.identifier}: TLS only, slow query logging",
            parameters=parameter_args(settings),
            opts=child(self),
        )

    def _log_groups(self, name: str, args: DatabaseArgs) -> list[aws.cloudwatch.LogGroup]:
        return [
            aws.cloudwatch.LogGroup(
                f"{name}-{export}-logs",
                name=f"/aws/rds/instance/{self.identifier}/{export}",
                retention_in_days=args.settings.log_retention_days,
                kms_key_id=args.log_key_arn,
                opts=child(self),
            )
            for export in LOG_EXPORTS
        ]

    def _monitoring_role(
        self, name: str, context: AwsContext, replicas: bool
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        # Confused-deputy protection: only this stack's instance (and its replicas, named
        # `<identifier>-replica-<n>`), in this account.
        instances = f"db:{self.identifier}" + ("*" if replicas else "")
        role = aws.iam.Role(
            f"{name}-monitoring-role",
            description=f"RDS enhanced monitoring of {self.identifier}",
            assume_role_policy=service_trust_policy(
                ["monitoring.rds.amazonaws.com"], context, source_arn=context.arn("rds", instances)
            ),
            opts=child(self),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=role.name,
            policy_arn=f"arn:{context.partition}:iam::aws:{ENHANCED_MONITORING_POLICY}",
            opts=child(self),
        )
        return role, attachment

    def _backup_replication(self, name: str, args: DatabaseArgs) -> aws.rds.InstanceAutomatedBackupsReplication:
        settings = args.settings
        if args.backup_provider is None:
            raise ValueError(f"{name}: cross-region backups need a provider for {settings.backup_replication_region}")
        # The copies are encrypted under a key of the destination region: KMS keys never leave theirs.
        self.backup_key = EncryptionKey(
            f"{name}-backup-encryption",
            KeyArgs(
                context=args.context,
                description=f"RDS {self.identifier}: automated backups replicated from {args.context.region}",
                # RDS copies the backups through the grant the deploying principal creates.
                administrators=args.key_access.administrators,
                protect=settings.protect,
                region=settings.backup_replication_region,
            ),
            opts=child(self, provider=args.backup_provider),
        )
        return aws.rds.InstanceAutomatedBackupsReplication(
            f"{name}-backup-replication",
            source_db_instance_arn=self.instance.arn,
            kms_key_id=self.backup_key.arn,
            retention_period=settings.backup_retention_days,
            # protect: removing it stops the copies the region-loss runbook restores from.
            opts=child(self, provider=args.backup_provider, protect=settings.protect),
        )


def parameter_args(settings: DatabaseSettings) -> list[aws.rds.ParameterGroupParameterArgs]:
    """The database's parameters (`DatabaseSettings.parameters`) as a parameter group takes them."""
    return [aws.rds.ParameterGroupParameterArgs(name=key, value=value) for key, value in settings.parameters.items()]


def master_secret_arn(secrets: Sequence[aws.rds.outputs.InstanceMasterUserSecret]) -> str:
    """The ARN of the master user secret RDS manages: exactly one exists when
    manage_master_user_password is on, and if RDS ever names none, the update stops, naming it."""
    return provided(secrets[0].secret_arn, "master user secret ARN")
