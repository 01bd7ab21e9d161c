"""components/datastore.py: what the database and the cache share, their security group closed until
a service is let in, their own key, and the physical names the runbooks use before a store exists."""

from __future__ import annotations

import pulumi
import pytest

from components.datastore import physical_name

STORES = {"database": (5432, "PostgreSQL"), "cache": (6379, "valkey")}


@pytest.mark.parametrize("store", STORES)
def test_a_stores_security_group_is_in_the_vpc_named_and_described(prod, store):
    group = prod.one("aws:ec2/securityGroup:SecurityGroup", f"{store}-sg")
    vpc = prod.one("aws:ec2/vpc:Vpc", "network-vpc")
    assert group["inputs"]["vpcId"] == vpc["id"]
    assert group["inputs"]["tags"] == {"Name": store}
    assert group["inputs"]["description"] == (
        f"{STORES[store][1]} webapp-prod-{store}: only from the services using it"
    )


@pytest.mark.parametrize(("store", "service"), [("database", "web"), ("cache", "web"), ("database", "db-bootstrap")])
def test_a_service_is_let_in_on_the_stores_port_only_by_its_security_group(prod, store, service):
    rule = prod.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", f"{store}-from-{service}")
    port = STORES[store][0]
    inputs = rule["inputs"]
    assert (inputs["ipProtocol"], inputs["fromPort"], inputs["toPort"]) == ("tcp", port, port)
    assert inputs["securityGroupId"] == prod.one("aws:ec2/securityGroup:SecurityGroup", f"{store}-sg")["id"]
    assert inputs["referencedSecurityGroupId"].startswith("sg-") and inputs.get("cidrIpv4") is None
    assert inputs["description"] == f"{service} service to {store} on {port}"
    assert inputs["tags"] == {"Name": f"{store}-from-{service}"}


@pytest.mark.parametrize(
    ("key", "description"),
    [
        ("database-encryption-key", "RDS webapp-prod-database: storage, Performance Insights, master user secret"),
        ("cache-encryption-key", "ElastiCache webapp-prod-cache: data at rest, snapshots, AUTH token secret"),
    ],
)
def test_a_stores_own_key_says_what_it_encrypts(prod, key, description):
    assert prod.one("aws:kms/key:Key", key)["inputs"]["description"] == description


@pytest.fixture
def project(monkeypatch):
    def named(project: str, stack: str) -> None:
        monkeypatch.setattr(pulumi, "get_project", lambda: project)
        monkeypatch.setattr(pulumi, "get_stack", lambda: stack)

    return named


def test_a_physical_name_is_lower_case_letters_digits_and_single_hyphens(project):
    project("WebApp", "prod_EU")
    assert physical_name("db..primary") == "webapp-prod-eu-db-primary"


def test_a_physical_name_neither_starts_nor_ends_with_a_hyphen(project):
    project("-webapp", "prod")
    assert physical_name("cache--") == "webapp-prod-cache"


def test_a_long_physical_name_is_cut_to_63_characters_without_a_trailing_hyphen(project):
    # RDS identifiers: at most 63 characters, no trailing hyphen.
    project("webapp", "prod")
    name = physical_name("a" * 50 + "-b" * 10)  # the 63rd character is a hyphen
    assert name == "webapp-prod-" + "a" * 50 and len(name) == 62
    assert len(physical_name("x" * 80)) == 63
