"""How each resource type is billed: one pricer per type, reading the resource's inputs as the
program registered them, and the types that carry no charge of their own (`FREE`).

Every month has 730 hours (AWS's convention in its pricing pages and calculator). Usage lines
take their volumes from the usage profile (`settings.cost.UsageSettings`). AWS free tiers are
account-wide allowances and are not deducted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tools.cost.catalog import CACHE_ENGINES, HOURS_PER_MONTH, RDS_ENGINES
from tools.cost.estimate import Context

Resource = dict[str, Any]
Pricer = Callable[[Resource, Context], None]

# Types billed through another resource, or not at all; each with the reason.
FREE: dict[str, str] = {
    "aws:acm/certificate:Certificate": "public ACM certificates are free",
    "aws:acm/certificateValidation:CertificateValidation": "a wait, not a resource",
    "aws:appautoscaling/policy:Policy": "Application Auto Scaling is free; its alarms are CloudWatch's",
    "aws:appautoscaling/target:Target": "Application Auto Scaling is free",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "free",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "free",
    "aws:ec2/flowLog:FlowLog": "billed as ingestion into its log group",
    "aws:ec2/internetGateway:InternetGateway": "free",
    "aws:ec2/route:Route": "free",
    "aws:ec2/routeTable:RouteTable": "free",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "free",
    "aws:ec2/securityGroup:SecurityGroup": "free",
    "aws:ec2/subnet:Subnet": "free",
    "aws:ec2/vpc:Vpc": "free",
    "aws:ecs/cluster:Cluster": "free; Fargate bills the services' tasks",
    "aws:ecs/taskDefinition:TaskDefinition": "billed through the services that run it",
    "aws:elasticache/parameterGroup:ParameterGroup": "free",
    "aws:elasticache/subnetGroup:SubnetGroup": "free",
    "aws:iam/role:Role": "free",
    "aws:iam/rolePolicy:RolePolicy": "free",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "free",
    "aws:kms/alias:Alias": "free",
    "aws:lambda/function:Function": (
        "the stack's functions (the smoke-test hook, the database bootstrap) run only during deploys: "
        "a few requests and GB-seconds a month, well under a cent"
    ),
    "aws:lambda/invocation:Invocation": "one synchronous invocation per changing deploy, billed with its function",
    "aws:lb/listener:Listener": "billed through the load balancer's hours and LCUs",
    "aws:lb/listenerRule:ListenerRule": "billed through the load balancer's LCUs (rule evaluations)",
    "aws:lb/targetGroup:TargetGroup": "billed through the load balancer",
    "aws:rds/parameterGroup:ParameterGroup": "free",
    "aws:rds/subnetGroup:SubnetGroup": "free",
    "aws:route53/record:Record": "alias queries to a load balancer are free; the zone is not the stack's",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "free",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "free",
    "aws:s3/bucketPolicy:BucketPolicy": "free",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "free",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "free (SSE-S3)",
    "aws:secretsmanager/secretVersion:SecretVersion": "billed with its secret",
    "aws:sns/topic:Topic": "alarm notifications stay within SNS's 1M publishes and 1,000 e-mails a month",
    "aws:sns/topicSubscription:TopicSubscription": "free",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "free",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "free",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "billed with the web ACL",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "billed as ingestion into its log group",
    "random:index/randomPassword:RandomPassword": "not an AWS resource",
}
# Fargate's ephemeral storage up to this size is included in the task price.
FARGATE_FREE_STORAGE_GB = 20
# RDS Performance Insights keeps 7 days of history free.
FREE_INSIGHTS_DAYS = 7
# CloudWatch Logs without a retention: storage counted as one year of ingestion.
UNLIMITED_RETENTION_DAYS = 365
# ALB LCU dimensions (per hour and LCU): 1 GB processed; 25 new connections a second.
LCU_GB_PER_HOUR = 1.0
LCU_NEW_CONNECTIONS_PER_SECOND = 25
# Log groups by the kind of component that writes them (usage profile `logs`).
LOG_KINDS = {
    "FargateService": "service",
    "Network": "network",
    "Firewall": "firewall",
    "Database": "database",
    "Cache": "cache",
}


def _count(number: float, noun: str) -> str:
    return f"{number:g} {noun}{'' if number == 1 else 's'}"


def _number(value: Any) -> float:
    if isinstance(value, dict):  # a secret-wrapped input
        value = value.get("value")
    return float(value)


def fargate_service(resource: Resource, ctx: Context) -> None:
    """Each desired task bills its task definition's vCPU and memory for every hour, priced by
    the CPU architecture (ARM64 costs about 20% less than X86_64)."""
    inputs = resource["inputs"]
    if inputs.get("launchType") != "FARGATE":
        ctx.unpriced(resource, "only the FARGATE launch type is priced")
        return
    task = ctx.source(resource, "taskDefinition")
    if task is None:
        ctx.unpriced(resource, "its task definition is not in the stack")
        return
    spec = task["inputs"]
    count = _number(inputs.get("desiredCount", 1))
    vcpu = _number(spec["cpu"]) / 1024
    memory_gb = _number(spec["memory"]) / 1024
    arch = (spec.get("runtimePlatform") or {}).get("cpuArchitecture", "X86_64")
    name = inputs.get("name", resource["name"])
    hours = count * HOURS_PER_MONTH
    tasks = f"{count:g} task{'s' if count != 1 else ''}"
    ctx.line(
        resource,
        f"{name}: {tasks} x {vcpu:g} vCPU ({arch})",
        vcpu * hours,
        "vCPU-hours",
        f"fargate/{arch}/vcpu",
        "fixed",
    )
    ctx.line(
        resource,
        f"{name}: {tasks} x {memory_gb:g} GB memory ({arch})",
        memory_gb * hours,
        "GB-hours",
        f"fargate/{arch}/memory",
        "fixed",
    )
    storage = _number((spec.get("ephemeralStorage") or {}).get("sizeInGib", FARGATE_FREE_STORAGE_GB))
    if storage > FARGATE_FREE_STORAGE_GB:
        ctx.unpriced(resource, f"ephemeral storage above {FARGATE_FREE_STORAGE_GB} GB is not priced")


def rds_instance(resource: Resource, ctx: Context) -> None:
    """Instance-hours and storage, both twice over for Multi-AZ (the standby is a second
    instance with its own copy of the storage), and the master user secret RDS manages. A read
    replica has the storage of its source (RDS sizes it so) and no backups of its own."""
    inputs = resource["inputs"]
    source = ctx.source(resource, "replicateSourceDb") if inputs.get("replicateSourceDb") else None
    # A replica runs its source's engine (it names none itself).
    engine_name = inputs.get("engine") or (source["inputs"].get("engine", "") if source else "")
    engine = RDS_ENGINES.get(engine_name, engine_name)
    instance_class = inputs["instanceClass"]
    copies = 2 if inputs.get("multiAz") else 1
    deployment = "Multi-AZ (primary and standby)" if copies == 2 else "Single-AZ"
    ctx.line(
        resource,
        f"{instance_class} {engine}, {deployment}",
        copies * HOURS_PER_MONTH,
        "instance-hours",
        f"rds/instance/{engine}/{instance_class}",
        "fixed",
    )
    storage_type = inputs.get("storageType", "gp2")
    allocated = _number((source or resource)["inputs"].get("allocatedStorage", 0))
    ctx.line(
        resource,
        f"{storage_type} storage {allocated:g} GB, {deployment}",
        copies * allocated,
        "GB-months",
        f"rds/storage/{storage_type}",
        "fixed",
    )
    if inputs.get("iops") is not None:
        ctx.unpriced(resource, "provisioned IOPS above the gp3 baseline are not priced")
    extra_backup = ctx.usage.database_backup_gb - allocated
    if extra_backup > 0 and source is None:
        # RDS keeps backups free up to the provisioned storage of the region's instances.
        ctx.line(
            resource,
            "backup storage beyond the allocated size",
            extra_backup,
            "GB-months",
            "rds/backup-storage",
            "usage",
        )
    if (
        inputs.get("performanceInsightsEnabled")
        and _number(inputs.get("performanceInsightsRetentionPeriod", 7)) > FREE_INSIGHTS_DAYS
    ):
        ctx.unpriced(resource, f"Performance Insights history beyond {FREE_INSIGHTS_DAYS} days is not priced")
    if inputs.get("manageMasterUserPassword"):
        ctx.line(resource, "master user secret (managed by RDS)", 1, "secret-months", "secretsmanager/secret", "fixed")


def rds_backup_replication(resource: Resource, ctx: Context) -> None:
    """Automated backups copied to a second region: backup storage there, and the transfer out
    of the source region."""
    usage = ctx.usage
    destination = ctx.region(resource)
    source_arn = str(resource["inputs"].get("sourceDbInstanceArn", ""))
    parts = source_arn.split(":")
    source = parts[3] if len(parts) > 3 and parts[3] else ctx.default_region
    ctx.line(
        resource,
        f"replicated backups stored in {destination}",
        usage.database_backup_gb,
        "GB-months",
        "rds/backup-storage",
        "usage",
    )
    ctx.line(
        resource,
        f"backup copy {source} -> {destination}",
        usage.backup_transfer_gb,
        "GB",
        f"datatransfer/inter-region/{destination}",
        "usage",
        region=source,
    )


def cache_replication_group(resource: Resource, ctx: Context) -> None:
    """Node-hours of every node (primary and replicas), priced by engine: Valkey nodes cost 20%
    less than Redis OSS nodes of the same type."""
    inputs = resource["inputs"]
    engine = CACHE_ENGINES.get(inputs.get("engine", "redis"), inputs.get("engine", ""))
    if inputs.get("numCacheClusters") is not None:
        nodes = _number(inputs["numCacheClusters"])
    else:
        groups = _number(inputs.get("numNodeGroups", 1))
        nodes = groups * (1 + _number(inputs.get("replicasPerNodeGroup", 0)))
    node_type = inputs["nodeType"]
    ctx.line(
        resource,
        f"{node_type} {engine} x {nodes:g} node{'s' if nodes != 1 else ''}",
        nodes * HOURS_PER_MONTH,
        "node-hours",
        f"elasticache/node/{engine}/{node_type}",
        "fixed",
    )


def nat_gateway(resource: Resource, ctx: Context) -> None:
    """Hours, and an equal share of the data the usage profile sends through NAT."""
    gateways = len(ctx.of_type(resource["type"]))
    ctx.line(resource, f"{resource['name']}: NAT gateway", HOURS_PER_MONTH, "hours", "ec2/nat-gateway/hours", "fixed")
    share = ctx.usage.nat_processed_gb / gateways
    ctx.line(resource, f"{resource['name']}: data processed", share, "GB", "ec2/nat-gateway/gb", "usage")


def elastic_ip(resource: Resource, ctx: Context) -> None:
    """A public IPv4 address (AWS bills every one, in use or idle)."""
    ctx.line(
        resource, f"{resource['name']}: public IPv4 address", HOURS_PER_MONTH, "hours", "vpc/public-ipv4/hours", "fixed"
    )


def load_balancer(resource: Resource, ctx: Context) -> None:
    """Hours, LCUs from the usage profile, one public IPv4 address per AZ (internet-facing), and
    the responses sent to the internet."""
    inputs = resource["inputs"]
    if inputs.get("loadBalancerType", "application") != "application":
        ctx.unpriced(resource, "only application load balancers are priced")
        return
    usage = ctx.usage
    ctx.line(resource, "application load balancer", HOURS_PER_MONTH, "hours", "elb/alb/hours", "fixed")
    gb_per_hour = usage.alb_processed_gb / HOURS_PER_MONTH
    connections_per_second = usage.requests_per_month / (HOURS_PER_MONTH * 3600)
    lcus = max(gb_per_hour / LCU_GB_PER_HOUR, connections_per_second / LCU_NEW_CONNECTIONS_PER_SECOND)
    ctx.line(
        resource, "load balancer capacity units", lcus * HOURS_PER_MONTH, "LCU-hours", "elb/alb/lcu-hours", "usage"
    )
    if not inputs.get("internal"):
        zones = len(inputs.get("subnets") or inputs.get("subnetMappings") or [])
        ctx.line(
            resource,
            f"public IPv4 addresses ({zones} AZs)",
            zones * HOURS_PER_MONTH,
            "address-hours",
            "vpc/public-ipv4/hours",
            "fixed",
        )
        ctx.line(
            resource,
            "data transfer out to the internet",
            usage.internet_egress_gb,
            "GB",
            "datatransfer/internet-out",
            "usage",
        )


def vpc_endpoint(resource: Resource, ctx: Context) -> None:
    """Interface endpoints bill per AZ (network interface) and hour, plus their share of the
    data; gateway endpoints (S3, DynamoDB) are free."""
    inputs = resource["inputs"]
    if inputs.get("vpcEndpointType", "Gateway") == "Gateway":
        return
    # com.amazonaws.<region>.<service>
    service = str(inputs.get("serviceName", "")).split(".", 3)[-1]
    zones = len(inputs.get("subnetIds") or [])
    ctx.line(
        resource,
        f"{service} endpoint in {zones} AZ{'s' if zones != 1 else ''}",
        zones * HOURS_PER_MONTH,
        "AZ-hours",
        "vpc/interface-endpoint/hours",
        "fixed",
    )
    interface = [r for r in ctx.of_type(resource["type"]) if r["inputs"].get("vpcEndpointType") == "Interface"]
    share = ctx.usage.endpoint_processed_gb / len(interface)
    ctx.line(resource, f"{service} endpoint: data processed", share, "GB", "vpc/interface-endpoint/gb", "usage")


def web_acl(resource: Resource, ctx: Context) -> None:
    """The web ACL, each rule and each rule group in it (counting rules bill too), and every
    request it inspects."""
    rules = resource["inputs"].get("rules") or []
    if isinstance(rules, str):
        rules = json.loads(rules)
    groups = sum(1 for rule in rules if "managedRuleGroupStatement" in (rule.get("statement") or {}))
    ctx.line(resource, "web ACL", 1, "web-ACL-months", "waf/web-acl", "fixed")
    if rules:
        what = f"{_count(len(rules) - groups, 'rule')} and {_count(groups, 'managed rule group')}"
        ctx.line(resource, what, len(rules), "rule-months", "waf/rule", "fixed")
    ctx.line(resource, "requests inspected", ctx.usage.requests_per_month, "requests", "waf/requests", "usage")


def metric_alarm(resource: Resource, ctx: Context) -> None:
    """Each metric an alarm watches bills as one alarm metric, high resolution (period under
    60 s) at a higher price; an anomaly detection band counts three."""
    inputs = resource["inputs"]
    queries = inputs.get("metricQueries") or []
    periods = [_number(q["metric"].get("period", 60)) for q in queries if q.get("metric")]
    if not queries:
        periods = [_number(inputs.get("period", 60))]
    bands = sum(1 for q in queries if "ANOMALY_DETECTION_BAND" in str(q.get("expression", "")))
    high = sum(1 for period in periods if period < 60)
    standard = len(periods) - high + 2 * bands
    name = inputs.get("name", resource["name"])
    if standard:
        ctx.line(
            resource,
            f"{name} ({_count(standard, 'metric')})",
            standard,
            "alarm-metrics",
            "cloudwatch/alarm/standard",
            "fixed",
        )
    if high:
        ctx.line(
            resource,
            f"{name} ({_count(high, 'high-resolution metric')})",
            high,
            "alarm-metrics",
            "cloudwatch/alarm/high-resolution",
            "fixed",
        )


def composite_alarm(resource: Resource, ctx: Context) -> None:
    ctx.line(
        resource,
        f"{resource['inputs'].get('alarmName', resource['name'])} (composite)",
        1,
        "alarms",
        "cloudwatch/alarm/composite",
        "fixed",
    )


def dashboard(resource: Resource, ctx: Context) -> None:
    ctx.line(resource, "dashboard", 1, "dashboard-months", "cloudwatch/dashboard", "fixed")


def log_group(resource: Resource, ctx: Context) -> None:
    """Ingestion of the profile's GB for this kind of log group, and storage at steady state:
    a retention period's worth of ingestion (uncompressed, so an upper bound)."""
    kind = LOG_KINDS.get(ctx.parent_type(resource), "other")
    ingested = getattr(ctx.usage.logs, kind)
    retention = _number(resource["inputs"].get("retentionInDays") or UNLIMITED_RETENTION_DAYS)
    name = resource["inputs"].get("name", resource["name"])
    ctx.line(resource, f"{name}: ingestion", ingested, "GB", "cloudwatch/logs/ingestion", "usage")
    stored = ingested * retention / 30
    ctx.line(
        resource,
        f"{name}: storage ({retention:g}-day retention)",
        stored,
        "GB-months",
        "cloudwatch/logs/storage",
        "usage",
    )


