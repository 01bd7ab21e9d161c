"""The recovery site: the pilot light prod keeps in its backup region for a region-loss recovery."""

from __future__ import annotations

import ipaddress
import json

import pytest

from settings import load_settings
from tests.support import Synth, config_with, rejection
from tests.test_cost import priced

SITE = "urn:pulumi:prod::webapp::webapp:components:RecoverySite"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"


def region_of(stack: Synth, resource: dict) -> str:
    provider = stack.by_urn.get((resource["provider"] or "").rsplit("::", 1)[0])
    return provider["inputs"]["region"] if provider else stack.outputs["region"]


def site(stack: Synth, type_: str) -> list[dict]:
    return [r for r in stack.of_type(type_) if r["urn"].startswith(SITE)]


def in_backup_region(stack: Synth, type_: str) -> list[dict]:
    return [r for r in stack.of_type(type_) if region_of(stack, r) == "us-west-2"]


def test_prod_builds_the_site_in_the_backup_region(prod):
    assert len(in_backup_region(prod, "aws:ec2/vpc:Vpc")) == 1
    assert len(in_backup_region(prod, SUBNET)) >= 2
    assert len(in_backup_region(prod, "aws:rds/subnetGroup:SubnetGroup")) == 1
    assert len(in_backup_region(prod, "aws:elasticache/subnetGroup:SubnetGroup")) == 1
    assert {region_of(prod, r) for r in prod.children("recovery") if r["custom"]} == {"us-west-2"}


def test_the_site_has_nothing_billed_by_the_hour_and_no_way_out(prod):
    for type_ in ("aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/eip:Eip"):
        assert in_backup_region(prod, type_) == [], type_
    assert in_backup_region(prod, "aws:ec2/vpcEndpoint:VpcEndpoint") == []
    assert site(prod, "aws:ec2/route:Route") == []


def test_staging_has_no_recovery_site(staging):
    assert [r for r in staging.resources if "RecoverySite" in r["urn"]] == []
    assert [name for name in staging.outputs if name.startswith("recovery")] == []


def test_subnets_are_private_and_isolated_in_three_azs_of_the_backup_region(prod):
    subnets = site(prod, SUBNET)
    tiers = sorted({(s["inputs"]["tags"]["tier"], s["inputs"]["availabilityZone"]) for s in subnets})
    zones = ["us-west-2a", "us-west-2b", "us-west-2c"]
    assert tiers == [(tier, zone) for tier in ("isolated", "private") for zone in zones]
    assert all(s["inputs"]["mapPublicIpOnLaunch"] is False for s in subnets)


def test_the_site_does_not_overlap_the_primary_vpc(prod):
    (vpc,) = site(prod, "aws:ec2/vpc:Vpc")
    recovery = ipaddress.ip_network(vpc["inputs"]["cidrBlock"])
    primary = ipaddress.ip_network(prod.one("aws:ec2/vpc:Vpc", "network-vpc")["inputs"]["cidrBlock"])
    assert not recovery.overlaps(primary)
    assert all(ipaddress.ip_network(s["inputs"]["cidrBlock"]).subnet_of(recovery) for s in site(prod, SUBNET))


def test_the_db_subnet_group_spans_the_isolated_subnets(prod):
    (group,) = site(prod, "aws:rds/subnetGroup:SubnetGroup")
    members = prod.depends_on(group, "subnetIds")
    assert sorted(m["name"] for m in members) == [f"recovery-isolated-{i}" for i in range(3)]


def test_the_restored_databases_security_group_admits_nothing(prod):
    group = prod.one(SECURITY_GROUP, "recovery-db-sg")
    assert group["inputs"].get("ingress") in (None, [])
    assert group["inputs"].get("egress") in (None, [])
    rules = [r for r in prod.resources if r["type"].startswith("aws:vpc/securityGroup")]
    assert [r["name"] for r in rules if group["urn"] in r["propertyDependencies"].get("securityGroupId", [])] == []


def test_the_parameter_group_repeats_the_primarys_parameters(prod):
    primary = prod.one("aws:rds/parameterGroup:ParameterGroup", "database-params")["inputs"]
    recovery = prod.one("aws:rds/parameterGroup:ParameterGroup", "recovery-db-params")["inputs"]
    assert recovery["family"] == primary["family"]
    assert recovery["parameters"] == primary["parameters"]


