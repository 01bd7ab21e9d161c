"""Which RDS instance classes and ElastiCache node types exist, and which engine versions each
family can run, so a typo or an impossible pairing fails at `pulumi preview`, not 20 minutes
into `pulumi up`.

The tables are curated from the AWS documentation ("Supported DB engines for DB instance
classes" in the RDS User Guide; "Supported node types" in the ElastiCache User Guide). Every
family AWS sells is either a row here or in RDS_LEFT_OUT / CACHE_LEFT_OUT with the reason;
tests/test_instance_classes.py holds both against the instance types of AWS's Price List, so a
new family or size shows up as a failing test rather than as a refused class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Sizes shared by several families, smallest first.
_BURSTABLE = ("micro", "small", "medium", "large", "xlarge", "2xlarge")
_GRAVITON2 = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_NITRO_5 = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")
_INTEL_6 = _NITRO_5 + ("32xlarge",)
_INTEL_7 = _NITRO_5 + ("48xlarge",)
_GRAVITON4 = _NITRO_5 + ("48xlarge",)


@dataclass(frozen=True)
class DbFamily:
    """An RDS instance family as RDS for PostgreSQL offers it."""

    sizes: tuple[str, ...]
    # Oldest / newest PostgreSQL major version the family runs (None: no upper bound).
    min_major: int
    max_major: int | None = None
    graviton: bool = False
    memory_optimised: bool = False


# PostgreSQL majors RDS offers in standard support that this project deploys.
POSTGRES_MAJORS = (13, 14, 15, 16, 17, 18)

RDS_FAMILIES: dict[str, DbFamily] = {
    # Burstable: staging and small workloads only.
    "t3": DbFamily(_BURSTABLE, 9),
    "t4g": DbFamily(_BURSTABLE, 12, graviton=True),
    # General purpose.
    "m5": DbFamily(_NITRO_5, 9),
    "m6g": DbFamily(_GRAVITON2, 12, graviton=True),
    "m6i": DbFamily(_INTEL_6, 11),
    "m7g": DbFamily(_GRAVITON2, 13, graviton=True),
    "m7i": DbFamily(_INTEL_7, 13),
    "m8g": DbFamily(_GRAVITON4, 13, graviton=True),
    # NVMe `d` variants: the same classes with local instance storage, which RDS Optimized Reads
    # uses for temporary tables.
    "m5d": DbFamily(_NITRO_5, 13),
    "m6gd": DbFamily(_GRAVITON2, 13, graviton=True),
    "m6id": DbFamily(_INTEL_6, 13),
    "m8gd": DbFamily(_GRAVITON4, 13, graviton=True),
    # Memory optimised.
    "r5": DbFamily(_NITRO_5, 9, memory_optimised=True),
    "r5b": DbFamily(_NITRO_5, 12, memory_optimised=True),
    "r6g": DbFamily(_GRAVITON2, 12, graviton=True, memory_optimised=True),
    "r6i": DbFamily(_INTEL_6, 11, memory_optimised=True),
    "r7g": DbFamily(_GRAVITON2, 13, graviton=True, memory_optimised=True),
    "r7i": DbFamily(_INTEL_7, 13, memory_optimised=True),
    "r8g": DbFamily(_GRAVITON4, 13, graviton=True, memory_optimised=True),
    "x2g": DbFamily(_GRAVITON2, 12, graviton=True, memory_optimised=True),
    "r5d": DbFamily(_NITRO_5, 13, memory_optimised=True),
    "r6gd": DbFamily(_GRAVITON2, 13, graviton=True, memory_optimised=True),
    "r6id": DbFamily(_INTEL_6, 13, memory_optimised=True),
    "r8gd": DbFamily(_GRAVITON4, 13, graviton=True, memory_optimised=True),
    # Previous generation: AWS lists them for PostgreSQL "lower than 13" only.
    "t2": DbFamily(_BURSTABLE, 9, max_major=12),
    "m4": DbFamily(("large", "xlarge", "2xlarge", "4xlarge", "10xlarge", "16xlarge"), 9, max_major=12),
    "r4": DbFamily(
        ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"), 9, max_major=12, memory_optimised=True
    ),
}

_NOT_CURATED = "not accepted yet: add its row above once the RDS User Guide lists it for PostgreSQL"
# Families RDS sells that this project does not accept, and why (the message a user gets).
RDS_LEFT_OUT: dict[str, str] = {
    **dict.fromkeys(
        ("t1", "m1", "m2", "m3", "r3"), "a previous generation RDS no longer offers for PostgreSQL 13 and newer"
    ),
    "c6gd": "RDS offers it for Multi-AZ DB clusters only, not for the DB instance this project deploys",
    **dict.fromkeys(("x1", "x1e", "z1d", "x2iezn", "x2idn"), "RDS offers it for Oracle and SQL Server only"),
    **dict.fromkeys(("m6in", "m6idn", "r6in", "r6idn", "x2iedn"), _NOT_CURATED),
}


@dataclass(frozen=True)
class CacheFamily:
    """An ElastiCache node family for Valkey / Redis OSS."""

    sizes: tuple[str, ...]
    # Oldest Redis OSS version AWS supports on the family; None: no new clusters at all.
    min_redis: tuple[int, ...] | None
    graviton: bool = False
    memory_optimised: bool = False


CACHE_FAMILIES: dict[str, CacheFamily] = {
    "t3": CacheFamily(("micro", "small", "medium"), (3, 2, 4)),
    "t4g": CacheFamily(("micro", "small", "medium"), (5, 0, 6), graviton=True),
    "m5": CacheFamily(("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"), (3, 2, 4)),
    "m6g": CacheFamily(_GRAVITON2, (5, 0, 6), graviton=True),
    "m7g": CacheFamily(_GRAVITON2, (6, 2), graviton=True),
    "r5": CacheFamily(
        ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"), (3, 2, 4), memory_optimised=True
    ),
    "r6g": CacheFamily(_GRAVITON2, (5, 0, 6), graviton=True, memory_optimised=True),
    "r7g": CacheFamily(_GRAVITON2, (6, 2), graviton=True, memory_optimised=True),
    # Data tiering: memory plus local NVMe SSD; ElastiCache requires data tiering on for them
    # (CacheSettings.data_tiering), and they come from xlarge up.
    "r6gd": CacheFamily(_GRAVITON2[1:], (6, 2), graviton=True, memory_optimised=True),
    # Network optimised.
    "c7gn": CacheFamily(_GRAVITON2, (7, 0), graviton=True),
    # AWS no longer creates clusters on T2 nodes (existing ones keep running).
    "t2": CacheFamily(("micro", "small", "medium"), None),
}
CACHE_LEFT_OUT: dict[str, str] = {
    **dict.fromkeys(
        ("t1", "m1", "m2", "m3", "c1", "r3"), "a previous generation ElastiCache keeps for old Redis OSS only"
    ),
    **dict.fromkeys(("m4", "r4"), "a previous generation this project does not create new clusters on"),
}
DATA_TIERING_FAMILIES = ("r6gd",)

# Valkey is a drop-in for Redis OSS 7.2 (AWS upgrades Redis OSS 7 in place to Valkey without a
# node change), so a family runs Valkey when it runs Redis OSS 7.2.
VALKEY_AS_REDIS = (7, 2)

# Versions ElastiCache offers for node-based replication groups, and their parameter group family.
CACHE_ENGINE_VERSIONS: dict[str, dict[str, str]] = {
    "redis": {"7.0": "redis7", "7.1": "redis7"},
    "valkey": {"7.2": "valkey7", "8.0": "valkey8", "8.1": "valkey8"},
}

_CLASS = re.compile(r"^(db|cache)\.([a-z0-9]+)\.([a-z0-9]+)$")


def split_class(name: str, prefix: str) -> tuple[str, str] | None:
    """`db.r7g.large` -> ("r7g", "large"); None when the name does not have that shape."""
    match = _CLASS.match(name)
    if not match or match.group(1) != prefix:
        return None
    return match.group(2), match.group(3)


def _valid_class(name: str, prefix: str) -> tuple[str, str]:
    """split_class of a name the settings already validated."""
    parts = split_class(name, prefix)
    if parts is None:
        raise ValueError(f"not a {prefix} class: {name}")
    return parts


def db_class_problem(name: str) -> str | None:
    """Why `name` is not an RDS for PostgreSQL instance class, or None when it is one."""
    return _class_problem(name, "db", RDS_FAMILIES, RDS_LEFT_OUT)


def cache_node_problem(name: str) -> str | None:
    """Why `name` is not an ElastiCache node type, or None when it is one."""
    return _class_problem(name, "cache", CACHE_FAMILIES, CACHE_LEFT_OUT)


def _class_problem(name: str, prefix: str, families: dict, left_out: dict[str, str]) -> str | None:
    parts = split_class(name, prefix)
    if parts is None:
        return f"must look like {prefix}.<family>.<size>"
    family, size = parts
    if family in left_out:
        return f"{prefix}.{family}: {left_out[family]}"
    if family not in families:
        return f"unknown {prefix} family {family} (known: {', '.join(sorted(families))})"
    if size not in families[family].sizes:
        return f"{prefix}.{family} comes in {', '.join(families[family].sizes)}"
    return None


def postgres_major(version: str) -> int:
    return int(version.split(".")[0])


def db_engine_problem(instance_class: str, version: str) -> str | None:
    """Why the instance class cannot run PostgreSQL `version` (class assumed valid)."""
    family_name, _ = _valid_class(instance_class, "db")
    family = RDS_FAMILIES[family_name]
    major = postgres_major(version)
    if major < family.min_major or (family.max_major is not None and major > family.max_major):
        runs = f"{family.min_major} to {family.max_major}" if family.max_major else f"{family.min_major} and newer"
        return f"db.{family_name} runs PostgreSQL {runs}, not {major}"
    return None


def cache_engine_problem(node_type: str, engine: str, version: str) -> str | None:
    """Why the node type cannot run `engine` `version` (node type assumed valid)."""
    family_name, _ = _valid_class(node_type, "cache")
    family = CACHE_FAMILIES[family_name]
    if family.min_redis is None:
        return f"ElastiCache no longer creates clusters on cache.{family_name} nodes"
    as_redis = VALKEY_AS_REDIS if engine == "valkey" else tuple(int(p) for p in version.split("."))
    if as_redis < family.min_redis:
        oldest = ".".join(map(str, family.min_redis))
        return f"cache.{family_name} runs Redis OSS {oldest} and newer, not {version}"
    return None


# Memory of a class, for alarm thresholds (freeable memory, max_connections). Burstable classes
# by size; the others by vCPUs (2 for large, 4 for xlarge, 4N for Nxlarge) times the family's
# GiB per vCPU.
_BURSTABLE_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}
_GIB_PER_VCPU = {"m": 4, "r": 8, "x": 16}


def db_memory_gib(instance_class: str) -> float:
    """Memory of an RDS instance class (class assumed valid): db.r7g.large -> 16."""
    family, size = _valid_class(instance_class, "db")
    if family.startswith("t"):
        return _BURSTABLE_GIB[size]
    vcpus = 2 if size == "large" else 4 * int(size.removesuffix("xlarge") or 1)
    return vcpus * _GIB_PER_VCPU[family[0]]
