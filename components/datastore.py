"""What the database and the cache share: a security group that admits nothing until a service
is granted access with `allow_from`, and the `ServiceLink` the services consume."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .common import AwsContext, ServiceLink, child
from .encryption import EncryptionKey, KeyArgs


@dataclass(frozen=True)
class KeyAccess:
    """Who a data store's key policy names besides the account: its administrators (IAM role
    ARNs) and its consumers (the roles that read the store's secret, e.g. the services'
    execution roles; known only once they exist, hence an Output)."""

    administrators: Sequence[pulumi.Input[str]] = ()
    consumers: pulumi.Input[Sequence[str]] = ()


class DataStore(pulumi.ComponentResource):
    """Base of the data-tier components. Subclasses set `port`, `security_group` and `link`."""

    port: int
    security_group: aws.ec2.SecurityGroup
    security_group_id: pulumi.Output[str]
    link: ServiceLink
    key: EncryptionKey
    key_arn: pulumi.Output[str]

    def __init__(self, type_: str, name: str, opts: pulumi.ResourceOptions | None):
        super().__init__(type_, name, None, opts)
        self.name = name

    def _encryption_key(
        self, context: AwsContext, description: str, service: str, protect: bool, access: KeyAccess
    ) -> EncryptionKey:
        """The store's own CMK: its data and backups, and the secret its clients read. The
        consumers use it only through `service` and Secrets Manager."""
        self.key = EncryptionKey(
            f"{self.name}-encryption",
            KeyArgs(
                context=context,
                description=description,
                administrators=access.administrators,
                consumers=access.consumers,
                via_services=(service, "secretsmanager"),
                protect=protect,
            ),
            opts=child(self),
        )
        self.key_arn = self.key.arn
        return self.key

    def _security_group(self, vpc_id: pulumi.Input[str], description: str) -> aws.ec2.SecurityGroup:
        # No inline rules at all: ingress comes only from `allow_from` rules, so the group never
        # fights standalone rules, and no egress rule (the provider removes AWS's default
        # allow-all egress at creation; a data store answers connections and never opens any).
        group = aws.ec2.SecurityGroup(
            f"{self.name}-sg",
            vpc_id=vpc_id,
            description=description,
            tags={"Name": f"{self.name}"},
            opts=child(self),
        )
        self.security_group = group
        self.security_group_id = group.id
        return group

    def allow_from(self, name: str, source_security_group_id: pulumi.Input[str]) -> aws.vpc.SecurityGroupIngressRule:
        """Let the security group `source_security_group_id` (a service's tasks, named `name`)
        connect to this store's port, and nothing else."""
        return aws.vpc.SecurityGroupIngressRule(
            f"{self.name}-from-{name}",
            security_group_id=self.security_group.id,
            referenced_security_group_id=source_security_group_id,
            ip_protocol="tcp",
            from_port=self.port,
            to_port=self.port,
            description=f"{name} service to {self.name} on {self.port}",
            tags={"Name": f"{self.name}-from-{name}"},
            opts=child(self),
        )


def physical_name(name: str) -> str:
    """`<project>-<stack>-<name>` in letters, digits and single hyphens (what RDS identifiers and
    snapshot names accept): stable, so log groups, final snapshots and the restore runbook can
    name a data store before it exists."""
    raw = f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}".lower()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", raw)).strip("-")[:63].rstrip("-")
