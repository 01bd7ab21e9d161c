"""A policy check as SARIF 2.1.0, for GitHub code scanning (`github/codeql-action/upload-sarif`).

One run; its driver is the pack, with one rule per policy: the description, the remediation as
help (with the FSBP control and the other references), `helpUri` the Security Hub page, the level
the stack's config gives it as `defaultConfiguration`, and `properties.security-severity` from the
policy's severity (GitHub's scale: critical >= 9.0, high 7.0-8.9, medium 4.0-6.9, low < 4.0).

One result per violation: level `error` when mandatory, `warning` when advisory. Its location is
the file and line that created the resource (recorded by the synth, relative to the repository
root, `%SRCROOT%`) where known, and always a logical location whose fully qualified name is the
URN. A waived advisory carries an accepted external suppression with the waiver's reason, so code
scanning shows it as dismissed rather than as a new alert. `partialFingerprints` (policy, URN,
message) keep an alert the same alert across runs while the code around it moves.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from tools.policy_config import SEVERITIES
from tools.policy_report import Report, Violation

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVELS = {"mandatory": "error", "remediate": "error", "advisory": "warning", "disabled": "none"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def sarif(report: Report, info: analyzer_pb2.AnalyzerInfo) -> dict[str, Any]:
    """The SARIF log of `report`, with the rules of the pack `info` describes."""
    index = {policy.name: position for position, policy in enumerate(info.policies)}
    driver: dict[str, Any] = {
        "name": info.name,
        "fullName": f"CrossGuard policy pack {info.name}",
        "rules": [_rule(policy, report.levels.get(policy.name, "advisory")) for policy in info.policies],
    }
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                # One category per stack: code scanning keeps the stacks' alerts apart.
                "automationDetails": {"id": f"policy-check/{report.stack}/"},
                "results": [_result(violation, index) for violation in report.ordered()],
                "properties": {"project": report.project, "stack": report.stack},
            }
        ],
    }


def _rule(policy: analyzer_pb2.PolicyInfo, level: str) -> dict[str, Any]:
    severity = SEVERITIES.get(policy.severity, "")
    category = policy.tags[0] if policy.tags else ""
    references = [f"FSBP {policy.framework.reference}"] if policy.framework.reference else []
    references += [tag.replace(":", " ", 1) for tag in policy.tags[1:]]
    markdown = f"**Remediation:** {policy.remediation_steps}"
    if references:
        markdown += "\n\n**References:** " + ", ".join(references)
    rule: dict[str, Any] = {
        "id": policy.name,
        "shortDescription": {"text": policy.description},
        "fullDescription": {"text": f"{policy.description} (category {category}, severity {severity})"},
        "help": {"text": policy.remediation_steps, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS.get(level, "warning")},
        "properties": {
            "tags": ["security", *policy.tags],
            "category": category,
            "severity": severity,
        },
    }
    if severity in SECURITY_SEVERITY:
        rule["properties"]["security-severity"] = SECURITY_SEVERITY[severity]
    if policy.url:
        rule["helpUri"] = policy.url
    return rule


def _result(violation: Violation, index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [{"name": violation.name, "fullyQualifiedName": violation.urn, "kind": "resource"}]
    }
    if violation.source is not None:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": violation.source.file, "uriBaseId": SRCROOT},
            "region": {"startLine": violation.source.line},
        }
    what = f"{violation.name} ({violation.type})" if violation.type else violation.name
    result: dict[str, Any] = {
        "ruleId": violation.policy,
        "level": LEVELS.get(violation.enforcement, "warning"),
        "message": {"text": f"{what}: {violation.message}"},
        "locations": [location],
        "partialFingerprints": {"policyViolation/v1": _fingerprint(violation)},
        "properties": {
            "enforcement": violation.enforcement,
            "category": violation.category,
            "severity": violation.severity,
            "urn": violation.urn,
        },
    }
    if violation.policy in index:
        result["ruleIndex"] = index[violation.policy]
    if violation.waived is not None:
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": violation.waived}]
    return result


def _fingerprint(violation: Violation) -> str:
    text = "\0".join((violation.policy, violation.urn, violation.message))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
