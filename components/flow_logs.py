"""VPC flow logs of ALL traffic into a KMS-encrypted log group, shared by the VPCs the stack
builds (the primary network and the recovery site)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .common import AwsContext, child, policy_document, service_trust_policy


@dataclass(frozen=True)
class FlowLogArgs:
    context: AwsContext
    vpc_id: pulumi.Input[str]
    # A key of the VPC's region: CloudWatch Logs encrypts only with keys of its own region.
    log_key_arn: pulumi.Input[str]
    retention_days: int
    # The VPC's region, when it is not the stack's (the recovery site's VPC).
    region: str | None = None


def flow_logs(parent: pulumi.Resource, name: str, args: FlowLogArgs) -> aws.ec2.FlowLog:
    """The log group, the delivery role (bound to this account's flow logs of the region) and the
    flow log, children of `parent` named `<name>-flow-log*`."""
    context, region = args.context, args.region or args.context.region
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-flow-logs",
        name=f"/vpc/{pulumi.get_stack()}/{name}/flow-logs",
        retention_in_days=args.retention_days,
        kms_key_id=args.log_key_arn,
        opts=child(parent),
    )
    role = aws.iam.Role(
        f"{name}-flow-logs-role",
        description="VPC flow logs delivery to CloudWatch Logs",
        assume_role_policy=service_trust_policy(
            ["vpc-flow-logs.amazonaws.com"],
            context,
            source_arn=context.arn("ec2", "vpc-flow-log/*", region=region),
        ),
        opts=child(parent),
    )
    aws.iam.RolePolicy(
        f"{name}-flow-logs-policy",
        role=role.id,
        policy=policy_document(
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [log_group.arn, log_group.arn.apply(lambda arn: f"{arn}:*")],
            }
        ),
        opts=child(parent),
    )
    return aws.ec2.FlowLog(
        f"{name}-flow-log",
        vpc_id=args.vpc_id,
        traffic_type="ALL",
        log_destination_type="cloud-watch-logs",
        log_destination=log_group.arn,
        iam_role_arn=role.arn,
        max_aggregation_interval=60,
        tags={"Name": f"{name}-flow-log"},
        opts=child(parent),
    )
