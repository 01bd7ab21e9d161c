"""The price snapshot the estimate reads, and its refresh from the AWS Price List API.

    python -m tools.cost.prices [--out FILE]     (what `make prices` runs)

`prices.json` (next to this module) holds, per region, one entry per price key
(`tools.cost.catalog`): the USD price, the Price List unit it is quoted in and the meter, with
the date and the source of the whole snapshot. The refresh asks `pricing:GetProducts` (AWS
credentials needed; the API is served from us-east-1) for every key the snapshot holds and
rewrites the file. A key the API has no on-demand price for stops the refresh: a snapshot never
silently loses a price.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import cli_parser
from tools.cost.catalog import Spec, spec

SNAPSHOT = Path(__file__).with_name("prices.json")
SCHEMA_VERSION = 1
# The Price List query API is served from these endpoints only; us-east-1 answers for every region.
PRICING_API_REGION = "us-east-1"
LIVE_SOURCE = "AWS Price List API (pricing:GetProducts, on-demand terms, first paid tier)"


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str


class LivePriceError(Exception):
    """A price the Price List API did not answer as expected (one line, naming the key)."""


class PriceBook:
    """Prices by region and key, from a snapshot document."""

    def __init__(self, document: dict[str, Any]):
        self.document = document

    @property
    def price_date(self) -> str:
        return self.document["priceDate"]

    @property
    def source(self) -> str:
        return self.document["source"]

    def get(self, region: str, key: str) -> Price | None:
        entry = self.document["regions"].get(region, {}).get(key)
        return Price(entry["usd"], entry["unit"]) if entry else None

    def keys(self) -> dict[str, list[str]]:
        return {region: sorted(entries) for region, entries in self.document["regions"].items()}


def load(path: Path = SNAPSHOT) -> PriceBook:
    return PriceBook(json.loads(path.read_text()))


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def fetch(client: Any, region: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Entries for `keys` in `region`, read from `pricing:GetProducts`.

    Keys that share a query (the four Fargate meters, NAT hours and bytes) are answered by one
    paginated call. Raises LivePriceError for a key with no spec, no product, two different
    prices or an unexpected unit.
    """
    entries: dict[str, dict[str, Any]] = {}
    for query in queries(region, keys):
        products = list(_products(client, query.service, query.filters))
        for key, found in query.wanted:
            entries[key] = _entry(key, found, region, products)
    return entries


@dataclass(frozen=True)
class Query:
    """One paginated `GetProducts` call and the keys its products answer."""

    service: str
    filters: list[dict[str, str]]
    wanted: list[tuple[str, Spec]]


def queries(region: str, keys: Iterable[str]) -> list[Query]:
    """The calls `fetch` makes for `keys` in `region`, in order (sorted keys, one call per
    distinct service and filters)."""
    groups: dict[tuple[str, str], list[tuple[str, Spec]]] = defaultdict(list)
    for key in sorted(keys):
        found = spec(key)
        if found is None:
            raise LivePriceError(f"{region} {key}: no Price List query is known for this key")
        groups[(found.service, json.dumps(found.filters(region)))].append((key, found))
    return [Query(service, json.loads(filters), wanted) for (service, filters), wanted in groups.items()]


def _products(client: Any, service: str, filters: list[dict[str, str]]) -> Iterable[dict[str, Any]]:
    request: dict[str, Any] = {"ServiceCode": service, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
    while True:
        response = client.get_products(**request)
        for item in response.get("PriceList", []):
            yield json.loads(item) if isinstance(item, str) else item
        token = response.get("NextToken")
        if not token:
            return
        request["NextToken"] = token


def _entry(key: str, found: Spec, region: str, products: list[dict[str, Any]]) -> dict[str, Any]:
    candidates = {}
    for product in products:
        attributes = product["product"].get("attributes", {})
        usagetype = attributes.get("usagetype", "")
        if not found.matches(region, usagetype) or not _has(product["product"], found.attributes):
            continue
        dimension = _first_paid(product)
        if dimension is None:
            continue
        if dimension["unit"] not in found.units:
            raise LivePriceError(
                f"{region} {key}: the Price List quotes {usagetype} per {dimension['unit']}, "
                f"expected {' or '.join(found.units)}"
            )
        usd = float(dimension["pricePerUnit"]["USD"])
        candidates[usd] = {
            "usd": usd,
            "unit": dimension["unit"],
            "meter": found.meter,
            "usagetype": usagetype,
            "sku": product["product"].get("sku", ""),
            "description": dimension.get("description", found.description),
        }
    if not candidates:
        raise LivePriceError(f"{region} {key}: no on-demand price for {found.service} {found.meter}")
    if len(candidates) > 1:
        prices = ", ".join(str(usd) for usd in sorted(candidates))
        raise LivePriceError(f"{region} {key}: {found.service} {found.meter} has several prices ({prices})")
    return next(iter(candidates.values()))


def _has(product: dict[str, Any], attributes: tuple[tuple[str, str], ...]) -> bool:
    values = {"productFamily": product.get("productFamily"), **product.get("attributes", {})}
    return all(values.get(field) == value for field, value in attributes)


def _first_paid(product: dict[str, Any]) -> dict[str, Any] | None:
    """The on-demand dimension with the lowest begin range that costs something (a free first
    tier, such as CloudWatch's or data transfer's, is an account-wide allowance: not counted)."""
    dimensions = [
        dimension
        for term in product.get("terms", {}).get("OnDemand", {}).values()
        for dimension in term.get("priceDimensions", {}).values()
    ]
    dimensions.sort(key=lambda d: float(d.get("beginRange", "0")))
    return next((d for d in dimensions if float(d["pricePerUnit"].get("USD", "0")) > 0), None)


def live_document(
    client: Any, wanted: Mapping[str, Iterable[str]], today: datetime.date | None = None
) -> dict[str, Any]:
    """A snapshot document with fresh prices for `wanted` (region -> keys)."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "currency": "USD",
        "priceDate": (today or datetime.date.today()).isoformat(),
        "source": LIVE_SOURCE,
        "regions": {region: fetch(client, region, keys) for region, keys in sorted(wanted.items())},
    }


def pricing_client() -> Any:
    import boto3

    return boto3.client("pricing", region_name=PRICING_API_REGION)


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    parser = cli_parser("python -m tools.cost.prices", __doc__)
    parser.add_argument("--out", type=Path, default=SNAPSHOT, help="where to write (default: the snapshot)")
    args = parser.parse_args(argv)
    try:
        document = live_document(pricing_client(), load().keys())
    except LivePriceError as error:
        print(f"prices: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"prices: cannot read the AWS Price List API: {error}", file=sys.stderr)
        return 2
    args.out.write_text(dumps(document))
    count = sum(len(entries) for entries in document["regions"].values())
    print(f"prices: {count} prices in {len(document['regions'])} regions, dated {document['priceDate']} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
