"""The ECS cluster component, built alone (tests.components_support): Container Insights in its
enhanced mode, and the cluster's name and ARN as the component's outputs."""

from __future__ import annotations

import pytest

from components.cluster import Cluster
from tests.components_support import build
from tests.support import Synth

CLUSTER = "aws:ecs/cluster:Cluster"


@pytest.fixture(scope="module")
def cluster() -> Synth:
    return build("prod", lambda: Cluster("ecs"))


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
