"""Customer-managed keys: rotation, deletion window, aliases, protection, regions, and key
policies that name every principal they let in."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import pulumi
import pulumi_aws as aws
import pytest

from components.common import AwsContext
from components.encryption import CRYPTOGRAPHIC_ACTIONS, EncryptionKey, KeyArgs, key_policy_document
from settings import load_settings
from tests.components_support import build
from tests.support import STAGING_KEY_ADMINS, Synth, config_with, rejection

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
ROLE = "aws:iam/role:Role"
CONTEXT = AwsContext(account_id="123456789012", region="us-east-1")
ADMIN_ROLE = "arn:aws:iam::123456789012:role/platform/key-admins"


def key_of(stack: Synth, component: str) -> dict:
    return next(r for r in stack.children(component) if r["type"] == KEY)


def statements(key: dict) -> list[dict]:
    return json.loads(key["inputs"]["policy"])["Statement"]


def by_sid(key: dict, sid: str) -> dict:
    return next(s for s in statements(key) if s["Sid"] == sid)


def arn_of(stack: Synth, name: str) -> str:
    return stack.named(name)["outputs"]["arn"]


def test_every_key_rotates_and_waits_30_days_before_deletion(prod):
    keys = prod.of_type(KEY)
    assert keys
    for key in keys:
        assert key["inputs"]["enableKeyRotation"] is True
        assert key["inputs"]["deletionWindowInDays"] == 30.0


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_no_key_policy_statement_has_a_wildcard_principal(request, stack):
    for key in request.getfixturevalue(stack).of_type(KEY):
        for statement in statements(key):
            principals = [
                v
                for values in statement["Principal"].values()
                for v in ([values] if isinstance(values, str) else values)
            ]
            assert "*" not in principals, (key["name"], statement["Sid"])
            assert "NotPrincipal" not in statement


def test_account_root_keeps_the_default_statement_on_every_key(prod):
    for key in prod.of_type(KEY):
        root = by_sid(key, "AccountAdministers")
        assert root["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
        assert root["Action"] == "kms:*"


def test_the_created_key_admin_role_administers_every_key(prod):
    admin = arn_of(prod, "key-admin-role")
    for key in prod.of_type(KEY):
        assert by_sid(key, "KeyAdministrators")["Principal"] == {"AWS": admin}


def test_key_administrators_cannot_use_a_key_for_data(prod):
    for key in prod.of_type(KEY):
        actions = by_sid(key, "KeyAdministrators")["Action"]
        assert not [(a, c) for a in actions for c in CRYPTOGRAPHIC_ACTIONS if fnmatchcase(c, a)]
        assert {"kms:ScheduleKeyDeletion", "kms:Disable*", "kms:Put*", "kms:TagResource"} <= set(actions)


def test_the_key_admin_role_trusts_only_the_account(prod):
    trust = json.loads(prod.named("key-admin-role")["inputs"]["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"AWS": "arn:aws:iam::123456789012:root"}]


@pytest.mark.parametrize(
    "component, readers",
    [
        # The master secret: only the bootstrap reads it (services log in with IAM tokens).
        ("database-encryption", ["db-bootstrap-function-role"]),
        # The AUTH token: the services' execution roles read it at task start.
        ("cache-encryption", ["web-execution-role", "worker-execution-role"]),
    ],
)
def test_data_keys_are_decrypted_only_by_their_secrets_readers_through_their_services(staging, component, readers):
    statement = by_sid(key_of(staging, component), "NamedConsumersDecrypt")
    roles = sorted(arn_of(staging, role) for role in readers)
    assert statement["Principal"] == {"AWS": roles[0] if len(roles) == 1 else roles}
    assert statement["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    service = component.split("-")[0].replace("database", "rds").replace("cache", "elasticache")
    assert statement["Condition"] == {
        "StringEquals": {
            "kms:ViaService": [f"{service}.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"]
        }
    }


def test_data_keys_are_created_after_the_roles_they_name(prod):
    assert (
        prod.named("db-bootstrap-function-role")["urn"]
        in key_of(prod, "database-encryption")["propertyDependencies"]["policy"]
    )
    assert prod.named("web-execution-role")["urn"] in key_of(prod, "cache-encryption")["propertyDependencies"]["policy"]


@pytest.mark.parametrize("component", ["logs", "alarms-topics", "database-backup-encryption"])
def test_keys_without_consumers_name_only_the_account_admins_and_services(prod, component):
    sids = {s["Sid"] for s in statements(key_of(prod, component))}
    assert "NamedConsumersDecrypt" not in sids


def test_logs_key_lets_cloudwatch_logs_encrypt_only_this_accounts_log_groups(prod):
    statement = by_sid(key_of(prod, "logs"), "CloudWatchLogsEncrypts")
    assert statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:*"
    )


def test_alarm_topics_key_lets_cloudwatch_publish_for_this_account_only(prod):
    statement = by_sid(key_of(prod, "alarms-topics"), "ServicesPublish")
    assert statement["Principal"] == {"Service": ["cloudwatch.amazonaws.com"]}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_a_publishing_service_may_only_make_and_read_the_data_keys_of_what_it_publishes():
    # What an encrypted SNS topic needs from a publisher's key access (Amazon SNS Developer Guide,
    # "Enable compatibility between event sources from AWS services and encrypted topics").
    policy = json.loads(
        key_policy_document(KeyArgs(context=CONTEXT, description="t", publishers=("events.amazonaws.com",)), [], [])
    )
    (publish,) = [s for s in policy["Statement"] if s["Sid"] == "ServicesPublish"]
    assert publish["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_each_key_has_a_stack_scoped_alias(prod):
    for key in prod.of_type(KEY):
        alias = next(r for r in prod.of_type(ALIAS) if key["urn"] in r["propertyDependencies"]["targetKeyId"])
        component = prod.by_urn[key["parent"]]["name"]
        assert alias["inputs"]["name"] == f"alias/prod-{component}"


def test_prod_protects_every_key(prod):
    assert all(key["options"]["protect"] for key in prod.of_type(KEY))


def test_staging_keys_can_be_destroyed_with_the_stack(staging):
    data_keys = [key_of(staging, "database-encryption"), key_of(staging, "cache-encryption")]
    assert not any(key["options"]["protect"] for key in data_keys)


def test_every_statement_of_a_key_policy_allows_on_the_key_itself():
    """Each statement grants (the policy has no Deny), on `*`: in a key policy that is the key the
    policy is attached to (AWS KMS Developer Guide, "Key policies")."""
    args = KeyArgs(
        context=CONTEXT, description="all", via_services=("rds",), logs=True, publishers=("cloudwatch.amazonaws.com",)
    )
    document = key_policy_document(args, [ADMIN_ROLE], ["arn:aws:iam::123456789012:role/reader"])
    policy = json.loads(document)
    # The current policy language; without a Version, IAM reads a policy as the 2008 one.
    assert policy["Version"] == "2012-10-17"
    # Keys sorted: the same policy is always the same text, so a preview shows no change to it.
    assert document == json.dumps(policy, sort_keys=True)
    assert len(policy["Statement"]) == 5
    assert [(s["Effect"], s["Resource"]) for s in policy["Statement"]] == [("Allow", "*")] * 5


def test_a_key_and_its_alias_are_made_through_the_provider_the_component_is_given():
    """A key of the backup region: the component is given that region's provider, and a key made
    through the stack's provider instead would sit in the primary region, where RDS cannot use it
    for the copies."""

    def program() -> None:
        provider = aws.Provider("aws-backup-region", region="us-west-2")
        EncryptionKey(
            "copies",
            KeyArgs(context=CONTEXT, description="copies", region="us-west-2"),
            opts=pulumi.ResourceOptions(provider=provider),
        )

    stack = build("prod", program)
    provider = stack.one("pulumi:providers:aws", "aws-backup-region")["urn"]
    component = stack.one("webapp:components:EncryptionKey")["urn"]
    made = [r for r in stack.resources if r["custom"] and r["type"] != "pulumi:providers:aws"]
    assert sorted(r["type"] for r in made) == [ALIAS, KEY]
    for resource in made:
        assert resource["parent"] == component
        assert resource["provider"].startswith(f"{provider}::"), resource["name"]


def test_a_key_in_another_region_names_that_regions_services():
    args = KeyArgs(context=CONTEXT, description="copies", via_services=("rds",), logs=True, region="us-west-2")
    policy = json.loads(key_policy_document(args, [], ["arn:aws:iam::123456789012:role/reader"]))
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert sids["NamedConsumersDecrypt"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "rds.us-west-2.amazonaws.com"
    ]
    assert sids["CloudWatchLogsEncrypts"]["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}


def test_cloudwatch_logs_gets_the_key_actions_it_encrypts_log_groups_with():
    # What the CloudWatch Logs User Guide ("Encrypt log data in CloudWatch Logs using AWS KMS")
    # grants the Logs principal: encrypt, decrypt, re-encrypt, generate data keys, describe.
    policy = json.loads(key_policy_document(KeyArgs(context=CONTEXT, description="logs", logs=True), [], []))
    (logs,) = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsEncrypts"]
    assert logs["Action"] == ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


def grant_statement(**extra) -> dict:
    return {"Sid": "Grants", "Effect": "Allow", "Principal": {"AWS": ADMIN_ROLE}, "Resource": "*", **extra}


def test_a_grant_statement_without_grant_is_for_aws_resource_is_refused():
    args = KeyArgs(context=CONTEXT, description="d", extra_statements=[grant_statement(Action="kms:Create*")])
    with pytest.raises(ValueError, match="Grants: kms:CreateGrant needs kms:GrantIsForAWSResource"):
        key_policy_document(args, [], [])


def test_a_single_grant_action_written_as_a_string_is_refused_too():
    args = KeyArgs(context=CONTEXT, description="d", extra_statements=[grant_statement(Action="kms:CreateGrant")])
    with pytest.raises(ValueError, match="Grants: kms:CreateGrant needs kms:GrantIsForAWSResource"):
        key_policy_document(args, [], [])


def test_a_statement_without_action_is_no_grant():
    # IAM allows NotAction in place of Action: such a statement lists no action to check.
    statement = grant_statement(NotAction="kms:ScheduleKeyDeletion")
    policy = key_policy_document(KeyArgs(context=CONTEXT, description="d", extra_statements=[statement]), [], [])
    assert statement in json.loads(policy)["Statement"]


def test_a_grant_statement_for_aws_resources_is_accepted():
    only_for_aws = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    grant = grant_statement(Action="kms:CreateGrant", Condition=only_for_aws)
    policy = key_policy_document(KeyArgs(context=CONTEXT, description="d", extra_statements=[grant]), [], [])
    assert grant in json.loads(policy)["Statement"]


def test_configured_key_admin_roles_replace_the_created_role(staging, optional_staging):
    # optional_staging names STAGING_KEY_ADMINS as its key administrators; staging itself names none.
    assert [r for r in staging.of_type(ROLE) if r["name"] == "key-admin-role"]
    assert not [r for r in optional_staging.of_type(ROLE) if r["name"] == "key-admin-role"]
    keys = optional_staging.of_type(KEY)
    assert keys
    for key in keys:
        assert by_sid(key, "KeyAdministrators")["Principal"] == {"AWS": STAGING_KEY_ADMINS}


def test_key_admin_roles_must_be_role_arns():
    lines = rejection("prod", {"webapp:encryption": {"keyAdminRoleArns": ["arn:aws:iam::123456789012:user/alice"]}})
    assert lines == [
        "prod: encryption.keyAdminRoleArns[0]: must match ^arn:aws[a-z-]*:iam::\\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$ "
        "(got arn:aws:iam::123456789012:user/alice)"
    ]


def test_key_admin_roles_must_be_in_the_stacks_account():
    other = "arn:aws:iam::999999999999:role/key-admins"
    settings_lines = rejection("prod", {"webapp:encryption": {"keyAdminRoleArns": [other]}})
    assert [line for line in settings_lines if "keyAdminRoleArns" in line] == [
        f"prod: encryption.keyAdminRoleArns[0]: must be a role of the stack's account (123456789012) (got {other})"
    ]


def test_key_admin_roles_of_the_account_are_accepted():
    settings = load_settings("prod", config_with("prod", {"webapp:encryption": {"keyAdminRoleArns": [ADMIN_ROLE]}}))
    assert settings.encryption.key_admin_role_arns == [ADMIN_ROLE]


def test_a_stack_not_held_to_accounts_takes_a_key_admin_role_of_any_account():
    other = "arn:aws:iam::999999999999:role/key-admins"
    config = config_with("prod", {"aws:allowedAccountIds": None, "webapp:encryption": {"keyAdminRoleArns": [other]}})
    assert load_settings("prod", config).encryption.key_admin_role_arns == [other]


def test_a_key_admin_role_outside_every_allowed_account_names_them_all():
    other = "arn:aws:iam::999999999999:role/key-admins"
    config = {
        "aws:allowedAccountIds": ["123456789012", "210987654321"],
        "webapp:encryption": {"keyAdminRoleArns": [other]},
    }
    assert [line for line in rejection("prod", config) if "keyAdminRoleArns" in line] == [
        "prod: encryption.keyAdminRoleArns[0]: must be a role of the stack's account (123456789012, 210987654321) "
        f"(got {other})"
    ]
