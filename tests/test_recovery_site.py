"""The recovery site: the pilot light prod keeps in its backup region for a region-loss recovery.

The first tests read the site built alone (tests.components_support) as the composition builds it:
through the backup region's provider, with settings from prod's stack file and overrides. The
others read it in prod's whole stack."""

from __future__ import annotations

import ipaddress
import json

import pulumi
import pulumi_aws as aws
import pytest

from components.recovery_site import RecoverySite, RecoverySiteArgs
from settings import StackSettings, load_settings
from settings.recovery import RECOVERY_TIERS
from tests.components_support import CONTEXT, build, settings_with
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


BACKUP_REGION = "us-west-2"
BACKUP_ZONES = ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]
KEY_ADMIN = "arn:aws:iam::123456789012:role/webapp-prod-key-admin"
# Another range, two of the region's four zones and another retention than the defaults: what the
# site reads from its settings shows in what it builds.
OVERRIDES = {"webapp:recovery": {"vpcCidr": "10.210.0.0/20", "azCount": 2, "flowLogRetentionDays": 90}}


@pytest.fixture(scope="module")
def settings() -> StackSettings:
    return settings_with("prod", OVERRIDES)


@pytest.fixture(scope="module")
def alone(settings) -> Synth:
    """The site as composition._recovery_site builds it, under the backup region's provider."""

    def program() -> None:
        provider = aws.Provider("aws-backup-region", region=BACKUP_REGION)
        RecoverySite(
            "recovery",
            RecoverySiteArgs(
                settings=settings.recovery,
                database=settings.database,
                context=CONTEXT,
                region=BACKUP_REGION,
                availability_zones=BACKUP_ZONES,
                key_administrators=[KEY_ADMIN],
                protect=True,
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )

    return build("prod", program)


def custom(stack: Synth) -> list[dict]:
    return [r for r in stack.resources if r["custom"] and not r["type"].startswith("pulumi:providers:")]


def test_every_resource_of_the_site_is_its_own_and_made_in_the_backup_region(alone):
    # A resource the site does not parent is not the site's in the plan, the state and its URN;
    # one made through the default provider lands in the primary region, the region a
    # region-loss recovery cannot count on.
    site_urn = alone.one("webapp:components:RecoverySite")["urn"]
    provider = alone.one("pulumi:providers:aws", "aws-backup-region")
    keys = {r["urn"] for r in alone.of_type("webapp:components:EncryptionKey")}
    assert {alone.by_urn[k]["parent"] for k in keys} == {site_urn}
    for resource in custom(alone):
        assert resource["parent"] in {site_urn, *keys}, resource["name"]
        assert resource["provider"].startswith(f"{provider['urn']}::"), resource["name"]


def test_the_vpc_has_the_configured_range_amazon_dns_and_its_name(alone, settings):
    # A restored RDS instance is reached by its endpoint's DNS name: the VPC's Amazon-provided
    # DNS resolves it (enableDnsSupport) and gives instances DNS hostnames (enableDnsHostnames),
    # both required by RDS for a DB instance in a VPC (RDS User Guide, "Working with a DB
    # instance in a VPC").
    vpc = alone.one("aws:ec2/vpc:Vpc", "recovery-vpc")
    assert vpc["inputs"] == {
        "cidrBlock": settings.recovery.vpc_cidr,
        "enableDnsHostnames": True,
        "enableDnsSupport": True,
        "tags": {"Name": "recovery-vpc"},
    }
    assert vpc["options"]["protect"] is True


def test_the_vpcs_default_security_group_is_managed_without_any_rule(alone):
    # An unmanaged default group allows all traffic between its members and all egress (FSBP EC2.2).
    group = alone.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "recovery-default-sg")
    assert group["inputs"] == {"vpcId": alone.one("aws:ec2/vpc:Vpc")["id"], "ingress": [], "egress": []}


def test_each_tier_has_a_subnet_in_each_configured_zone_and_its_own_route_table(alone, settings):
    vpc = alone.one("aws:ec2/vpc:Vpc")["id"]
    zones = BACKUP_ZONES[: settings.recovery.az_count]
    for tier in RECOVERY_TIERS:
        table = alone.one("aws:ec2/routeTable:RouteTable", f"recovery-{tier}-rt")
        assert table["inputs"] == {"vpcId": vpc, "tags": {"Name": f"recovery-{tier}"}}
        for index, zone in enumerate(zones):
            subnet = alone.one("aws:ec2/subnet:Subnet", f"recovery-{tier}-{index}")
            assert subnet["inputs"] == {
                "vpcId": vpc,
                "cidrBlock": settings.recovery.subnet_cidr(tier, index),
                "availabilityZone": zone,
                "mapPublicIpOnLaunch": False,
                "tags": {"Name": f"recovery-{tier}-{zone}", "tier": tier},
            }
            association = alone.one(
                "aws:ec2/routeTableAssociation:RouteTableAssociation", f"recovery-{tier}-{index}-rta"
            )
            assert association["inputs"] == {"routeTableId": table["id"], "subnetId": subnet["id"]}
    assert len(alone.of_type("aws:ec2/subnet:Subnet")) == len(RECOVERY_TIERS) * len(zones)


