"""VPC in three tiers across the configured AZs.

- public: the load balancer and the NAT gateways; the only tier with a route to the internet
  gateway.
- private: the Fargate tasks; egress to the internet only through NAT.
- isolated: the database and the cache; no route to the internet at all.

Flow logs of ALL traffic go to a KMS-encrypted log group; the default security group is taken
under management with no rules so nothing can use it by accident; an S3 gateway endpoint and
(optionally) interface endpoints keep image pulls, logs, secrets and traces off the NAT path.

Every endpoint has a policy that admits only this account's principals calling this account's
resources (`aws:PrincipalAccount`, `aws:ResourceAccount`); the S3 gateway endpoint also lets them
read ECR's image layers from AWS's `prod-<region>-starport-layer-bucket` (Amazon ECR User Guide,
"Amazon ECR interface VPC endpoints": "Minimum Amazon S3 bucket permissions"). The interface
endpoints' security group admits HTTPS only from the security groups the caller names
(`endpoint_clients`): the services', known once they exist, hence an Output.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.network import INTERFACE_ENDPOINTS, TIERS, NetworkSettings

from .common import TYPE_PREFIX, AwsContext, child, tier_subnet
from .flow_logs import FlowLogArgs, flow_logs


@dataclass(frozen=True)
class NetworkArgs:
    settings: NetworkSettings
    context: AwsContext
    availability_zones: Sequence[str]
    log_key_arn: pulumi.Input[str]
    # Security group ids the interface endpoints admit on 443 (the services', and any other
    # client's such as a function in the VPC).
    endpoint_clients: pulumi.Input[Sequence[str]] = ()


class Network(pulumi.ComponentResource):
    """The stack's VPC, subnets per tier and AZ, routing, endpoints and flow logs."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:Network", name, None, opts)
        settings = args.settings
        zones = list(args.availability_zones)[: settings.az_count]
        self.availability_zones = zones

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{name}-vpc"},
            opts=child(self),
        )
        self.vpc_id: pulumi.Output[str] = self.vpc.id
        # Managed with no rules: anything launched without a security group gets no access.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[], opts=child(self))

        self.subnets: dict[str, list[aws.ec2.Subnet]] = {
            tier: [
                tier_subnet(self, self.vpc.id, name, tier, index, zone, settings.subnet_cidr(tier, index))
                for index, zone in enumerate(zones)
            ]
            for tier in TIERS
        }
        self.public_subnet_ids = [s.id for s in self.subnets["public"]]
        self.private_subnet_ids = [s.id for s in self.subnets["private"]]
        self.isolated_subnet_ids = [s.id for s in self.subnets["isolated"]]

        internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{name}-igw"}, opts=child(self)
        )
        public_table = self._route_table(name, "public", self.subnets["public"])
        aws.ec2.Route(
            f"{name}-public-internet",
            route_table_id=public_table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=internet_gateway.id,
            opts=child(self),
        )
        self.nat_gateways = self._nat_gateways(name, settings, internet_gateway)
        self.private_route_tables = []
        for index, subnet in enumerate(self.subnets["private"]):
            table = self._route_table(name, f"private-{index}", [subnet])
            aws.ec2.Route(
                f"{name}-private-{index}-nat",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=self.nat_gateways[index % len(self.nat_gateways)].id,
                opts=child(self),
            )
            self.private_route_tables.append(table)
        # No route at all besides the VPC's local route and the S3 gateway endpoint.
        self.isolated_route_table = self._route_table(name, "isolated", self.subnets["isolated"])

        self._endpoints(name, args)
        self._flow_logs(name, args)

        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "isolated_subnet_ids": self.isolated_subnet_ids,
            }
        )

    def _route_table(self, name: str, role: str, subnets: Sequence[aws.ec2.Subnet]) -> aws.ec2.RouteTable:
        table = aws.ec2.RouteTable(
            f"{name}-{role}-rt", vpc_id=self.vpc.id, tags={"Name": f"{name}-{role}"}, opts=child(self)
        )
        for subnet in subnets:
            aws.ec2.RouteTableAssociation(
                f"{subnet._name}-rta",
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=child(self),
            )
        return table

    def _nat_gateways(
        self, name: str, settings: NetworkSettings, internet_gateway: aws.ec2.InternetGateway
    ) -> list[aws.ec2.NatGateway]:
        public = self.subnets["public"] if settings.nat_mode == "per-az" else self.subnets["public"][:1]
        gateways = []
        for index, subnet in enumerate(public):
            address = aws.ec2.Eip(
                f"{name}-nat-{index}-eip", domain="vpc", tags={"Name": f"{name}-nat-{index}"}, opts=child(self)
            )
            gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=address.allocation_id,
                    subnet_id=subnet.id,
                    connectivity_type="public",
                    tags={"Name": f"{name}-nat-{index}"},
                    opts=child(self, depends_on=[internet_gateway]),
                )
            )
        return gateways

    def _endpoints(self, name: str, args: NetworkArgs) -> None:
        context = args.context
        region = context.region
        s3 = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in self.private_route_tables] + [self.isolated_route_table.id],
            policy=endpoint_policy(context, ecr_layers=True),
            tags={"Name": f"{name}-s3"},
            opts=child(self),
        )
        # The prefix list of S3's addresses in the region: what the services' egress rule names.
        self.s3_prefix_list_id: pulumi.Output[str] = s3.prefix_list_id
        self.endpoint_security_group_id: pulumi.Output[str] | None = None
        self.interface_endpoints: list[aws.ec2.VpcEndpoint] = []
        if not args.settings.interface_endpoints:
            return
        # Inline ingress (one authoritative list): the group has no standalone rules.
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=self.vpc.id,
            description="HTTPS from inside the VPC to AWS interface endpoints",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="HTTPS from the services and functions using the endpoints",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    security_groups=args.endpoint_clients,
                )
            ],
            egress=[],
            tags={"Name": f"{name}-endpoints"},
            opts=child(self),
        )
        self.endpoint_security_group_id = endpoint_sg.id
        self.interface_endpoints = [
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=self.private_subnet_ids[: args.settings.endpoint_az_count],
                security_group_ids=[endpoint_sg.id],
                policy=endpoint_policy(context),
                tags={"Name": f"{name}-{service}"},
                opts=child(self),
            )
            for service in INTERFACE_ENDPOINTS
        ]

    def _flow_logs(self, name: str, args: NetworkArgs) -> None:
        flow_logs(
            self,
            name,
            FlowLogArgs(
                context=args.context,
                vpc_id=self.vpc.id,
                log_key_arn=args.log_key_arn,
                retention_days=args.settings.flow_log_retention_days,
            ),
        )


def endpoint_policy(context: AwsContext, ecr_layers: bool = False) -> str:
    """A VPC endpoint policy: this account's principals calling this account's resources; with
    `ecr_layers` (the S3 gateway endpoint) also reading ECR's image layers, which live in an
    AWS-owned bucket of the region."""
    account = context.account_id
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ThisAccountOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account, "aws:ResourceAccount": account}},
        }
    ]
    if ecr_layers:
        statements.append(
            {
                "Sid": "EcrImageLayers",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:{context.partition}:s3:::prod-{context.region}-starport-layer-bucket/*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": account}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
