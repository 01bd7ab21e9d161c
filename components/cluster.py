"""The ECS cluster every Fargate service of the stack runs in, with Container Insights in its
enhanced mode (per-task and per-container metrics, which the dashboards and alarms read).

It is a component of its own rather than part of `FargateService`: the cluster is shared by all
services and outlives any one of them, so no service may own (or replace) it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from .common import TYPE_PREFIX, child


@dataclass(frozen=True)
class ClusterArgs:
    container_insights: Literal["enhanced", "enabled"] = "enhanced"


class Cluster(pulumi.ComponentResource):
    """One ECS cluster for the stack's Fargate services."""

    def __init__(self, name: str, args: ClusterArgs = ClusterArgs(), opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:Cluster", name, None, opts)
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value=args.container_insights)],
            opts=child(self),
        )
        self.name: pulumi.Output[str] = self.cluster.name
        self.arn: pulumi.Output[str] = self.cluster.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
