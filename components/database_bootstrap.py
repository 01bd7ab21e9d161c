"""The database bootstrap: a VPC function (functions/db_bootstrap/) that logs in as the RDS master
user and creates the application's login role and grants (IAM authentication, no password),
invoked on deploy whenever its code, the role name or the database change.

- Network: the private subnets, which reach both the database and Secrets Manager (through its
  interface endpoint where the stack has interface endpoints, else through NAT). Its security
  group may reach the database's port, and HTTPS on the endpoints' security group, or anywhere
  when the stack has no interface endpoints (staging: AWS API traffic leaves through the NAT).
  The database admits it with `allow_from`, like a service.
- Role: read the master secret (only it) and decrypt it with the database key, only through
  Secrets Manager.
- Invocation: after the instance is available and admits the function; its input carries a
  version (a digest of the package, which holds the grants, and of the names), so a changed
  grant set runs again on the next `pulumi up` and an unchanged one does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.functions import FunctionSettings

from .common import TYPE_PREFIX, AwsContext, child
from .database import Database
from .function_package import FUNCTIONS_DIR
from .service_egress import EGRESS_TO_INTERNET_TAG
from .vpc_function import Egress, VpcFunction, VpcFunctionArgs

# pg8000 and what it imports, all pure Python, copied from .venv into the package.
VENDORED = ("pg8000", "scramp", "asn1crypto", "dateutil", "six")


@dataclass(frozen=True)
class DatabaseBootstrapArgs:
    settings: FunctionSettings
    context: AwsContext
    database: Database
    vpc_id: pulumi.Input[str]
    # Subnets that reach the database and Secrets Manager: the private ones.
    subnet_ids: Sequence[pulumi.Input[str]]
    log_key_arn: pulumi.Input[str]
    # The interface endpoints' security group; None: AWS APIs are reached through NAT.
    endpoint_security_group_id: pulumi.Input[str] | None = None


class DatabaseBootstrap(pulumi.ComponentResource):
    """The bootstrap function, the database's rule admitting it, and its invocation."""

    def __init__(self, name: str, args: DatabaseBootstrapArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:DatabaseBootstrap", name, None, opts)
        database, context = args.database, args.context
        self.function = VpcFunction(
            f"{name}-function",
            VpcFunctionArgs(
                settings=args.settings,
                context=context,
                source=FUNCTIONS_DIR / "db_bootstrap",
                description=f"Creates the application role {database.app_user} of {database.identifier}",
                vpc_id=args.vpc_id,
                subnet_ids=args.subnet_ids,
                log_key_arn=args.log_key_arn,
                egress=[_database_egress(database), _secrets_manager_egress(args.endpoint_security_group_id)],
                statements=[
                    {
                        "Sid": "ReadMasterSecret",
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": database.secret_arn,
                    },
                    {
                        "Sid": "DecryptMasterSecret",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": database.key_arn,
                        "Condition": {
                            "StringEquals": {"kms:ViaService": f"secretsmanager.{context.region}.amazonaws.com"}
                        },
                    },
                ],
                vendored=VENDORED,
                security_group_tags=_internet_egress_tag(args.endpoint_security_group_id),
            ),
            opts=child(self),
        )
        admitted = database.allow_from(name, self.function.security_group_id)
        self.version = _version(self.function.package.sha256_hex, database)
        self.invocation = aws.lambda_.Invocation(
            f"{name}-run",
            function_name=self.function.name,
            input=pulumi.Output.json_dumps(
                {
                    "secretArn": database.secret_arn,
                    "host": database.address,
                    "port": database.port,
                    "database": database.database_name,
                    "appUser": database.app_user,
                    "version": self.version,
                },
                sort_keys=True,
            ),
            triggers={"version": self.version},
            # The instance must be available and admit the function before it can log in.
            opts=child(self, depends_on=[database.instance, admitted]),
        )
        self.function_name: pulumi.Output[str] = self.function.name
        self.register_outputs({"function_name": self.function_name, "version": self.version})


def _database_egress(database: Database) -> Egress:
    return Egress(
        "database",
        database.port,
        f"PostgreSQL {database.identifier}",
        security_group_id=database.security_group_id,
    )


def _secrets_manager_egress(endpoint_security_group_id: pulumi.Input[str] | None) -> Egress:
    if endpoint_security_group_id is not None:
        return Egress(
            "endpoints",
            443,
            "Secrets Manager through its interface endpoint",
            security_group_id=endpoint_security_group_id,
        )
    # Without interface endpoints (staging) AWS API calls leave through the NAT gateway.
    return Egress("https", 443, "Secrets Manager through NAT (no interface endpoints)", cidr_ipv4="0.0.0.0/0")


def _internet_egress_tag(endpoint_security_group_id: pulumi.Input[str] | None) -> dict[str, str]:
    """Without interface endpoints the group sends HTTPS to the internet on purpose, and says so
    for the policy pack (as a service's opted-in egress does)."""
    return {} if endpoint_security_group_id is not None else {EGRESS_TO_INTERNET_TAG: "true"}


def _version(package_sha256: str, database: Database) -> str:
    """What the grants depend on: the code (which holds them) and the names they name."""
    names = json.dumps([database.database_name, database.app_user, database.port])
    return hashlib.sha256(f"{package_sha256}\n{names}".encode()).hexdigest()[:16]
