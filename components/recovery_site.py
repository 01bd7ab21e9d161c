"""The recovery site: a pilot light in the backup region that a region-loss recovery restores the
database into (`python -m ops recover`).

Built through the backup region's provider when the database replicates its automated backups
there, it holds only what a restore needs and nothing billed by the hour: a VPC with a private
and an isolated subnet per AZ (no internet gateway, no NAT, no endpoints), a DB subnet group and a
cache subnet group on the isolated subnets, a parameter group with the primary's parameters, a
security group for the restored database that admits nothing, a KMS key for the restored data
(its master user secret, a cache restored next to it) and one for the flow logs.

The database's security group has no rule at all: recovery opens it once the service stack of the
backup region exists, with one ingress rule from that stack's services (docs/operations.md,
"Region loss"). RDS restores the storage under the key of the replicated backups (the restore API
takes no key); this site's key encrypts what the restore creates around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.database import DatabaseSettings
from settings.recovery import RECOVERY_TIERS, RecoverySettings

from .common import TYPE_PREFIX, AwsContext, child, tier_subnet
from .database import parameter_args
from .datastore import physical_name
from .encryption import EncryptionKey, KeyArgs
from .flow_logs import FlowLogArgs, flow_logs


@dataclass(frozen=True)
class RecoverySiteArgs:
    settings: RecoverySettings
    # The primary database's settings: port and parameters the restored instance keeps.
    database: DatabaseSettings
    # The stack's account and partition; the site's region is `region`.
    context: AwsContext
    region: str
    availability_zones: Sequence[str]
    # The roles every key policy of the stack names as administrators.
    key_administrators: Sequence[pulumi.Input[str]]
    # protect=True in prod: a recovered instance lives in these subnets, groups and keys.
    protect: bool


class RecoverySite(pulumi.ComponentResource):
    """VPC, subnets, subnet groups, parameter group, security group and keys in the backup region."""

    def __init__(self, name: str, args: RecoverySiteArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:RecoverySite", name, None, opts)
        settings, database = args.settings, args.database
        zones = list(args.availability_zones)[: settings.az_count]
        self.region = args.region
        self.identifier = physical_name(name)

        self.data_key = EncryptionKey(
            f"{name}-encryption",
            KeyArgs(
                context=args.context,
                description=f"{self.identifier}: data restored into {args.region} (master secret, cache)",
                # RDS, Secrets Manager and ElastiCache use it through the grants the principal
                # running the recovery creates; the recovered services become consumers then.
                administrators=args.key_administrators,
                protect=args.protect,
                region=args.region,
            ),
            opts=child(self),
        )
        logs_key = EncryptionKey(
            f"{name}-logs",
            KeyArgs(
                context=args.context,
                description=f"{self.identifier}: CloudWatch Logs in {args.region}",
                administrators=args.key_administrators,
                logs=True,
                protect=args.protect,
                region=args.region,
            ),
            opts=child(self),
        )
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{name}-vpc"},
            # protect: a recovered database sits in it.
            opts=child(self, protect=args.protect),
        )
        self.vpc_id: pulumi.Output[str] = self.vpc.id
        # Managed with no rules: anything launched without a security group gets no access.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[], opts=child(self))
        self.subnets = {
            tier: [
                tier_subnet(self, self.vpc.id, name, tier, i, zone, settings.subnet_cidr(tier, i))
                for i, zone in enumerate(zones)
            ]
            for tier in RECOVERY_TIERS
        }
        self.private_subnet_ids = [s.id for s in self.subnets["private"]]
        self.isolated_subnet_ids = [s.id for s in self.subnets["isolated"]]
        # One route table per tier with only the VPC's local route: no internet gateway, no NAT.
        for tier in RECOVERY_TIERS:
            self._route_table(name, tier)

        self.db_subnet_group = aws.rds.SubnetGroup(
            f"{name}-db-subnets",
            subnet_ids=self.isolated_subnet_ids,
            description=f"Isolated subnets of {self.identifier} for a restored database",
            # protect: a recovered instance cannot leave its subnet group.
            opts=child(self, protect=args.protect),
        )
        self.cache_subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-cache-subnets",
            subnet_ids=self.isolated_subnet_ids,
            description=f"Isolated subnets of {self.identifier} for a recreated cache",
            opts=child(self),
        )
        self.parameter_group = aws.rds.ParameterGroup(
            f"{name}-db-params",
            family=database.parameter_group_family,
            description=f"PostgreSQL {database.major_version} restored into {args.region}: the primary's parameters",
            parameters=parameter_args(database),
            opts=child(self),
        )
        # No rules at all (no inline ingress or egress): nothing reaches a restored instance until
        # the recovery adds a standalone ingress rule from the recovered services.
        self.database_security_group = aws.ec2.SecurityGroup(
            f"{name}-db-sg",
            vpc_id=self.vpc.id,
            description=f"Restored PostgreSQL of {self.identifier}: closed until recovery admits the services",
            tags={"Name": f"{name}-db"},
            opts=child(self),
        )
        flow_logs(
            self,
            name,
            FlowLogArgs(
                context=args.context,
                vpc_id=self.vpc.id,
                log_key_arn=logs_key.arn,
                retention_days=settings.flow_log_retention_days,
                region=args.region,
            ),
        )

        self.key_arn: pulumi.Output[str] = self.data_key.arn
        self.logs_key_arn: pulumi.Output[str] = logs_key.arn
        self.db_subnet_group_name: pulumi.Output[str] = self.db_subnet_group.name
        self.cache_subnet_group_name: pulumi.Output[str] = self.cache_subnet_group.name
        self.parameter_group_name: pulumi.Output[str] = self.parameter_group.name
        self.database_security_group_id: pulumi.Output[str] = self.database_security_group.id
        self.register_outputs(
            {
                "region": self.region,
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "isolated_subnet_ids": self.isolated_subnet_ids,
                "db_subnet_group_name": self.db_subnet_group_name,
                "cache_subnet_group_name": self.cache_subnet_group_name,
                "parameter_group_name": self.parameter_group_name,
                "database_security_group_id": self.database_security_group_id,
                "key_arn": self.key_arn,
                "logs_key_arn": self.logs_key_arn,
            }
        )

    def _route_table(self, name: str, tier: str) -> aws.ec2.RouteTable:
        table = aws.ec2.RouteTable(
            f"{name}-{tier}-rt", vpc_id=self.vpc.id, tags={"Name": f"{name}-{tier}"}, opts=child(self)
        )
        for subnet in self.subnets[tier]:
            aws.ec2.RouteTableAssociation(
                f"{subnet._name}-rta", route_table_id=table.id, subnet_id=subnet.id, opts=child(self)
            )
        return table
