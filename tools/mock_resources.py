"""Mock outputs of AWS resources: what `pulumi up` would read back, shaped as AWS returns it.

Each resource type maps to a generator that adds the outputs AWS computes (ARNs in each service's
format, ids with the service's prefix, DNS names, endpoints); a type without one gets an id from
its name. Values are derived from the URN with a hash, so a synth is byte-identical from one run
to the next, for one account (ACCOUNT_ID).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
PARTITION = "aws"
# Route 53 hosted zone ids of ALBs per region (AWS's published table, a subset).
ALB_ZONE_IDS = {
    "us-east-1": "Z35SXDOTRQ7X7K",
    "us-east-2": "Z3AADJGX6KTTL2",
    "us-west-2": "Z1H1FL5HABSF5",
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-central-1": "Z215JYRZR1TBD5",
}

State = dict[str, Any]
Generator = Callable[["MockContext"], State]


class MockContext:
    """What a generator knows about the resource being created."""

    def __init__(self, args: pulumi.runtime.MockResourceArgs, region: str, account: str = ACCOUNT_ID):
        self.args = args
        self.account = account
        self.inputs: State = dict(args.inputs)
        self.region = self.inputs.get("region") or region
        self.name = args.name
        # Every value derives from who the resource is, so a synth repeats byte for byte.
        self.identity = f"{pulumi.get_stack()}::{args.typ}::{args.name}"

    def hex(self, length: int, salt: str = "") -> str:
        return hashlib.sha256(f"{self.identity}{salt}".encode()).hexdigest()[:length]

    def digits(self, length: int, salt: str = "") -> str:
        return str(int(self.hex(16, salt), 16))[:length]

    def uuid(self, salt: str = "") -> str:
        return str(uuid.UUID(self.hex(32, salt)))

    def physical_name(self, key: str = "name", max_length: int = 255) -> str:
        """The name Pulumi auto-names a resource with (`<logical>-<7 hex>`) unless one is given."""
        given = self.inputs.get(key)
        if given:
            return given
        prefix = self.inputs.get(f"{key}Prefix")
        if prefix:
            return f"{prefix}{self.digits(26)}"[:max_length]
        return f"{self.name[: max_length - 8]}-{self.hex(7)}"

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return f"arn:{PARTITION}:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"


def _ec2(prefix: str, kind: str | None = None, **extra: Callable[[MockContext], Any]) -> Generator:
    def generate(ctx: MockContext) -> State:
        resource_id = f"{prefix}-{ctx.hex(17)}"
        state = {"id": resource_id, "ownerId": ctx.account}
        if kind:
            state["arn"] = ctx.arn("ec2", f"{kind}/{resource_id}")
        state.update({key: fn(ctx) for key, fn in extra.items()})
        return state

    return generate


def _named(service: str, path: str, key: str = "name", id_is_arn: bool = False, max_length: int = 255) -> Generator:
    def generate(ctx: MockContext) -> State:
        name = ctx.physical_name(key, max_length)
        arn = ctx.arn(service, path.format(name=name, hex=ctx.hex(6)))
        return {"id": arn if id_is_arn else name, key: name, "arn": arn}

    return generate


def _iam(path: str) -> Generator:
    def generate(ctx: MockContext) -> State:
        name = ctx.physical_name(max_length=64)
        return {
            "id": name,
            "name": name,
            "arn": ctx.arn("iam", f"{path}/{name}", region=False),
            "uniqueId": f"AROA{ctx.hex(17).upper()}",
            "createDate": "2026-01-01T00:00:00Z",
        }

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


def _elb_arn(ctx: MockContext, kind: str, name: str) -> tuple[str, str]:
    suffix = f"{kind}/{name}/{ctx.hex(16)}"
    return ctx.arn("elasticloadbalancing", suffix), suffix


def _load_balancer(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=32)
    kind = "app" if ctx.inputs.get("loadBalancerType", "application") == "application" else "net"
    arn, suffix = _elb_arn(ctx, f"loadbalancer/{kind}", name)
    return {
        "id": arn,
        "arn": arn,
        "arnSuffix": suffix.removeprefix("loadbalancer/"),
        "name": name,
        "dnsName": f"{name}-{ctx.digits(10)}.{ctx.region}.elb.amazonaws.com",
        "zoneId": ALB_ZONE_IDS.get(ctx.region, "Z35SXDOTRQ7X7K"),
    }


def _target_group(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=32)
    arn, suffix = _elb_arn(ctx, "targetgroup", name)
    return {"id": arn, "arn": arn, "arnSuffix": suffix, "name": name}


def _listener(ctx: MockContext) -> State:
    # arn:...:listener/app/<lb-name>/<lb-id>/<listener-id>, from the load balancer's own ARN.
    lb_arn = str(ctx.inputs.get("loadBalancerArn") or "")
    if ":loadbalancer/" in lb_arn:
        arn = f"{lb_arn.replace(':loadbalancer/', ':listener/', 1)}/{ctx.hex(16)}"
    else:
        arn = ctx.arn("elasticloadbalancing", f"listener/app/{ctx.name[:20]}/{ctx.hex(16, 'lb')}/{ctx.hex(16)}")
    return {"id": arn, "arn": arn}


def _listener_rule(ctx: MockContext) -> State:
    # arn:...:listener-rule/app/<lb-name>/<lb-id>/<listener-id>/<rule-id>, from the listener's ARN.
    listener_arn = str(ctx.inputs.get("listenerArn") or "")
    if ":listener/" in listener_arn:
        arn = f"{listener_arn.replace(':listener/', ':listener-rule/', 1)}/{ctx.hex(16)}"
    else:
        arn = ctx.arn(
            "elasticloadbalancing",
            f"listener-rule/app/{ctx.name[:20]}/{ctx.hex(16, 'lb')}/{ctx.hex(16, 'listener')}/{ctx.hex(16)}",
        )
    return {"id": arn, "arn": arn}


def _log_group(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=512)
    return {"id": name, "name": name, "arn": ctx.arn("logs", f"log-group:{name}")}


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


def _ecs_cluster(ctx: MockContext) -> State:
    name = ctx.physical_name()
    arn = ctx.arn("ecs", f"cluster/{name}")
    return {"id": arn, "arn": arn, "name": name}


def _ecs_service(ctx: MockContext) -> State:
    name = ctx.physical_name()
    cluster = str(ctx.inputs.get("cluster", "")).split("/")[-1]
    arn = ctx.arn("ecs", f"service/{cluster}/{name}")
    return {"id": arn, "arn": arn, "name": name}


def _task_definition(ctx: MockContext) -> State:
    family = ctx.inputs.get("family") or ctx.name
    base = ctx.arn("ecs", f"task-definition/{family}")
    return {"id": f"{family}", "arn": f"{base}:1", "arnWithoutRevision": base, "revision": 1}


def _bucket(ctx: MockContext) -> State:
    name = ctx.physical_name("bucket", 63)
    return {
        "id": name,
        "bucket": name,
        "arn": f"arn:{PARTITION}:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
        "hostedZoneId": "Z3AQBSTGFYJSTF",
        "region": ctx.region,
    }


def _certificate(ctx: MockContext) -> State:
    domain = ctx.inputs.get("domainName", "example.com")
    names = [domain, *ctx.inputs.get("subjectAlternativeNames", [])]
    return {
        "id": ctx.arn("acm", f"certificate/{ctx.uuid()}"),
        "arn": ctx.arn("acm", f"certificate/{ctx.uuid()}"),
        "status": "PENDING_VALIDATION",
        "domainValidationOptions": [
            {
                "domainName": name,
                "resourceRecordName": f"_{ctx.hex(32, name)}.{name}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{ctx.hex(32, 'v' + name)}.xlfgrmvvlj.acm-validations.aws.",
            }
            for name in names
        ],
    }


def _wafv2_acl(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=128)
    acl_id = ctx.uuid()
    return {"id": acl_id, "name": name, "arn": ctx.arn("wafv2", f"regional/webacl/{name}/{acl_id}"), "capacity": 1000}


def _alarm(ctx: MockContext) -> State:
    name = ctx.physical_name("name") if ctx.inputs.get("name") else ctx.physical_name("alarmName")
    return {"id": name, "alarmName": name, "arn": ctx.arn("cloudwatch", f"alarm:{name}")}


def _dashboard(ctx: MockContext) -> State:
    name = ctx.physical_name("dashboardName")
    return {"id": name, "dashboardName": name, "dashboardArn": ctx.arn("cloudwatch", f"dashboard/{name}", region=False)}


def _topic(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=256)
    arn = ctx.arn("sns", name)
    return {"id": arn, "arn": arn, "name": name}


def _scaling_target(ctx: MockContext) -> State:
    resource_id = ctx.inputs.get("resourceId", "")
    return {"id": resource_id, "arn": ctx.arn("application-autoscaling", f"scalable-target/{ctx.hex(36)}")}


def _scaling_policy(ctx: MockContext) -> State:
    name = ctx.physical_name()
    return {
        "id": name,
        "name": name,
        "arn": ctx.arn(
            "autoscaling",
            f"scalingPolicy:{ctx.uuid()}:resource/{ctx.inputs.get('resourceId', '')}:policyName/{name}",
        ),
        "alarmArns": [],
    }


def _random_password(ctx: MockContext) -> State:
    length = int(ctx.inputs.get("length", 32))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    digest = hashlib.sha512(ctx.identity.encode()).digest()
    result = "".join(alphabet[digest[i % len(digest)] % len(alphabet)] for i in range(length))
    return {"id": "none", "result": result, "bcryptHash": f"$2a$10${ctx.hex(53)}"}


def _lambda_function(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=64)
    arn = ctx.arn("lambda", f"function:{name}")
    return {
        "id": name,
        "name": name,
        "arn": arn,
        "qualifiedArn": f"{arn}:$LATEST",
        "invokeArn": f"arn:{PARTITION}:apigateway:{ctx.region}:lambda:path/2015-03-31/functions/{arn}/invocations",
        "version": "$LATEST",
        # Lambda reports the digest of the zip it received, which is what source_code_hash states.
        "codeSha256": ctx.inputs.get("sourceCodeHash") or ctx.hex(43),
        "lastModified": "2026-01-01T00:00:00.000+0000",
        "sourceCodeSize": 1_048_576,
    }


def _lambda_invocation(ctx: MockContext) -> State:
    function = ctx.inputs.get("functionName")
    return {"id": f"{function}_$LATEST_{ctx.hex(32)}", "result": '{"status": "ok"}'}


def _provider(ctx: MockContext) -> State:
    return {"id": ctx.uuid()}


def by_name(ctx: MockContext) -> State:
    return {"id": ctx.physical_name()}


GENERATORS: dict[str, Generator] = {
    "aws:ec2/vpc:Vpc": _ec2(
        "vpc",
        "vpc",
        defaultSecurityGroupId=lambda c: f"sg-{c.hex(17, 'sg')}",
        defaultRouteTableId=lambda c: f"rtb-{c.hex(17, 'rt')}",
        defaultNetworkAclId=lambda c: f"acl-{c.hex(17, 'acl')}",
        mainRouteTableId=lambda c: f"rtb-{c.hex(17, 'rt')}",
    ),
    "aws:ec2/subnet:Subnet": _ec2("subnet", "subnet", availabilityZoneId=lambda c: "use1-az1"),
    "aws:ec2/internetGateway:InternetGateway": _ec2("igw", "internet-gateway"),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb", "route-table"),
    "aws:ec2/route:Route": lambda c: {
        "id": f"r-{c.inputs.get('routeTableId', 'rtb')}{c.digits(10)}",
        "state": "active",
    },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _ec2("rtbassoc"),
    "aws:ec2/eip:Eip": lambda c: {
        "id": f"eipalloc-{c.hex(17)}",
        "allocationId": f"eipalloc-{c.hex(17)}",
        "publicIp": f"3.{int(c.hex(2), 16)}.{int(c.hex(2, 'b'), 16)}.{int(c.hex(2, 'c'), 16)}",
        "arn": c.arn("ec2", f"elastic-ip/eipalloc-{c.hex(17)}"),
    },
    "aws:ec2/natGateway:NatGateway": _ec2("nat", None, publicIp=lambda c: f"3.{int(c.hex(2), 16)}.0.1"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg", "security-group", name=lambda c: c.physical_name()),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _ec2("sg", "security-group", name=lambda c: "default"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ec2("sgr", "security-group-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _ec2("sgr", "security-group-rule"),
    # A gateway endpoint's routes name the service's AWS-managed prefix list (pl- and 8 hex digits).
    "aws:ec2/vpcEndpoint:VpcEndpoint": _ec2(
        "vpce",
        "vpc-endpoint",
        prefixListId=lambda c: (
            f"pl-{c.hex(8, 'prefix-list')}" if c.inputs.get("vpcEndpointType") == "Gateway" else None
        ),
    ),
    "aws:ec2/flowLog:FlowLog": _ec2("fl", "vpc-flow-log"),
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:kms/replicaKey:ReplicaKey": _kms_key,
    "aws:iam/role:Role": _iam("role"),
    "aws:iam/policy:Policy": _iam("policy"),
    "aws:iam/rolePolicy:RolePolicy": lambda c: {
        "id": f"{c.inputs.get('role')}:{c.physical_name()}",
        "name": c.physical_name(),
    },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda c: {"id": f"{c.inputs.get('role')}-{c.hex(8)}"},
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:lb/listenerRule:ListenerRule": _listener_rule,
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
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:ecs/service:Service": _ecs_service,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    # The bucket configuration resources are identified by their bucket's name.
    **{
        f"aws:s3/{token}": lambda c: {"id": c.inputs.get("bucket")}
        for token in (
            "bucketPolicy:BucketPolicy",
            "bucketPublicAccessBlock:BucketPublicAccessBlock",
            "bucketOwnershipControls:BucketOwnershipControls",
            "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "bucketVersioning:BucketVersioning",
        )
    },
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": lambda c: {"id": c.inputs.get("policyName")},
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": lambda c: {"id": "2026-01-01 00:00:00 +0000 UTC"},
    "aws:route53/record:Record": lambda c: {
        "id": f"{c.inputs.get('zoneId')}_{c.inputs.get('name')}_{c.inputs.get('type')}",
        "fqdn": str(c.inputs.get("name", "")).rstrip("."),
    },
    "aws:wafv2/webAcl:WebAcl": _wafv2_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": lambda c: {
        "id": f"{c.inputs.get('webAclArn')},{c.inputs.get('resourceArn')}"
    },
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": lambda c: {"id": c.inputs.get("resourceArn")},
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": lambda c: {
        "id": f"{c.inputs.get('topic')}:{c.uuid()}",
        "arn": f"{c.inputs.get('topic')}:{c.uuid()}",
        "pendingConfirmation": c.inputs.get("protocol") == "email",
    },
    "aws:lambda/function:Function": _lambda_function,
    "aws:lambda/invocation:Invocation": _lambda_invocation,
    "aws:appautoscaling/target:Target": _scaling_target,
    "aws:appautoscaling/policy:Policy": _scaling_policy,
    "random:index/randomPassword:RandomPassword": _random_password,
    "pulumi:providers:aws": _provider,
    "pulumi:providers:random": _provider,
}
