"""The network component: tiers, routing, NAT, flow logs and stable subnet addressing."""

from __future__ import annotations

import ipaddress
import json
import re

import pytest

from settings.network import INTERFACE_ENDPOINTS
from tests.components_support import network
from tests.support import Synth, primary_region, rejection

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


@pytest.fixture(scope="module")
def prod(prod: Synth) -> Synth:
    """Prod's primary region: the recovery site's VPC has tests of its own (test_recovery_site)."""
    return primary_region(prod)


def subnets_by_tier(stack: Synth) -> dict[str, list[dict]]:
    tiers: dict[str, list[dict]] = {}
    for subnet in stack.of_type(SUBNET):
        tiers.setdefault(subnet["inputs"]["tags"]["tier"], []).append(subnet)
    return tiers


def test_prod_has_three_tiers_in_each_of_three_azs(prod):
    tiers = subnets_by_tier(prod)
    assert {tier: len(subnets) for tier, subnets in tiers.items()} == {"public": 3, "private": 3, "isolated": 3}
    for subnets in tiers.values():
        assert sorted(s["inputs"]["availabilityZone"] for s in subnets) == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_subnets_fit_the_vpc_and_do_not_overlap(prod):
    vpc = ipaddress.ip_network(prod.one("aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"])
    networks = [ipaddress.ip_network(s["inputs"]["cidrBlock"]) for s in prod.of_type(SUBNET)]
    assert all(n.subnet_of(vpc) for n in networks)
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])


def test_no_subnet_assigns_public_ips(prod):
    assert all(s["inputs"]["mapPublicIpOnLaunch"] is False for s in prod.of_type(SUBNET))


def test_isolated_subnets_have_no_route_to_the_internet(prod):
    for subnet in subnets_by_tier(prod)["isolated"]:
        assert prod.routes_of(prod.route_table_of(subnet)) == []


def test_private_subnets_leave_only_through_their_own_az_nat(prod):
    for subnet in subnets_by_tier(prod)["private"]:
        (route,) = prod.routes_of(prod.route_table_of(subnet))
        assert route["inputs"]["destinationCidrBlock"] == "0.0.0.0/0"
        (nat,) = prod.depends_on(route, "natGatewayId")
        (nat_subnet,) = prod.depends_on(nat, "subnetId")
        assert nat_subnet["inputs"]["tags"]["tier"] == "public"
        assert nat_subnet["inputs"]["availabilityZone"] == subnet["inputs"]["availabilityZone"]


def test_only_public_subnets_route_to_the_internet_gateway(prod):
    gateway_routes = [r for r in prod.of_type(ROUTE) if "gatewayId" in r["inputs"]]
    (table,) = {prod.depends_on(r, "routeTableId")[0]["name"] for r in gateway_routes}
    public_tables = {prod.route_table_of(s)["name"] for s in subnets_by_tier(prod)["public"]}
    assert public_tables == {table}


def test_prod_runs_one_nat_gateway_per_az(prod):
    assert len(prod.of_type("aws:ec2/natGateway:NatGateway")) == 3


def test_staging_shares_a_single_nat_gateway(staging):
    assert len(staging.of_type("aws:ec2/natGateway:NatGateway")) == 1
    nat_routes = [r for r in staging.of_type(ROUTE) if "natGatewayId" in r["inputs"]]
    assert len(nat_routes) == 2


def test_flow_logs_capture_all_traffic_into_an_encrypted_log_group(prod):
    flow_log = prod.one("aws:ec2/flowLog:FlowLog")
    assert flow_log["inputs"]["trafficType"] == "ALL"
    assert prod.depends_on(flow_log, "vpcId")[0]["type"] == "aws:ec2/vpc:Vpc"
    (log_group,) = prod.depends_on(flow_log, "logDestination")
    assert log_group["inputs"]["retentionInDays"] == 365
    assert prod.depends_on(log_group, "kmsKeyId")[0]["type"] == "aws:kms/key:Key"


