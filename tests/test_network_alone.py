"""The network component built alone (tests.components_support), with settings away from the
defaults so that an input left out cannot hide behind an AWS or profile default: a /20 VPC, three
AZs behind a single NAT gateway with the interface endpoints in the first two, flow logs kept 90
days; and two AZs of three offered, one NAT gateway each, without interface endpoints. Each
resource's inputs are read whole: what AWS gets."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.network import Network, NetworkArgs
from settings.network import INTERFACE_ENDPOINTS
from tests.components_support import CONTEXT, ENDPOINT_SG, LOG_KEY, ZONES, build, network, settings_with
from tests.support import Synth

SINGLE_NAT = {
    "webapp:network": {
        "vpcCidr": "10.30.0.0/20",
        "azCount": 3,
        "natMode": "single",
        "interfaceEndpoints": True,
        "interfaceEndpointAzCount": 2,
        "flowLogRetentionDays": 90,
    }
}
# Two of the three zones offered (components_support.ZONES), a NAT gateway in each.
PER_AZ = {"webapp:network": {"azCount": 2, "natMode": "per-az", "interfaceEndpoints": False}}
ACCOUNT = "123456789012"
THIS_ACCOUNT_ONLY = {
    "Sid": "ThisAccountOnly",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "*",
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}},
}


@pytest.fixture(scope="module")
def single() -> Synth:
    return network("staging", SINGLE_NAT)


@pytest.fixture(scope="module")
def per_az() -> Synth:
    return network("staging", PER_AZ)


def inputs(stack: Synth, name: str) -> dict:
    return stack.named(name)["inputs"]


def id_of(stack: Synth, name: str) -> str:
    return stack.named(name)["id"]


def names_of(stack: Synth, type_: str) -> list[str]:
    return sorted(r["name"] for r in stack.of_type(type_))


def policy_text(*statements: dict) -> str:
    # Keys sorted: the text does not depend on the order the program writes them in, so
    # reordering them in the code shows no policy change in a plan.
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def test_every_resource_is_a_child_of_the_network(single):
    # Its children move, are previewed and are deleted with it (and take the stack's provider
    # through it in the composition).
    (component,) = (r for r in single.resources if r["type"] == "webapp:components:Network")
    assert {r["name"]: r["parent"] for r in single.resources if r["custom"]} == {
        r["name"]: component["urn"] for r in single.resources if r["custom"]
    }


def test_the_vpc_has_the_configured_range_and_resolves_dns_names(single):
    # DNS support and hostnames: the interface endpoints' private DNS names need both (Amazon
    # VPC User Guide, "DNS attributes for your VPC").
    assert inputs(single, "network-vpc") == {
        "cidrBlock": "10.30.0.0/20",
        "enableDnsHostnames": True,
        "enableDnsSupport": True,
        "tags": {"Name": "network-vpc"},
    }


def test_the_default_security_group_of_the_vpc_is_emptied(single):
    # FSBP EC2.2: the VPC default security group allows no inbound or outbound traffic.
    assert inputs(single, "network-default-sg") == {"vpcId": id_of(single, "network-vpc"), "ingress": [], "egress": []}


def test_only_the_configured_number_of_zones_get_subnets(per_az):
    # Three zones offered, azCount 2: each tier in the first two.
    assert names_of(per_az, "aws:ec2/subnet:Subnet") == [
        f"network-{tier}-{index}" for tier in ("isolated", "private", "public") for index in (0, 1)
    ]
    assert [inputs(per_az, f"network-private-{i}")["availabilityZone"] for i in (0, 1)] == ["us-east-1a", "us-east-1b"]


def test_each_subnet_gets_its_tiers_block_of_the_vpc_in_its_zone(single):
    subnets = {r["name"]: r["inputs"] for r in single.of_type("aws:ec2/subnet:Subnet")}
    assert subnets == {
        f"network-{tier}-{index}": {
            "vpcId": id_of(single, "network-vpc"),
            "cidrBlock": f"10.30.{block * 4 + index}.0/24",
            "availabilityZone": zone,
            "mapPublicIpOnLaunch": False,
            "tags": {"Name": f"network-{tier}-{zone}", "tier": tier},
        }
        for block, tier in enumerate(("public", "private", "isolated"))
        for index, zone in enumerate(ZONES)
    }


def test_the_internet_gateway_is_attached_to_the_vpc(single):
    assert inputs(single, "network-igw") == {"vpcId": id_of(single, "network-vpc"), "tags": {"Name": "network-igw"}}


def test_route_tables_one_public_one_per_private_subnet_one_isolated(single):
    tables = {r["name"]: r["inputs"] for r in single.of_type("aws:ec2/routeTable:RouteTable")}
    vpc = id_of(single, "network-vpc")
    roles = ["isolated", "private-0", "private-1", "private-2", "public"]
    assert tables == {f"network-{role}-rt": {"vpcId": vpc, "tags": {"Name": f"network-{role}"}} for role in roles}


def test_each_subnet_is_associated_with_its_tiers_table(single):
    associations = {
        r["name"]: r["inputs"] for r in single.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    }
    table = {
        **{f"network-{tier}-{i}": f"network-{tier}-rt" for tier in ("public", "isolated") for i in range(3)},
        **{f"network-private-{i}": f"network-private-{i}-rt" for i in range(3)},
    }
    assert associations == {
        f"{subnet}-rta": {"routeTableId": id_of(single, rt), "subnetId": id_of(single, subnet)}
        for subnet, rt in table.items()
    }


def test_the_public_table_routes_to_the_internet_gateway(single):
    assert inputs(single, "network-public-internet") == {
        "routeTableId": id_of(single, "network-public-rt"),
        "destinationCidrBlock": "0.0.0.0/0",
        "gatewayId": id_of(single, "network-igw"),
    }


def test_a_single_nat_gateway_sits_in_the_first_public_subnet_with_its_own_address(single):
    assert names_of(single, "aws:ec2/natGateway:NatGateway") == ["network-nat-0"]
    assert inputs(single, "network-nat-0-eip") == {"domain": "vpc", "tags": {"Name": "network-nat-0"}}
    assert inputs(single, "network-nat-0") == {
        "allocationId": single.named("network-nat-0-eip")["outputs"]["allocationId"],
        "subnetId": id_of(single, "network-public-0"),
        "connectivityType": "public",
        "tags": {"Name": "network-nat-0"},
    }


def test_a_nat_gateway_waits_for_the_internet_gateway(per_az):
    # A public NAT gateway needs the VPC's internet gateway (Amazon VPC User Guide, "NAT
    # gateways"); no input of the NAT gateway names it, so only depends_on orders them (as the
    # AWS provider's NatGateway docs recommend).
    igw = per_az.named("network-igw")["urn"]
    assert [per_az.named(f"network-nat-{i}")["options"]["dependsOn"] for i in (0, 1)] == [[igw], [igw]]


def test_every_private_table_routes_to_the_single_nat_gateway(single):
    nat = id_of(single, "network-nat-0")
    assert [inputs(single, f"network-private-{i}-nat") for i in range(3)] == [
        {
            "routeTableId": id_of(single, f"network-private-{i}-rt"),
            "destinationCidrBlock": "0.0.0.0/0",
            "natGatewayId": nat,
        }
        for i in range(3)
    ]


def test_per_az_each_private_table_routes_to_the_nat_gateway_of_its_own_zone(per_az):
    # An AZ outage then takes only that AZ's egress with it.
    assert [inputs(per_az, f"network-nat-{i}")["subnetId"] for i in (0, 1)] == [
        id_of(per_az, f"network-public-{i}") for i in (0, 1)
    ]
    assert [inputs(per_az, f"network-private-{i}-nat")["natGatewayId"] for i in (0, 1)] == [
        id_of(per_az, f"network-nat-{i}") for i in (0, 1)
    ]


def test_the_s3_gateway_endpoint_serves_the_private_and_isolated_tables_and_ecr_layers(single):
    assert inputs(single, "network-s3") == {
        "vpcId": id_of(single, "network-vpc"),
        "serviceName": "com.amazonaws.us-east-1.s3",
        "vpcEndpointType": "Gateway",
        "routeTableIds": [
            id_of(single, t)
            for t in ("network-private-0-rt", "network-private-1-rt", "network-private-2-rt", "network-isolated-rt")
        ],
        "policy": policy_text(
            THIS_ACCOUNT_ONLY,
            {
                "Sid": "EcrImageLayers",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
            },
        ),
        "tags": {"Name": "network-s3"},
    }


def test_the_endpoints_security_group_admits_https_from_the_named_clients_only(single):
    assert inputs(single, "network-endpoints-sg") == {
        "vpcId": id_of(single, "network-vpc"),
        "description": "HTTPS from inside the VPC to AWS interface endpoints",
        "ingress": [
            {
                "description": "HTTPS from the services and functions using the endpoints",
                "protocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "securityGroups": [ENDPOINT_SG],
            }
        ],
        "egress": [],
        "tags": {"Name": "network-endpoints"},
    }


def test_each_interface_endpoint_sits_in_the_first_configured_zones_with_private_dns(single):
    expected = {
        f"network-{service.replace('.', '-')}": {
            "vpcId": id_of(single, "network-vpc"),
            "serviceName": f"com.amazonaws.us-east-1.{service}",
            "vpcEndpointType": "Interface",
            # Private DNS: the SDKs' default endpoint names resolve to the endpoint's addresses.
            "privateDnsEnabled": True,
            "subnetIds": [id_of(single, "network-private-0"), id_of(single, "network-private-1")],
            "securityGroupIds": [id_of(single, "network-endpoints-sg")],
            "policy": policy_text(THIS_ACCOUNT_ONLY),
            "tags": {"Name": f"network-{service}"},
        }
        for service in INTERFACE_ENDPOINTS
    }
    interface = {r["name"]: r["inputs"] for r in single.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    del interface["network-s3"]
    assert interface == expected


def test_without_interface_endpoints_there_is_no_endpoint_security_group(per_az):
    assert names_of(per_az, "aws:ec2/vpcEndpoint:VpcEndpoint") == ["network-s3"]
    assert per_az.of_type("aws:ec2/securityGroup:SecurityGroup") == []


def test_the_flow_logs_of_the_vpc_are_kept_as_configured_under_the_log_key(single):
    assert inputs(single, "network-flow-log")["vpcId"] == id_of(single, "network-vpc")
    assert inputs(single, "network-flow-logs") == {
        "name": "/vpc/staging/network/flow-logs",
        "retentionInDays": 90,
        "kmsKeyId": LOG_KEY,
    }


def test_the_stacks_provider_reaches_every_resource_through_the_network():
    # The composition hands the network the stack's provider, which carries the stack's default
    # tags and region; a resource on the default provider would go untagged.
    settings = settings_with("staging", SINGLE_NAT)

    def program() -> None:
        provider = aws.Provider("aws", region=CONTEXT.region)
        args = NetworkArgs(settings=settings.network, context=CONTEXT, availability_zones=ZONES, log_key_arn=LOG_KEY)
        Network("network", args, opts=pulumi.ResourceOptions(provider=provider))

    stack = build("staging", program)
    provider = stack.one("pulumi:providers:aws")
    providers = {r["provider"] for r in stack.resources if r["type"].startswith("aws:")}
    assert providers == {f"{provider['urn']}::{provider['id']}"}


def handed(overrides: dict) -> Synth:
    """The network of staging with these overrides, alone, with what it hands the rest of the
    stack (the services' egress rules and endpoints, the database's zones, the NAT addresses the
    outputs list) as stack outputs."""
    settings = settings_with("staging", overrides)

    def program() -> None:
        args = NetworkArgs(
            settings=settings.network,
            context=CONTEXT,
            availability_zones=ZONES,
            log_key_arn=LOG_KEY,
            endpoint_clients=[ENDPOINT_SG],
        )
        built = Network("network", args)
        pulumi.export("zones", built.availability_zones)
        pulumi.export("prefix_list", built.s3_prefix_list_id)
        pulumi.export("endpoint_group", built.endpoint_security_group_id)
        pulumi.export("endpoints", [endpoint.id for endpoint in built.interface_endpoints])
        pulumi.export("nats", [gateway.id for gateway in built.nat_gateways])

    return build("staging", program)


def test_the_network_hands_on_its_zones_prefix_list_endpoints_and_nat_gateways():
    stack = handed(SINGLE_NAT)
    assert {key: value for key, value in stack.outputs.items() if key != "prefix_list"} == {
        "zones": ZONES,
        "endpoint_group": stack.named("network-endpoints-sg")["id"],
        "endpoints": [stack.named(f"network-{s.replace('.', '-')}")["id"] for s in INTERFACE_ENDPOINTS],
        "nats": [stack.named("network-nat-0")["id"]],
    }
    assert stack.outputs["prefix_list"] == stack.named("network-s3")["outputs"]["prefixListId"]


def test_without_interface_endpoints_the_network_hands_on_no_endpoint_group_and_only_its_zones():
    stack = handed(PER_AZ)
    assert (stack.outputs["zones"], stack.outputs.get("endpoint_group"), stack.outputs["endpoints"]) == (
        ZONES[:2],
        None,
        [],
    )
