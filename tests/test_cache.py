"""ElastiCache: engine, placement, failover, encryption, AUTH token handling, snapshots, logs."""

from __future__ import annotations

import pytest

from settings import load_settings
from settings.windows import overlaps
from tests.data_tier import (
    admitted,
    app_containers,
    environment,
    inputs_holding,
    secrets,
    security_group_of,
    service_security_groups,
)
from tests.support import Synth, config_with, plain, synth
from tools.synth import is_secret

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
OUTPUTS = ("cacheReplicationGroupId", "cachePrimaryEndpoint", "cacheReaderEndpoint", "cachePort", "cacheAuthSecretArn")


def group(stack: Synth) -> dict:
    return stack.one(GROUP)


def inputs(stack: Synth) -> dict:
    return group(stack)["inputs"]


def settings_of(stack: str):
    return load_settings(stack, config_with(stack, {})).cache


def source(stack: Synth, key: str) -> dict:
    [resource] = stack.depends_on(group(stack), key)
    return resource


def cache_key(stack: Synth) -> dict:
    return next(r for r in stack.children("cache-encryption") if r["type"] == "aws:kms/key:Key")


def token(stack: Synth) -> str:
    return plain(stack.one(PASSWORD)["outputs"]["result"])


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_engine_version_and_node_type_follow_the_settings(stack_name):
    values, settings = inputs(synth(stack_name)), settings_of(stack_name)
    assert (values["engine"], values["engineVersion"], values["nodeType"]) == (
        settings.engine,
        settings.engine_version,
        settings.node_type,
    )


def test_parameter_group_family_matches_the_engine_version(prod):
    parameters = source(prod, "parameterGroupName")["inputs"]
    assert parameters["family"] == "valkey8"
    assert {p["name"]: p["value"] for p in parameters["parameters"]} == {"maxmemory-policy": "volatile-lru"}


def test_redis_gets_a_redis_parameter_group(optional_staging):
    # Its cache is Redis OSS 7.1.
    assert inputs(optional_staging)["engine"] == "redis"
    assert source(optional_staging, "parameterGroupName")["inputs"]["family"] == "redis7"


def test_data_tiering_is_on_for_r6gd_nodes_only(prod, optional_staging):
    # Its cache runs on cache.r6gd.xlarge nodes.
    group = optional_staging.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group["inputs"]["nodeType"] == "cache.r6gd.xlarge" and group["inputs"]["dataTieringEnabled"] is True
    assert "dataTieringEnabled" not in prod.one("aws:elasticache/replicationGroup:ReplicationGroup")["inputs"]


def test_runs_in_the_isolated_subnets_through_its_own_subnet_group(prod):
    subnet_group = source(prod, "subnetGroupName")
    assert subnet_group["type"] == "aws:elasticache/subnetGroup:SubnetGroup"
    subnets = prod.depends_on(subnet_group, "subnetIds")
    assert sorted(s["inputs"]["tags"]["tier"] for s in subnets) == ["isolated"] * 3


def test_uses_only_its_own_security_group_which_has_no_rules_of_its_own(prod):
    [security_group] = prod.depends_on(group(prod), "securityGroupIds")
    assert security_group["urn"] == security_group_of(prod, "cache")["urn"]
    assert "ingress" not in security_group["inputs"] and "egress" not in security_group["inputs"]


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_security_group_admits_exactly_the_services_on_6379(stack_name):
    stack = synth(stack_name)
    expected = [(group, None, 6379.0, 6379.0) for group in service_security_groups(stack)]
    assert expected
    assert admitted(stack, security_group_of(stack, "cache")) == expected


def test_prod_runs_two_nodes_with_automatic_failover_across_azs(prod):
    values = inputs(prod)
    assert values["numCacheClusters"] >= 2
    assert values["automaticFailoverEnabled"] is True and values["multiAzEnabled"] is True


def test_staging_runs_one_node_without_failover(staging):
    values = inputs(staging)
    assert (values["numCacheClusters"], values["automaticFailoverEnabled"], values["multiAzEnabled"]) == (
        1.0,
        False,
        False,
    )


def test_encrypted_at_rest_with_the_cache_key(prod):
    assert inputs(prod)["atRestEncryptionEnabled"] is True
    assert source(prod, "kmsKeyId")["urn"] == cache_key(prod)["urn"]


def test_tls_is_required_in_transit(prod):
    values = inputs(prod)
    assert values["transitEncryptionEnabled"] is True and values["transitEncryptionMode"] == "required"


