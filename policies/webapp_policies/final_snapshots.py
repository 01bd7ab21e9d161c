"""Final snapshots: a stateful resource leaves a snapshot behind when it is deleted or replaced.

Deletion protection and Pulumi's `protect` stop a careless `pulumi destroy`; a final snapshot is
what remains when a deletion happens anyway (a replacing change, a protection turned off on
purpose). Neither AWS Foundational Security Best Practices nor checkov has a control for it (the
closest, RDS.8, is deletion protection), so these policies carry no framework reference; Trivy's
AVD-AWS-0344 checks the same on Aurora clusters.
"""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy
from .values import UNKNOWN, show

RDS_INSTANCE = ("aws:rds/instance:Instance",)
RDS_CLUSTER = ("aws:rds/cluster:Cluster",)
REPLICATION_GROUP = ("aws:elasticache/replicationGroup:ReplicationGroup",)


def _identifier_missing(resource) -> bool:
    """Whether `finalSnapshotIdentifier` is absent or empty (an unknown counts as set)."""
    name = resource.get("finalSnapshotIdentifier")
    return name is not UNKNOWN and not name


def _rds_final_snapshot(resource, what: str, identifier_missing: str):
    """The messages shared by RDS instances and clusters: `skipFinalSnapshot` (provider default
    false) must stay false, and a snapshot name must be given."""
    skip = resource.flag("skipFinalSnapshot", False)
    if skip is UNKNOWN:
        return
    if skip is True:
        yield f"skipFinalSnapshot is true, so deleting or replacing the {what} keeps no final snapshot"
    elif _identifier_missing(resource):
        yield f"finalSnapshotIdentifier is {show(resource.get('finalSnapshotIdentifier'))}: {identifier_missing}"


def _rds_instance_final_snapshot(db, config):
    if db.get("replicateSourceDb") is not None:
        return
    yield from _rds_final_snapshot(
        db,
        "instance",
        "the provider refuses to delete an instance without it unless skipFinalSnapshot is true",
    )


rds_instance_final_snapshot = resource_policy(
    Control(
        name="aws-rds-instance-final-snapshot",
        description="RDS DB instances take a final snapshot when deleted (skipFinalSnapshot false, a snapshot name set).",
        category="backups",
        severity=Severity.MEDIUM,
        remediation=(
            "Leave skip_final_snapshot at false (the database.skipFinalSnapshot stack setting) and set "
            'final_snapshot_identifier, e.g. f"{identifier}-final". Read replicas are exempt: RDS '
            "takes no final snapshot of a replica."
        ),
    ),
    RDS_INSTANCE,
)(_rds_instance_final_snapshot)


def _rds_cluster_final_snapshot(cluster, config):
    yield from _rds_final_snapshot(cluster, "cluster", "without it, deleting the cluster keeps no final snapshot")


rds_cluster_final_snapshot = resource_policy(
    Control(
        name="aws-rds-cluster-final-snapshot",
        description="RDS (Aurora) DB clusters take a final snapshot when deleted (skipFinalSnapshot false, a snapshot name set).",
        category="backups",
        severity=Severity.MEDIUM,
        remediation="Leave skip_final_snapshot at false and set final_snapshot_identifier on the aws.rds.Cluster.",
    ),
    RDS_CLUSTER,
)(_rds_cluster_final_snapshot)


def _replication_group_final_snapshot(cache, config):
    if _identifier_missing(cache):
        yield (
            f"finalSnapshotIdentifier is {show(cache.get('finalSnapshotIdentifier'))}, "
            "so deleting or replacing the replication group keeps no final snapshot"
        )


replication_group_final_snapshot = resource_policy(
    Control(
        name="aws-elasticache-replication-group-final-snapshot",
        description="ElastiCache replication groups take a final snapshot when deleted (finalSnapshotIdentifier set).",
        category="backups",
        severity=Severity.MEDIUM,
        remediation='Set final_snapshot_identifier on the aws.elasticache.ReplicationGroup, e.g. f"{label}-final".',
    ),
    REPLICATION_GROUP,
)(_replication_group_final_snapshot)


# The pack serves exactly these, in this order.
POLICIES = [
    rds_instance_final_snapshot,
    rds_cluster_final_snapshot,
    replication_group_final_snapshot,
]
