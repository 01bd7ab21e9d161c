"""The price snapshot and its refresh from the AWS Price List API (botocore Stubber, recorded
response shapes: nothing leaves the machine)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from settings import load_settings
from settings.stack_config import read_stack_config
from tests.pricelist_records import (
    FARGATE_PAGE_1,
    FARGATE_PAGE_2,
    REDIS_R7G_LARGE,
    VALKEY_R7G_LARGE,
    product,
    rds_instance,
    response,
)
from tests.support import copied
from tools.cost import cli, prices
from tools.cost.catalog import spec
from tools.cost.estimate import estimate
from tools.cost.prices import LivePriceError, fetch, live_document, load, queries

FARGATE_KEYS = ["fargate/ARM64/memory", "fargate/ARM64/vcpu", "fargate/X86_64/memory", "fargate/X86_64/vcpu"]


@pytest.fixture
def pricing() -> Iterator[tuple[object, Stubber]]:
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect(stubber: Stubber, service: str, filters: list[dict[str, str]], pages: list[list[str]]) -> None:
    """Queue the paginated answers of one GetProducts query, checking every request."""
    for index, page in enumerate(pages):
        token = f"page-{index + 1}" if index + 1 < len(pages) else None
        params = {"ServiceCode": service, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
        if index:
            params["NextToken"] = f"page-{index}"
        stubber.add_response("get_products", response(page, token), params)


def test_the_snapshot_has_both_regions_a_date_and_a_source():
    book = load()
    assert set(book.keys()) == {"us-east-1", "us-west-2"}
    assert book.document["schemaVersion"] == prices.SCHEMA_VERSION
    assert book.price_date == "2026-11-29"
    assert "Price List" in book.source and book.document["currency"] == "USD"


def test_every_snapshot_price_is_a_known_meter_in_its_price_list_unit():
    for region, entries in load().document["regions"].items():
        for key, entry in entries.items():
            found = spec(key)
            assert found is not None, f"{region} {key}"
            assert entry["unit"] in found.units and entry["meter"] == found.meter and entry["usd"] > 0


def test_valkey_nodes_cost_20_percent_less_than_redis_in_the_snapshot():
    for region, entries in load().document["regions"].items():
        redis = {k.rsplit("/", 1)[1]: e["usd"] for k, e in entries.items() if k.startswith("elasticache/node/Redis/")}
        valkey = {k.rsplit("/", 1)[1]: e["usd"] for k, e in entries.items() if k.startswith("elasticache/node/Valkey/")}
        assert redis and set(redis) == set(valkey), region
        for node, usd in redis.items():
            assert valkey[node] == pytest.approx(usd * 0.8, rel=1e-9), f"{region} {node}"


def test_one_paginated_query_prices_all_four_fargate_meters(pricing):
    client, stubber = pricing
    (query,) = queries("us-east-1", FARGATE_KEYS)
    expect(stubber, "AmazonECS", query.filters, [FARGATE_PAGE_1, FARGATE_PAGE_2])
    entries = fetch(client, "us-east-1", FARGATE_KEYS)
    assert {key: entry["usd"] for key, entry in entries.items()} == {
        "fargate/ARM64/vcpu": 0.03238,
        "fargate/ARM64/memory": 0.00356,
        "fargate/X86_64/vcpu": 0.04048,
        "fargate/X86_64/memory": 0.004445,
    }
    assert entries["fargate/ARM64/vcpu"]["usagetype"] == "USE1-Fargate-ARM-vCPU-Hours:perCPU"
    assert entries["fargate/ARM64/vcpu"]["unit"] == "hours"


def test_the_fargate_query_filters_on_region_and_product_family():
    (query,) = queries("us-west-2", FARGATE_KEYS)
    assert query.service == "AmazonECS"
    assert query.filters == [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-west-2"},
        {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "Compute"},
    ]


def test_valkey_node_price_is_the_node_hour_not_the_sync_durability_meter(pricing):
    client, stubber = pricing
    key = "elasticache/node/Valkey/cache.r7g.large"
    (query,) = queries("us-east-1", [key])
    assert {"Type": "TERM_MATCH", "Field": "cacheEngine", "Value": "Valkey"} in query.filters
    expect(stubber, "AmazonElastiCache", query.filters, [VALKEY_R7G_LARGE])
    assert fetch(client, "us-east-1", [key])[key]["usd"] == 0.1752


def test_redis_node_price_skips_extended_support(pricing):
    client, stubber = pricing
    key = "elasticache/node/Redis/cache.r7g.large"
    (query,) = queries("us-east-1", [key])
    expect(stubber, "AmazonElastiCache", query.filters, [REDIS_R7G_LARGE])
    assert fetch(client, "us-east-1", [key])[key]["usd"] == 0.219


def test_region_prefixed_usage_types_match_outside_the_home_region(pricing):
    client, stubber = pricing
    key = "rds/instance/PostgreSQL/db.t4g.medium"
    (query,) = queries("us-west-2", [key])
    record = rds_instance("db.t4g.medium", "USW2-InstanceUsage:db.t4g.medium", "0.0650000000", "us-west-2")
    expect(stubber, "AmazonRDS", query.filters, [[record]])
    entry = fetch(client, "us-west-2", [key])[key]
    assert (entry["usd"], entry["usagetype"]) == (0.065, "USW2-InstanceUsage:db.t4g.medium")


def test_a_free_first_tier_is_skipped_for_the_first_paid_one(pricing):
    client, stubber = pricing
    key = "datatransfer/internet-out"
    (query,) = queries("us-east-1", [key])
    tiers = [("0", "100", "0.0000000000"), ("100", "10240", "0.0900000000"), ("10240", "51200", "0.0850000000")]
    record = product(
        "AWSDataTransfer",
        "DataTransfer-Out-Bytes",
        tiers,
        "GB",
        "$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier",
        "Data Transfer",
        fromRegionCode="us-east-1",
        transferType="AWS Outbound",
    )
    expect(stubber, "AWSDataTransfer", query.filters, [[record]])
    assert fetch(client, "us-east-1", [key])[key]["usd"] == 0.09


def test_a_price_in_another_unit_is_refused_not_rescaled(pricing):
    client, stubber = pricing
    key = "rds/instance/PostgreSQL/db.t4g.medium"
    (query,) = queries("us-east-1", [key])
    monthly = json.loads(rds_instance("db.t4g.medium", "InstanceUsage:db.t4g.medium", "47.4500000000"))
    for term in monthly["terms"]["OnDemand"].values():
        for dimension in term["priceDimensions"].values():
            dimension["unit"] = "Month"
    expect(stubber, "AmazonRDS", query.filters, [[json.dumps(monthly)]])
    with pytest.raises(
        LivePriceError, match=r"^us-east-1 rds/instance/PostgreSQL/db.t4g.medium: .* per Month, expected Hrs$"
    ):
        fetch(client, "us-east-1", [key])


def test_a_meter_the_api_does_not_return_stops_the_refresh(pricing):
    client, stubber = pricing
    key = "elasticache/node/Valkey/cache.r7g.large"
    (query,) = queries("us-east-1", [key])
    expect(stubber, "AmazonElastiCache", query.filters, [[VALKEY_R7G_LARGE[0]]])
    with pytest.raises(LivePriceError, match="no on-demand price for AmazonElastiCache NodeUsage:cache.r7g.large"):
        fetch(client, "us-east-1", [key])


def test_a_key_without_a_query_is_refused():
    with pytest.raises(LivePriceError, match="no Price List query is known"):
        queries("us-east-1", ["rds/instance/Oracle/db.r7g.large"])


def test_the_live_document_has_the_snapshot_shape_and_todays_date(pricing):
    client, stubber = pricing
    (query,) = queries("us-east-1", FARGATE_KEYS)
    expect(stubber, "AmazonECS", query.filters, [FARGATE_PAGE_1 + FARGATE_PAGE_2])
    document = live_document(client, {"us-east-1": FARGATE_KEYS}, today=datetime.date(2026, 12, 1))
    assert document["priceDate"] == "2026-12-01" and document["source"] == prices.LIVE_SOURCE
    assert prices.PriceBook(document).get("us-east-1", "fargate/X86_64/vcpu") == prices.Price(0.04048, "hours")


def test_make_prices_rewrites_the_snapshot_with_every_key(pricing, monkeypatch, tmp_path):
    client, stubber = pricing
    wanted = {"us-east-1": FARGATE_KEYS}
    monkeypatch.setattr(
        prices, "load", lambda: prices.PriceBook({"regions": {"us-east-1": dict.fromkeys(FARGATE_KEYS)}})
    )
    monkeypatch.setattr(prices, "pricing_client", lambda: client)
    (query,) = queries("us-east-1", wanted["us-east-1"])
    expect(stubber, "AmazonECS", query.filters, [FARGATE_PAGE_1, FARGATE_PAGE_2])
    out = tmp_path / "prices.json"
    assert prices.main(["--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert sorted(written["regions"]["us-east-1"]) == sorted(FARGATE_KEYS)


def test_live_prices_the_stack_with_fresh_prices_for_exactly_its_keys(staging, pricing, monkeypatch, capsys):
    client, stubber = pricing
    book = load()
    usage = load_settings("staging", read_stack_config("staging")).usage
    for region, keys in estimate(staging.document, usage, book).price_keys().items():
        for query in queries(region, keys):
            answers = []
            for key, found in query.wanted:
                attributes = dict(found.attributes)
                family = attributes.pop("productFamily", "")
                price = book.get(region, key)
                assert price is not None
                usd = f"{price.usd:.10f}"
                answers.append(
                    product(found.service, found.meter, usd, found.units[0], key, family, region, **attributes)
                )
            expect(stubber, query.service, query.filters, [answers])
    monkeypatch.setattr(prices, "pricing_client", lambda: client)
    monkeypatch.setattr(cli, "synthesize", lambda name, config=None: copied(staging.document))
    assert cli.main(["--stack", "staging", "--json", "--live"]) == 0
    live = json.loads(capsys.readouterr().out)
    assert live["priceDate"] == datetime.date.today().isoformat()
    assert live["priceSource"] == prices.LIVE_SOURCE
    assert live["fixedMonthly"] == pytest.approx(estimate(staging.document, usage, book).fixed_monthly, rel=1e-12)