def isolated_subnets(stack: Synth) -> list[str]:
    return [stack.one("aws:ec2/subnet:Subnet", f"recovery-isolated-{i}")["id"] for i in range(2)]


def test_the_restored_database_and_cache_get_the_isolated_subnets_named_for_them(alone):
    database = alone.one("aws:rds/subnetGroup:SubnetGroup", "recovery-db-subnets")
    assert database["inputs"] == {
        "subnetIds": isolated_subnets(alone),
        "description": "Isolated subnets of webapp-prod-recovery for a restored database",
    }
    assert database["options"]["protect"] is True
    cache = alone.one("aws:elasticache/subnetGroup:SubnetGroup", "recovery-cache-subnets")
    assert cache["inputs"] == {
        "subnetIds": isolated_subnets(alone),
        "description": "Isolated subnets of webapp-prod-recovery for a recreated cache",
    }


def test_the_parameter_group_is_the_primarys_family_and_parameters(alone, settings):
    group = alone.one("aws:rds/parameterGroup:ParameterGroup", "recovery-db-params")["inputs"]
    database = settings.database
    assert group["family"] == database.parameter_group_family
    assert group["description"] == (
        f"PostgreSQL {database.major_version} restored into {BACKUP_REGION}: the primary's parameters"
    )
    assert {p["name"]: p["value"] for p in group["parameters"]} == database.parameters


def test_the_restored_databases_security_group_is_in_the_site_named_and_without_rules(alone):
    group = alone.one("aws:ec2/securityGroup:SecurityGroup", "recovery-db-sg")
    assert group["inputs"] == {
        "vpcId": alone.one("aws:ec2/vpc:Vpc")["id"],
        "description": "Restored PostgreSQL of webapp-prod-recovery: closed until recovery admits the services",
        "tags": {"Name": "recovery-db"},
    }


def test_the_keys_say_what_they_encrypt_and_only_the_logs_key_lets_cloudwatch_logs_in(alone):
    data = alone.one("aws:kms/key:Key", "recovery-encryption-key")["inputs"]
    logs = alone.one("aws:kms/key:Key", "recovery-logs-key")["inputs"]
    assert data["description"] == f"webapp-prod-recovery: data restored into {BACKUP_REGION} (master secret, cache)"
    assert logs["description"] == f"webapp-prod-recovery: CloudWatch Logs in {BACKUP_REGION}"
    data_statements = {s["Sid"]: s for s in json.loads(data["policy"])["Statement"]}
    logs_statements = {s["Sid"]: s for s in json.loads(logs["policy"])["Statement"]}
    assert sorted(data_statements) == ["AccountAdministers", "KeyAdministrators"]
    assert sorted(logs_statements) == ["AccountAdministers", "CloudWatchLogsEncrypts", "KeyAdministrators"]
    assert data_statements["KeyAdministrators"]["Principal"] == {"AWS": KEY_ADMIN}
    assert logs_statements["KeyAdministrators"]["Principal"] == {"AWS": KEY_ADMIN}
    # The site's log groups are in the backup region: that region's Logs service principal, and
    # only log groups of this account there in the encryption context.
    encrypts = logs_statements["CloudWatchLogsEncrypts"]
    assert encrypts["Principal"] == {"Service": f"logs.{BACKUP_REGION}.amazonaws.com"}
    assert encrypts["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{BACKUP_REGION}:123456789012:log-group:*"}
    }


def test_the_flow_logs_are_kept_as_configured_under_the_sites_logs_key(alone, settings):
    log_group = alone.one("aws:cloudwatch/logGroup:LogGroup", "recovery-flow-logs")["inputs"]
    assert log_group["retentionInDays"] == settings.recovery.flow_log_retention_days
    assert log_group["kmsKeyId"] == alone.one("aws:kms/key:Key", "recovery-logs-key")["outputs"]["arn"]
    flow_log = alone.one("aws:ec2/flowLog:FlowLog", "recovery-flow-log")["inputs"]
    assert flow_log["vpcId"] == alone.one("aws:ec2/vpc:Vpc")["id"]


def test_the_site_registers_what_recover_restores_into(alone):
    outputs = alone.one("webapp:components:RecoverySite")["outputs"]
    resource = {r["name"]: r for r in custom(alone)}
    assert outputs == {
        "region": BACKUP_REGION,
        "vpc_id": resource["recovery-vpc"]["id"],
        "private_subnet_ids": [resource[f"recovery-private-{i}"]["id"] for i in range(2)],
        "isolated_subnet_ids": isolated_subnets(alone),
        "db_subnet_group_name": resource["recovery-db-subnets"]["outputs"]["name"],
        "cache_subnet_group_name": resource["recovery-cache-subnets"]["outputs"]["name"],
        "parameter_group_name": resource["recovery-db-params"]["outputs"]["name"],
        "database_security_group_id": resource["recovery-db-sg"]["id"],
        "key_arn": resource["recovery-encryption-key"]["outputs"]["arn"],
        "logs_key_arn": resource["recovery-logs-key"]["outputs"]["arn"],
    }


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
