"""The database bootstrap function (functions/db_bootstrap/handler.py) against a real PostgreSQL
on loopback, set up as RDS is (tests/postgres_support.py): it runs twice, then the catalogs say
what the application role may do."""

from __future__ import annotations

import importlib.util
import json
import ssl
from pathlib import Path

import pg8000.native
import pytest

from settings.stack_config import ROOT
from tests.postgres_support import DATABASE, MASTER, MASTER_PASSWORD

APP = "app"


def _load_handler():
    spec = importlib.util.spec_from_file_location("db_bootstrap_handler", ROOT / "functions/db_bootstrap/handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


handler = _load_handler()


@pytest.fixture(scope="module")
def bootstrapped(postgres):
    """The handler run twice, as two deploys would; the server log of those runs."""
    logged_before = len(postgres.log_text())
    counts = []
    for _ in range(2):
        connection = handler.connect("localhost", postgres.port, DATABASE, MASTER, MASTER_PASSWORD, postgres.ca_file)
        try:
            counts.append(handler.bootstrap(connection, DATABASE, APP))
        finally:
            connection.close()
    return counts, postgres.log_text()[logged_before:]


def catalog(postgres, query: str, **params):
    connection = postgres.superuser()
    try:
        return connection.run(query, **params)
    finally:
        connection.close()


def test_a_second_run_changes_nothing_and_succeeds(bootstrapped, postgres):
    counts, _ = bootstrapped
    assert counts[0] == counts[1] > 0
    assert catalog(postgres, "SELECT count(*) FROM pg_roles WHERE rolname = :n", n=APP) == [[1]]


def test_the_app_role_logs_in_but_holds_no_power_and_no_password(bootstrapped, postgres):
    ((row),) = catalog(
        postgres,
        "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolpassword "
        "FROM pg_authid WHERE rolname = :n",
        n=APP,
    )
    assert row == [True, False, False, False, False, False, None]


def test_the_app_role_logs_in_only_with_iam_tokens(bootstrapped, postgres):
    members = catalog(
        postgres,
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :n",
        n=APP,
    )
    assert members == [["rds_iam"]]


def test_the_app_role_may_connect_to_the_database(bootstrapped, postgres):
    assert catalog(postgres, "SELECT has_database_privilege(:n, :d, 'CONNECT')", n=APP, d=DATABASE) == [[True]]


def test_the_app_role_uses_and_creates_in_its_schema_owned_by_the_master(bootstrapped, postgres):
    rows = catalog(
        postgres,
        "SELECT pg_get_userbyid(nspowner), has_schema_privilege(:n, nspname, 'USAGE'), "
        "has_schema_privilege(:n, nspname, 'CREATE') FROM pg_namespace WHERE nspname = :n",
        n=APP,
    )
    assert rows == [[MASTER, True, True]]


def test_nobody_but_the_owner_creates_in_public(bootstrapped, postgres):
    assert catalog(postgres, "SELECT has_schema_privilege(:n, 'public', 'CREATE')", n=APP) == [[False]]
    assert catalog(postgres, "SELECT has_schema_privilege('public', 'public', 'CREATE')") == [[False]]


def test_the_app_creates_its_tables_in_its_schema_and_nowhere_else(bootstrapped, postgres):
    connection = postgres.superuser()
    try:
        connection.run(f"SET ROLE {APP}")
        connection.run(f"SET search_path = {APP}")
        connection.run("CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY)")
        assert connection.run("SELECT schemaname, tableowner FROM pg_tables WHERE tablename = 'orders'") == [[APP, APP]]
        with pytest.raises(pg8000.native.DatabaseError, match="permission denied"):
            connection.run("CREATE TABLE public.leak (id int)")
    finally:
        connection.close()


def test_the_app_roles_search_path_is_its_schema(bootstrapped, postgres):
    settings = catalog(
        postgres,
        "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
        "JOIN pg_database d ON d.oid = s.setdatabase WHERE r.rolname = :n AND d.datname = :d",
        n=APP,
        d=DATABASE,
    )
    assert settings == [[[f"search_path={APP}"]]]


def test_no_credential_reaches_the_server_log(bootstrapped):
    _, log = bootstrapped
    assert 'CREATE ROLE "app"' in log  # log_statement = ddl logged the bootstrap
    assert MASTER_PASSWORD not in log
    assert "PASSWORD '" not in log.upper()


def test_a_role_made_more_powerful_by_hand_is_refused(bootstrapped, postgres):
    catalog(postgres, f"ALTER ROLE {APP} REPLICATION")
    try:
        connection = handler.connect("localhost", postgres.port, DATABASE, MASTER, MASTER_PASSWORD, postgres.ca_file)
        try:
            with pytest.raises(RuntimeError, match="holds REPLICATION"):
                handler.bootstrap(connection, DATABASE, APP)
        finally:
            connection.close()
    finally:
        catalog(postgres, f"ALTER ROLE {APP} NOREPLICATION")


def test_powers_the_master_can_take_away_are_taken_away(bootstrapped, postgres):
    catalog(postgres, f"ALTER ROLE {APP} CREATEDB")
    connection = handler.connect("localhost", postgres.port, DATABASE, MASTER, MASTER_PASSWORD, postgres.ca_file)
    try:
        handler.bootstrap(connection, DATABASE, APP)
    finally:
        connection.close()
    assert catalog(postgres, "SELECT rolcreatedb FROM pg_roles WHERE rolname = :n", n=APP) == [[False]]


def test_the_server_certificate_is_verified_against_the_bundle(postgres, tmp_path):
    with pytest.raises(ssl.SSLError):
        handler.connect("localhost", postgres.port, DATABASE, MASTER, MASTER_PASSWORD, _unrelated_ca(tmp_path))


def test_without_a_bundle_the_connection_is_still_encrypted(postgres):
    connection = handler.connect("localhost", postgres.port, DATABASE, MASTER, MASTER_PASSWORD, None)
    try:
        assert connection.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == [[True]]
    finally:
        connection.close()


def test_the_whole_handler_reads_the_master_secret_and_reports_what_it_did(postgres, aws, monkeypatch):
    import boto3

    arn = boto3.client("secretsmanager").create_secret(
        Name="rds!db-0f4b8c9e-5a2d-4e7f-9c1b-3d6e8f0a2b4c",
        SecretString=json.dumps({"username": MASTER, "password": MASTER_PASSWORD}),
    )["ARN"]
    monkeypatch.setattr(handler, "CA_BUNDLE", postgres.ca_file)
    event = {"secretArn": arn, "host": "localhost", "port": str(postgres.port), "database": DATABASE}
    result = handler.handler({**event, "appUser": APP, "version": "v1"})
    assert result == {"appUser": APP, "database": DATABASE, "statements": 8, "version": "v1"}


@pytest.mark.parametrize("app_user", ['app"; DROP ROLE app_admin; --', "Admin", ""])
def test_a_user_name_the_settings_would_refuse_is_refused_before_connecting(app_user):
    event = {"secretArn": "arn", "host": "h", "port": 5432, "database": DATABASE, "appUser": app_user}
    with pytest.raises(ValueError, match="appUser"):
        handler.handler(event)


def _unrelated_ca(tmp_path: Path) -> Path:
    """A CA that did not sign the server's certificate."""
    from tests.postgres_support import _certificates

    return _certificates(tmp_path)[0]
