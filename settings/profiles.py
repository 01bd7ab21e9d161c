"""Per-environment defaults: one profile per kind of environment (CDK-style layered defaults).

A stack file names its profile (`webapp:profile: prod`) and overrides only what differs;
everything else comes from here. `services` defaults apply to every entry of the stack's service
list, per kind. The profile also selects the rules only production must follow (`problems`).
"""

from __future__ import annotations

from typing import Any, Literal

from .edge import MANAGED_RULE_GROUPS

Profile = Literal["prod", "staging"]

PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "prod": {
        "network": {"azCount": 3, "natMode": "per-az"},
        "services": {
            "web": {
                "cpu": 2048,
                "memory": 4096,
                "desiredCount": 4,
                "minCount": 4,
                "maxCount": 20,
                "bakeTimeMinutes": 10,
            },
            "worker": {"cpu": 1024, "memory": 2048, "desiredCount": 2, "minCount": 2, "maxCount": 10},
        },
        "loadBalancer": {"deletionProtection": True, "accessLogExpiryDays": 365},
        "firewall": {"managedRules": {name: "block" for name in MANAGED_RULE_GROUPS}},
        "database": {
            "instanceClass": "db.r7g.xlarge",
            "multiAz": True,
            "deletionProtection": True,
            "protect": True,
            "applyImmediately": False,
            "backupRetentionDays": 14,
            "crossRegionBackups": True,
        },
        "cache": {
            "nodeType": "cache.r7g.xlarge",
            "numNodes": 2,
            "automaticFailover": True,
            "multiAz": True,
            "protect": True,
            "applyImmediately": False,
            "snapshotRetentionDays": 7,
        },
    },
    "staging": {
        "network": {"azCount": 2, "natMode": "single"},
        "services": {
            "web": {
                "cpu": 512,
                "memory": 1024,
                "desiredCount": 1,
                "minCount": 1,
                "maxCount": 4,
                "bakeTimeMinutes": 2,
            },
            "worker": {"cpu": 256, "memory": 512, "desiredCount": 1, "minCount": 1, "maxCount": 2},
        },
        "loadBalancer": {"deletionProtection": False, "accessLogExpiryDays": 30},
        # Managed rules only count in staging: false positives show in the WAF logs, nothing breaks.
        "firewall": {"managedRules": {name: "count" for name in MANAGED_RULE_GROUPS}},
        "database": {
            "instanceClass": "db.t4g.medium",
            "multiAz": False,
            "deletionProtection": False,
            "protect": False,
            "applyImmediately": True,
            "backupRetentionDays": 7,
            "crossRegionBackups": False,
        },
        "cache": {
            "nodeType": "cache.t4g.small",
            "numNodes": 1,
            "automaticFailover": False,
            "multiAz": False,
            "protect": False,
            "applyImmediately": True,
            "snapshotRetentionDays": 3,
        },
        # Test traffic only: the usage-based lines of the cost estimate (settings/cost.py).
        "usage": {
            "requestsPerMonth": 500_000,
            "albProcessedGb": 5,
            "internetEgressGb": 5,
            "natProcessedGb": 30,
            "endpointProcessedGb": 0,
            "accessLogGb": 0.2,
            "logs": {"service": 0.5, "network": 2, "firewall": 0.3, "database": 0.2, "cache": 0.05},
        },
    },
}


def with_profile_defaults(profile: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The stack's raw config laid over its profile's defaults."""
    defaults = PROFILE_DEFAULTS[profile]
    merged = {key: deep_merge(value, raw.get(key)) for key, value in defaults.items() if key != "services"}
    merged.update({key: value for key, value in raw.items() if key not in merged})
    services = raw.get("services")
    if isinstance(services, list):
        merged["services"] = [
            deep_merge(defaults["services"].get(item.get("kind", "web"), {}), item) if isinstance(item, dict) else item
            for item in services
        ]
    return merged


def deep_merge(base: Any, override: Any) -> Any:
    """`override` laid over `base`: mappings merge key by key, anything else replaces."""
    if override is None:
        return base
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{k: deep_merge(base.get(k), v) for k, v in override.items()}}
    return override
