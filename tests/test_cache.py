"""ElastiCache: engine, placement, failover, encryption, AUTH token handling, snapshots, logs.

The first tests read the cache built alone (tests.components_support) from prod's settings, with
and without cluster mode; the others read it in the stacks."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.cache import Cache, CacheArgs
from components.datastore import KeyAccess
from settings import StackSettings, load_settings
from settings.windows import overlaps
from tests.components_support import CONTEXT, ISOLATED_SUBNETS, LOG_KEY, VPC, build, export_link, settings_with
from tests.data_tier import (
    admitted,
    app_containers,
    environment,
    inputs_holding,
    secrets,
    security_group_of,
    service_security_groups,
)
from tests.support import CLUSTER_MODE, Synth, config_with, plain, synth
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


KEY_ADMIN = "arn:aws:iam::123456789012:role/webapp-prod-key-admin"
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/webapp-prod-web-execution"
WEB_SECURITY_GROUP = "sg-0f1e2d3c4b5a69788"
CLUSTERED = {"webapp:cache": {**CLUSTER_MODE, "shards": 3, "replicasPerShard": 2}}


def built_alone(overrides: dict[str, Any]) -> tuple[Synth, StackSettings]:
    """The cache of prod with these overrides, alone, with what it hands the services (its
    ServiceLink) as the stack output `link`."""
    settings = settings_with("prod", overrides)

    def program() -> None:
        # The composition hands every component the stack's provider in its options.
        provider = aws.Provider("aws", region=CONTEXT.region)
        cache = Cache(
            "cache",
            CacheArgs(
                settings=settings.cache,
                context=CONTEXT,
                vpc_id=VPC,
                subnet_ids=ISOLATED_SUBNETS,
                log_key_arn=LOG_KEY,
                key_access=KeyAccess(administrators=[KEY_ADMIN], consumers=[EXECUTION_ROLE]),
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        cache.allow_from("web", WEB_SECURITY_GROUP)
        export_link(cache.link)

    return build("prod", program), settings


@pytest.fixture(scope="module")
def alone() -> tuple[Synth, StackSettings]:
    return built_alone({})


@pytest.fixture(scope="module")
def alone_clustered() -> tuple[Synth, StackSettings]:
    return built_alone(CLUSTERED)


def test_every_resource_of_the_cache_is_its_own_and_made_through_the_provider_it_is_given(alone):
    stack, _ = alone
    cache = stack.one("webapp:components:Cache")["urn"]
    key = stack.one("webapp:components:EncryptionKey")
    provider = stack.one("pulumi:providers:aws", "aws")["urn"]
    assert key["parent"] == cache
    for resource in stack.resources:
        if resource["custom"] and resource["type"] != "pulumi:providers:aws":
            assert resource["parent"] in {cache, key["urn"]}, resource["name"]
            if resource["type"].startswith("aws:"):
                assert resource["provider"].startswith(f"{provider}::"), resource["name"]


def test_the_cache_and_its_key_say_what_they_hold_and_a_service_is_let_in_on_6379(alone):
    stack, settings = alone
    group = stack.one("aws:ec2/securityGroup:SecurityGroup", "cache-sg")
    assert group["inputs"] == {
        "vpcId": VPC,
        "description": f"{settings.cache.engine} webapp-prod-cache: only from the services using it",
        "tags": {"Name": "cache"},
    }
    rule = stack.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "cache-from-web")["inputs"]
    assert (rule["securityGroupId"], rule["referencedSecurityGroupId"]) == (group["id"], WEB_SECURITY_GROUP)
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 6379, 6379)
    assert stack.one("aws:kms/key:Key")["inputs"]["description"] == (
        "ElastiCache webapp-prod-cache: data at rest, snapshots, AUTH token secret"
    )


def test_the_group_runs_the_configured_engine_and_nodes_encrypted_authenticated_and_snapshotted(alone):
    stack, settings = alone
    cache = settings.cache
    group = stack.one(GROUP, "cache-group")
    values = dict(group["inputs"])
    token = values.pop("authToken")
    assert is_secret(token) and plain(token) == plain(stack.one(PASSWORD)["outputs"]["result"])
    assert values == {
        "description": f"{cache.engine} {cache.engine_version} for prod",
        "engine": cache.engine,
        "engineVersion": cache.engine_version,
        "nodeType": cache.node_type,
        "clusterMode": "disabled",
        "numCacheClusters": cache.num_nodes,
        "automaticFailoverEnabled": cache.automatic_failover,
        "multiAzEnabled": cache.multi_az,
        "port": 6379,
        "subnetGroupName": stack.one("aws:elasticache/subnetGroup:SubnetGroup")["outputs"]["name"],
        "securityGroupIds": [stack.one("aws:ec2/securityGroup:SecurityGroup", "cache-sg")["id"]],
        "parameterGroupName": stack.one("aws:elasticache/parameterGroup:ParameterGroup")["outputs"]["name"],
        "atRestEncryptionEnabled": True,
        "kmsKeyId": stack.one("aws:kms/key:Key")["outputs"]["arn"],
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "authTokenUpdateStrategy": "SET",
        "snapshotRetentionLimit": cache.snapshot_retention_days,
        "snapshotWindow": cache.snapshot_window,
        "maintenanceWindow": cache.maintenance_window,
        "finalSnapshotIdentifier": "webapp-prod-cache-final",
        "autoMinorVersionUpgrade": True,
        "applyImmediately": cache.apply_immediately,
        "logDeliveryConfigurations": [
            {
                "destination": f"/aws/elasticache/webapp-prod-cache/{log_type}",
                "destinationType": "cloudwatch-logs",
                "logFormat": "json",
                "logType": log_type,
            }
            for log_type in ("slow-log", "engine-log")
        ],
        "tags": {"Name": "webapp-prod-cache"},
    }
    assert group["options"]["protect"] is cache.protect is True


def test_a_cluster_mode_group_has_shards_of_replicas_and_a_parameter_group_that_enables_it(alone_clustered):
    stack, settings = alone_clustered
    values = stack.one(GROUP, "cache-group")["inputs"]
    assert (values["clusterMode"], values["numNodeGroups"], values["replicasPerNodeGroup"]) == (
        "enabled",
        settings.cache.shards,
        settings.cache.replicas_per_shard,
    )
    assert "numCacheClusters" not in values
    parameters = stack.one("aws:elasticache/parameterGroup:ParameterGroup")["inputs"]["parameters"]
    assert parameters == [
        {"name": "maxmemory-policy", "value": settings.cache.maxmemory_policy},
        {"name": "cluster-enabled", "value": "yes"},
    ]


def test_one_shard_keeps_the_shard_inputs_unset_and_cluster_mode_out_of_the_parameter_group(alone):
    stack, settings = alone
    values = stack.one(GROUP, "cache-group")["inputs"]
    assert "numNodeGroups" not in values and "replicasPerNodeGroup" not in values
    assert stack.one("aws:elasticache/parameterGroup:ParameterGroup")["inputs"] == {
        "family": settings.cache.parameter_group_family,
        "description": f"{settings.cache.engine} {settings.cache.engine_version} for webapp-prod-cache",
        "parameters": [{"name": "maxmemory-policy", "value": settings.cache.maxmemory_policy}],
    }


def test_the_subnet_group_holds_the_subnets_it_is_given(alone):
    stack, _ = alone
    assert stack.one("aws:elasticache/subnetGroup:SubnetGroup", "cache-subnets")["inputs"] == {
        "subnetIds": ISOLATED_SUBNETS,
        "description": "Isolated subnets of webapp-prod-cache",
    }


def test_the_token_is_64_letters_and_digits_kept_in_a_secret_under_the_cache_key(alone):
    # 64 of the 16-128 characters ElastiCache accepts; no special character, so none of the `@`,
    # `"` and `/` it refuses, and nothing to quote in a URL or a shell.
    stack, _ = alone
    assert stack.one(PASSWORD, "cache-auth-token")["inputs"] == {"length": 64, "special": False}
    secret = stack.one(SECRET, "cache-auth-token")
    # 30 days, the longest window: a deleted secret can be restored that long.
    assert secret["inputs"] == {
        "description": "AUTH token of webapp-prod-cache",
        "kmsKeyId": stack.one("aws:kms/key:Key")["outputs"]["arn"],
        "recoveryWindowInDays": 30,
    }
    version = stack.one(SECRET_VERSION, "cache-auth-token")["inputs"]
    assert version["secretId"] == secret["id"]
    assert is_secret(version["secretString"])
    assert plain(version["secretString"]) == plain(stack.one(PASSWORD)["outputs"]["result"])


def test_the_cache_key_lets_its_consumers_decrypt_only_through_elasticache_and_secrets_manager(alone):
    stack, _ = alone
    key = stack.one("aws:kms/key:Key", "cache-encryption-key")
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert statements["KeyAdministrators"]["Principal"] == {"AWS": KEY_ADMIN}
    consumers = statements["NamedConsumersDecrypt"]
    assert consumers["Principal"] == {"AWS": EXECUTION_ROLE}
    assert consumers["Condition"] == {
        "StringEquals": {
            "kms:ViaService": ["elasticache.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"]
        }
    }
    assert key["options"]["protect"] is True


def test_each_log_group_is_named_for_the_cache_kept_as_configured_and_encrypted(alone):
    stack, settings = alone
    for log_type in ("slow-log", "engine-log"):
        assert stack.one("aws:cloudwatch/logGroup:LogGroup", f"cache-{log_type}")["inputs"] == {
            "name": f"/aws/elasticache/webapp-prod-cache/{log_type}",
            "retentionInDays": settings.cache.log_retention_days,
            "kmsKeyId": LOG_KEY,
        }


def test_the_services_get_the_primary_and_reader_endpoints_tls_and_the_token_by_reference(alone):
    stack, _ = alone
    state = stack.one(GROUP)["outputs"]
    secret = stack.one(SECRET)["outputs"]["arn"]
    assert stack.outputs["link"] == {
        "environment": {
            "CACHE_HOST": state["primaryEndpointAddress"],
            "CACHE_READER_HOST": state["readerEndpointAddress"],
            "CACHE_PORT": "6379",
            "CACHE_TLS": "true",
        },
        "secrets": {"CACHE_AUTH_TOKEN": secret},
        "secret_arns": [secret],
        "key_arns": [stack.one("aws:kms/key:Key")["outputs"]["arn"]],
        # An AUTH token, not IAM: the task role needs nothing to use the cache.
        "task_statements": [],
    }


def test_a_cluster_mode_cache_gives_the_services_its_configuration_endpoint(alone_clustered):
    stack, _ = alone_clustered
    state = stack.one(GROUP)["outputs"]
    assert stack.outputs["link"]["environment"] == {
        "CACHE_HOST": state["configurationEndpointAddress"],
        "CACHE_CLUSTER_MODE": "enabled",
        "CACHE_PORT": "6379",
        "CACHE_TLS": "true",
    }


def test_the_cache_registers_its_group_endpoints_port_secret_security_group_and_key(alone):
    stack, _ = alone
    group = stack.one(GROUP)
    assert stack.one("webapp:components:Cache")["outputs"] == {
        "replication_group_id": group["id"],
        "primary_endpoint": group["outputs"]["primaryEndpointAddress"],
        "reader_endpoint": group["outputs"]["readerEndpointAddress"],
        "port": 6379,
        "token_secret_arn": stack.one(SECRET)["outputs"]["arn"],
        "security_group_id": stack.one("aws:ec2/securityGroup:SecurityGroup")["id"],
        "key_arn": stack.one("aws:kms/key:Key")["outputs"]["arn"],
    }


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