def test_auth_token_is_generated_in_a_length_and_alphabet_elasticache_accepts(prod):
    password = prod.one(PASSWORD)["inputs"]
    assert 16 <= password["length"] <= 128
    assert password["special"] is False


def test_auth_token_is_a_secret_input_of_the_group_from_the_generated_password(prod):
    assert is_secret(inputs(prod)["authToken"])
    assert source(prod, "authToken")["type"] == PASSWORD


def test_auth_token_appears_only_in_the_group_and_its_secret_version_and_only_as_a_secret(prod, staging):
    for stack in (prod, staging):
        holders = inputs_holding(stack, token(stack))
        assert set(holders) == {(GROUP, "cache-group"), (SECRET_VERSION, "cache-auth-token")}
        assert all(is_secret(leaf) for leaves in holders.values() for leaf in leaves)


def test_auth_token_is_in_no_stack_output(prod):
    assert token(prod) not in str(prod.outputs)


def test_token_secret_is_encrypted_with_the_cache_key(prod):
    secret = prod.one(SECRET)
    assert prod.depends_on(secret, "kmsKeyId")[0]["urn"] == cache_key(prod)["urn"]
    version = prod.one(SECRET_VERSION)
    assert prod.depends_on(version, "secretId")[0]["urn"] == secret["urn"]


def test_token_changes_replace_the_old_token_outright(prod):
    assert inputs(prod)["authTokenUpdateStrategy"] == "SET"


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_snapshots_are_kept_per_profile_in_their_window_outside_maintenance(stack_name):
    values, settings = inputs(synth(stack_name)), settings_of(stack_name)
    assert values["snapshotRetentionLimit"] == settings.snapshot_retention_days
    assert values["snapshotWindow"] == "02:00-03:00"
    assert not overlaps(values["snapshotWindow"], values["maintenanceWindow"])


def test_prod_keeps_a_week_of_snapshots(prod):
    assert inputs(prod)["snapshotRetentionLimit"] >= 7


def test_a_final_snapshot_with_a_stable_name_is_taken_on_delete(prod):
    assert inputs(prod)["finalSnapshotIdentifier"] == "webapp-prod-cache-final"


def test_minor_upgrades_are_automatic(prod):
    assert inputs(prod)["autoMinorVersionUpgrade"] is True


@pytest.mark.parametrize("stack_name, immediately", [("prod", False), ("staging", True)])
def test_changes_wait_for_the_maintenance_window_in_prod(stack_name, immediately):
    assert inputs(synth(stack_name))["applyImmediately"] is immediately


def test_slow_and_engine_logs_go_to_encrypted_log_groups(prod):
    logs_key = next(r for r in prod.children("logs") if r["type"] == "aws:kms/key:Key")
    deliveries = {d["logType"]: d for d in inputs(prod)["logDeliveryConfigurations"]}
    assert set(deliveries) == {"slow-log", "engine-log"}
    for log_type, delivery in deliveries.items():
        assert delivery["destinationType"] == "cloudwatch-logs"
        log_group = next(r for r in prod.children("cache") if r["name"] == f"cache-{log_type}")
        assert delivery["destination"] == log_group["inputs"]["name"]
        assert log_group["inputs"]["retentionInDays"] == settings_of("prod").log_retention_days
        assert prod.depends_on(log_group, "kmsKeyId")[0]["urn"] == logs_key["urn"]


@pytest.mark.parametrize("stack_name, protected", [("prod", True), ("staging", False)])
def test_replication_group_is_protected_in_prod(stack_name, protected):
    assert group(synth(stack_name))["options"]["protect"] is protected


def test_stack_outputs_name_the_endpoints_and_the_token_secret(prod):
    outputs, state = prod.outputs, group(prod)["outputs"]
    assert set(OUTPUTS) <= set(outputs)
    assert (outputs["cachePrimaryEndpoint"], outputs["cacheReaderEndpoint"]) == (
        state["primaryEndpointAddress"],
        state["readerEndpointAddress"],
    )
    assert outputs["cacheAuthSecretArn"] == prod.one(SECRET)["outputs"]["arn"]
    assert outputs["cachePort"] == 6379.0


def test_every_service_gets_the_endpoint_as_environment_and_the_token_as_a_secret_reference(staging):
    outputs = staging.outputs
    containers = app_containers(staging)
    assert len(containers) == 2
    for container in containers:
        env = environment(container)
        assert (env["CACHE_HOST"], env["CACHE_PORT"], env["CACHE_TLS"]) == (
            outputs["cachePrimaryEndpoint"],
            "6379",
            "true",
        )
        assert secrets(container)["CACHE_AUTH_TOKEN"] == outputs["cacheAuthSecretArn"]
