"""Security group rules as the world-ingress policies read and show them (policies/webapp_policies/
security_groups.py): which CIDR is the whole internet, a protocol known only by its number, and a
port range left open or starting at port 0, each in the problem line the PR report shows. The
three-tier scenario and its table are in tests/test_policies_ec2.py."""

import pytest

from tests.policy_support import document, messages, resource
from tests.test_policies_ec2 import INGRESS, SERVICE_SG, WORLD_PORTS, ingress


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
