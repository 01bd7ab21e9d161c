"""tools.policy_config: the policy config reconciled as the engine does, and each stack's config:
prod enforces every High and Critical policy, staging relaxes only what its profile does on purpose."""

import re

import pytest

from tests.policy_support import document, messages, resource
from tools import policy_config
from tools.policy_config import read_policy_config, stack_policy_config
from tools.policy_report import UsageError

UNENCRYPTED_DB = resource(
    "aws:rds/instance:Instance",
    "db",
    {"engine": "postgres", "storageEncrypted": False, "dbSubnetGroupName": "db-subnets", "backupRetentionPeriod": 7.0},
)


def test_all_sets_every_policy_level(policy_pack):
    report = policy_pack.check(document(UNENCRYPTED_DB), {"all": "mandatory"})
    assert {v.enforcement for v in report.violations} == {"mandatory"} and report.advisory == 0


def test_a_policy_entry_overrides_all(policy_pack):
    config = {"all": "disabled", "aws-rds-instance-copy-tags-to-snapshots": "mandatory"}
    report = policy_pack.check(document(UNENCRYPTED_DB), config)
    assert {v.policy for v in report.violations} == {"aws-rds-instance-copy-tags-to-snapshots"}


def test_checks_alternating_between_configs_each_follow_their_own(policy_pack):
    """One pack process checks under many configs (tools.plan: one per stack) and reconciles
    each config once: a config seen before must not leave its levels to the next check."""

    def fired(config):
        return {(v.policy, v.enforcement) for v in policy_pack.check(document(UNENCRYPTED_DB), config).violations}

    only_tags = {"all": "disabled", "aws-rds-instance-copy-tags-to-snapshots": "mandatory"}
    everything = fired({"all": "mandatory"})
    assert fired(only_tags) == {("aws-rds-instance-copy-tags-to-snapshots", "mandatory")}
    assert fired({"all": "mandatory"}) == everything and len(everything) > 1
    assert fired({**only_tags, "aws-rds-instance-copy-tags-to-snapshots": "advisory"}) == {
        ("aws-rds-instance-copy-tags-to-snapshots", "advisory")
    }


def test_schema_defaults_apply_when_the_config_says_nothing(policy_pack):
    db = resource("aws:rds/instance:Instance", "db", {**UNENCRYPTED_DB["inputs"], "backupRetentionPeriod": 6.0})
    assert messages(policy_pack.check(document(db), {}), "aws-rds-instance-backup-retention") == [
        "backupRetentionPeriod is 6 (the provider default is 0, backups off); at least 7 days required"
    ]


@pytest.mark.parametrize(
    "config, error",
    [
        (
            {"aws-rds-instance-backup-retention": {"minimumDays": 0}},
            "aws-rds-instance-backup-retention: minimumDays: 0 is less than the minimum of 1",
        ),
        (
            {"aws-rds-instance-backup-retention": {"minimumDay": 3}},
            "aws-rds-instance-backup-retention: unknown properties minimumDay",
        ),
        (
            {"aws-rds-instance-backup-retention": "strict"},
            'aws-rds-instance-backup-retention: "strict" is not a valid enforcement level',
        ),
        ({"aws-rds-backup-retention": "mandatory"}, "policy config names unknown policies: aws-rds-backup-retention"),
    ],
    ids=["schema", "typo-in-property", "level", "typo-in-policy"],
)
def test_an_invalid_policy_config_is_a_usage_error(policy_pack, config, error):
    with pytest.raises(UsageError, match=re.escape(error)):
        policy_pack.check(document(UNENCRYPTED_DB), config)


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_each_stack_config_is_valid(policy_pack, stack):
    policy_config.reconcile(policy_pack.info, read_policy_config(stack_policy_config(stack)))


def test_prod_enforces_every_high_and_critical_policy(policy_pack):
    levels = policy_config.reconcile(policy_pack.info, read_policy_config(stack_policy_config("prod")))
    severe = [p.name for p in policy_pack.info.policies if policy_config.SEVERITIES[p.severity] in ("high", "critical")]
    assert severe and [name for name in severe if levels[name][0] != "mandatory"] == []


@pytest.mark.parametrize(
    "policy, prod_level, staging_level",
    [
        ("aws-ec2-vpc-flow-logs", "mandatory", "advisory"),
        ("aws-rds-instance-final-snapshot", "mandatory", "advisory"),
        ("aws-rds-cluster-final-snapshot", "mandatory", "advisory"),
        ("aws-elasticache-replication-group-final-snapshot", "mandatory", "advisory"),
    ],
)
def test_stack_configs_set_the_level_of_medium_policies_prod_needs(policy_pack, policy, prod_level, staging_level):
    levels = [
        policy_config.reconcile(policy_pack.info, read_policy_config(stack_policy_config(stack)))[policy][0]
        for stack in ("prod", "staging")
    ]
    assert levels == [prod_level, staging_level]
