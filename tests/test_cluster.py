"""The ECS cluster component, built alone (tests.components_support) through a provider as the
composition hands it the stack's: Container Insights in its enhanced mode, the cluster as the
component's child, and its name and ARN as the component's outputs."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from components.cluster import Cluster
from tests.components_support import CONTEXT, build
from tests.support import Synth

CLUSTER = "aws:ecs/cluster:Cluster"


@pytest.fixture(scope="module")
def cluster() -> Synth:
    def program() -> None:
        provider = aws.Provider("stack-provider", region=CONTEXT.region)
        Cluster("ecs", opts=pulumi.ResourceOptions(provider=provider))

    return build("prod", program)


def test_the_cluster_has_container_insights_in_its_enhanced_mode(cluster):
    # Enhanced observability adds the per-task and per-container metrics the alarms and dashboards
    # read (Amazon ECS Developer Guide, Container Insights with enhanced observability).
    assert cluster.one(CLUSTER)["inputs"]["settings"] == [{"name": "containerInsights", "value": "enhanced"}]


def test_the_component_registers_the_clusters_name_and_arn(cluster):
    resource = cluster.one(CLUSTER)
    assert cluster.one("webapp:components:Cluster")["outputs"] == {
        "name": resource["outputs"]["name"],
        "arn": resource["outputs"]["arn"],
    }


def test_the_cluster_is_the_components_made_through_the_stacks_provider(cluster):
    provider = cluster.one("pulumi:providers:aws")
    resource = cluster.one(CLUSTER)
    assert resource["parent"] == cluster.one("webapp:components:Cluster")["urn"]
    assert resource["provider"] == f"{provider['urn']}::{provider['id']}"
