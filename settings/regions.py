"""AWS regions, from the partition metadata botocore ships (`botocore/data/partitions.json`, the
data its endpoint resolver uses), so no region list is written by hand here. A region newer than
the installed botocore is unknown until boto3/botocore is upgraded."""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from importlib import resources
from typing import Annotated

import botocore
from pydantic import AfterValidator


def _partitions() -> dict[str, tuple[str, ...]]:
    """Partition id (aws, aws-cn, aws-us-gov, ...) -> its regions. The partition data also lists
    global endpoint pseudo-regions (aws-global); each partition's region pattern leaves them out."""
    # Read as botocore's loader reads it, without importing the loader's HTTP stack.
    data = json.loads((resources.files("botocore") / "data" / "partitions.json").read_text())
    result: dict[str, tuple[str, ...]] = {}
    for partition in data["partitions"]:
        pattern = re.compile(partition["regionRegex"])
        result[partition["id"]] = tuple(sorted(r for r in partition["regions"] if pattern.match(r)))
    return result


# Read once per process; applied by a call, not as a decorator, so mutmut mutates the reading.
partitions = cache(_partitions)


def partition_of(region: str) -> str | None:
    return next((pid for pid, regions in partitions().items() if region in regions), None)


def _region(value: str) -> str:
    if partition_of(value) is None:
        known = [r for regions in partitions().values() for r in regions]
        close = difflib.get_close_matches(value, known, n=3)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise ValueError(f"not an AWS region; {hint}(regions from botocore {botocore.__version__}'s partition data)")
    return value


Region = Annotated[str, AfterValidator(_region)]