def test_flow_log_role_trusts_only_flow_logs_of_this_account(prod):
    flow_log = prod.one("aws:ec2/flowLog:FlowLog")
    (role,) = prod.depends_on(flow_log, "iamRoleArn")
    (statement,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


def test_default_security_group_is_managed_with_no_rules(prod):
    default_sg = prod.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg["inputs"].get("ingress", []) == []
    assert default_sg["inputs"].get("egress", []) == []


def test_s3_gateway_endpoint_serves_private_and_isolated_tiers(prod):
    endpoint = next(
        e for e in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e["inputs"]["vpcEndpointType"] == "Gateway"
    )
    assert endpoint["inputs"]["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert len(endpoint["inputs"]["routeTableIds"]) == 4


def test_interface_endpoints_can_be_switched_off(staging):
    # Pulumi.staging.yaml switches them off: AWS API traffic takes its single NAT gateway.
    types = [e["inputs"]["vpcEndpointType"] for e in staging.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")]
    assert types == ["Gateway"]


def interface_endpoint_subnets(stack: Synth) -> list[list[str]]:
    return [
        e["propertyDependencies"]["subnetIds"]
        for e in stack.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e["inputs"]["vpcEndpointType"] == "Interface"
    ]


def test_prod_interface_endpoints_have_an_interface_in_every_private_subnet(prod):
    private = sorted(s["urn"] for s in subnets_by_tier(prod)["private"])
    assert [sorted(urns) for urns in interface_endpoint_subnets(prod)] == [private] * len(INTERFACE_ENDPOINTS)


def test_interface_endpoints_can_sit_in_the_first_az_only(optional_staging):
    # Its interface endpoints are on, in one AZ.
    stack = optional_staging
    first = next(s["urn"] for s in subnets_by_tier(stack)["private"] if s["name"] == "network-private-0")
    assert interface_endpoint_subnets(stack) == [[first]] * len(INTERFACE_ENDPOINTS)


def test_interface_endpoints_cannot_sit_in_more_azs_than_the_vpc_spans():
    assert rejection("staging", {"webapp:network": {"interfaceEndpointAzCount": 3}}) == [
        "staging: network.interfaceEndpointAzCount: must be at most azCount (2) (got 3)"
    ]


def test_prod_interface_endpoints_stay_in_every_az():
    assert rejection("prod", {"webapp:network": {"interfaceEndpointAzCount": 2}}) == [
        "prod: network.interfaceEndpointAzCount: prod places interface endpoints in every AZ (got 2)"
    ]


def interface_endpoints(stack: Synth) -> list[dict]:
    return [e for e in stack.of_type(ENDPOINT) if e["inputs"]["vpcEndpointType"] == "Interface"]


def test_interface_endpoints_cover_image_pulls_logs_secrets_and_traces(prod):
    services = {e["inputs"]["serviceName"].removeprefix("com.amazonaws.us-east-1.") for e in interface_endpoints(prod)}
    assert services == {"ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts", "xray"}


def test_every_endpoint_admits_only_this_accounts_principals_to_this_accounts_resources(prod):
    for endpoint in prod.of_type(ENDPOINT):
        first = json.loads(endpoint["inputs"]["policy"])["Statement"][0]
        assert (first["Action"], first["Resource"]) == ("*", "*")
        assert first["Condition"] == {
            "StringEquals": {"aws:PrincipalAccount": "123456789012", "aws:ResourceAccount": "123456789012"}
        }


def test_the_s3_endpoint_also_lets_this_account_read_ecr_image_layers(prod):
    s3 = prod.named("network-s3")
    layers = json.loads(s3["inputs"]["policy"])["Statement"][1]
    assert (layers["Action"], layers["Resource"]) == (
        "s3:GetObject",
        "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
    )
    assert layers["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}


def test_the_s3_endpoint_exposes_its_prefix_list(prod):
    assert re.fullmatch(r"pl-[0-9a-f]{8}", prod.named("network-s3")["outputs"]["prefixListId"])


def test_the_endpoints_admit_https_only_from_the_services_and_the_database_bootstrap(prod):
    group = prod.named("network-endpoints-sg")
    (ingress,) = group["inputs"]["ingress"]
    assert (ingress["fromPort"], ingress["toPort"], ingress.get("cidrBlocks")) == (443.0, 443.0, None)
    assert ingress["securityGroups"] == [prod.named("web-sg")["id"], prod.named("db-bootstrap-function-sg")["id"]]
    assert group["inputs"]["egress"] == []


def test_adding_an_az_keeps_every_existing_subnet_unchanged(staging):
    # The network component alone, over staging's two AZs and then three.
    two, three = (network("staging", {"webapp:network": {"azCount": n}}) for n in (2, 3))
    before = {s["name"]: s["inputs"]["cidrBlock"] for s in two.of_type(SUBNET)}
    after = {s["name"]: s["inputs"]["cidrBlock"] for s in three.of_type(SUBNET)}
    assert before == {s["name"]: s["inputs"]["cidrBlock"] for s in staging.of_type(SUBNET)}
    assert len(after) == len(before) + 3
    assert {name: after[name] for name in before} == before


def test_every_aws_resource_gets_the_stack_tags_from_its_provider(prod):
    aws_resources = [r for r in prod.resources if r["type"].startswith("aws:")]
    assert all(r["provider"] for r in aws_resources), "a resource fell back to the default provider"
    used = {r["provider"].rsplit("::", 1)[0] for r in aws_resources}
    for urn in used:
        tags = json.loads(prod.by_urn[urn]["inputs"]["defaultTags"])["tags"]
        assert tags["environment"] == "prod" and tags["managed-by"] == "pulumi"
