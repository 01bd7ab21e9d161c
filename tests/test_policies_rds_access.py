"""RDS access policies (policies/webapp_policies/rds_access.py) beyond what the table in
tests/test_policies_rds.py fires: the problem lines a reviewer reads in the PR report, the
write-only password, an unset manageMasterUserPassword, replicas and engines without a known
default port."""

from tests.policy_support import DELETE, document, messages, resource
from tests.test_policies_rds import GROUP, INSTANCE, INSTANCE_INPUTS, replica

PASSWORD = "aws-rds-instance-managed-master-password"
PORT = "aws-rds-instance-non-default-port"
USERNAME = "aws-rds-instance-non-default-admin-username"


def instance(**inputs) -> dict:
    """The compliant instance with `inputs` changed (DELETE drops one)."""
    merged = {**INSTANCE_INPUTS, **inputs}
    return resource(INSTANCE, "db", {key: value for key, value in merged.items() if value is not DELETE})


def test_a_write_only_password_is_flagged_like_a_plain_one(policy_pack):
    # password_wo, the write-only form, still puts the password in the program, and RDS keeps
    # no secret of it to rotate.
    result = policy_pack.check(document(instance(passwordWo="hunter2hunter2", manageMasterUserPassword=DELETE)))
    assert messages(result, PASSWORD) == [
        "passwordWo is set: the master password would sit in the program and the state",
        "manageMasterUserPassword is not true",
    ]


def test_an_unset_manage_master_user_password_is_not_true(policy_pack):
    # The provider default is false: RDS then keeps no secret and the program must supply one.
    result = policy_pack.check(document(instance(manageMasterUserPassword=DELETE)))
    assert messages(result, PASSWORD) == ["manageMasterUserPassword is not true"]


def test_an_aws_managed_secret_key_is_named(policy_pack):
    result = policy_pack.check(document(instance(masterUserSecretKmsKeyId="alias/aws/secretsmanager")))
    assert messages(result, PASSWORD) == ["masterUserSecretKmsKeyId 'alias/aws/secretsmanager' is an AWS-managed key"]


def test_an_unset_secret_key_says_the_aws_managed_key_applies(policy_pack):
    result = policy_pack.check(document(instance(masterUserSecretKmsKeyId=DELETE)))
    assert messages(result, PASSWORD) == [
        "masterUserSecretKmsKeyId is not set, so the master secret uses the AWS-managed key"
    ]


def test_a_replica_on_the_engine_default_port_is_left_to_its_source(policy_pack):
    # A read replica listens on its source's port unless given one; the source is checked.
    unset = {key: value for key, value in replica()["inputs"].items() if key != "port"}
    result = policy_pack.check(
        document(GROUP, replica(port=5432.0), resource(INSTANCE, "unset", unset)),
    )
    assert messages(result, PORT) == []


def test_an_engine_without_a_known_default_port_passes(policy_pack):
    # RDS Custom for SQL Server: no engine family of ENGINE_PORTS, so no default to compare with.
    result = policy_pack.check(document(instance(engine="custom-sqlserver-ee", port=1433.0)))
    assert messages(result, PORT) == []


def test_a_well_known_username_is_named_as_written(policy_pack):
    result = policy_pack.check(document(instance(username="Admin")))
    assert messages(result, USERNAME) == ["username is 'Admin'"]
