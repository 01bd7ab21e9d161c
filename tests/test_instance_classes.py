"""The instance-class tables against an independent list AWS publishes: the Price List's
`instanceType` values for AmazonRDS and AmazonElastiCache.

The fixtures in tests/fixtures/price_list/ have the exact shape of the AWS CLI's output of
`aws pricing get-attribute-values --region us-east-1 --service-code <code> --attribute-name
instanceType` (the pages merged into one `AttributeValues` list, sorted, as the API returns
them). They were built offline on 2026-11-29, without network access, from the instance types
AWS publishes in the public price list up to mid-2025; they are not a live recording. Refresh
them with that command (with credentials) and this test shows what changed:
a new family fails until it gets a row in settings/instance_classes.py or a reason to be left
out, and a new size of a known family fails until its row lists it.

Then what the tables answer: a class's memory, and the engine versions a family runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from settings.instance_classes import (
    CACHE_FAMILIES,
    CACHE_LEFT_OUT,
    RDS_FAMILIES,
    RDS_LEFT_OUT,
    cache_engine_problem,
    cache_node_problem,
    db_class_problem,
    db_engine_problem,
    db_memory_gib,
)

FIXTURES = Path(__file__).parent / "fixtures" / "price_list"
TABLES = {
    "AmazonRDS": ("db", RDS_FAMILIES, RDS_LEFT_OUT),
    "AmazonElastiCache": ("cache", CACHE_FAMILIES, CACHE_LEFT_OUT),
}


def price_list(service_code: str) -> set[str]:
    document = json.loads((FIXTURES / f"{service_code}-instanceType.json").read_text())
    return {item["Value"] for item in document["AttributeValues"]}


def by_family(names: set[str], prefix: str) -> dict[str, set[str]]:
    """db.r6gd.large -> {"r6gd": {"large"}}; variants with more parts (Oracle's
    db.r5.large.tpc1.mem2x) are not classes a PostgreSQL instance can use and are skipped."""
    families: dict[str, set[str]] = {}
    for name in names:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == prefix:
            families.setdefault(parts[1], set()).add(parts[2])
    return families


@pytest.mark.parametrize("service_code", TABLES)
def test_every_class_the_tables_accept_is_one_aws_sells(service_code):
    prefix, families, _ = TABLES[service_code]
    sold = price_list(service_code)
    accepted = {f"{prefix}.{family}.{size}" for family, row in families.items() for size in row.sizes}
    assert sorted(accepted - sold) == []


@pytest.mark.parametrize("service_code", TABLES)
def test_every_size_aws_sells_of_an_accepted_family_is_accepted(service_code):
    prefix, families, _ = TABLES[service_code]
    missing = {
        family: sorted(sizes - set(families[family].sizes))
        for family, sizes in by_family(price_list(service_code), prefix).items()
        if family in families and sizes - set(families[family].sizes)
    }
    assert missing == {}


@pytest.mark.parametrize("service_code", TABLES)
def test_every_family_aws_sells_is_accepted_or_left_out_with_a_reason(service_code):
    prefix, families, left_out = TABLES[service_code]
    unaccounted = set(by_family(price_list(service_code), prefix)) - set(families) - set(left_out)
    assert sorted(unaccounted) == []


@pytest.mark.parametrize("service_code", TABLES)
def test_nothing_is_both_accepted_and_left_out_nor_left_out_without_being_sold(service_code):
    prefix, families, left_out = TABLES[service_code]
    assert set(families) & set(left_out) == set()
    assert set(left_out) <= set(by_family(price_list(service_code), prefix))


@pytest.mark.parametrize("name", ["db.r6gd.large", "db.m6gd.xlarge", "db.m8gd.2xlarge", "db.r8gd.48xlarge"])
def test_the_nvme_families_optimized_reads_needs_are_accepted(name):
    assert db_class_problem(name) is None


def test_a_left_out_family_says_why():
    assert db_class_problem("db.x1e.xlarge") == "db.x1e: RDS offers it for Oracle and SQL Server only"


def test_data_tiering_nodes_start_at_xlarge():
    assert cache_node_problem("cache.r6gd.xlarge") is None
    assert (
        cache_node_problem("cache.r6gd.large")
        == "cache.r6gd comes in xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge"
    )


@pytest.mark.parametrize(
    "name, gib",
    [
        # Burstable classes by size; the others 2 vCPUs for large, 4 for xlarge, 4N for Nxlarge, times
        # the family's GiB per vCPU (m 4, r 8, x 16), as the RDS instance class table lists them.
        ("db.t4g.micro", 1),
        ("db.t4g.medium", 4),
        ("db.t3.2xlarge", 32),
        ("db.m7g.large", 8),
        ("db.r7g.large", 16),
        ("db.r7g.xlarge", 32),
        ("db.r7g.2xlarge", 64),
        ("db.m6i.32xlarge", 512),
        ("db.x2g.4xlarge", 256),
    ],
)
def test_the_memory_of_a_class_is_what_rds_lists(name, gib):
    # The freeable-memory and connection alarms are shares of it.
    assert db_memory_gib(name) == gib


@pytest.mark.parametrize(
    "name, version, problem",
    [
        ("db.r7g.large", "13", None),
        ("db.r7g.large", "12.4", "db.r7g runs PostgreSQL 13 and newer, not 12"),
        ("db.t2.medium", "12", None),
        ("db.t2.medium", "13", "db.t2 runs PostgreSQL 9 to 12, not 13"),
        ("db.t3.medium", "9.6", None),
    ],
)
def test_a_family_runs_the_postgresql_majors_from_its_first_to_its_last(name, version, problem):
    assert db_engine_problem(name, version) == problem


@pytest.mark.parametrize(
    "node_type, engine, version, problem",
    [
        ("cache.c7gn.large", "redis", "7.0", None),
        ("cache.c7gn.large", "redis", "6.2", "cache.c7gn runs Redis OSS 7.0 and newer, not 6.2"),
        ("cache.t4g.small", "redis", "5.0.6", None),
        ("cache.r7g.large", "valkey", "8.0", None),
        # Valkey is judged as the Redis OSS 7.2 it replaces, whatever its own version number.
        ("cache.c7gn.large", "valkey", "1.0", None),
        ("cache.t2.small", "valkey", "8.0", "ElastiCache no longer creates clusters on cache.t2 nodes"),
    ],
)
def test_a_cache_family_runs_redis_from_its_oldest_version_and_valkey_as_redis_7_2(node_type, engine, version, problem):
    assert cache_engine_problem(node_type, engine, version) == problem


@pytest.mark.parametrize("call", [lambda: db_memory_gib("r7g.large"), lambda: db_engine_problem("db.r7g", "17")])
def test_a_class_the_settings_did_not_validate_is_a_programming_error(call):
    with pytest.raises(ValueError, match=r"^not a db class: "):
        call()
