"""How every policy reads the values the engine sends (policies/webapp_policies/values.py): a
boolean or a number in a shape the provider does not use, a single value for a list, a policy
document that is not a string, a value not known yet, each seen through a policy's verdict and
the problem line the PR report shows."""

import json

import pytest

from tests.policy_support import UNKNOWN, document, messages, resource

KEY = "aws:kms/key:Key"
INSTANCE = "aws:rds/instance:Instance"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def test_a_false_string_turns_off_what_the_provider_defaults_to_on(policy_pack):
    # isEnabled defaults to true: "false" is read as false, not as the default.
    key = resource(KEY, "key", {"isEnabled": "false", "deletionWindowInDays": 30.0})
    assert messages(policy_pack.check(document(key)), "aws-kms-key-deletion-window") == ["isEnabled is false"]


def test_a_string_that_is_not_a_boolean_does_not_pass_as_encrypted(policy_pack):
    # Not "true" or "false": the provider default (false) applies, so the database is reported.
    db = resource(INSTANCE, "db", {"engine": "postgres", "storageEncrypted": "yes"})
    assert messages(policy_pack.check(document(db)), "aws-rds-instance-storage-encrypted") == [
        "storageEncrypted is 'yes' (the provider default is false)"
    ]


def test_a_boolean_is_not_a_replica_count(policy_pack):
    # true is not one replica (Python's True == 1): the provider default, none, applies.
    cache = resource(
        REPLICATION_GROUP,
        "cache",
        {
            "automaticFailoverEnabled": True,
            "multiAzEnabled": True,
            "numNodeGroups": 2.0,
            "replicasPerNodeGroup": True,
        },
    )
    assert messages(policy_pack.check(document(cache)), "aws-elasticache-replication-group-multi-az") == [
        "replicasPerNodeGroup is true, so shards have no replica"
    ]


def test_a_single_cidr_where_a_list_is_expected_is_still_checked(policy_pack):
    rule = {"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": "0.0.0.0/0", "description": "ssh"}
    group = resource("aws:ec2/securityGroup:SecurityGroup", "sg", {"description": "Bastion", "ingress": [rule]})
    assert messages(policy_pack.check(document(group)), "aws-ec2-security-group-world-ingress-ports") == [
        "allows tcp 22 from 0.0.0.0/0"
    ]


@pytest.mark.parametrize(("policy", "shown"), [(5.0, "float"), (True, "bool")])
def test_a_policy_document_that_is_not_a_string_names_what_it_is(policy_pack, policy, shown):
    key = resource(KEY, "key", {"policy": policy})
    assert messages(policy_pack.check(document(key)), "aws-kms-key-policy-not-public") == [
        f"policy is expected a JSON string, got {shown}"
    ]


def test_a_document_value_is_shown_with_its_keys_sorted(policy_pack):
    # The same principal reads the same in every PR report, whatever order the program wrote it in.
    statement = {"Sid": "Open", "Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com", "AWS": "*"}}
    key = resource(KEY, "key", {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})})
    assert messages(policy_pack.check(document(key)), "aws-kms-key-policy-named-principals") == [
        'statement Open allows the wildcard principal {"AWS": "*", "Service": "logs.amazonaws.com"}'
    ]


def test_a_name_not_known_yet_is_shown_as_unknown(policy_pack):
    # In a preview the inline policy's name may come from a resource not created yet; its
    # document is known and is reported all the same.
    role = resource(
        "aws:iam/role:Role",
        "role",
        {"assumeRolePolicy": "{}", "inlinePolicies": [{"name": UNKNOWN, "policy": json.dumps(ADMIN)}]},
    )
    assert messages(policy_pack.check(document(role)), "aws-iam-policy-no-full-admin") == [
        'inline policy <unknown> allows Action "*" on Resource "*"'
    ]
