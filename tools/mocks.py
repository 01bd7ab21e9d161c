"""Realistic Pulumi mocks for AWS: resources get the outputs `tools.mock_resources` generates,
invokes return plausible values for one account (the stack's first allowed account, else
ACCOUNT_ID) in the stack's region.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from tools.mock_resources import GENERATORS
from tools.mock_resources.context import ACCOUNT_ID, PARTITION, MockContext, by_name


def _invoke_azs(args: dict, region: str) -> dict:
    code = "".join(part[0] for part in region.split("-")[:-1]) + region.split("-")[-1]
    letters = "abcdef"
    return {
        "id": region,
        "names": [f"{region}{letter}" for letter in letters],
        "zoneIds": [f"{code}-az{index + 1}" for index in range(len(letters))],
        "groupNames": [region] * len(letters),
    }


def _invoke_caller_identity(args: dict, region: str, account: str) -> dict:
    return {
        "id": account,
        "accountId": account,
        "arn": f"arn:{PARTITION}:sts::{account}:assumed-role/platform-deployer/pulumi",
        "userId": "AROAEXAMPLEDEPLOYER:pulumi",
    }


INVOKES: dict[str, Callable[[dict, str], dict]] = {
    "aws:index/getRegion:getRegion": lambda args, region: {
        "id": region,
        "name": region,
        "region": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": region,
    },
    "aws:index/getPartition:getPartition": lambda args, region: {
        "id": PARTITION,
        "partition": PARTITION,
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": _invoke_azs,
}


class AwsMocks(pulumi.runtime.Mocks):
    """Mocks for one stack in `region`; unknown types get an id and their inputs back."""

    def __init__(self, region: str, account: str = ACCOUNT_ID):
        self.region = region
        self.account = account
        # Provider reference ("urn::id") -> region, so resources and invokes through a second
        # provider (cross-region backups) get that provider's region in their ARNs.
        self.provider_regions: dict[str, str] = {}

    def _region(self, provider: str | None) -> str:
        return self.provider_regions.get(provider or "", self.region)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        ctx = MockContext(args, self._region(args.provider), self.account)
        generator = GENERATORS.get(args.typ, by_name)
        computed = generator(ctx)
        resource_id = computed.pop("id")
        state = {**ctx.inputs, **computed}
        if "arn" in state and "tagsAll" not in state and "tags" in state:
            state["tagsAll"] = state["tags"]
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        region = args.args.get("region") or self._region(args.provider)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return _invoke_caller_identity(args.args, region, self.account), []
        invoke = INVOKES.get(args.token)
        if invoke is None:
            raise NotImplementedError(f"no mock for invoke {args.token}")
        return invoke(args.args, region), []
