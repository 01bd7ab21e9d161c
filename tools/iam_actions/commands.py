"""The IAM actions of the operations commands (ops/) that the deploy workflow runs with the deploy
role around `pulumi up`: they call AWS themselves, not through the provider, so they are listed
per command rather than per resource type."""

from __future__ import annotations

# docs/operations.md lists each command's permissions.
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
