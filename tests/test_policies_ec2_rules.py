"""Security group rules as the policies read and show them (policies/webapp_policies/
security_groups.py): inline blocks, aws.vpc and aws.ec2 rule resources, which CIDR is the whole
internet, a protocol known only by its number, port ranges, the sources a data store's group may
admit, groups named by id only, and rules not known yet in a preview, each through a policy's
verdict or the problem line the PR report shows. The three-tier scenario and its table are in
tests/test_policies_ec2.py."""

import pytest

from tests.policy_support import UNKNOWN, document, messages, resource
from tests.test_policies_ec2 import (
    DATA_TIER,
    DB,
    DESCRIPTIONS,
    EC2_RULE,
    INGRESS,
    MIXED,
    SERVICE,
    SERVICE_SG,
    WORLD_PORTS,
    group,
    ingress,
)

INSTANCE = "aws:rds/instance:Instance"


def world_rule(**inputs) -> dict:
    """A standalone ingress rule from 0.0.0.0/0 into the service's group, with these inputs."""
    origin = {"securityGroupId": "sg-0web", "cidrIpv4": "0.0.0.0/0", "description": "From anywhere"}
    return resource(INGRESS, "world", {**origin, **inputs}, deps={"securityGroupId": [SERVICE_SG["urn"]]})


def test_any_address_with_a_zero_prefix_is_the_whole_internet(policy_pack):
    # 10.1.2.3/0 has host bits set, but still matches every address.
    rule = ingress("ssh", SERVICE_SG, 22.0, "SSH", cidr="10.1.2.3/0")
    assert messages(policy_pack.check(document(rule)), WORLD_PORTS) == ["allows tcp 22 from 10.1.2.3/0"]


def test_a_cidr_that_is_not_a_network_is_not_taken_for_the_internet(policy_pack):
    # The provider rejects it; the pack does not report an exposure it cannot read.
    rule = ingress("ssh", SERVICE_SG, 22.0, "SSH", cidr="0.0.0.0/33")
    assert messages(policy_pack.check(document(rule)), WORLD_PORTS) == []


def test_a_protocol_without_a_name_is_shown_by_its_number(policy_pack):
    # 50 is ESP: no ports, and not one of the protocols the config authorizes ports of.
    result = policy_pack.check(document(world_rule(ipProtocol="50")))
    assert messages(result, WORLD_PORTS) == ["allows 50 from 0.0.0.0/0"]


@pytest.mark.parametrize("ports", [{"fromPort": 443.0}, {"toPort": 443.0}, {"fromPort": -1.0, "toPort": -1.0}])
def test_a_port_range_left_open_is_every_port(policy_pack, ports):
    result = policy_pack.check(document(world_rule(ipProtocol="tcp", **ports)))
    assert messages(result, WORLD_PORTS) == ["allows tcp 0-65535 from 0.0.0.0/0"]


def test_a_port_range_from_port_0_is_shown_as_written(policy_pack):
    result = policy_pack.check(document(world_rule(ipProtocol="tcp", fromPort=0.0, toPort=80.0)))
    assert messages(result, WORLD_PORTS) == ["allows tcp 0-80 from 0.0.0.0/0"]


def test_a_data_store_admitting_a_prefix_list_is_reported(policy_pack):
    # A managed prefix list (a VPN's ranges, say) is no ECS service's or VPC function's group.
    from_vpn = {
        "protocol": "tcp",
        "fromPort": 5432.0,
        "toPort": 5432.0,
        "prefixListIds": ["pl-0vpn"],
        "description": "VPN",
    }
    db_sg = group("db-sg", "sg-0db", {"description": "PostgreSQL", "vpcId": "vpc-0", "ingress": [from_vpn]})
    result = policy_pack.check(document(db_sg, DB))
    assert messages(result, DATA_TIER) == ["db's security group db-sg admits tcp 5432 from pl-0vpn"]


