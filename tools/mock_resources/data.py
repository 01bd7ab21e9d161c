"""What AWS returns for the data tier and its keys: the database (the DbiResourceId as its id, its
endpoint, the managed master secret), its groups and backup replication, the cache's endpoints
and member clusters in either cluster mode, KMS keys and aliases, secrets and the random
passwords that fill them."""

from __future__ import annotations

import hashlib

from tools.mock_resources.context import Generator, MockContext, State


def _named(service: str, path: str, key: str = "name", id_is_arn: bool = False, max_length: int = 255) -> Generator:
    def generate(ctx: MockContext) -> State:
        name = ctx.physical_name(key, max_length)
        arn = ctx.arn(service, path.format(name=name, hex=ctx.hex(6)))
        return {"id": arn if id_is_arn else name, key: name, "arn": arn}

    return generate


def _kms_key(ctx: MockContext) -> State:
    key_id = ctx.uuid()
    return {"id": key_id, "keyId": key_id, "arn": ctx.arn("kms", f"key/{key_id}"), "keyUsage": "ENCRYPT_DECRYPT"}


def _kms_alias(ctx: MockContext) -> State:
    name = ctx.physical_name()
    return {
        "id": name,
        "name": name,
        "arn": ctx.arn("kms", name),
        "targetKeyArn": ctx.arn("kms", f"key/{ctx.uuid('target')}"),
    }


def _secret(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=256)
    arn = ctx.arn("secretsmanager", f"secret:{name}-{ctx.hex(6)}")
    return {"id": arn, "arn": arn, "name": name}


def _secret_version(ctx: MockContext) -> State:
    version = ctx.uuid()
    return {
        "id": f"{ctx.inputs.get('secretId', '')}|{version}",
        "versionId": version,
        "arn": ctx.inputs.get("secretId"),
    }


def _rds_instance(ctx: MockContext) -> State:
    identifier = ctx.physical_name("identifier", 63)
    address = f"{identifier}.c{ctx.hex(11)}.{ctx.region}.rds.amazonaws.com"
    port = int(ctx.inputs.get("port") or 5432)
    resource_id = f"db-{ctx.hex(26).upper()}"
    state: State = {
        # pulumi-aws 6+ (provider v5+): the id is the DbiResourceId, not the identifier.
        "id": resource_id,
        "identifier": identifier,
        "arn": ctx.arn("rds", f"db:{identifier}"),
        "resourceId": resource_id,
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "hostedZoneId": "Z2R2ITUGPM61AM",
        "status": "available",
        # RDS picks an AZ when none is asked for.
        "availabilityZone": ctx.inputs.get("availabilityZone") or f"{ctx.region}a",
    }
    if ctx.inputs.get("manageMasterUserPassword"):
        state["masterUserSecrets"] = [
            {
                "secretArn": ctx.arn("secretsmanager", f"secret:rds!db-{ctx.uuid('secret')}-{ctx.hex(6, 's')}"),
                "kmsKeyId": ctx.inputs.get("masterUserSecretKmsKeyId") or ctx.arn("kms", f"key/{ctx.uuid('k')}"),
                "secretStatus": "active",
            }
        ]
    return state


def _replication_group(ctx: MockContext) -> State:
    group_id = ctx.physical_name("replicationGroupId", 40)
    code = ctx.hex(6)
    region_code = "".join(part[0] for part in ctx.region.split("-")[:-1]) + ctx.region.split("-")[-1]
    state: State = {
        "id": group_id,
        "replicationGroupId": group_id,
        "arn": ctx.arn("elasticache", f"replicationgroup:{group_id}"),
        "port": int(ctx.inputs.get("port") or 6379),
    }
    if ctx.inputs.get("clusterMode") == "enabled":
        # Cluster mode enabled: one configuration endpoint; members `<group>-<shard>-<node>`.
        shards, nodes = int(ctx.inputs.get("numNodeGroups") or 1), int(ctx.inputs.get("replicasPerNodeGroup") or 0) + 1
        state["configurationEndpointAddress"] = f"clustercfg.{group_id}.{code}.{region_code}.cache.amazonaws.com"
        state["memberClusters"] = [
            f"{group_id}-{s:04d}-{n:03d}" for s in range(1, shards + 1) for n in range(1, nodes + 1)
        ]
        return state
    nodes = int(ctx.inputs.get("numCacheClusters") or 1)
    state["primaryEndpointAddress"] = f"master.{group_id}.{code}.{region_code}.cache.amazonaws.com"
    state["readerEndpointAddress"] = f"replica.{group_id}.{code}.{region_code}.cache.amazonaws.com"
    state["memberClusters"] = [f"{group_id}-{i:03d}" for i in range(1, nodes + 1)]
    return state


def _random_password(ctx: MockContext) -> State:
    length = int(ctx.inputs.get("length", 32))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    digest = hashlib.sha512(ctx.identity.encode()).digest()
    result = "".join(alphabet[digest[i % len(digest)] % len(alphabet)] for i in range(length))
    return {"id": "none", "result": result, "bcryptHash": f"$2a$10${ctx.hex(53)}"}


DATA: dict[str, Generator] = {
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:kms/replicaKey:ReplicaKey": _kms_key,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/subnetGroup:SubnetGroup": _named("rds", "subgrp:{name}", max_length=255),
    "aws:rds/parameterGroup:ParameterGroup": _named("rds", "pg:{name}", max_length=255),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": lambda c: {
        "id": c.arn("rds", f"auto-backup:ab-{c.hex(26)}")
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:elasticache/subnetGroup:SubnetGroup": _named("elasticache", "subnetgroup:{name}"),
    "aws:elasticache/parameterGroup:ParameterGroup": _named("elasticache", "parametergroup:{name}"),
    "random:index/randomPassword:RandomPassword": _random_password,
}
