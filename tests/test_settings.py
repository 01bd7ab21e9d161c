"""The stack config model: profile defaults, and every rejection with its exact one-line message."""

from __future__ import annotations

import botocore
import pytest

from settings import ConfigError, load_settings, with_usage
from settings.stack_config import ROOT
from tests.support import config_with, rejection
from tools import synth


def test_prod_gets_production_defaults():
    settings = load_settings("prod", config_with("prod", {}))
    assert (settings.network.az_count, settings.network.nat_mode) == (3, "per-az")
    web = settings.web_service
    assert (web.cpu, web.memory, web.min_count, web.max_count) == (2048, 4096, 4, 20)
    assert settings.database.multi_az and settings.database.deletion_protection
    assert settings.database.backup_retention_days >= 7
    assert settings.database.instance_class.startswith("db.r")
    assert settings.cache.node_type.startswith("cache.r") and settings.cache.num_nodes >= 2


def test_staging_is_cheaper():
    settings = load_settings("staging", config_with("staging", {}))
    assert (settings.network.az_count, settings.network.nat_mode) == (2, "single")
    assert not settings.database.multi_az
    assert settings.web_service.cpu < 2048


def test_stack_files_that_name_the_profile_tier_keep_working():
    # `tier` is what stack files written before the profile was named so call it.
    legacy = load_settings("staging", config_with("staging", {"webapp:profile": None, "webapp:tier": "staging"}))
    assert legacy == load_settings("staging", config_with("staging", {}))
    same = load_settings("staging", config_with("staging", {"webapp:tier": "staging"}))
    assert same.profile == "staging"


def test_stack_file_overrides_profile_default():
    settings = load_settings("staging", config_with("staging", {"webapp:network": {"azCount": 3}}))
    assert settings.network.az_count == 3


def test_default_tags_name_environment_project_owner_cost_centre_and_tool():
    tags = load_settings("prod", config_with("prod", {})).default_tags()
    assert tags == {
        "environment": "prod",
        "project": "webapp",
        "owner": "platform-team",
        "cost-center": "cc-4200",
        "managed-by": "pulumi",
    }


@pytest.mark.parametrize(
    "overrides, line",
    [
        (
            {"webapp:network": {"vpcCidr": "10.0.0.0/33"}},
            "prod: network.vpcCidr: not an IPv4 network CIDR: '33' is not a valid netmask (got 10.0.0.0/33)",
        ),
        (
            {"webapp:network": {"vpcCidr": "10.0.0.1/16"}},
            "prod: network.vpcCidr: not an IPv4 network CIDR: 10.0.0.1/16 has host bits set (got 10.0.0.1/16)",
        ),
        (
            {"webapp:network": {"vpcCidr": "10.0.0.0/8"}},
            "prod: network.vpcCidr: prefix must be /16 to /28, the VPC sizes AWS accepts (got 10.0.0.0/8)",
        ),
        (
            {"webapp:network": {"vpcCidr": "10.0.0.0/24"}},
            "prod: network.vpcCidr: a /24 VPC gives /28 subnets; it must be /23 or larger: ALB subnets need /27 and a "
            "private subnet must hold 25 addresses (6 endpoint ENIs + 14 tasks at maxCount during a deployment + "
            "5 AWS-reserved, /27) (got 10.0.0.0/24)",
        ),
        (
            {"aws:region": "us-east-9"},
            "prod: aws:region: not an AWS region; did you mean us-east-2 or us-east-1 or us-west-2? "
            f"(regions from botocore {botocore.__version__}'s partition data) (got us-east-9)",
        ),
        (
            {"webapp:network": {"vpcCidr": "8.8.0.0/16"}},
            "prod: network.vpcCidr: must be a private (RFC 1918) range (got 8.8.0.0/16)",
        ),
        ({"webapp:network": {"azCount": 2}}, "prod: network.azCount: prod needs 3 to 4 availability zones (got 2)"),
        (
            {"webapp:network": {"azCount": 5}},
            "prod: network.azCount: input should be less than or equal to 4 (got 5)",
        ),
        (
            {"webapp:network": {"natMode": "single"}},
            "prod: network.natMode: prod needs one NAT gateway per AZ (per-az) (got single)",
        ),
        ({"webapp:network": {"natMod": "single"}}, "prod: network.natMod: unknown key (got single)"),
        ({"webapp:netwrok": {"azCount": 3}}, "prod: netwrok: unknown key (got {'azCount': 3})"),
        ({"aws:region": None}, "prod: aws:region: required (got nothing)"),
        ({"webapp:profile": "production"}, "prod: profile: must be one of prod, staging (got production)"),
        (
            {"webapp:tier": "staging"},
            "prod: tier: is the former name of profile (prod); set profile only (got staging)",
        ),
    ],
)
def test_network_and_stack_rejections(overrides, line):
    assert rejection("prod", overrides) == [line]


