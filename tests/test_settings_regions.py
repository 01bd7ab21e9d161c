"""Regions come from botocore's partition data: every real region passes, anything else is named."""

from __future__ import annotations

import botocore
import pytest

from settings import load_settings
from settings.regions import partition_of, partitions
from tests.support import config_with, rejection


def test_partitions_hold_regions_not_global_endpoints():
    assert "us-east-1" in partitions()["aws"] and "aws-global" not in partitions()["aws"]
    assert partitions()["aws-us-gov"] == ("us-gov-east-1", "us-gov-west-1")


@pytest.mark.parametrize("region, partition", [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("nowhere-1", None)])
def test_partition_of_a_region(region, partition):
    assert partition_of(region) == partition


def test_a_region_of_another_partition_is_accepted():
    settings = load_settings("staging", config_with("staging", {"aws:region": "us-gov-west-1"}))
    assert settings.region == "us-gov-west-1"


def test_an_unknown_backup_region_is_rejected():
    [line] = rejection("prod", {"webapp:database": {"backupReplicationRegion": "us-west-3"}})
    assert line.startswith("prod: database.backupReplicationRegion: not an AWS region; did you mean us-west-")


def test_backups_replicate_within_the_stacks_partition():
    assert rejection("prod", {"webapp:database": {"backupReplicationRegion": "us-gov-west-1"}}) == [
        "prod: database.backupReplicationRegion: must be in aws:region's partition (aws) (got us-gov-west-1)"
    ]


def test_a_region_like_none_is_rejected_without_a_guess():
    assert rejection("prod", {"aws:region": "xyzzy"}) == [
        f"prod: aws:region: not an AWS region; (regions from botocore {botocore.__version__}'s partition data) "
        "(got xyzzy)"
    ]
