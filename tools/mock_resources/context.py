"""What every mock resource's outputs derive from: the resource's identity (stack, type and logical
name) hashed into ids, digits and UUIDs, so a synth is byte-identical from one run to the next for
one account (ACCOUNT_ID); the physical name Pulumi auto-names it with; and ARNs in the account and
region it is created in. `by_name` is the outputs of a type no part of tools.mock_resources knows:
an id from its name.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
PARTITION = "aws"

State = dict[str, Any]
Generator = Callable[["MockContext"], State]


class MockContext:
    """What a generator knows about the resource being created."""

    def __init__(self, args: pulumi.runtime.MockResourceArgs, region: str, account: str = ACCOUNT_ID):
        self.args = args
        self.account = account
        self.inputs: State = dict(args.inputs)
        self.region = self.inputs.get("region") or region
        self.name = args.name
        # Every value derives from who the resource is, so a synth repeats byte for byte.
        self.identity = f"{pulumi.get_stack()}::{args.typ}::{args.name}"

    def hex(self, length: int, salt: str = "") -> str:
        return hashlib.sha256(f"{self.identity}{salt}".encode()).hexdigest()[:length]

    def digits(self, length: int, salt: str = "") -> str:
        return str(int(self.hex(16, salt), 16))[:length]

    def uuid(self, salt: str = "") -> str:
        return str(uuid.UUID(self.hex(32, salt)))

    def physical_name(self, key: str = "name", max_length: int = 255) -> str:
        """The name Pulumi auto-names a resource with (`<logical>-<7 hex>`) unless one is given."""
        given = self.inputs.get(key)
        if given:
            return given
        prefix = self.inputs.get(f"{key}Prefix")
        if prefix:
            return f"{prefix}{self.digits(26)}"[:max_length]
        return f"{self.name[: max_length - 8]}-{self.hex(7)}"

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return f"arn:{PARTITION}:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"


def by_name(ctx: MockContext) -> State:
    return {"id": ctx.physical_name()}