@pytest.mark.parametrize(
    "database, line",
    [
        (
            {"backupRetentionDays": 0},
            "prod: database.backupRetentionDays: input should be greater than or equal to 1 (got 0)",
        ),
        (
            {"backupRetentionDays": 36},
            "prod: database.backupRetentionDays: input should be less than or equal to 35 (got 36)",
        ),
        ({"backupRetentionDays": 3}, "prod: database.backupRetentionDays: prod keeps backups at least 7 days (got 3)"),
        ({"multiAz": False}, "prod: database.multiAz: prod runs the database in Multi-AZ (got false)"),
        ({"backupWindow": "3:00-4:00"}, "prod: database.backupWindow: must be hh:mm-hh:mm in UTC (got 3:00-4:00)"),
        (
            {"maintenanceWindow": "sunday:04:30-sun:05:30"},
            "prod: database.maintenanceWindow: must be ddd:hh:mm-ddd:hh:mm in UTC (ddd = mon..sun) (got sunday:04:30-sun:05:30)",
        ),
        (
            {"maintenanceWindow": "tue:03:30-tue:04:30"},
            "prod: database.maintenanceWindow: overlaps backupWindow 03:00-04:00 (got tue:03:30-tue:04:30)",
        ),
    ],
)
def test_database_rejections(database, line):
    assert rejection("prod", {"webapp:database": database}) == [line]


def test_every_problem_is_reported_at_once():
    lines = rejection(
        "prod",
        {"webapp:network": {"azCount": 2, "natMode": "single"}, "webapp:database": {"backupRetentionDays": 3}},
    )
    assert len(lines) == 3


def test_cross_field_problems_are_reported_beside_type_errors():
    lines = rejection("prod", {"webapp:network": {"vpcCidr": "nope"}, "webapp:database": {"multiAz": False}})
    assert [line.split(":")[1].strip() for line in lines] == ["network.vpcCidr", "database.multiAz"]


def test_cross_field_problems_of_a_camel_case_section_are_reported_beside_type_errors():
    overrides = {"webapp:network": {"vpcCidr": "nope"}, "webapp:loadBalancer": {"deletionProtection": False}}
    lines = rejection("prod", overrides)
    assert [line.split(":")[1].strip() for line in lines] == ["network.vpcCidr", "loadBalancer.deletionProtection"]


def test_synth_cli_rejects_a_yaml_syntax_error_with_exit_2_and_no_traceback(tmp_path, capsys):
    # The command's main() in this process: test_synth runs `python -m tools.synth` itself.
    broken = tmp_path / "Pulumi.prod.yaml"
    broken.write_text(
        (ROOT / "Pulumi.prod.yaml").read_text().replace("    costCenter: cc-4200", "   costCenter: cc-4200")
    )
    assert synth.main(["--stack", "prod", "--config-file", str(broken)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"{broken}:9:4: expected <block end>, but found '<block mapping start>'"
        " (while parsing a block mapping at line 4)"
    ]


def test_the_smallest_vpc_grows_with_the_tasks_the_private_subnets_hold():
    services = [{**config_with("prod", {})["webapp:services"][0], "maxCount": 200}]
    assert rejection("prod", {"webapp:services": services, "webapp:network": {"vpcCidr": "10.0.0.0/22"}}) == [
        "prod: network.vpcCidr: a /22 VPC gives /26 subnets; it must be /20 or larger: ALB subnets need /27 and a "
        "private subnet must hold 145 addresses (6 endpoint ENIs + 134 tasks at maxCount during a deployment + "
        "5 AWS-reserved, /24) (got 10.0.0.0/22)"
    ]


def test_a_vpc_that_fits_the_alb_and_the_tasks_is_accepted():
    settings = load_settings("prod", config_with("prod", {"webapp:network": {"vpcCidr": "10.0.0.0/23"}}))
    assert settings.network.subnet_cidr("public", 0) == "10.0.0.0/27"


def test_an_aws_key_in_a_list_is_named_with_its_namespace_and_index():
    assert rejection("prod", {"aws:allowedAccountIds": ["123456789012", "12345"]}) == [
        "prod: aws:allowedAccountIds[1]: must match ^\\d{12}$ (got 12345)"
    ]


def test_the_error_message_is_every_problem_line():
    # What a caller that prints the exception itself (not its lines) shows.
    with pytest.raises(ConfigError) as caught:
        load_settings("prod", config_with("prod", {"webapp:network": {"azCount": 2, "natMode": "single"}}))
    assert str(caught.value) == "\n".join(caught.value.lines)
    assert len(caught.value.lines) == 2


def test_a_usage_file_lays_its_keys_over_the_stacks_usage():
    # `tools.cost --usage FILE`: a what-if over the stack's own usage, nested keys one by one.
    usage = load_settings("staging", config_with("staging", {})).usage
    what_if = with_usage(usage, {"requestsPerMonth": 2_000_000, "logs": {"service": 4}}, "what-if.yaml")
    assert (what_if.requests_per_month, what_if.logs.service) == (2_000_000, 4)
    assert (what_if.logs.database, what_if.nat_processed_gb) == (usage.logs.database, usage.nat_processed_gb)


@pytest.mark.parametrize(
    "overrides, line",
    [
        ([1, 2], "what-if.yaml: usage: must be a mapping of usage keys (got list)"),
        ({"natGB": 3}, "what-if.yaml: usage.natGB: unknown key (got 3)"),
        (
            {"logs": {"cache": -1}},
            "what-if.yaml: usage.logs.cache: input should be greater than or equal to 0 (got -1)",
        ),
    ],
)
def test_a_usage_file_that_does_not_fit_is_rejected_naming_the_file_and_key(overrides, line):
    usage = load_settings("staging", config_with("staging", {})).usage
    with pytest.raises(ConfigError) as caught:
        with_usage(usage, overrides, "what-if.yaml")
    assert caught.value.lines == [line]
