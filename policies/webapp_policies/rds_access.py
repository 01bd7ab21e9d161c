"""RDS DB instances: how they are reached. The master password RDS keeps, a port and master
username that are not the engine's defaults, and the stack's own DB subnet group."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy
from .rds import INSTANCE, is_replica
from .values import UNKNOWN, aws_managed_key, default_subnet_group, show

# Default ports by engine family, used when `port` is absent (the engine's default applies).
ENGINE_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306, "oracle": 1521, "sqlserver": 1433, "db2": 50000}


def _managed_master_password(db, config):
    if is_replica(db):
        return
    for key in ("password", "passwordWo"):
        if db.has(key):
            yield f"{key} is set: the master password would sit in the program and the state"
    if db.flag("manageMasterUserPassword", False) is False:
        yield "manageMasterUserPassword is not true"
    key = db.get("masterUserSecretKmsKeyId")
    if key is UNKNOWN:
        return
    if key is not None and aws_managed_key(key):
        yield f"masterUserSecretKmsKeyId {show(key)} is an AWS-managed key"
    elif key is None and config["requireCustomerManagedKey"] and db.flag("manageMasterUserPassword") is True:
        yield "masterUserSecretKmsKeyId is not set, so the master secret uses the AWS-managed key"


managed_master_password = resource_policy(
    Control(
        name="aws-rds-instance-managed-master-password",
        description="The RDS master password is generated and kept by RDS in Secrets Manager, never in the program or state.",
        category="secrets",
        severity=Severity.HIGH,
        remediation=(
            "Set manage_master_user_password=True (drop password), and master_user_secret_kms_key_id "
            "to a customer-managed key; applications read the secret from Secrets Manager."
        ),
        config={
            "requireCustomerManagedKey": {
                "type": "boolean",
                "default": True,
                "description": "Require master_user_secret_kms_key_id to be a customer-managed key.",
            }
        },
    ),
    INSTANCE,
)(_managed_master_password)


def _non_default_port(db, config):
    engine, port = db.get("engine"), db.number("port")
    if not isinstance(engine, str) or port is UNKNOWN or is_replica(db):
        return
    default = next((p for family, p in ENGINE_PORTS.items() if engine.startswith(family)), None)
    if default is None:
        return
    if port is None:
        yield f"port is not set, so the instance listens on the {engine} default {default}"
    elif port == default:
        yield f"port is the {engine} default {default}"


non_default_port = resource_policy(
    Control(
        name="aws-rds-instance-non-default-port",
        description="RDS DB instances listen on a port other than the engine's default.",
        category="hardening",
        severity=Severity.LOW,
        fsbp="RDS.23",
        remediation="Set port to a non-default value (and the security group rules and clients to match).",
    ),
    INSTANCE,
)(_non_default_port)


def _non_default_admin_username(db, config):
    username = db.get("username")
    if username is None or username is UNKNOWN:
        return
    if username.lower() in [name.lower() for name in config["forbiddenUsernames"]]:
        yield f"username is {show(username)}"


non_default_admin_username = resource_policy(
    Control(
        name="aws-rds-instance-non-default-admin-username",
        description="RDS DB instances do not use a well-known master username.",
        category="hardening",
        severity=Severity.MEDIUM,
        fsbp="RDS.25",
        remediation="Set username to a name specific to the application (the database.masterUsername stack setting).",
        config={
            "forbiddenUsernames": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["admin", "administrator", "postgres", "root"],
                "description": "Master usernames that are not allowed (case-insensitive).",
            }
        },
    ),
    INSTANCE,
)(_non_default_admin_username)


def _subnet_group(db, config):
    yield from default_subnet_group(db.get("dbSubnetGroupName"), "dbSubnetGroupName", "instance")


subnet_group = resource_policy(
    Control(
        name="aws-rds-instance-subnet-group",
        description="RDS DB instances run in the stack's own DB subnet group, not the default VPC's.",
        category="public-exposure",
        severity=Severity.HIGH,
        fsbp="RDS.18",
        remediation="Create an aws.rds.SubnetGroup over the isolated subnets and pass its name as db_subnet_group_name.",
    ),
    INSTANCE,
)(_subnet_group)


# The pack serves exactly these, in this order.
POLICIES = [
    managed_master_password,
    non_default_port,
    non_default_admin_username,
    subnet_group,
]
