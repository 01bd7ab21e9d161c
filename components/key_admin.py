"""The key administrator role a stack creates when its settings name none
(`encryption.keyAdminRoleArns`): every customer-managed key of the stack names it with the
management actions only, so the people who rotate, disable or delete keys are not the ones who
can read what the keys protect."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .common import TYPE_PREFIX, AwsContext, child


@dataclass(frozen=True)
class KeyAdministratorArgs:
    context: AwsContext


class KeyAdministrator(pulumi.ComponentResource):
    """An IAM role with no IAM policy of its own: the key policies give it its only permissions.
    It trusts the account, so who may assume it is decided by the account's IAM policies
    (`sts:AssumeRole` on this role, granted to the key administrators only)."""

    def __init__(self, name: str, args: KeyAdministratorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:KeyAdministrator", name, None, opts)
        context = args.context
        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"Administers the KMS keys of stack {pulumi.get_stack()} (no use of them for data)",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:{context.partition}:iam::{context.account_id}:root"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                sort_keys=True,
            ),
            max_session_duration=3600,
            opts=child(self),
        )
        self.arn: pulumi.Output[str] = self.role.arn
        self.register_outputs({"arn": self.arn})
