"""A Python Lambda function of the stack's own, in the VPC: code from `functions/<name>/`,
packaged deterministically at synth time (components/function_package.py), on the caller's
subnets, behind its own security group, with a least-privilege role and an encrypted log group.

- Security group: no ingress (nothing calls a function over the network; it is invoked through
  the Lambda API) and only the egress the caller lists (`Egress`: a security group, a CIDR or a
  prefix list, on one port). Its deletion waits for Lambda to release its network interfaces.
- Role: what `AWSLambdaVPCAccessExecutionRole` grants, scoped as tightly as AWS allows: log
  streams of this function's log group only (no CreateLogGroup: the group exists first), network
  interfaces of this account and region, created only in the caller's subnets with this
  function's security group; Describe* on `*` (EC2 has no resource-level permissions for them).
  Then the caller's statements. The trust lets only Lambda, on behalf of this account, assume it.
- Log group: `/aws/lambda/<function>`, encrypted with the logs key, the settings' retention,
  created before the function, so Lambda never creates an unencrypted one that keeps logs forever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.functions import FunctionSettings

from .common import TYPE_PREFIX, AwsContext, child, policy_document, service_trust_policy
from .datastore import physical_name
from .function_package import build_package

# EC2 has no resource-level permissions for these (Lambda describes the subnets and its interfaces).
DESCRIBE_ACTIONS = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
INTERFACE_ACTIONS = ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]


@dataclass(frozen=True)
class Egress:
    """One egress rule of the function's security group: to exactly one of a security group, an
    IPv4 CIDR or a managed prefix list, on one TCP port. `name` names the rule resource."""

    name: str
    port: int
    description: str
    security_group_id: pulumi.Input[str] | None = None
    cidr_ipv4: str | None = None
    prefix_list_id: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        targets = [self.security_group_id, self.cidr_ipv4, self.prefix_list_id]
        if sum(target is not None for target in targets) != 1:
            raise ValueError(f"egress {self.name}: exactly one of security_group_id, cidr_ipv4, prefix_list_id")
        if not 0 < self.port < 65536:
            raise ValueError(f"egress {self.name}: port {self.port} is not a TCP port")


@dataclass(frozen=True)
class VpcFunctionArgs:
    settings: FunctionSettings
    context: AwsContext
    # The function's directory, `functions/<name>/` (FUNCTIONS_DIR / name), handler.py at its top.
    source: Path
    description: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    log_key_arn: pulumi.Input[str]
    egress: Sequence[Egress] = ()
    # IAM statements the function's code needs, added to the role after the VPC access.
    statements: Sequence[Mapping[str, Any]] = ()
    # Pure-Python packages the code imports (import names), copied from this environment.
    vendored: Sequence[str] = ()
    # Plain settings only: Lambda environment variables are visible to whoever reads the function.
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    handler: str = "handler.handler"
    # Extra tags of the security group (e.g. the one that declares an intended internet egress).
    security_group_tags: Mapping[str, str] = field(default_factory=dict)


class VpcFunction(pulumi.ComponentResource):
    """The function, its package, security group, role and log group."""

    def __init__(self, name: str, args: VpcFunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:VpcFunction", name, None, opts)
        settings, context = args.settings, args.context
        self.function_name = physical_name(name)[:64]
        self.package = build_package(args.source, args.vendored)

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"Lambda {self.function_name}: no ingress, egress only as listed",
            tags={"Name": f"{name}-function", **args.security_group_tags},
            # Lambda releases a VPC function's network interfaces up to ~20 minutes after the
            # function is gone; until then EC2 refuses to delete the group.
            opts=child(self, custom_timeouts=pulumi.CustomTimeouts(delete="45m")),
        )
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        for rule in args.egress:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-to-{rule.name}",
                security_group_id=self.security_group.id,
                ip_protocol="tcp",
                from_port=rule.port,
                to_port=rule.port,
                referenced_security_group_id=rule.security_group_id,
                cidr_ipv4=rule.cidr_ipv4,
                prefix_list_id=rule.prefix_list_id,
                description=rule.description,
                tags={"Name": f"{name}-to-{rule.name}"},
                opts=child(self),
            )

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{self.function_name}",
            retention_in_days=settings.log_retention_days,
            kms_key_id=args.log_key_arn,
            opts=child(self),
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"Lambda {self.function_name}: VPC access, its logs, and what its code needs",
            assume_role_policy=service_trust_policy(["lambda.amazonaws.com"], context),
            opts=child(self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=policy_document(*self._vpc_access(context, args), *[dict(s) for s in args.statements]),
            opts=child(self),
        )

        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=self.function_name,
            description=args.description,
            role=self.role.arn,
            runtime=settings.runtime,
            architectures=[settings.architecture],
            handler=args.handler,
            code=pulumi.FileArchive(str(self.package.path)),
            # The zip's own digest: a plan shows a code change exactly when the bytes change.
            source_code_hash=self.package.sha256_base64,
            memory_size=settings.memory_mb,
            timeout=settings.timeout_seconds,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(args.subnet_ids), security_group_ids=[self.security_group.id]
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=self.log_group.name,
                application_log_level="INFO",
                system_log_level="WARN",
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment))
            if args.environment
            else None,
            tags={"Name": self.function_name},
            # Lambda checks at creation that the role may create the network interfaces.
            opts=child(self, depends_on=[policy]),
        )
        self.arn: pulumi.Output[str] = self.function.arn
        self.name: pulumi.Output[str] = self.function.name
        self.role_arn: pulumi.Output[str] = self.role.arn
        self.register_outputs(
            {
                "arn": self.arn,
                "name": self.name,
                "role_arn": self.role_arn,
                "security_group_id": self.security_group_id,
                "log_group": self.log_group.name,
                "code_sha256": self.package.sha256_base64,
            }
        )

    def _vpc_access(self, context: AwsContext, args: VpcFunctionArgs) -> list[dict[str, Any]]:
        interfaces = context.arn("ec2", "network-interface/*")
        subnets = [pulumi.Output.concat(context.arn("ec2", "subnet/"), subnet) for subnet in args.subnet_ids]
        return [
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": self.log_group.arn.apply(lambda arn: f"{arn}:log-stream:*"),
            },
            {"Sid": "DescribeNetwork", "Effect": "Allow", "Action": DESCRIBE_ACTIONS, "Resource": "*"},
            {
                "Sid": "CreateInterfacesInOwnSubnets",
                "Effect": "Allow",
                "Action": "ec2:CreateNetworkInterface",
                "Resource": [
                    interfaces,
                    *subnets,
                    pulumi.Output.concat(context.arn("ec2", "security-group/"), self.security_group.id),
                ],
            },
            {"Sid": "ManageInterfaces", "Effect": "Allow", "Action": INTERFACE_ACTIONS, "Resource": interfaces},
        ]
