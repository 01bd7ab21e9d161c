"""Which input changes make the provider replace a resource instead of updating it in place.

One entry per resource type the program registers. Each lists the inputs (Pulumi's camelCase
names) that the Terraform AWS provider, which pulumi-aws bridges, documents as "Forces new
resource" (`ForceNew` in the provider's schema), and cites that page. A change at or under one
of these paths predicts `replace`; any other change is an in-place `update`. In pulumi-aws 7
every regional AWS resource also takes a `region` argument, and moving it to another region
replaces it (ALL_AWS). tests/test_diff_replacements.py fails when a type the stacks use has no
entry, so a new resource type cannot slip through the review unclassified.
"""

from __future__ import annotations

from dataclasses import dataclass

TF_DOCS = "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/"
RANDOM_DOCS = "https://registry.terraform.io/providers/hashicorp/random/latest/docs/resources/"
ALL_AWS = ("region",)


@dataclass(frozen=True)
class ForceNew:
    """The inputs of one resource type that force a new resource, and the page that says so."""

    source: str
    properties: tuple[str, ...]


def _aws(page: str, *properties: str) -> ForceNew:
    return ForceNew(TF_DOCS + page, (*properties, *ALL_AWS))


def _global(page: str, *properties: str) -> ForceNew:
    """A type of a global service (IAM, Route 53): it has no region argument."""
    return ForceNew(TF_DOCS + page, properties)


_S3_CHILD = ("bucket", "expectedBucketOwner")

