"""Validation of the database settings (settings/database.py), and the data tier's profile defaults: every
rejection with its exact line."""

from __future__ import annotations

import pytest

from settings import load_settings
from settings.instance_classes import RDS_FAMILIES, split_class
from tests.support import config_with, rejection


def test_prod_database_is_memory_optimised_graviton_on_current_postgres():
    database = load_settings("prod", config_with("prod", {})).database
    family = RDS_FAMILIES[split_class(database.instance_class, "db")[0]]
    assert family.graviton and family.memory_optimised
    assert database.major_version == 17


def test_prod_defaults_protect_and_replicate_the_data():
    settings = load_settings("prod", config_with("prod", {}))
    assert settings.database.protect and settings.cache.protect
    assert settings.database.cross_region_backups
    assert settings.database.backup_replication_region == "us-west-2"
    assert not (settings.database.apply_immediately or settings.cache.apply_immediately)


def test_staging_runs_a_single_cache_node_without_cross_region_backups():
    settings = load_settings("staging", config_with("staging", {}))
    assert (settings.cache.num_nodes, settings.cache.automatic_failover) == (1, False)
    assert not settings.database.cross_region_backups and not settings.database.multi_az


INSIGHTS = "must be 7, 731, or a multiple of 31 from 31 to 713 days"


@pytest.mark.parametrize("days", [7, 31, 62, 713, 731])
def test_performance_insights_keeps_what_rds_accepts(days):
    # RDS accepts 7 (free tier), 731, or whole 31-day months below that.
    config = config_with("prod", {"webapp:database": {"performanceInsightsRetentionDays": days}})
    assert load_settings("prod", config).database.performance_insights_retention_days == days


@pytest.mark.parametrize("days", [0, 8, 714, 732, 744])
def test_performance_insights_refuses_what_rds_does_not(days):
    assert rejection("prod", {"webapp:database": {"performanceInsightsRetentionDays": days}}) == [
        f"prod: database.performanceInsightsRetentionDays: {INSIGHTS} (got {days})"
    ]


def test_prod_keeps_backups_for_at_least_seven_days():
    config = config_with("prod", {"webapp:database": {"backupRetentionDays": 7}})
    assert load_settings("prod", config).database.backup_retention_days == 7


def test_a_replica_class_that_cannot_run_the_engine_version_is_refused():
    database = {"readReplicas": 1, "replicaInstanceClass": "db.r4.large"}
    assert rejection("prod", {"webapp:database": database}) == [
        "prod: database.replicaInstanceClass: db.r4 runs PostgreSQL 9 to 12, not 17 (got db.r4.large)"
    ]


def test_an_unknown_engine_version_is_named_once_not_again_for_the_replica_class():
    database = {"engineVersion": "12", "readReplicas": 1, "replicaInstanceClass": "db.r7g.large"}
    assert rejection("prod", {"webapp:database": database}) == [
        "prod: database.engineVersion: RDS for PostgreSQL major versions are 13, 14, 15, 16, 17, 18 (got 12)"
    ]


