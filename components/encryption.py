"""Customer-managed KMS keys: rotation on, an alias, a 30-day deletion window, and a key policy
that names every principal it lets in (no wildcard principal):

- the account root with `kms:*`: AWS's default statement, which lets IAM policies of the account
  grant access to the key. Without it only the key policy could ever change the key, and losing
  the named administrators would leave a key nobody can manage (AWS KMS Developer Guide, "Default
  key policy");
- the key administrators (IAM roles) with management actions only, never a cryptographic one:
  they can rotate, tag, disable or schedule the deletion of a key, not read what it protects;
- the consumers (IAM roles, e.g. the services' execution roles) with Decrypt and DescribeKey,
  only through the key's AWS services (`kms:ViaService`) when the key names any;
- AWS services that call KMS as themselves (CloudWatch Logs, CloudWatch alarms publishing to an
  encrypted topic), bound to this account by the encryption context or `aws:SourceAccount`.

No statement allows `kms:CreateGrant` to a named principal: RDS and ElastiCache create their
grants through the principal that deploys them, whose IAM policy the root statement honours.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import pulumi
import pulumi_aws as aws

from .common import TYPE_PREFIX, AwsContext, child

KEY_USE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
# The consumers read what the key protects (a secret at task start); none of them writes with it.
CONSUMER_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"]
# AWS's key administrator actions, with `kms:Create*` narrowed to the alias: `kms:CreateGrant`
# would let an administrator hand itself Decrypt.
KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
]
# What an administrator must never be able to do with the data.
CRYPTOGRAPHIC_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:CreateGrant",
)


@dataclass(frozen=True)
class KeyArgs:
    context: AwsContext
    description: str
    # IAM role ARNs that administer the key (management actions only).
    administrators: Sequence[pulumi.Input[str]] = ()
    # IAM principal ARNs that use the key: the roles that read the secrets it encrypts, and any
    # other role a caller adds (e.g. a function that reads the database's master secret).
    consumers: pulumi.Input[Sequence[str]] = ()
    # The AWS services the consumers use the key through (kms:ViaService), such as "rds",
    # "elasticache", "secretsmanager": a consumer cannot call KMS directly with it.
    via_services: Sequence[str] = ()
    # CloudWatch Logs encrypts log groups with its own principal, so it is named in the key
    # policy and bound to this account's log groups by the encryption context.
    logs: bool = False
    # Service principals that publish to encrypted resources (e.g. cloudwatch.amazonaws.com to SNS).
    publishers: Sequence[str] = ()
    # protect=True in prod: a deleted key makes every backup encrypted with it unreadable.
    protect: bool = False
    deletion_window_days: int = 30
    # A key in another region (cross-region backup copies): that region's name, which the key
    # policy's service conditions need. The component gets that region's provider in its options,
    # and its key and alias inherit it.
    region: str | None = None
    extra_statements: Sequence[dict[str, Any]] = field(default_factory=tuple)


class EncryptionKey(pulumi.ComponentResource):
    """One symmetric CMK and its alias `alias/<stack>-<name>`."""

    def __init__(self, name: str, args: KeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:EncryptionKey", name, None, opts)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=key_policy(args),
            opts=child(self, protect=args.protect),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{pulumi.get_stack()}-{name}",
            target_key_id=self.key.key_id,
            opts=child(self),
        )
        self.arn: pulumi.Output[str] = self.key.arn
        self.register_outputs({"arn": self.arn, "alias": self.alias.name})


def key_policy(args: KeyArgs) -> pulumi.Output[str]:
    """The key policy as JSON, once the administrators' and consumers' ARNs are known."""
    return pulumi.Output.all(pulumi.Output.all(*args.administrators), pulumi.Output.from_input(args.consumers)).apply(
        lambda principals: key_policy_document(args, principals[0], principals[1])
    )


def key_policy_document(args: KeyArgs, administrators: Sequence[str], consumers: Sequence[str]) -> str:
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
    if administrators:
        statements.append(
            {
                "Sid": "KeyAdministrators",
                "Effect": "Allow",
                "Principal": {"AWS": _one_or_list(administrators)},
                "Action": KEY_ADMIN_ACTIONS,
                "Resource": "*",
            }
        )
    if consumers:
        statement: dict[str, Any] = {
            "Sid": "NamedConsumersDecrypt",
            "Effect": "Allow",
            "Principal": {"AWS": _one_or_list(consumers)},
            "Action": CONSUMER_ACTIONS,
            "Resource": "*",
        }
        if args.via_services:
            via = sorted(f"{service}.{region}.amazonaws.com" for service in args.via_services)
            statement["Condition"] = {"StringEquals": {"kms:ViaService": via}}
        statements.append(statement)
    if args.logs:
        statements.append(
            {
                "Sid": "CloudWatchLogsEncrypts",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": KEY_USE_ACTIONS,
                "Resource": "*",
                # What AWS documents for Logs: the log group's ARN in the encryption context, which
                # names this account (Logs is not documented to send aws:SourceAccount to KMS).
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
    for statement in statements[1:]:
        _check_grants(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def _one_or_list(arns: Sequence[str]) -> str | list[str]:
    unique = sorted(set(arns))
    return unique[0] if len(unique) == 1 else unique


def _check_grants(statement: dict[str, Any]) -> None:
    """Besides the root's, a statement that allows creating grants must limit them to the
    resources of AWS services (a grant to oneself would bypass the key policy)."""
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    if statement.get("Effect") != "Allow" or not any(fnmatchcase("kms:CreateGrant", a) for a in actions):
        return
    if str(statement.get("Condition", {}).get("Bool", {}).get("kms:GrantIsForAWSResource")).lower() != "true":
        raise ValueError(
            f"key policy statement {statement.get('Sid')}: kms:CreateGrant needs kms:GrantIsForAWSResource"
        )
