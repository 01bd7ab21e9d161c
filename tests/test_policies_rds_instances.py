"""RDS instance policies (policies/webapp_policies/rds.py): the problem line each break of
tests/test_policies_rds.py's table shows in the PR report, the inputs left unset whose provider
default is unsafe, the bounds of the policy config (minimum backup days, allowed key ARNs) and
Performance Insights left off. The table is imported, not redefined: the pack checks it once, and
a TABLE of this file's own would make the mutation run credit these tests to no pack module
(tests/mutation_support.py, `reached`)."""

import pytest

from tests.policy_support import DELETE, document, messages, resource, variant_urn
from tests.test_policies_rds import DB, INSTANCE, INSTANCE_INPUTS, KEY, TABLE

# variant of the table -> (policy, the problem line the reviewer reads)
PROBLEM_LINES = {
    "no-kms-key": (
        "aws-rds-instance-customer-managed-key",
        "kmsKeyId is not set, so storage uses the AWS-managed key aws/rds",
    ),
    "aws-managed-key": ("aws-rds-instance-customer-managed-key", "kmsKeyId 'alias/aws/rds' is an AWS-managed key"),
    "public": ("aws-rds-instance-not-public", "publiclyAccessible is true"),
    "single-az": ("aws-rds-instance-multi-az", "multiAz is false (the provider default is false)"),
    "no-deletion-protection": (
        "aws-rds-instance-deletion-protection",
        "deletionProtection is false (the provider default is false)",
    ),
    "no-log-exports": (
        "aws-rds-instance-log-exports",
        "enabledCloudwatchLogsExports does not include postgresql, upgrade",
    ),
    "monitoring-off": (
        "aws-rds-instance-enhanced-monitoring",
        "monitoringInterval is 0 (the provider default is 0, monitoring off)",
    ),
    "monitoring-no-role": ("aws-rds-instance-enhanced-monitoring", "monitoringRoleArn is not set"),
    "no-iam-auth": ("aws-rds-instance-iam-authentication", "iamDatabaseAuthenticationEnabled is false"),
    "no-minor-upgrades": ("aws-rds-instance-patching", "autoMinorVersionUpgrade is false"),
    "old-ca": (
        "aws-rds-instance-patching",
        "caCertIdentifier 'rds-ca-2019' is not a current CA (rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, rds-ca-ecc384-g1)",
    ),
    "no-tag-copy": (
        "aws-rds-instance-copy-tags-to-snapshots",
        "copyTagsToSnapshot is false (the provider default is false)",
    ),
    "pi-default-key": (
        "aws-rds-instance-performance-insights-key",
        "performanceInsightsKmsKeyId is not set, so Performance Insights uses the AWS-managed key",
    ),
    "pi-aws-key": (
        "aws-rds-instance-performance-insights-key",
        "performanceInsightsKmsKeyId 'alias/aws/rds' is an AWS-managed key",
    ),
}


@pytest.mark.parametrize("variant", PROBLEM_LINES)
def test_each_break_shows_the_reviewer_its_value(policy_pack, variant):
    policy, line = PROBLEM_LINES[variant]
    assert messages(TABLE.report(policy_pack), policy, variant_urn(DB, variant)) == [line]


def problems(policy_pack, policy: str, config: dict | None = None, **inputs) -> list[str]:
    """`policy`'s problem lines for the table's compliant instance with `inputs` changed
    (DELETE leaves one out), under the policy `config`."""
    changed = {**INSTANCE_INPUTS, **inputs}
    db = resource(INSTANCE, "db", {key: value for key, value in changed.items() if value is not DELETE})
    return messages(policy_pack.check(document(db), config), policy)


def test_deletion_protection_left_unset_is_off(policy_pack):
    assert problems(policy_pack, "aws-rds-instance-deletion-protection", deletionProtection=DELETE) == [
        "deletionProtection is not set (the provider default is false)"
    ]


def test_iam_authentication_left_unset_is_off(policy_pack):
    assert problems(policy_pack, "aws-rds-instance-iam-authentication", iamDatabaseAuthenticationEnabled=DELETE) == [
        "iamDatabaseAuthenticationEnabled is not set"
    ]


def test_a_monitoring_interval_left_unset_is_monitoring_off(policy_pack):
    # The role alone does not turn Enhanced Monitoring on: the provider's default interval is 0.
    assert problems(policy_pack, "aws-rds-instance-enhanced-monitoring", monitoringInterval=DELETE) == [
        "monitoringInterval is not set (the provider default is 0, monitoring off)"
    ]


def test_performance_insights_left_off_needs_no_key(policy_pack):
    policy = "aws-rds-instance-performance-insights-key"
    assert problems(policy_pack, policy, performanceInsightsEnabled=DELETE, performanceInsightsKmsKeyId=DELETE) == []
    assert problems(policy_pack, policy, performanceInsightsEnabled=False, performanceInsightsKmsKeyId=DELETE) == []


def test_backups_kept_exactly_the_minimum_days_pass(policy_pack):
    assert problems(policy_pack, "aws-rds-instance-backup-retention", backupRetentionPeriod=7.0) == []


def test_backups_left_unset_are_off_even_against_a_one_day_minimum(policy_pack):
    config = {"aws-rds-instance-backup-retention": {"minimumDays": 1}}
    assert problems(policy_pack, "aws-rds-instance-backup-retention", config, backupRetentionPeriod=DELETE) == [
        "backupRetentionPeriod is not set (the provider default is 0, backups off); at least 1 days required"
    ]


def test_a_key_the_allowed_key_arns_match_passes(policy_pack):
    config = {"aws-rds-instance-customer-managed-key": {"allowedKeyArns": ["arn:aws:kms:us-east-1:*:key/*"]}}
    assert problems(policy_pack, "aws-rds-instance-customer-managed-key", config) == []


def test_a_key_the_allowed_key_arns_do_not_match_is_named(policy_pack):
    config = {"aws-rds-instance-customer-managed-key": {"allowedKeyArns": ["arn:aws:kms:eu-west-1:*:key/*"]}}
    assert problems(policy_pack, "aws-rds-instance-customer-managed-key", config) == [
        f"kmsKeyId '{KEY}' is not one of the allowed keys"
    ]
