"""Human summary of what a stack would deploy, from the offline synth.

    python -m tools.plan [--stack NAME ...] [--config-file FILE] [--policy]

Each plan starts with the stack's key settings (tools.key_settings): region, AZs, instance
classes and node types, task sizes and counts, images, each marked set in the stack file or
default. With no --stack, plans every stack of the project in one process: most of a synth's time is
importing pulumi-aws's modules, paid once here. --policy (what `make plan` passes) checks each
plan with the CrossGuard pack (tools.policy_check) and exits 1 on a mandatory violation. Each
plan ends with its monthly cost estimate (tools.cost); the plan exits 1 when the fixed estimate
is over the stack's `webapp:budget.monthlyUsd`. --config-file replaces Pulumi.<stack>.yaml (one
--stack only), as for tools.synth.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from settings import ConfigError, load_settings
from settings.stack_config import ROOT, read_stack_config, stack_names, unknown_stack
from tools import cli_parser, key_settings
from tools.cost.gate import plan_section
from tools.policy_check import PolicyPack
from tools.policy_config import read_policy_config, stack_policy_config
from tools.policy_report import UsageError, read_waivers, waivers_path
from tools.synth import is_secret, synthesize

MASK = "[secret]"


def by_component(document: dict[str, Any]) -> tuple[dict[str, Counter], Counter]:
    """Resources (not components) per component and type, and the protected ones per component.

    A component is named `name [Type]`; resources registered outside any are `(stack)`."""
    resources = document["resources"]
    by_urn = {r["urn"]: r for r in resources}
    groups: dict[str, Counter] = defaultdict(Counter)
    protected: Counter = Counter()
    for resource in resources:
        if not resource["custom"]:
            continue
        component = _component(resource, by_urn)
        groups[component][resource["type"]] += 1
        if resource["options"]["protect"]:
            protected[component] += 1
    return groups, protected


def render(document: dict[str, Any], key_settings: str = "") -> str:
    """The plan text: resources grouped by component and type, counts, and the stack outputs;
    `key_settings` (tools.key_settings) goes under the first line."""
    groups, protected = by_component(document)
    custom = sum(sum(counts.values()) for counts in groups.values())
    lines = [
        f"Stack {document['project']}/{document['stack']}: {custom} resources in "
        f"{len(groups)} components would be created",
        "",
    ]
    if key_settings:
        lines += [key_settings, ""]
    for component in sorted(groups):
        counts = groups[component]
        note = f", {protected[component]} protected" if protected[component] else ""
        lines.append(f"{component}  ({sum(counts.values())} resources{note})")
        for type_, count in sorted(counts.items()):
            lines.append(f"    {count:>3}  {type_}")
    lines += ["", "Outputs:"]
    for name, value in sorted(document["outputs"].items()):
        lines.append(f"    {name}: {_show(value)}")
    return "\n".join(lines)


def _component(resource: dict[str, Any], by_urn: dict[str, dict[str, Any]]) -> str:
    parent = by_urn.get(resource["parent"] or "")
    if parent is None:
        return "(stack)"
    return f"{parent['name']} [{parent['type'].rsplit(':', 1)[-1]}]"


def _show(value: Any) -> str:
    if is_secret(value):
        return MASK
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in sorted(value.items())) + "}"
    return json.dumps(value) if not isinstance(value, str) else value


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tools.plan", __doc__)
    parser.add_argument("--stack", action="append", help="stack to plan (repeatable; default: every stack)")
    parser.add_argument(
        "--policy", action="store_true", help="run the policy pack on each plan with policies/config/<stack>.json"
    )
    parser.add_argument("--config-file", type=Path, help="use this file instead of Pulumi.<stack>.yaml (one --stack)")
    args = parser.parse_args(argv)
    if args.config_file and len(args.stack or ()) != 1:
        parser.error("--config-file needs exactly one --stack")
    stacks = args.stack or stack_names()
    # What would stop a stack is reported before any synth or the pack starts.
    missing = [unknown_stack(stack).lines[0] for stack in stacks if stack not in stack_names()]
    if missing and not args.config_file:
        print("\n".join(missing), file=sys.stderr)
        return 2
    try:
        configs = {stack: stack_policy_config(stack) for stack in stacks} if args.policy else {}
        return _plan(stacks, configs, args.config_file)
    except UsageError as error:
        print(f"policy check: {error}", file=sys.stderr)
        return 2


def _plan(stacks: list[str], policy_configs: dict[str, Path], config_file: Path | None) -> int:
    """Plan each stack (from `config_file` instead of its stack file when given); with policy
    configs, check each plan against its stack's."""
    status = 0
    with ExitStack() as cleanup:
        # One pack process checks every stack (tools.policy_check).
        pack = cleanup.enter_context(PolicyPack()) if policy_configs else None
        for index, stack in enumerate(stacks):
            if index:
                print("\n" + "=" * 72 + "\n")
            try:
                stack_config = read_stack_config(stack, config_file)
                settings = load_settings(stack, stack_config)
                document = synthesize(stack, config=stack_config)
            except ConfigError as error:
                print("\n".join(error.lines), file=sys.stderr)
                status = 2
                continue
            print(render(document, key_settings.render(settings, stack_config)))
            if pack is not None:
                config = policy_configs[stack]
                waivers = read_waivers(waivers_path(stack), stack)
                report = pack.check(document, read_policy_config(config), waivers)
                print(f"\nPolicy check ({config.relative_to(ROOT)}):")
                print(report.text())
                status = max(status, report.exit_code)
            # After the policy result: what it costs, and whether that fits the budget.
            cost, cost_status = plan_section(document, settings)
            print("\n" + cost)
            status = max(status, cost_status)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