def test_the_data_key_rotates_and_names_the_stacks_key_administrators(prod):
    key = prod.one("aws:kms/key:Key", "recovery-encryption-key")
    assert key["inputs"]["enableKeyRotation"] is True
    assert key["options"]["protect"] is True
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    # Like the backup copies' key: no consumer until the recovered services exist.
    assert sorted(statements) == ["AccountAdministers", "KeyAdministrators"]
    admin = prod.one("aws:iam/role:Role", "key-admin-role")
    assert statements["KeyAdministrators"]["Principal"]["AWS"] == admin["outputs"]["arn"]


def test_flow_logs_go_to_a_log_group_encrypted_in_the_backup_region(prod):
    flow_log = prod.one("aws:ec2/flowLog:FlowLog", "recovery-flow-log")
    assert flow_log["inputs"]["trafficType"] == "ALL"
    assert prod.depends_on(flow_log, "vpcId")[0]["name"] == "recovery-vpc"
    (log_group,) = prod.depends_on(flow_log, "logDestination")
    (key,) = prod.depends_on(log_group, "kmsKeyId")
    assert (key["name"], region_of(prod, key)) == ("recovery-logs-key", "us-west-2")
    trust = json.loads(prod.one("aws:iam/role:Role", "recovery-flow-logs-role")["inputs"]["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"].startswith("arn:aws:ec2:us-west-2:")


def test_prod_protects_what_a_recovered_database_lives_in(prod):
    for name in ("recovery-vpc", "recovery-db-subnets", "recovery-encryption-key", "recovery-logs-key"):
        assert prod.named(name)["options"]["protect"] is True, name


def test_the_outputs_name_what_recover_restores_into(prod):
    outputs = prod.outputs
    assert outputs["recoveryRegion"] == "us-west-2"
    assert outputs["recoveryDbSecurityGroupId"] == prod.one(SECURITY_GROUP, "recovery-db-sg")["id"]
    assert outputs["recoveryKmsKeyArn"].startswith("arn:aws:kms:us-west-2:123456789012:key/")
    assert outputs["databaseReplicatedBackupsArn"].startswith("arn:aws:rds:us-west-2:123456789012:auto-backup:")
    assert len(outputs["recoveryIsolatedSubnetIds"]) == 3


def test_the_site_costs_almost_nothing(prod):
    lines = [line for line in priced(prod.document, "prod").lines if line.urn.startswith(SITE)]
    # Two customer managed keys ($1 each) and the flow logs of an idle VPC.
    assert sum(line.monthly for line in lines) < 3
    assert {line.type for line in lines if line.kind == "fixed"} == {"aws:kms/key:Key"}


def test_a_recovery_vpc_overlapping_the_primary_is_refused():
    lines = rejection("prod", {"webapp:recovery": {"vpcCidr": "10.20.128.0/20"}})
    assert lines == ["prod: recovery.vpcCidr: overlaps network.vpcCidr (10.20.0.0/16) (got 10.20.128.0/20)"]


def test_a_recovery_vpc_too_small_for_its_subnets_is_refused():
    lines = rejection("prod", {"webapp:recovery": {"vpcCidr": "10.200.0.0/26"}})
    assert lines == ["prod: recovery.vpcCidr: must be /24 or larger so each subnet is at least /28 (got 10.200.0.0/26)"]


def test_a_recovery_vpc_of_24_is_the_smallest_accepted_and_gets_28_subnets():
    settings = load_settings("prod", config_with("prod", {"webapp:recovery": {"vpcCidr": "10.200.0.0/24"}}))
    assert settings.recovery.subnet_cidr("private", 0) == "10.200.0.64/28"
    assert settings.recovery.subnet_cidr("isolated", 2) == "10.200.0.160/28"


@pytest.mark.parametrize("count", [1, 5])
def test_the_az_count_stays_within_what_multi_az_and_the_layout_allow(count):
    assert rejection("prod", {"webapp:recovery": {"azCount": count}})[0].startswith("prod: recovery.azCount:")


def test_without_cross_region_backups_the_overlap_does_not_matter():
    config = config_with("staging", {"webapp:recovery": {"vpcCidr": "10.10.0.0/20"}})
    assert load_settings("staging", config).recovery.vpc_cidr == "10.10.0.0/20"