def db_group(**source) -> dict:
    """The database's security group with one inline PostgreSQL rule from `source`."""
    rule = {"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "description": "PostgreSQL", **source}
    return group("db-sg", "sg-0db", {"description": "PostgreSQL", "vpcId": "vpc-0", "ingress": [rule]})


def test_a_data_store_admitting_a_group_no_service_uses_is_reported(policy_pack):
    result = policy_pack.check(document(db_group(securityGroups=["sg-0vpce"]), DB))
    assert messages(result, DATA_TIER) == [
        "db's security group db-sg admits tcp 5432 from sg-0vpce, which no ECS service or VPC function uses"
    ]


def test_a_data_store_rule_whose_source_groups_are_not_known_yet_waits(policy_pack):
    result = policy_pack.check(document(db_group(securityGroups=UNKNOWN), DB))
    assert messages(result, DATA_TIER) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("sg-0web", []),
        (
            "sg-0vpce",
            ["db's security group db-sg admits tcp 5432 from sg-0vpce, which no ECS service or VPC function uses"],
        ),
    ],
)
def test_an_ec2_security_group_rule_source_is_held_to_the_services_groups(policy_pack, source, expected):
    db_sg = group("db-sg", "sg-0db", {"description": "PostgreSQL", "vpcId": "vpc-0"})
    inputs = {"type": "ingress", "securityGroupId": "sg-0db", "protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0}
    rule = resource(
        EC2_RULE,
        "db-from",
        {**inputs, "sourceSecurityGroupId": source, "description": "PostgreSQL"},
        deps={"securityGroupId": [db_sg["urn"]]},
    )
    result = policy_pack.check(document(db_sg, DB, SERVICE_SG, SERVICE, rule))
    assert messages(result, DATA_TIER) == expected


def test_state_listing_a_standalone_prefix_list_rule_is_not_mixed_management(policy_pack):
    inputs = {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "description": "VPN"}
    deps = {"securityGroupId": [SERVICE_SG["urn"]]}
    from_vpn = resource(
        INGRESS, "web-from-vpn", {**inputs, "securityGroupId": "sg-0web", "prefixListId": "pl-0vpn"}, deps=deps
    )
    service_sg = group("web-sg", "sg-0web", {"description": "Web tasks", "vpcId": "vpc-0"})
    mirrored = {
        "protocol": "tcp",
        "fromPort": 443.0,
        "toPort": 443.0,
        "prefixListIds": ["pl-0vpn"],
        "description": "VPN",
    }
    service_sg["outputs"]["ingress"] = [mirrored]
    assert messages(policy_pack.check(document(service_sg, from_vpn)), MIXED) == []


def test_a_rule_without_description_is_reported_while_its_source_is_not_known_yet(policy_pack):
    # Whether the rule admits its own group is decided later; its missing description is not.
    rule = {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "self": UNKNOWN}
    web_sg = group("web-sg", "sg-0web", {"description": "Web tasks", "vpcId": "vpc-0", "ingress": [rule]})
    result = policy_pack.check(document(web_sg))
    assert messages(result, DESCRIPTIONS) == ["the ingress rule (not known yet) has no description"]


def ec2_rule(name: str, **inputs) -> dict:
    """An aws.ec2.SecurityGroupRule into the service's group, with these inputs."""
    return resource(
        EC2_RULE, name, {"securityGroupId": "sg-0web", **inputs}, deps={"securityGroupId": [SERVICE_SG["urn"]]}
    )


def test_an_ec2_security_group_rule_with_a_description_passes(policy_pack):
    inputs = {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["10.0.0.0/16"]}
    rule = ec2_rule("https", type="ingress", **inputs, description="From the VPC")
    assert messages(policy_pack.check(document(rule)), DESCRIPTIONS) == []


def test_an_ec2_security_group_rule_of_a_type_not_known_yet_is_not_reported(policy_pack):
    rule = ec2_rule("pending", type=UNKNOWN, protocol="tcp", fromPort=443.0, toPort=443.0, description="From the VPC")
    assert messages(policy_pack.check(document(rule)), DESCRIPTIONS) == []


def test_mixed_rules_wait_for_an_ec2_rule_of_a_type_not_known_yet(policy_pack):
    # The group's inline rule may be that rule's own mirrored state.
    inputs = {
        "protocol": "tcp",
        "fromPort": 443.0,
        "toPort": 443.0,
        "cidrBlocks": ["10.0.0.0/16"],
        "description": "VPC",
    }
    service_sg = group("web-sg", "sg-0web", {"description": "Web tasks", "vpcId": "vpc-0"})
    service_sg["outputs"]["ingress"] = [inputs]
    result = policy_pack.check(document(service_sg, ec2_rule("pending", type=UNKNOWN, **inputs)))
    assert messages(result, MIXED) == []


def test_an_ec2_egress_rule_to_the_world_is_internet_egress(policy_pack):
    rule = ec2_rule(
        "out", type="egress", protocol="-1", fromPort=0.0, toPort=0.0, cidrBlocks=["0.0.0.0/0"], description="Out"
    )
    result = policy_pack.check(document(SERVICE_SG, rule))
    assert messages(result, "aws-ec2-security-group-internet-egress") == [
        "web-sg sends all traffic to 0.0.0.0/0, and is not tagged webapp:egress-to-internet=true"
    ]


def test_ingress_rules_not_known_yet_leave_the_egress_rules_checked(policy_pack):
    to_vpc = {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["10.0.0.0/16"]}
    web_sg = group("web-sg", "sg-0web", {"description": "Web tasks", "ingress": UNKNOWN, "egress": [to_vpc]})
    result = policy_pack.check(document(web_sg))
    assert messages(result, DESCRIPTIONS) == ["the egress rule tcp 443 to 10.0.0.0/16 has no description"]


def test_an_inline_rule_not_known_yet_does_not_hide_the_next_one(policy_pack):
    ssh = {"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"], "description": "SSH"}
    web_sg = group("web-sg", "sg-0web", {"description": "Web tasks", "ingress": [UNKNOWN, ssh]})
    assert messages(policy_pack.check(document(web_sg)), WORLD_PORTS) == ["allows tcp 22 from 0.0.0.0/0"]


