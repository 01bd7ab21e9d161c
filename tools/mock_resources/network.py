"""What AWS returns for the network: the VPC and its subnets, gateways, routes, security groups
and rules, endpoints and flow logs, each with the EC2 id prefix of its kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.mock_resources.context import Generator, MockContext, State


def _ec2(prefix: str, kind: str | None = None, **extra: Callable[[MockContext], Any]) -> Generator:
    def generate(ctx: MockContext) -> State:
        resource_id = f"{prefix}-{ctx.hex(17)}"
        state = {"id": resource_id, "ownerId": ctx.account}
        if kind:
            state["arn"] = ctx.arn("ec2", f"{kind}/{resource_id}")
        state.update({key: fn(ctx) for key, fn in extra.items()})
        return state

    return generate


NETWORK: dict[str, Generator] = {
    "aws:ec2/vpc:Vpc": _ec2(
        "vpc",
        "vpc",
        defaultSecurityGroupId=lambda c: f"sg-{c.hex(17, 'sg')}",
        defaultRouteTableId=lambda c: f"rtb-{c.hex(17, 'rt')}",
        defaultNetworkAclId=lambda c: f"acl-{c.hex(17, 'acl')}",
        mainRouteTableId=lambda c: f"rtb-{c.hex(17, 'rt')}",
    ),
    "aws:ec2/subnet:Subnet": _ec2("subnet", "subnet", availabilityZoneId=lambda c: "use1-az1"),
    "aws:ec2/internetGateway:InternetGateway": _ec2("igw", "internet-gateway"),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb", "route-table"),
    "aws:ec2/route:Route": lambda c: {
        "id": f"r-{c.inputs.get('routeTableId', 'rtb')}{c.digits(10)}",
        "state": "active",
    },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _ec2("rtbassoc"),
    "aws:ec2/eip:Eip": lambda c: {
        "id": f"eipalloc-{c.hex(17)}",
        "allocationId": f"eipalloc-{c.hex(17)}",
        "publicIp": f"3.{int(c.hex(2), 16)}.{int(c.hex(2, 'b'), 16)}.{int(c.hex(2, 'c'), 16)}",
        "arn": c.arn("ec2", f"elastic-ip/eipalloc-{c.hex(17)}"),
    },
    "aws:ec2/natGateway:NatGateway": _ec2("nat", None, publicIp=lambda c: f"3.{int(c.hex(2), 16)}.0.1"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg", "security-group", name=lambda c: c.physical_name()),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _ec2("sg", "security-group", name=lambda c: "default"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ec2("sgr", "security-group-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _ec2("sgr", "security-group-rule"),
    # A gateway endpoint's routes name the service's AWS-managed prefix list (pl- and 8 hex digits).
    "aws:ec2/vpcEndpoint:VpcEndpoint": _ec2(
        "vpce",
        "vpc-endpoint",
        prefixListId=lambda c: (
            f"pl-{c.hex(8, 'prefix-list')}" if c.inputs.get("vpcEndpointType") == "Gateway" else None
        ),
    ),
    "aws:ec2/flowLog:FlowLog": _ec2("fl", "vpc-flow-log"),
}