def kms_key(resource: Resource, ctx: Context) -> None:
    ctx.line(
        resource,
        f"{resource['inputs'].get('description', resource['name'])} (customer managed key)",
        1,
        "key-months",
        "kms/key",
        "fixed",
    )


def secret(resource: Resource, ctx: Context) -> None:
    ctx.line(
        resource,
        f"{resource['inputs'].get('description', resource['name'])} (secret)",
        1,
        "secret-months",
        "secretsmanager/secret",
        "fixed",
    )


def bucket(resource: Resource, ctx: Context) -> None:
    """Access logs kept until the bucket's lifecycle expires them (a year without one)."""
    days = UNLIMITED_RETENTION_DAYS
    for config in ctx.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
        if resource["urn"] in config["propertyDependencies"].get("bucket", []):
            expiry = [r["expiration"]["days"] for r in config["inputs"].get("rules", []) if r.get("expiration")]
            days = min((_number(d) for d in expiry), default=days)
    stored = ctx.usage.access_log_gb * days / 30
    ctx.line(
        resource, f"S3 Standard storage ({days:g}-day expiry)", stored, "GB-months", "s3/standard-storage", "usage"
    )


PRICERS: dict[str, Pricer] = {
    "aws:ecs/service:Service": fargate_service,
    "aws:rds/instance:Instance": rds_instance,
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": rds_backup_replication,
    "aws:elasticache/replicationGroup:ReplicationGroup": cache_replication_group,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/eip:Eip": elastic_ip,
    "aws:lb/loadBalancer:LoadBalancer": load_balancer,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:wafv2/webAcl:WebAcl": web_acl,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": composite_alarm,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:kms/key:Key": kms_key,
    "aws:secretsmanager/secret:Secret": secret,
    "aws:s3/bucket:Bucket": bucket,
}
