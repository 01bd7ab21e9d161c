"""AWS Price List `GetProducts` answers in the exact shape the API returns them (format
aws_v1: each product a JSON string with its attributes, sku and on-demand terms), for botocore's
Stubber. `product()` builds one; the named records below follow products of the us-east-1 offer
files (Fargate, ElastiCache, RDS), including the neighbours a query also returns (Windows and
ECS Anywhere meters, Valkey's sync-durability meter, Extended Support) that must not be taken.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

ON_DEMAND = "JRTCKXETXF"
LOCATIONS = {"us-east-1": "US East (N. Virginia)", "us-west-2": "US West (Oregon)"}
SERVICE_NAMES = {
    "AmazonECS": "Amazon Elastic Container Service",
    "AmazonElastiCache": "Amazon ElastiCache",
    "AmazonRDS": "Amazon Relational Database Service",
    "AmazonEC2": "Amazon Elastic Compute Cloud",
}


def _sku(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest().upper()
    return "".join(c for c in digest if c.isalnum())[:16]


def product(
    service: str,
    usagetype: str,
    usd: str | list[tuple[str, str, str]],
    unit: str,
    description: str,
    family: str,
    region: str = "us-east-1",
    **attributes: str,
) -> str:
    """One Price List product. `usd` is one price, or tiers as (begin, end, price)."""
    sku = _sku(service, region, usagetype, *sorted(attributes.values()))
    tiers = [("0", "Inf", usd)] if isinstance(usd, str) else usd
    dimensions = {}
    for begin, end, price in tiers:
        rate = f"{sku}.{ON_DEMAND}.{_sku(begin, price)[:10]}"
        dimensions[rate] = {
            "unit": unit,
            "endRange": end,
            "description": description,
            "appliesTo": [],
            "rateCode": rate,
            "beginRange": begin,
            "pricePerUnit": {"USD": price},
        }
    document: dict[str, Any] = {
        "product": {
            "productFamily": family,
            "attributes": {
                "regionCode": region,
                "servicecode": service,
                "usagetype": usagetype,
                "locationType": "AWS Region",
                "location": LOCATIONS.get(region, region),
                "servicename": SERVICE_NAMES.get(service, service),
                **attributes,
            },
            "sku": sku,
        },
        "serviceCode": service,
        "terms": {
            "OnDemand": {
                f"{sku}.{ON_DEMAND}": {
                    "priceDimensions": dimensions,
                    "sku": sku,
                    "effectiveDate": "2026-11-01T00:00:00Z",
                    "offerTermCode": ON_DEMAND,
                    "termAttributes": {},
                }
            }
        },
        "version": "20261120203010",
        "publicationDate": "2026-11-20T20:30:10Z",
    }
    return json.dumps(document, separators=(",", ":"))


def response(price_list: list[str], next_token: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": price_list}
    if next_token:
        answer["NextToken"] = next_token
    return answer


def _fargate(usagetype: str, usd: str | list[tuple[str, str, str]], description: str, **attributes: str) -> str:
    return product("AmazonECS", usagetype, usd, "hours", description, "Compute", **attributes)


# us-east-1 AmazonECS, productFamily Compute: what the Fargate query returns, in two pages.
FARGATE_PAGE_1 = [
    _fargate(
        "USE1-ECS-Anywhere-Instance-hours-WithFree",
        [("0", "2200", "0.0000000000"), ("2200", "Inf", "0.0102500000")],
        "$0.01025 per hour for ECS-Anywhere-Instance-Hours",
        externalInstanceType="With Free",
        operation="AddExternalInstance",
    ),
    _fargate(
        "USE1-Fargate-ARM-vCPU-Hours:perCPU",
        "0.0323800000",
        "AWS Fargate - ARM - vCPU - US East (N. Virginia)",
        resource="per vCPU per hour",
        cpuArchitecture="ARM",
        tenancy="Shared",
        cputype="perCPU",
        operation="",
    ),
    _fargate(
        "USE1-Fargate-ARM-GB-Hours",
        "0.0035600000",
        "AWS Fargate - ARM - Memory - US East (N. Virginia)",
        resource="per GB per hour",
        cpuArchitecture="ARM",
        tenancy="Shared",
        memorytype="perGB",
        operation="",
    ),
    _fargate(
        "USE1-Fargate-Windows-vCPU-Hours:perCPU",
        "0.0465520000",
        "AWS Fargate - Windows - vCPU - US East (N. Virginia)",
        resource="per vCPU per hour",
        tenancy="Shared",
        cputype="perCPU",
        operation="",
    ),
]
FARGATE_PAGE_2 = [
    _fargate(
        "USE1-Fargate-vCPU-Hours:perCPU",
        "0.0404800000",
        "AWS Fargate - vCPU - US East (N. Virginia)",
        resource="per vCPU per hour",
        cpuArchitecture="x86_64",
        tenancy="Shared",
        cputype="perCPU",
        operation="",
    ),
    _fargate(
        "USE1-Fargate-GB-Hours",
        "0.0044450000",
        "AWS Fargate - Memory - US East (N. Virginia)",
        resource="per GB per hour",
        cpuArchitecture="x86_64",
        tenancy="Shared",
        memorytype="perGB",
        operation="",
    ),
    _fargate(
        "USE1-Fargate-EphemeralStorage-GB-Hours",
        "0.0001110000",
        "AWS Fargate - Ephemeral Storage - US East (N. Virginia)",
        resource="per GB per hour",
        tenancy="Shared",
        operation="",
    ),
]


def cache_node(node: str, engine: str, usagetype: str, usd: str, region: str = "us-east-1") -> str:
    return product(
        "AmazonElastiCache",
        usagetype,
        usd,
        "Hrs",
        f"${float(usd):g} per {engine} {node} node hour (or partial hour)",
        "Cache Instance",
        region,
        instanceType=node,
        cacheEngine=engine,
        currentGeneration="Yes",
        instanceFamily="Memory optimized",
        operation=f"CreateCacheCluster:{engine}",
    )


# us-east-1 AmazonElastiCache, cache.r7g.large: Valkey's node-hour and its sync-durability meter.
VALKEY_R7G_LARGE = [
    cache_node("cache.r7g.large", "Valkey", "SyncDurability-NodeUsage:cache.r7g.large", "0.0300000000"),
    cache_node("cache.r7g.large", "Valkey", "NodeUsage:cache.r7g.large", "0.1752000000"),
]
REDIS_R7G_LARGE = [
    cache_node("cache.r7g.large", "Redis", "ExtendedSupportYr1_Yr2-NodeUsage:cache.r7g.large", "0.1752000000"),
    cache_node("cache.r7g.large", "Redis", "NodeUsage:cache.r7g.large", "0.2190000000"),
]


def rds_instance(instance_class: str, usagetype: str, usd: str, region: str = "us-east-1") -> str:
    return product(
        "AmazonRDS",
        usagetype,
        usd,
        "Hrs",
        f"${float(usd):g} per RDS {instance_class} Single-AZ instance hour (or partial hour) running PostgreSQL",
        "Database Instance",
        region,
        instanceType=instance_class,
        databaseEngine="PostgreSQL",
        deploymentOption="Single-AZ",
        licenseModel="No license required",
        operation="CreateDBInstance:0014",
    )
