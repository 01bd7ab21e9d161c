"""What the provider calls for the network (components/network.py, flow_logs.py): the VPC, its
subnets, gateways, routes, security groups and rules, endpoints and flow logs. Every EC2 resource
is tagged with CreateTags/DeleteTags."""

from __future__ import annotations

from tools.iam_actions.model import EC2_TAGS, Actions, service_actions

NETWORK: dict[str, Actions] = {
    "aws:ec2/vpc:Vpc": service_actions(
        "ec2",
        f"CreateVpc ModifyVpcAttribute {EC2_TAGS}",
        "DescribeVpcs DescribeVpcAttribute DescribeNetworkAcls DescribeRouteTables DescribeSecurityGroups",
        f"ModifyVpcAttribute {EC2_TAGS}",
        "DeleteVpc",
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": service_actions(
        "ec2",
        f"RevokeSecurityGroupIngress RevokeSecurityGroupEgress {EC2_TAGS}",
        "DescribeSecurityGroups",
        f"AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress "
        f"RevokeSecurityGroupEgress {EC2_TAGS}",
        # Removing it from the program only forgets it: a VPC's default group cannot be deleted.
        "RevokeSecurityGroupIngress RevokeSecurityGroupEgress",
    ),
    "aws:ec2/subnet:Subnet": service_actions(
        "ec2",
        f"CreateSubnet ModifySubnetAttribute {EC2_TAGS}",
        "DescribeSubnets",
        f"ModifySubnetAttribute {EC2_TAGS}",
        "DeleteSubnet DescribeNetworkInterfaces",
    ),
    "aws:ec2/internetGateway:InternetGateway": service_actions(
        "ec2",
        f"CreateInternetGateway AttachInternetGateway {EC2_TAGS}",
        "DescribeInternetGateways",
        f"AttachInternetGateway DetachInternetGateway {EC2_TAGS}",
        "DetachInternetGateway DeleteInternetGateway",
    ),
    "aws:ec2/eip:Eip": service_actions(
        "ec2",
        f"AllocateAddress {EC2_TAGS}",
        "DescribeAddresses DescribeAddressesAttribute",
        EC2_TAGS,
        "DisassociateAddress ReleaseAddress",
    ),
    "aws:ec2/natGateway:NatGateway": service_actions(
        "ec2",
        f"CreateNatGateway {EC2_TAGS}",
        "DescribeNatGateways",
        EC2_TAGS,
        "DeleteNatGateway",
    ),
    "aws:ec2/routeTable:RouteTable": service_actions(
        "ec2",
        f"CreateRouteTable {EC2_TAGS}",
        "DescribeRouteTables",
        f"CreateRoute ReplaceRoute DeleteRoute {EC2_TAGS}",
        "DeleteRouteTable",
    ),
    "aws:ec2/route:Route": service_actions(
        "ec2",
        "CreateRoute",
        "DescribeRouteTables",
        "ReplaceRoute",
        "DeleteRoute",
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": service_actions(
        "ec2",
        "AssociateRouteTable",
        "DescribeRouteTables",
        "ReplaceRouteTableAssociation",
        "DisassociateRouteTable",
    ),
    "aws:ec2/securityGroup:SecurityGroup": service_actions(
        "ec2",
        f"CreateSecurityGroup RevokeSecurityGroupEgress {EC2_TAGS}",
        "DescribeSecurityGroups DescribeSecurityGroupRules",
        EC2_TAGS,
        "DeleteSecurityGroup DescribeNetworkInterfaces",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": service_actions(
        "ec2",
        f"AuthorizeSecurityGroupIngress {EC2_TAGS}",
        "DescribeSecurityGroupRules",
        f"ModifySecurityGroupRules {EC2_TAGS}",
        "RevokeSecurityGroupIngress",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": service_actions(
        "ec2",
        f"AuthorizeSecurityGroupEgress {EC2_TAGS}",
        "DescribeSecurityGroupRules",
        f"ModifySecurityGroupRules {EC2_TAGS}",
        "RevokeSecurityGroupEgress",
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": service_actions(
        "ec2",
        f"CreateVpcEndpoint {EC2_TAGS}",
        "DescribeVpcEndpoints DescribePrefixLists DescribeVpcEndpointServices",
        f"ModifyVpcEndpoint {EC2_TAGS}",
        "DeleteVpcEndpoints",
    ),
    "aws:ec2/flowLog:FlowLog": service_actions(
        "ec2",
        f"CreateFlowLogs iam:PassRole {EC2_TAGS}",
        "DescribeFlowLogs",
        EC2_TAGS,
        "DeleteFlowLogs",
    ),
}
