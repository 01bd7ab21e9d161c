"""settings.network's address arithmetic: where each subnet sits in the VPC, and how many addresses
a private subnet must hold."""

from __future__ import annotations

import pytest

from settings.network import (
    INTERFACE_ENDPOINTS,
    NetworkSettings,
    check_vpc_cidr,
    private_subnet_addresses,
    tier_subnet_cidr,
)


@pytest.mark.parametrize(
    "tier, az_index, cidr",
    [
        ("public", 0, "10.0.0.0/20"),
        ("public", 1, "10.0.16.0/20"),
        ("private", 0, "10.0.64.0/20"),
        ("private", 3, "10.0.112.0/20"),
        ("isolated", 2, "10.0.160.0/20"),
    ],
)
def test_a_subnet_sits_in_its_tier_quarter_at_its_az_index(tier, az_index, cidr):
    assert tier_subnet_cidr("10.0.0.0/16", tier, az_index) == cidr


def network(**fields: object) -> NetworkSettings:
    return NetworkSettings.model_validate({"azCount": 3, "natMode": "per-az", **fields})


def test_a_private_subnet_holds_the_endpoint_interfaces_the_surge_of_tasks_and_the_reserved_addresses():
    # 10 tasks over 3 AZs, doubled during a deployment: 7 per subnet (rounded up).
    assert private_subnet_addresses(network(), 10) == (len(INTERFACE_ENDPOINTS), 7, len(INTERFACE_ENDPOINTS) + 12)


def test_without_interface_endpoints_a_private_subnet_holds_no_endpoint_interface():
    assert private_subnet_addresses(network(interfaceEndpoints=False), 10) == (0, 7, 12)


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "172.16.0.0/28", "192.168.0.0/20"])
def test_a_private_vpc_cidr_from_16_to_28_is_accepted(cidr):
    assert check_vpc_cidr(cidr) == cidr


@pytest.mark.parametrize(
    "profile, az_count, endpoint_azs, problems",
    [
        ("staging", 2, 1, []),
        ("staging", 2, 2, []),
        ("staging", 2, 3, [("interfaceEndpointAzCount", "must be at most azCount (2)", 3)]),
        ("prod", 3, 3, []),
        ("prod", 3, 2, [("interfaceEndpointAzCount", "prod places interface endpoints in every AZ", 2)]),
    ],
)
def test_interface_endpoints_sit_in_at_most_every_az_and_in_every_az_in_prod(profile, az_count, endpoint_azs, problems):
    settings = network(azCount=az_count, interfaceEndpointAzCount=endpoint_azs)
    assert [(p.key, p.message, p.value) for p in settings.problems(profile)] == problems
