"""The key settings of a stack, as `make plan` prints them under the plan's first line: where it
runs, what it runs on and how big, each value marked `set` (written in Pulumi.<stack>.yaml) or
`default` (from the profile's defaults in settings/profiles.py or the settings model's own).

A row that combines several keys (a task's size and counts) is `set` when the stack file sets
all of them, `default` when it sets none, and otherwise names the keys it sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from settings import PROJECT, REGION_KEY, StackSettings


@dataclass(frozen=True)
class Row:
    key: str
    value: str
    source: str


def _source(section: Any, keys: tuple[str, ...]) -> str:
    """`set`, `default`, or `set: <keys>` for the keys of `section` (a raw config mapping)."""
    written = [key for key in keys if isinstance(section, dict) and key in section]
    if not written:
        return "default"
    if len(written) == len(keys):
        return "set"
    return "set: " + ", ".join(written)


def key_settings(settings: StackSettings, config: dict[str, Any]) -> list[Row]:
    """The rows for a stack's validated settings and its stack file's raw `config`."""

    def section(name: str) -> Any:
        return config.get(f"{PROJECT}:{name}")

    rows = [
        Row(REGION_KEY, settings.region, _source(config, (REGION_KEY,))),
        Row("network.azCount", str(settings.network.az_count), _source(section("network"), ("azCount",))),
        Row(
            "database.instanceClass",
            settings.database.instance_class + (" (Multi-AZ)" if settings.database.multi_az else ""),
            _source(section("database"), ("instanceClass", "multiAz")),
        ),
        Row(
            "cache.nodeType",
            f"{settings.cache.node_type} x {settings.cache.shards} shards x {settings.cache.replicas_per_shard + 1} nodes"
            if settings.cache.clustered
            else f"{settings.cache.node_type} x {settings.cache.num_nodes}",
            _source(section("cache"), ("nodeType", "numNodes", "clusterMode", "shards", "replicasPerShard")),
        ),
    ]
    raw_services = section("services") or []
    for index, service in enumerate(settings.services):
        raw = raw_services[index] if index < len(raw_services) else {}
        prefix = f"services.{service.name}"
        rows.append(
            Row(
                f"{prefix}.size",
                f"{service.cpu} CPU / {service.memory} MiB, {service.desired_count} "
                f"task{'' if service.desired_count == 1 else 's'} ({service.min_count}-{service.max_count})",
                _source(raw, ("cpu", "memory", "desiredCount", "minCount", "maxCount")),
            )
        )
        rows.append(Row(f"{prefix}.image", service.image, _source(raw, ("image",))))
        if service.tracing and service.tracing_image:
            rows.append(Row(f"{prefix}.tracingImage", service.tracing_image, _source(raw, ("tracingImage",))))
    return rows


def render(settings: StackSettings, config: dict[str, Any]) -> str:
    """The block: a title line, then `key  source  value` rows, aligned."""
    rows = key_settings(settings, config)
    key_width = max(len(row.key) for row in rows)
    source_width = max(len(row.source) for row in rows)
    lines = [f"Key settings (set: in the stack file; default: the {settings.profile} profile's or the model's):"]
    lines += [f"    {row.key:<{key_width}}  {row.source:<{source_width}}  {row.value}" for row in rows]
    return "\n".join(lines)