@pytest.mark.parametrize(
    "database, line",
    [
        (
            {"instanceClass": "db.r7g.huge"},
            "prod: database.instanceClass: db.r7g comes in large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, "
            "16xlarge (got db.r7g.huge)",
        ),
        (
            {"instanceClass": "r7g.large"},
            "prod: database.instanceClass: must look like db.<family>.<size> (got r7g.large)",
        ),
        (
            {"instanceClass": "db.q9.large"},
            "prod: database.instanceClass: unknown db family q9 (known: m4, m5, m5d, m6g, m6gd, m6i, m6id, m7g, m7i, "
            "m8g, m8gd, r4, r5, r5b, r5d, r6g, r6gd, r6i, r6id, r7g, r7i, r8g, r8gd, t2, t3, t4g, x2g) (got db.q9.large)",
        ),
        (
            {"instanceClass": "db.r4.large"},
            "prod: database.instanceClass: db.r4 runs PostgreSQL 9 to 12, not 17 (got db.r4.large)",
        ),
        (
            {"instanceClass": "db.t2.medium"},
            "prod: database.instanceClass: db.t2 runs PostgreSQL 9 to 12, not 17 (got db.t2.medium)",
        ),
        (
            {"engineVersion": "12"},
            "prod: database.engineVersion: RDS for PostgreSQL major versions are 13, 14, 15, 16, 17, 18 (got 12)",
        ),
        (
            {"engineVersion": "16.4", "instanceClass": "db.m4.large"},
            "prod: database.instanceClass: db.m4 runs PostgreSQL 9 to 12, not 16 (got db.m4.large)",
        ),
        (
            {"masterUsername": "postgres"},
            "prod: database.masterUsername: must not be one of admin, postgres, rdsadmin, root (got postgres)",
        ),
        (
            {"appUser": "app_admin"},
            "prod: database.appUser: must not be masterUsername: the application never logs in as the master "
            "(got app_admin)",
        ),
        (
            {"appUser": "rds_iam"},
            "prod: database.appUser: must not be one of admin, postgres, rdsadmin, root, public, none, current_user, "
            "session_user, current_role, pg_*, rds_* (got rds_iam)",
        ),
        (
            {"appUser": "postgres"},
            "prod: database.appUser: must not be one of admin, postgres, rdsadmin, root, public, none, current_user, "
            "session_user, current_role, pg_*, rds_* (got postgres)",
        ),
        (
            {"appUser": "public"},
            "prod: database.appUser: must not be one of admin, postgres, rdsadmin, root, public, none, current_user, "
            "session_user, current_role, pg_*, rds_* (got public)",
        ),
        (
            {"deletionProtection": False},
            "prod: database.deletionProtection: prod keeps deletion protection on (got false)",
        ),
        (
            {"appUser": 'app"; DROP ROLE x; --'},
            'prod: database.appUser: must match ^[a-z][a-z0-9_]{0,62}$ (got app"; DROP ROLE x; --)',
        ),
        (
            {"databaseName": "template1"},
            "prod: database.databaseName: must not be one of postgres, rdsadmin, template0, template1 (got template1)",
        ),
        ({"port": 80}, "prod: database.port: input should be greater than or equal to 1150 (got 80)"),
        (
            {"maxAllocatedStorageGb": 100},
            "prod: database.maxAllocatedStorageGb: must be more than allocatedStorageGb (100) so storage can grow (got 100)",
        ),
        (
            {"performanceInsightsRetentionDays": 30},
            "prod: database.performanceInsightsRetentionDays: must be 7, 731, or a multiple of 31 from 31 to 713 days "
            "(got 30)",
        ),
        (
            {"caCertificate": "rds-ca-2019"},
            "prod: database.caCertificate: input should be 'rds-ca-rsa2048-g1', 'rds-ca-rsa4096-g1' or 'rds-ca-ecc384-g1' (got rds-ca-2019)",
        ),
        ({"protect": False}, "prod: database.protect: prod protects the database from pulumi destroy (got false)"),
        (
            {"skipFinalSnapshot": True},
            "prod: database.skipFinalSnapshot: prod always takes a final snapshot (got true)",
        ),
        (
            {"applyImmediately": True},
            "prod: database.applyImmediately: prod applies changes in the maintenance window (got true)",
        ),
        (
            {"crossRegionBackups": False},
            "prod: database.crossRegionBackups: prod replicates its backups to a second region (got false)",
        ),
        (
            {"backupReplicationRegion": "us-east-1"},
            "prod: database.backupReplicationRegion: must be another region than aws:region (us-east-1) (got us-east-1)",
        ),
    ],
)
def test_database_rejections(database, line):
    assert rejection("prod", {"webapp:database": database}) == [line]


def test_backup_region_is_checked_only_when_backups_are_replicated():
    settings = load_settings(
        "staging", config_with("staging", {"webapp:database": {"backupReplicationRegion": "us-east-1"}})
    )
    assert not settings.database.cross_region_backups
