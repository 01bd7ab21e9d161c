"""What the provider calls for what runs the code: the ECS cluster, task definitions, services and
their scaling (components/cluster.py, service.py), the functions in the VPC
(components/vpc_function.py), and the IAM roles and policies they all run as."""

from __future__ import annotations

from tools.iam_actions.model import Actions, service_actions

COMPUTE: dict[str, Actions] = {
    # Containers
    "aws:ecs/cluster:Cluster": service_actions(
        "ecs",
        "CreateCluster TagResource iam:CreateServiceLinkedRole",
        "DescribeClusters ListTagsForResource",
        "UpdateCluster UpdateClusterSettings TagResource UntagResource",
        "DeleteCluster",
    ),
    "aws:ecs/taskDefinition:TaskDefinition": service_actions(
        "ecs",
        "RegisterTaskDefinition TagResource iam:PassRole",
        "DescribeTaskDefinition ListTagsForResource",
        "TagResource UntagResource",
        "DeregisterTaskDefinition",
    ),
    "aws:ecs/service:Service": service_actions(
        "ecs",
        "CreateService TagResource iam:PassRole",
        "DescribeServices ListTagsForResource",
        "UpdateService TagResource UntagResource iam:PassRole",
        "UpdateService DeleteService",
    ),
    "aws:appautoscaling/target:Target": service_actions(
        "application-autoscaling",
        "RegisterScalableTarget TagResource iam:CreateServiceLinkedRole",
        "DescribeScalableTargets ListTagsForResource",
        "RegisterScalableTarget TagResource UntagResource",
        "DeregisterScalableTarget",
    ),
    "aws:appautoscaling/policy:Policy": service_actions(
        "application-autoscaling",
        "PutScalingPolicy",
        "DescribeScalingPolicies",
        "PutScalingPolicy",
        "DeleteScalingPolicy",
    ),
    # Functions in the VPC
    "aws:lambda/function:Function": service_actions(
        "lambda",
        # Lambda checks that the caller may see the subnets and security groups it is given.
        "CreateFunction TagResource GetFunction iam:PassRole ec2:DescribeSubnets ec2:DescribeSecurityGroups "
        "ec2:DescribeVpcs",
        "GetFunction GetFunctionCodeSigningConfig ListVersionsByFunction GetRuntimeManagementConfig",
        "UpdateFunctionCode UpdateFunctionConfiguration PublishVersion TagResource UntagResource iam:PassRole "
        "ec2:DescribeSubnets ec2:DescribeSecurityGroups ec2:DescribeVpcs",
        "DeleteFunction",
    ),
    "aws:lambda/invocation:Invocation": service_actions(
        "lambda",
        "InvokeFunction",
        "",  # kept in the state only
        "InvokeFunction",
        "",  # invoked on create and update only
    ),
    # Identity
    "aws:iam/role:Role": service_actions(
        "iam",
        "CreateRole TagRole",
        "GetRole ListRolePolicies ListAttachedRolePolicies",
        "UpdateAssumeRolePolicy UpdateRole UpdateRoleDescription TagRole UntagRole",
        "DeleteRole ListInstanceProfilesForRole ListRolePolicies ListAttachedRolePolicies "
        "DeleteRolePolicy DetachRolePolicy",
    ),
    "aws:iam/rolePolicy:RolePolicy": service_actions(
        "iam",
        "PutRolePolicy",
        "GetRolePolicy",
        "PutRolePolicy",
        "DeleteRolePolicy",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": service_actions(
        "iam",
        "AttachRolePolicy",
        "ListAttachedRolePolicies",
        "AttachRolePolicy DetachRolePolicy",
        "DetachRolePolicy",
    ),
}
