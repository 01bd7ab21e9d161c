"""Customer-managed KMS keys: rotation on, an alias, a 30-day deletion window, and a key policy
that lets the account administer the key and only the named AWS services use it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .common import TYPE_PREFIX, AwsContext, child

KEY_USE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


@dataclass(frozen=True)
class KeyArgs:
    context: AwsContext
    description: str
    # Services that use the key through their own integration with KMS (kms:ViaService), such as
    # "rds", "elasticache", "secretsmanager". The caller still needs IAM permission.
    via_services: Sequence[str] = ()
    # Services that call KMS as themselves: CloudWatch Logs encrypts log groups with its own
    # principal, so it is named in the key policy and bound to this account's log groups.
    logs: bool = False
    # Service principals that publish to encrypted resources (e.g. cloudwatch.amazonaws.com to SNS).
    publishers: Sequence[str] = ()
    # protect=True in prod: a deleted key makes every backup encrypted with it unreadable.
    protect: bool = False
    deletion_window_days: int = 30
    # A key in another region (cross-region backup copies): the provider for that region and its
    # name, which the key policy's service conditions need.
    provider: pulumi.ProviderResource | None = None
    region: str | None = None
    extra_statements: Sequence[dict[str, Any]] = field(default_factory=tuple)


class EncryptionKey(pulumi.ComponentResource):
    """One symmetric CMK and its alias `alias/<stack>-<name>`."""

    def __init__(self, name: str, args: KeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:EncryptionKey", name, None, opts)
        extra = {"provider": args.provider} if args.provider else {}
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=key_policy(args),
            opts=child(self, protect=args.protect, **extra),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{pulumi.get_stack()}-{name}",
            target_key_id=self.key.key_id,
            opts=child(self, **extra),
        )
        self.arn: pulumi.Output[str] = self.key.arn
        self.register_outputs({"arn": self.arn, "alias": self.alias.name})


def key_policy(args: KeyArgs) -> str:
    context = args.context
    region = args.region or context.region
    root = f"arn:{context.partition}:iam::{context.account_id}:root"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if args.via_services:
        statements.append(
            {
                "Sid": "ServicesUseThroughIntegration",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": KEY_USE_ACTIONS + ["kms:CreateGrant", "kms:ListGrants"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": context.account_id,
                        "kms:ViaService": sorted(f"{service}.{region}.amazonaws.com" for service in args.via_services),
                    }
                },
            }
        )
    if args.logs:
        statements.append(
            {
                "Sid": "CloudWatchLogsEncrypts",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": KEY_USE_ACTIONS,
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": context.arn("logs", "log-group:*", region=region)}
                },
            }
        )
    if args.publishers:
        statements.append(
            {
                "Sid": "ServicesPublish",
                "Effect": "Allow",
                "Principal": {"Service": sorted(args.publishers)},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": context.account_id}},
            }
        )
    statements.extend(args.extra_statements)
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