FROM_ENDPOINTS = "db's security group db-sg admits tcp 5432 from sg-0vpce, which no ECS service or VPC function uses"


def rule_into_db_by_id() -> dict:
    """A standalone rule into the database's group named by its id only (no dependency)."""
    inputs = {"securityGroupId": "sg-0db", "ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0}
    return resource(INGRESS, "db-from-vpce", {**inputs, "referencedSecurityGroupId": "sg-0vpce", "description": "x"})


def test_a_rule_finds_its_group_by_the_id_in_the_groups_outputs(policy_pack):
    inputs = {"description": "PostgreSQL", "vpcId": "vpc-0"}
    db_sg = resource("aws:ec2/securityGroup:SecurityGroup", "db-sg", inputs, outputs={**inputs, "id": "sg-0db"})
    result = policy_pack.check(document(db_sg, DB, rule_into_db_by_id()))
    assert messages(result, DATA_TIER) == [FROM_ENDPOINTS]


def test_a_group_whose_id_is_not_known_yet_matches_no_rule_by_id(policy_pack):
    # A group planned for creation has neither id nor ARN among its outputs yet.
    inputs = {"description": "PostgreSQL", "vpcId": "vpc-0"}
    db_sg = resource("aws:ec2/securityGroup:SecurityGroup", "db-sg", inputs, outputs=inputs)
    result = policy_pack.check(document(db_sg, DB, rule_into_db_by_id()))
    assert messages(result, DATA_TIER) == []


def test_a_data_store_naming_its_group_by_id_only_is_checked(policy_pack):
    db = resource(INSTANCE, "db", {"engine": "postgres", "vpcSecurityGroupIds": ["sg-0db"]})
    result = policy_pack.check(document(db_group(securityGroups=["sg-0vpce"]), db))
    assert messages(result, DATA_TIER) == [FROM_ENDPOINTS]


def component_group(name: str) -> dict:
    """A security group in a component within a component (its URN names both parent types), its id
    not known yet."""
    inputs = {"description": name, "vpcId": "vpc-0"}
    record = resource("aws:ec2/securityGroup:SecurityGroup", name, inputs, outputs=inputs)
    return {
        **record,
        "urn": f"urn:pulumi:test::webapp::webapp:index:Tier$webapp:index:Service$aws:ec2/securityGroup:SecurityGroup::{name}",
    }


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("web-sg", []),
        (
            "endpoints-sg",
            ["db's security group db-sg admits tcp 5432 from sg-0src, which no ECS service or VPC function uses"],
        ),
    ],
)
def test_a_source_group_known_by_its_dependency_only_is_held_to_the_services_groups(policy_pack, source, expected):
    # The service names its group by dependency; the rule's source id is the only id known.
    web_sg, other_sg = component_group("web-sg"), component_group("endpoints-sg")
    service = resource(
        "aws:ecs/service:Service",
        "web",
        {"networkConfiguration": {"subnets": ["subnet-0"], "securityGroups": [UNKNOWN]}},
        deps={"networkConfiguration": [web_sg["urn"]]},
    )
    db_sg = group("db-sg", "sg-0db", {"description": "PostgreSQL", "vpcId": "vpc-0"})
    inputs = {
        "securityGroupId": "sg-0db",
        "ipProtocol": "tcp",
        "fromPort": 5432.0,
        "toPort": 5432.0,
        "description": "x",
    }
    source_urn = {"web-sg": web_sg, "endpoints-sg": other_sg}[source]["urn"]
    rule = resource(
        INGRESS,
        "db-from",
        {**inputs, "referencedSecurityGroupId": "sg-0src"},
        deps={"securityGroupId": [db_sg["urn"]], "referencedSecurityGroupId": [source_urn]},
    )
    result = policy_pack.check(document(web_sg, other_sg, service, db_sg, DB, rule))
    assert messages(result, DATA_TIER) == expected