FORCE_NEW: dict[str, ForceNew] = {
    # The provider itself: the AWS provider replaces its resources when its region changes.
    "pulumi:providers:aws": ForceNew("https://www.pulumi.com/registry/packages/aws/api-docs/provider/", ("region",)),
    "aws:acm/certificate:Certificate": _aws(
        "acm_certificate",
        "domainName",
        "subjectAlternativeNames",
        "keyAlgorithm",
        "certificateAuthorityArn",
        "validationMethod",
    ),
    "aws:acm/certificateValidation:CertificateValidation": _aws(
        "acm_certificate_validation", "certificateArn", "validationRecordFqdns"
    ),
    "aws:appautoscaling/policy:Policy": _aws(
        "appautoscaling_policy", "name", "resourceId", "scalableDimension", "serviceNamespace"
    ),
    "aws:appautoscaling/target:Target": _aws(
        "appautoscaling_target", "resourceId", "scalableDimension", "serviceNamespace"
    ),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _aws("cloudwatch_composite_alarm", "alarmName"),
    "aws:cloudwatch/dashboard:Dashboard": _aws("cloudwatch_dashboard", "dashboardName"),
    "aws:cloudwatch/logGroup:LogGroup": _aws("cloudwatch_log_group", "name", "namePrefix", "logGroupClass"),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": _aws("cloudwatch_log_resource_policy", "policyName"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _aws("cloudwatch_metric_alarm", "name"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _aws("default_security_group", "vpcId"),
    "aws:ec2/eip:Eip": _aws(
        "eip", "address", "customerOwnedIpv4Pool", "domain", "ipamPoolId", "networkBorderGroup", "publicIpv4Pool"
    ),
    "aws:ec2/flowLog:FlowLog": _aws(
        "flow_log",
        "deliverCrossAccountRole",
        "destinationOptions",
        "eniId",
        "iamRoleArn",
        "logDestination",
        "logDestinationType",
        "logFormat",
        "maxAggregationInterval",
        "subnetId",
        "trafficType",
        "transitGatewayAttachmentId",
        "transitGatewayId",
        "vpcId",
    ),
    # Moving the gateway to another VPC detaches and attaches it in place.
    "aws:ec2/internetGateway:InternetGateway": _aws("internet_gateway"),
    "aws:ec2/natGateway:NatGateway": _aws(
        "nat_gateway", "allocationId", "availabilityMode", "connectivityType", "privateIp", "subnetId", "vpcId"
    ),
    "aws:ec2/route:Route": _aws(
        "route", "routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"
    ),
    "aws:ec2/routeTable:RouteTable": _aws("route_table", "vpcId"),
    # routeTableId is updated in place (ReplaceRouteTableAssociation).
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _aws("route_table_association", "subnetId", "gatewayId"),
    "aws:ec2/securityGroup:SecurityGroup": _aws("security_group", "name", "namePrefix", "description", "vpcId"),
    "aws:ec2/subnet:Subnet": _aws(
        "subnet",
        "availabilityZone",
        "availabilityZoneId",
        "cidrBlock",
        "ipv4IpamPoolId",
        "ipv4NetmaskLength",
        "ipv6IpamPoolId",
        "ipv6NetmaskLength",
        "outpostArn",
        "vpcId",
    ),
    "aws:ec2/vpc:Vpc": _aws("vpc", "cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _aws(
        "vpc_endpoint",
        "resourceConfigurationArn",
        "serviceName",
        "serviceNetworkArn",
        "serviceRegion",
        "vpcEndpointType",
        "vpcId",
    ),
    "aws:ecs/cluster:Cluster": _aws("ecs_cluster", "name"),
    "aws:ecs/service:Service": _aws("ecs_service", "name", "cluster", "iamRole", "launchType", "schedulingStrategy"),
    # Task definitions are immutable revisions: every argument but tags and skipDestroy forces one.
    "aws:ecs/taskDefinition:TaskDefinition": _aws(
        "ecs_task_definition",
        "containerDefinitions",
        "cpu",
        "enableFaultInjection",
        "ephemeralStorage",
        "executionRoleArn",
        "family",
        "ipcMode",
        "memory",
        "networkMode",
        "pidMode",
        "placementConstraints",
        "proxyConfiguration",
        "requiresCompatibilities",
        "runtimePlatform",
        "taskRoleArn",
        "volumes",
    ),
    "aws:elasticache/parameterGroup:ParameterGroup": _aws(
        "elasticache_parameter_group", "name", "family", "description"
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": _aws(
        "elasticache_replication_group",
        "atRestEncryptionEnabled",
        "dataTieringEnabled",
        "globalReplicationGroupId",
        "kmsKeyId",
        "networkType",
        "port",
        "preferredCacheClusterAzs",
        "replicationGroupId",
        "snapshotArns",
        "snapshotName",
        "subnetGroupName",
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": _aws("elasticache_subnet_group", "name"),
    "aws:iam/role:Role": _global("iam_role", "name", "namePrefix", "path"),
    "aws:iam/rolePolicy:RolePolicy": _global("iam_role_policy", "name", "namePrefix", "role"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _global("iam_role_policy_attachment", "role", "policyArn"),
    "aws:kms/alias:Alias": _aws("kms_alias", "name", "namePrefix"),
    "aws:kms/key:Key": _aws(
        "kms_key", "customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"
    ),
    "aws:lambda/function:Function": _aws("lambda_function", "name", "packageType"),
    # A changed input or trigger invokes the function again (that is the point of the trigger).
    "aws:lambda/invocation:Invocation": _aws("lambda_invocation", "functionName", "qualifier", "triggers"),
    "aws:lb/listener:Listener": _aws("lb_listener", "loadBalancerArn"),
    "aws:lb/listenerRule:ListenerRule": _aws("lb_listener_rule", "listenerArn"),
    "aws:lb/loadBalancer:LoadBalancer": _aws(
        "lb", "customerOwnedIpv4Pool", "internal", "loadBalancerType", "name", "namePrefix"
    ),
    "aws:lb/targetGroup:TargetGroup": _aws(
        "lb_target_group",
        "ipAddressType",
        "name",
        "namePrefix",
        "port",
        "protocol",
        "protocolVersion",
        "targetControlPort",
        "targetType",
        "vpcId",
    ),
    # identifier, instanceClass, storage and engineVersion are modified in place (ModifyDBInstance).
    "aws:rds/instance:Instance": _aws(
        "db_instance",
        "availabilityZone",
        "characterSetName",
        "customIamInstanceProfile",
        "dbName",
        "engine",
        "kmsKeyId",
        "ncharCharacterSetName",
        "restoreToPointInTime",
        "s3Import",
        "snapshotIdentifier",
        "storageEncrypted",
        "timezone",
        "username",
    ),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": _aws(
        "db_instance_automated_backups_replication",
        "kmsKeyId",
        "preSignedUrl",
        "retentionPeriod",
        "sourceDbInstanceArn",
    ),
    "aws:rds/parameterGroup:ParameterGroup": _aws("db_parameter_group", "name", "namePrefix", "family", "description"),
    "aws:rds/subnetGroup:SubnetGroup": _aws("db_subnet_group", "name", "namePrefix"),
    "aws:route53/record:Record": _global("route53_record", "name", "zoneId", "setIdentifier"),
    "aws:s3/bucket:Bucket": _aws("s3_bucket", "bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _aws(
        "s3_bucket_lifecycle_configuration", *_S3_CHILD
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _aws("s3_bucket_ownership_controls", "bucket"),
    "aws:s3/bucketPolicy:BucketPolicy": _aws("s3_bucket_policy", "bucket"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _aws("s3_bucket_public_access_block", "bucket"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _aws(
        "s3_bucket_server_side_encryption_configuration", *_S3_CHILD
    ),
    "aws:secretsmanager/secret:Secret": _aws("secretsmanager_secret", "name", "namePrefix"),
    "aws:secretsmanager/secretVersion:SecretVersion": _aws(
        "secretsmanager_secret_version", "secretId", "secretString", "secretBinary"
    ),
    "aws:sns/topic:Topic": _aws("sns_topic", "name", "namePrefix", "fifoTopic"),
    "aws:sns/topicSubscription:TopicSubscription": _aws(
        "sns_topic_subscription",
        "confirmationTimeoutInMinutes",
        "endpoint",
        "endpointAutoConfirms",
        "protocol",
        "topic",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _aws(
        "vpc_security_group_egress_rule", "securityGroupId"
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _aws(
        "vpc_security_group_ingress_rule", "securityGroupId"
    ),
    "aws:wafv2/webAcl:WebAcl": _aws("wafv2_web_acl", "name", "namePrefix", "scope"),
    "aws:wafv2/webAclAssociation:WebAclAssociation": _aws("wafv2_web_acl_association", "resourceArn", "webAclArn"),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": _aws(
        "wafv2_web_acl_logging_configuration", "resourceArn"
    ),
    # Every argument of a random resource is "RequiresReplace": a new value is a new resource.
    "random:index/randomPassword:RandomPassword": ForceNew(
        RANDOM_DOCS + "password",
        (
            "keepers",
            "length",
            "lower",
            "minLower",
            "minNumeric",
            "minSpecial",
            "minUpper",
            "number",
            "numeric",
            "overrideSpecial",
            "special",
            "upper",
        ),
    ),
}


def forcing(type_: str, path: str) -> str | None:
    """The force-new input that a change at `path` falls under, or None for an in-place update."""
    rule = FORCE_NEW.get(type_)
    if rule is None:
        return None
    head = path.split(".", 1)[0].split("[", 1)[0]
    return head if head in rule.properties else None


def untabled(types: set[str]) -> list[str]:
    """Provider-managed types (not components) that have no entry in FORCE_NEW."""
    return sorted(t for t in types if t not in FORCE_NEW and not _is_component(t))


def _is_component(type_: str) -> bool:
    package = type_.split(":", 1)[0]
    return package not in {"aws", "random", "pulumi"}
