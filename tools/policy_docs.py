"""The generated parts of docs/policies.md: the policy reference and the waivers table.

The reference comes from the running pack's GetAnalyzerInfo (tools.policy_check starts it as the
engine does) and each stack's policies/config/<stack>.json reconciled the way the engine does:
every policy (name, what it checks, severity, enforcement per stack, framework reference, other
references), every threshold (default and per-stack value) and every remediation. The waivers
table lists every stack's policies/waivers/<stack>.json. `python -m tools.docs --write` puts both
in the page.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format

from tools.policy_check import PolicyPack
from tools.policy_config import SEVERITIES, read_policy_config, reconcile, stack_policy_config
from tools.policy_report import read_waivers, waivers_path


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, list):
        value = [int(v) if isinstance(v, float) and v.is_integer() else v for v in value]
    return f"`{json.dumps(value)}`"


def render(pack: PolicyPack, stacks: list[str]) -> str:
    info = pack.info
    configs = {stack: reconcile(info, read_policy_config(stack_policy_config(stack))) for stack in stacks}
    lines = [
        f"Pack `{info.name}`: {len(info.policies)} policies. Enforcement per stack is the policy's default "
        "overridden by `policies/config/<stack>.json`; mandatory blocks `pulumi preview`/`up`, advisory warns.",
        "",
        "| Policy | What it checks | Category | Severity | " + " | ".join(stacks) + " | FSBP | Other references |",
        "|---|---|---|---|" + "---|" * len(stacks) + "---|---|",
    ]
    for policy in info.policies:
        levels = [configs[stack][policy.name][0] for stack in stacks]
        tags = [t for t in policy.tags if ":" in t]
        category = next((t for t in policy.tags if ":" not in t), "")
        reference = f"[{policy.framework.reference}]({policy.url})" if policy.framework.reference else "—"
        lines.append(
            f"| `{policy.name}` | {cell(policy.description)} | {category} | {SEVERITIES[policy.severity]} | "
            + " | ".join(levels)
            + f" | {reference} | {cell(', '.join(tags)) or '—'} |"
        )
    lines += ["", "Thresholds (policy config; JSON schema defaults, and the value each stack's config sets):", ""]
    lines += [
        "| Policy | Setting | Default | " + " | ".join(stacks) + " | Meaning |",
        "|---|---|---|" + "---|" * len(stacks) + "---|",
    ]
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema).get("properties", {})
        for key, spec in schema.items():
            values = [_value(configs[stack][policy.name][1].get(key)) for stack in stacks]
            lines.append(
                f"| `{policy.name}` | `{key}` | {_value(spec.get('default'))} | "
                + " | ".join(values)
                + f" | {cell(spec.get('description', ''))} |"
            )
    lines += ["", "Remediation of each policy:", ""]
    lines += [f"- `{policy.name}`: {policy.remediation_steps}" for policy in info.policies]
    return "\n".join(lines)


def render_waivers(stacks: list[str]) -> str:
    """The waivers table: every accepted advisory of every stack, with its reason."""
    lines = ["| Stack | Policy | Resources | Why |", "|---|---|---|---|"]
    for stack in stacks:
        for waiver in read_waivers(waivers_path(stack), stack):
            resources = ", ".join(f"`{name}`" for name in waiver.resources)
            lines.append(f"| {stack} | `{waiver.policy}` | {resources} | {cell(waiver.reason)} |")
    return "\n".join(lines)