def test_a_vpc_function_whose_network_is_not_known_yet_keeps_its_group_an_allowed_source(policy_pack):
    # A preview that moves the function to other subnets leaves its whole vpcConfig unknown: its
    # group, found through the dependency, stays a source the database may admit.
    function_sg = group("bootstrap-sg", "sg-0fn", {"description": "Database bootstrap", "vpcId": "vpc-0"})
    function = resource(
        "aws:lambda/function:Function", "bootstrap", {"vpcConfig": UNKNOWN}, deps={"vpcConfig": [function_sg["urn"]]}
    )
    result = policy_pack.check(document(function_sg, function, db_group(securityGroups=["sg-0fn"]), DB))
    assert messages(result, DATA_TIER) == []


def service_on_a_group_known_by_dependency_only() -> tuple[dict, dict]:
    """A service group not created yet and the service naming it through a dependency only."""
    web_sg = component_group("web-sg")
    service = resource(
        "aws:ecs/service:Service",
        "web",
        {"networkConfiguration": {"subnets": ["subnet-0"], "securityGroups": [UNKNOWN]}},
        deps={"networkConfiguration": [web_sg["urn"]]},
    )
    return web_sg, service


def test_an_aws_ec2_rule_from_a_service_group_known_by_dependency_only_is_allowed(policy_pack):
    web_sg, service = service_on_a_group_known_by_dependency_only()
    db_sg = group("db-sg", "sg-0db", {"description": "PostgreSQL", "vpcId": "vpc-0"})
    inputs = {"type": "ingress", "securityGroupId": "sg-0db", "protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0}
    rule = resource(
        EC2_RULE,
        "db-from-web",
        {**inputs, "sourceSecurityGroupId": "sg-0src", "description": "x"},
        deps={"securityGroupId": [db_sg["urn"]], "sourceSecurityGroupId": [web_sg["urn"]]},
    )
    assert messages(policy_pack.check(document(web_sg, service, db_sg, DB, rule)), DATA_TIER) == []


def test_an_inline_rule_from_a_service_group_known_by_dependency_only_is_allowed(policy_pack):
    web_sg, service = service_on_a_group_known_by_dependency_only()
    rule = {"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "securityGroups": ["sg-0src"], "description": "x"}
    db_sg = group(
        "db-sg",
        "sg-0db",
        {"description": "PostgreSQL", "vpcId": "vpc-0", "ingress": [rule]},
        deps={"ingress": [web_sg["urn"]]},
    )
    assert messages(policy_pack.check(document(web_sg, service, db_sg, DB)), DATA_TIER) == []
