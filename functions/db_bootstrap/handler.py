"""Creates the application's database role and its grants, idempotently; invoked on every deploy
that changes them (an `aws.lambda_.Invocation` in components/database_bootstrap.py).

It logs in as the RDS master user (the RDS-managed secret, read from Secrets Manager at run time)
and makes sure that, in the application database:

- the role `<appUser>` exists with LOGIN, without a password, and is neither superuser nor
  allowed to create roles, databases, replicate or bypass row-level security;
- it is a member of `rds_iam`, so it logs in only with IAM authentication tokens;
- it may CONNECT to the database (and use temporary tables);
- it may USAGE and CREATE in the schema `<appUser>` (owned by the master user, so the application
  owns the tables it creates but cannot drop the schema or grant on it), which is first on its
  search_path;
- nobody may create objects in `public` (PostgreSQL 15's default, enforced for 13 and 14).

No statement ever carries a credential: the role has no password (IAM authentication), so
`log_statement = ddl`, which logs every CREATE/ALTER/GRANT, leaks nothing. The master password
only travels inside the SCRAM exchange of the TLS connection, never in SQL.

TLS: the parameter group refuses unencrypted connections. When the package holds the RDS CA
bundle (`rds-global-bundle.pem` beside this file) the server certificate and host name are
verified (verify-full); otherwise the connection is encrypted without verifying the certificate,
and SCRAM-SHA-256 still proves the server holds the master's password verifier.

Event: {"secretArn", "host", "port", "database", "appUser", "version"}; `version` only makes a
changed grant set or code re-run the invocation.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
from pathlib import Path
from typing import Any

import pg8000.native
from pg8000.native import identifier

LOG = logging.getLogger(__name__)
LOG.setLevel(logging.INFO)
# What the settings accept (database.appUser, database.databaseName): never needs quoting, but is
# quoted anyway.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
CA_BUNDLE = Path(__file__).with_name("rds-global-bundle.pem")
CONNECT_TIMEOUT_SECONDS = 15
# Role attributes only a superuser can change; the master user of RDS is not one.
UNFIXABLE = ("SUPERUSER", "REPLICATION", "BYPASSRLS")


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    request = _request(event)
    username, password = master_credentials(request["secretArn"])
    connection = connect(request["host"], request["port"], request["database"], username, password, CA_BUNDLE)
    try:
        done = bootstrap(connection, request["database"], request["appUser"])
    finally:
        connection.close()
    result = {"appUser": request["appUser"], "database": request["database"], "statements": done}
    result["version"] = event.get("version", "")
    LOG.info("bootstrap done: %s", json.dumps(result))
    return result


def _request(event: dict[str, Any]) -> dict[str, Any]:
    missing = [key for key in ("secretArn", "host", "port", "database", "appUser") if not event.get(key)]
    if missing:
        raise ValueError(f"event lacks {', '.join(missing)}")
    for key in ("database", "appUser"):
        if not NAME.match(str(event[key])):
            raise ValueError(f"{key} {event[key]!r} must match {NAME.pattern}")
    return {**event, "port": int(event["port"])}


def master_credentials(secret_arn: str) -> tuple[str, str]:
    """The master user name and password from the RDS-managed secret (JSON with both)."""
    import boto3  # in the Lambda runtime; imported here so the tests need no AWS for the SQL

    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    return secret["username"], secret["password"]


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """verify-full against `ca_bundle` when it exists; encrypted only otherwise (see above)."""
    if ca_bundle is not None and ca_bundle.is_file():
        return ssl.create_default_context(cafile=str(ca_bundle))
    LOG.warning("no RDS CA bundle in the package: the server certificate is not verified")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def connect(
    host: str, port: int, database: str, user: str, password: str, ca_bundle: Path | None
) -> pg8000.native.Connection:
    return pg8000.native.Connection(
        user,
        password=password,
        host=host,
        port=port,
        database=database,
        ssl_context=tls_context(ca_bundle),
        timeout=CONNECT_TIMEOUT_SECONDS,
        application_name="db-bootstrap",
    )


def bootstrap(connection: pg8000.native.Connection, database: str, app_user: str) -> int:
    """Bring the role and its grants to the state described above; returns how many statements
    ran. Every statement is safe to repeat."""
    role, db, schema = identifier(app_user), identifier(database), identifier(app_user)
    exists = connection.run("SELECT 1 FROM pg_roles WHERE rolname = :name", name=app_user)
    if exists:
        _check_attributes(connection, app_user, UNFIXABLE)
    statements = [
        # CREATE ROLE defaults to NOSUPERUSER, NOREPLICATION, NOBYPASSRLS; only a superuser may
        # state them, so they are checked afterwards instead.
        f"ALTER ROLE {role} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD NULL"
        if exists
        else f"CREATE ROLE {role} WITH LOGIN NOCREATEDB NOCREATEROLE",
        f"GRANT rds_iam TO {role}",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {role}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"CREATE SCHEMA IF NOT EXISTS {schema}",
        f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC",
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}",
        f"ALTER ROLE {role} IN DATABASE {db} SET search_path = {schema}",
    ]
    for statement in statements:
        LOG.info("%s", statement)
        connection.run(statement)
    _check_attributes(connection, app_user, (*UNFIXABLE, "CREATEROLE", "CREATEDB"))
    return len(statements)


def _check_attributes(connection: pg8000.native.Connection, app_user: str, powers: tuple[str, ...]) -> None:
    """Refuse a role someone made more powerful than the application may be. The master user
    cannot take SUPERUSER, REPLICATION or BYPASSRLS away (nor even state NO... for them), so a
    human has to: those are checked before an existing role is touched, all of them after."""
    rows = connection.run(
        "SELECT json_build_object('SUPERUSER', rolsuper, 'REPLICATION', rolreplication, "
        "'BYPASSRLS', rolbypassrls, 'CREATEROLE', rolcreaterole, 'CREATEDB', rolcreatedb) "
        "FROM pg_roles WHERE rolname = :name",
        name=app_user,
    )
    ((held,),) = rows or [[{}]]
    excess = [power for power in powers if held.get(power)]
    if excess:
        raise RuntimeError(f"role {app_user} holds {', '.join(excess)}: revoke it as a superuser, then deploy again")
