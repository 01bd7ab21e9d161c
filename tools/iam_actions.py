"""The IAM actions the Pulumi AWS provider calls for each resource type the program manages.

Per type: what creating, reading (refresh and the read after every write), updating and deleting
it calls. The provider is the Terraform AWS provider underneath, so these follow its resource
implementations; tagging actions count as updates because every resource carries the provider's
default tags. `tools.iam_policies` builds the deploy and preview role policies in `iam/` from
this table; the tests hold every resource type of both stacks to it and every action to AWS's
Service Authorization Reference.

A type missing here fails the tests with its name: add its actions when the program starts
managing a new type.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actions:
    create: tuple[str, ...]
    read: tuple[str, ...]
    update: tuple[str, ...]
    delete: tuple[str, ...]


def _actions(prefix: str, create: str, read: str, update: str, delete: str) -> Actions:
    """Actions of one IAM service prefix, each group a space-separated list of action names (an
    action of another service is written with its own prefix); an empty group calls nothing."""

    def group(names: str) -> tuple[str, ...]:
        return tuple(name if ":" in name else f"{prefix}:{name}" for name in names.split())

    return Actions(group(create), group(read), group(update), group(delete))


EC2_TAGS = "CreateTags DeleteTags"
ELB_TAGS = "AddTags RemoveTags"
LOGS_TAGS = "TagResource UntagResource"

# What every run calls whatever the stack holds: the provider's account check, and the
# data sources of the program (availability zones).
PROVIDER: tuple[str, ...] = ("sts:GetCallerIdentity", "ec2:DescribeAvailabilityZones", "ec2:DescribeAccountAttributes")

# Types without AWS calls of their own: Pulumi's provider and components, random values.
NOT_AWS = ("pulumi:providers:", "webapp:components:", "random:")

ACTIONS: dict[str, Actions] = {
    # Networking
    "aws:ec2/vpc:Vpc": _actions(
        "ec2",
        f"CreateVpc ModifyVpcAttribute {EC2_TAGS}",
        "DescribeVpcs DescribeVpcAttribute DescribeNetworkAcls DescribeRouteTables DescribeSecurityGroups",
        f"ModifyVpcAttribute {EC2_TAGS}",
        "DeleteVpc",
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _actions(
        "ec2",
        f"RevokeSecurityGroupIngress RevokeSecurityGroupEgress {EC2_TAGS}",
        "DescribeSecurityGroups",
        f"AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress "
        f"RevokeSecurityGroupEgress {EC2_TAGS}",
        # Removing it from the program only forgets it: a VPC's default group cannot be deleted.
        "RevokeSecurityGroupIngress RevokeSecurityGroupEgress",
    ),
    "aws:ec2/subnet:Subnet": _actions(
        "ec2",
        f"CreateSubnet ModifySubnetAttribute {EC2_TAGS}",
        "DescribeSubnets",
        f"ModifySubnetAttribute {EC2_TAGS}",
        "DeleteSubnet DescribeNetworkInterfaces",
    ),
    "aws:ec2/internetGateway:InternetGateway": _actions(
        "ec2",
        f"CreateInternetGateway AttachInternetGateway {EC2_TAGS}",
        "DescribeInternetGateways",
        f"AttachInternetGateway DetachInternetGateway {EC2_TAGS}",
        "DetachInternetGateway DeleteInternetGateway",
    ),
    "aws:ec2/eip:Eip": _actions(
        "ec2",
        f"AllocateAddress {EC2_TAGS}",
        "DescribeAddresses DescribeAddressesAttribute",
        EC2_TAGS,
        "DisassociateAddress ReleaseAddress",
    ),
    "aws:ec2/natGateway:NatGateway": _actions(
        "ec2",
        f"CreateNatGateway {EC2_TAGS}",
        "DescribeNatGateways",
        EC2_TAGS,
        "DeleteNatGateway",
    ),
    "aws:ec2/routeTable:RouteTable": _actions(
        "ec2",
        f"CreateRouteTable {EC2_TAGS}",
        "DescribeRouteTables",
        f"CreateRoute ReplaceRoute DeleteRoute {EC2_TAGS}",
        "DeleteRouteTable",
    ),
    "aws:ec2/route:Route": _actions(
        "ec2",
        "CreateRoute",
        "DescribeRouteTables",
        "ReplaceRoute",
        "DeleteRoute",
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _actions(
        "ec2",
        "AssociateRouteTable",
        "DescribeRouteTables",
        "ReplaceRouteTableAssociation",
        "DisassociateRouteTable",
    ),
    "aws:ec2/securityGroup:SecurityGroup": _actions(
        "ec2",
        f"CreateSecurityGroup RevokeSecurityGroupEgress {EC2_TAGS}",
        "DescribeSecurityGroups DescribeSecurityGroupRules",
        EC2_TAGS,
        "DeleteSecurityGroup DescribeNetworkInterfaces",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _actions(
        "ec2",
        f"AuthorizeSecurityGroupIngress {EC2_TAGS}",
        "DescribeSecurityGroupRules",
        f"ModifySecurityGroupRules {EC2_TAGS}",
        "RevokeSecurityGroupIngress",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _actions(
        "ec2",
        f"AuthorizeSecurityGroupEgress {EC2_TAGS}",
        "DescribeSecurityGroupRules",
        f"ModifySecurityGroupRules {EC2_TAGS}",
        "RevokeSecurityGroupEgress",
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _actions(
        "ec2",
        f"CreateVpcEndpoint {EC2_TAGS}",
        "DescribeVpcEndpoints DescribePrefixLists DescribeVpcEndpointServices",
        f"ModifyVpcEndpoint {EC2_TAGS}",
        "DeleteVpcEndpoints",
    ),
    "aws:ec2/flowLog:FlowLog": _actions(
        "ec2",
        f"CreateFlowLogs iam:PassRole {EC2_TAGS}",
        "DescribeFlowLogs",
        EC2_TAGS,
        "DeleteFlowLogs",
    ),
    # Load balancing
    "aws:lb/loadBalancer:LoadBalancer": _actions(
        "elasticloadbalancing",
        f"CreateLoadBalancer ModifyLoadBalancerAttributes iam:CreateServiceLinkedRole {ELB_TAGS}",
        "DescribeLoadBalancers DescribeLoadBalancerAttributes DescribeTags",
        f"ModifyLoadBalancerAttributes SetSecurityGroups SetSubnets SetIpAddressType {ELB_TAGS}",
        "DeleteLoadBalancer",
    ),
    "aws:lb/targetGroup:TargetGroup": _actions(
        "elasticloadbalancing",
        f"CreateTargetGroup ModifyTargetGroupAttributes {ELB_TAGS}",
        "DescribeTargetGroups DescribeTargetGroupAttributes DescribeTags",
        f"ModifyTargetGroup ModifyTargetGroupAttributes {ELB_TAGS}",
        "DeleteTargetGroup",
    ),
    "aws:lb/listener:Listener": _actions(
        "elasticloadbalancing",
        f"CreateListener ModifyListenerAttributes {ELB_TAGS}",
        "DescribeListeners DescribeListenerAttributes DescribeListenerCertificates DescribeTags",
        f"ModifyListener ModifyListenerAttributes {ELB_TAGS}",
        "DeleteListener",
    ),
    "aws:lb/listenerRule:ListenerRule": _actions(
        "elasticloadbalancing",
        f"CreateRule {ELB_TAGS}",
        "DescribeRules DescribeTags",
        f"ModifyRule SetRulePriorities {ELB_TAGS}",
        "DeleteRule",
    ),
    # Certificates and DNS
    "aws:acm/certificate:Certificate": _actions(
        "acm",
        "RequestCertificate AddTagsToCertificate",
        "DescribeCertificate ListTagsForCertificate",
        "AddTagsToCertificate RemoveTagsFromCertificate",
        "DeleteCertificate",
    ),
    "aws:acm/certificateValidation:CertificateValidation": _actions(
        "acm",
        "DescribeCertificate",
        "DescribeCertificate",
        "DescribeCertificate",
        "",  # deleting it only forgets the wait
    ),
    "aws:route53/record:Record": _actions(
        "route53",
        "ChangeResourceRecordSets GetChange GetHostedZone",
        "ListResourceRecordSets GetHostedZone",
        "ChangeResourceRecordSets GetChange",
        "ChangeResourceRecordSets GetChange",
    ),
    # Containers
    "aws:ecs/cluster:Cluster": _actions(
        "ecs",
        "CreateCluster TagResource iam:CreateServiceLinkedRole",
        "DescribeClusters ListTagsForResource",
        "UpdateCluster UpdateClusterSettings TagResource UntagResource",
        "DeleteCluster",
    ),
    "aws:ecs/taskDefinition:TaskDefinition": _actions(
        "ecs",
        "RegisterTaskDefinition TagResource iam:PassRole",
        "DescribeTaskDefinition ListTagsForResource",
        "TagResource UntagResource",
        "DeregisterTaskDefinition",
    ),
    "aws:ecs/service:Service": _actions(
        "ecs",
        "CreateService TagResource iam:PassRole",
        "DescribeServices ListTagsForResource",
        "UpdateService TagResource UntagResource iam:PassRole",
        "UpdateService DeleteService",
    ),
    "aws:appautoscaling/target:Target": _actions(
        "application-autoscaling",
        "RegisterScalableTarget TagResource iam:CreateServiceLinkedRole",
        "DescribeScalableTargets ListTagsForResource",
        "RegisterScalableTarget TagResource UntagResource",
        "DeregisterScalableTarget",
    ),
    "aws:appautoscaling/policy:Policy": _actions(
        "application-autoscaling",
        "PutScalingPolicy",
        "DescribeScalingPolicies",
        "PutScalingPolicy",
        "DeleteScalingPolicy",
    ),
    # Data stores
    "aws:rds/instance:Instance": _actions(
        "rds",
        # The monitoring role is passed; the caller's grant lets RDS use the customer-managed key.
        "CreateDBInstance AddTagsToResource iam:PassRole iam:CreateServiceLinkedRole kms:CreateGrant kms:DescribeKey",
        "DescribeDBInstances ListTagsForResource",
        "ModifyDBInstance RebootDBInstance AddTagsToResource RemoveTagsFromResource iam:PassRole kms:CreateGrant "
        "kms:DescribeKey",
        "DeleteDBInstance",
    ),
    "aws:rds/parameterGroup:ParameterGroup": _actions(
        "rds",
        "CreateDBParameterGroup ModifyDBParameterGroup AddTagsToResource",
        "DescribeDBParameterGroups DescribeDBParameters ListTagsForResource",
        "ModifyDBParameterGroup ResetDBParameterGroup AddTagsToResource RemoveTagsFromResource",
        "DeleteDBParameterGroup",
    ),
    "aws:rds/subnetGroup:SubnetGroup": _actions(
        "rds",
        "CreateDBSubnetGroup AddTagsToResource",
        "DescribeDBSubnetGroups ListTagsForResource",
        "ModifyDBSubnetGroup AddTagsToResource RemoveTagsFromResource",
        "DeleteDBSubnetGroup",
    ),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": _actions(
        "rds",
        "StartDBInstanceAutomatedBackupsReplication kms:CreateGrant kms:DescribeKey",
        "DescribeDBInstanceAutomatedBackups",
        "StartDBInstanceAutomatedBackupsReplication kms:CreateGrant kms:DescribeKey",
        "StopDBInstanceAutomatedBackupsReplication",
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": _actions(
        "elasticache",
        "CreateReplicationGroup AddTagsToResource iam:CreateServiceLinkedRole kms:CreateGrant kms:DescribeKey",
        "DescribeReplicationGroups DescribeCacheClusters ListTagsForResource",
        "ModifyReplicationGroup IncreaseReplicaCount DecreaseReplicaCount AddTagsToResource RemoveTagsFromResource",
        "DeleteReplicationGroup CreateSnapshot",
    ),
    "aws:elasticache/parameterGroup:ParameterGroup": _actions(
        "elasticache",
        "CreateCacheParameterGroup ModifyCacheParameterGroup AddTagsToResource",
        "DescribeCacheParameterGroups DescribeCacheParameters ListTagsForResource",
        "ModifyCacheParameterGroup ResetCacheParameterGroup AddTagsToResource RemoveTagsFromResource",
        "DeleteCacheParameterGroup",
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": _actions(
        "elasticache",
        "CreateCacheSubnetGroup AddTagsToResource",
        "DescribeCacheSubnetGroups ListTagsForResource",
        "ModifyCacheSubnetGroup AddTagsToResource RemoveTagsFromResource",
        "DeleteCacheSubnetGroup",
    ),
    # Keys and secrets
    "aws:kms/key:Key": _actions(
        "kms",
        "CreateKey EnableKeyRotation PutKeyPolicy TagResource",
        "DescribeKey GetKeyPolicy GetKeyRotationStatus ListResourceTags",
        "PutKeyPolicy EnableKeyRotation UpdateKeyDescription EnableKey DisableKey TagResource UntagResource",
        "ScheduleKeyDeletion",
    ),
    "aws:kms/alias:Alias": _actions(
        "kms",
        "CreateAlias",
        "ListAliases",
        "UpdateAlias",
        "DeleteAlias",
    ),
    "aws:secretsmanager/secret:Secret": _actions(
        "secretsmanager",
        "CreateSecret TagResource kms:DescribeKey",
        "DescribeSecret GetResourcePolicy",
        "UpdateSecret TagResource UntagResource",
        "DeleteSecret",
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": _actions(
        "secretsmanager",
        # Secrets Manager encrypts and decrypts with the secret's key on the caller's behalf.
        "PutSecretValue kms:GenerateDataKey kms:Decrypt",
        # Refreshing a version reads its value; the policies limit this to the project's secrets.
        "GetSecretValue DescribeSecret ListSecretVersionIds kms:Decrypt",
        "PutSecretValue UpdateSecretVersionStage kms:GenerateDataKey kms:Decrypt",
        "UpdateSecretVersionStage",
    ),
    # Monitoring
    "aws:cloudwatch/logGroup:LogGroup": _actions(
        "logs",
        f"CreateLogGroup PutRetentionPolicy {LOGS_TAGS}",
        "DescribeLogGroups ListTagsForResource",
        f"PutRetentionPolicy DeleteRetentionPolicy AssociateKmsKey DisassociateKmsKey {LOGS_TAGS}",
        "DeleteLogGroup",
    ),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": _actions(
        "logs",
        "PutResourcePolicy",
        "DescribeResourcePolicies",
        "PutResourcePolicy",
        "DeleteResourcePolicy",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _actions(
        "cloudwatch",
        "PutMetricAlarm TagResource",
        "DescribeAlarms ListTagsForResource",
        "PutMetricAlarm TagResource UntagResource",
        "DeleteAlarms",
    ),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _actions(
        "cloudwatch",
        "PutCompositeAlarm TagResource",
        "DescribeAlarms ListTagsForResource",
        "PutCompositeAlarm TagResource UntagResource",
        "DeleteAlarms",
    ),
    "aws:cloudwatch/dashboard:Dashboard": _actions(
        "cloudwatch",
        "PutDashboard",
        "GetDashboard",
        "PutDashboard",
        "DeleteDashboards",
    ),
    "aws:sns/topic:Topic": _actions(
        "sns",
        "CreateTopic SetTopicAttributes TagResource",
        "GetTopicAttributes ListTagsForResource",
        "SetTopicAttributes TagResource UntagResource",
        "DeleteTopic",
    ),
    "aws:sns/topicSubscription:TopicSubscription": _actions(
        "sns",
        "Subscribe",
        "GetSubscriptionAttributes ListSubscriptionsByTopic",
        "SetSubscriptionAttributes",
        "Unsubscribe",
    ),
    # Edge
    "aws:wafv2/webAcl:WebAcl": _actions(
        "wafv2",
        "CreateWebACL TagResource",
        "GetWebACL ListTagsForResource",
        "UpdateWebACL TagResource UntagResource",
        "DeleteWebACL",
    ),
    "aws:wafv2/webAclAssociation:WebAclAssociation": _actions(
        "wafv2",
        "AssociateWebACL",
        "GetWebACLForResource",
        "AssociateWebACL",
        "DisassociateWebACL",
    ),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": _actions(
        "wafv2",
        "PutLoggingConfiguration",
        "GetLoggingConfiguration",
        "PutLoggingConfiguration",
        "DeleteLoggingConfiguration",
    ),
    # Storage (the load balancer's access logs)
    "aws:s3/bucket:Bucket": _actions(
        "s3",
        "CreateBucket PutBucketTagging",
        "ListBucket GetBucketLocation GetBucketTagging GetBucketAcl GetBucketCORS GetBucketWebsite "
        "GetBucketVersioning GetAccelerateConfiguration GetBucketRequestPayment GetBucketLogging "
        "GetReplicationConfiguration GetBucketObjectLockConfiguration GetLifecycleConfiguration "
        "GetEncryptionConfiguration GetBucketPolicy",
        "PutBucketTagging",
        "DeleteBucket",
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _actions(
        "s3",
        "PutLifecycleConfiguration",
        "GetLifecycleConfiguration",
        "PutLifecycleConfiguration",
        "PutLifecycleConfiguration",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _actions(
        "s3",
        "PutBucketOwnershipControls",
        "GetBucketOwnershipControls",
        "PutBucketOwnershipControls",
        "PutBucketOwnershipControls",
    ),
    "aws:s3/bucketPolicy:BucketPolicy": _actions(
        "s3",
        "PutBucketPolicy",
        "GetBucketPolicy",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _actions(
        "s3",
        "PutBucketPublicAccessBlock",
        "GetBucketPublicAccessBlock",
        "PutBucketPublicAccessBlock",
        "PutBucketPublicAccessBlock",
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _actions(
        "s3",
        "PutEncryptionConfiguration",
        "GetEncryptionConfiguration",
        "PutEncryptionConfiguration",
        "PutEncryptionConfiguration",
    ),
    # Functions in the VPC
    "aws:lambda/function:Function": _actions(
        "lambda",
        # Lambda checks that the caller may see the subnets and security groups it is given.
        "CreateFunction TagResource GetFunction iam:PassRole ec2:DescribeSubnets ec2:DescribeSecurityGroups "
        "ec2:DescribeVpcs",
        "GetFunction GetFunctionCodeSigningConfig ListVersionsByFunction GetRuntimeManagementConfig",
        "UpdateFunctionCode UpdateFunctionConfiguration PublishVersion TagResource UntagResource iam:PassRole "
        "ec2:DescribeSubnets ec2:DescribeSecurityGroups ec2:DescribeVpcs",
        "DeleteFunction",
    ),
    "aws:lambda/invocation:Invocation": _actions(
        "lambda",
        "InvokeFunction",
        "",  # kept in the state only
        "InvokeFunction",
        "",  # invoked on create and update only
    ),
    # Identity
    "aws:iam/role:Role": _actions(
        "iam",
        "CreateRole TagRole",
        "GetRole ListRolePolicies ListAttachedRolePolicies",
        "UpdateAssumeRolePolicy UpdateRole UpdateRoleDescription TagRole UntagRole",
        "DeleteRole ListInstanceProfilesForRole ListRolePolicies ListAttachedRolePolicies "
        "DeleteRolePolicy DetachRolePolicy",
    ),
    "aws:iam/rolePolicy:RolePolicy": _actions(
        "iam",
        "PutRolePolicy",
        "GetRolePolicy",
        "PutRolePolicy",
        "DeleteRolePolicy",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _actions(
        "iam",
        "AttachRolePolicy",
        "ListAttachedRolePolicies",
        "AttachRolePolicy DetachRolePolicy",
        "DetachRolePolicy",
    ),
}


# The operations commands the deploy workflow runs with the deploy role around `pulumi up`
# (docs/operations.md lists each command's permissions).
PIPELINE_COMMANDS: dict[str, tuple[str, ...]] = {
    "preflight": (
        "sts:GetCallerIdentity",
        "ecr:DescribeImages",
        "acm:DescribeCertificate",
        "route53:GetHostedZone",
        "iam:GetRole",
        "servicequotas:GetServiceQuota",
        "servicequotas:GetAWSDefaultServiceQuota",
        "cloudwatch:GetMetricStatistics",
        "ec2:DescribeAddresses",
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
    ),
    "snapshot": (
        "rds:CreateDBSnapshot",
        "rds:AddTagsToResource",
        "rds:DescribeDBSnapshots",
        "rds:DeleteDBSnapshot",
        "rds:CopyDBSnapshot",
        "kms:CreateGrant",
        "kms:DescribeKey",
    ),
    "verify": (
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTargetGroups",
        "ecs:ListServiceDeployments",
        "ecs:DescribeServiceDeployments",
        "ecs:DescribeServices",
        "cloudwatch:DescribeAlarms",
    ),
}


def is_aws(resource_type: str) -> bool:
    return not resource_type.startswith(NOT_AWS)
