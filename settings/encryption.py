"""Who administers the stack's customer-managed KMS keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import Field

from .base import Model, Problem

# An IAM role ARN (paths allowed), as a key policy names its principals.
RoleArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")]


class EncryptionSettings(Model):
    # IAM roles that administer every key of the stack (management only, never encrypt or
    # decrypt). Empty: the program creates one role, `key-admin`, that the account's IAM
    # policies decide who may assume.
    key_admin_role_arns: list[RoleArn] = []

    def account_problems(self, allowed_account_ids: list[str]) -> Iterator[Problem]:
        """A role of another account than the stack's cannot administer its keys."""
        if not allowed_account_ids:
            return
        for index, arn in enumerate(self.key_admin_role_arns):
            account = arn.split(":")[4]
            if account not in allowed_account_ids:
                yield Problem(
                    f"keyAdminRoleArns[{index}]",
                    f"must be a role of the stack's account ({', '.join(allowed_account_ids)})",
                    arn,
                )
