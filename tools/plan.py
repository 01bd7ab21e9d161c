"""Human summary of what a stack would deploy, from the offline synth.

    python -m tools.plan [--stack NAME ...] [--config-file FILE] [--policy] [--base REF]

Each plan starts with the stack's key settings (tools.key_settings): region, AZs, instance
classes and node types, task sizes and counts, images, each marked set in the stack file or
default. With no --stack, plans every stack of the project. --policy (what `make plan` passes)
checks each plan with the CrossGuard pack (tools.policy_check) and its
policies/config/<stack>.json. Each plan ends with its monthly cost estimate (tools.cost).
--config-file replaces Pulumi.<stack>.yaml (one --stack only), as for tools.synth. --base REF
(`make plan BASE=<ref>`) adds what deploying this tree over REF's would change (tools.diff's
summary): REF's tree is synthesized by its own code, next to this tree's synth.

The output comes in stack order; the exit status is the worst of the stacks: 0; 1 on a
mandatory violation, a fixed estimate over the stack's `webapp:budget.monthlyUsd` or a blocking
change against --base (a protected or stateful resource replaced or deleted); 2 when a
stack cannot be planned (unknown stack, invalid config, policy config or waivers, a pack that
does not start, a crash).

Stacks are planned side by side. One pack process per stack starts first and builds itself while
this process imports the program and every pulumi-aws module it names (most of a synth's time).
Then one worker per stack is forked: it shares those imports, synthesizes and renders its stack
and checks it with the stack's pack. Nothing is printed before every worker is done.
"""

from __future__ import annotations

import ast
import gc
import importlib
import json
import multiprocessing
import re
import sys
import tempfile
import threading
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from settings import ConfigError, StackSettings, load_settings
from settings.accounts import stack_file_problems
from settings.stack_config import ROOT, read_stack_config, stack_names, unknown_stack
from tools import cli_parser, exit_now, key_settings
from tools.cost.gate import plan_section
from tools.diff import compare
from tools.diff.base import EMPTY, base_synth
from tools.diff.render import text as diff_text
from tools.policy_check import PolicyPack
from tools.policy_config import read_policy_config, stack_policy_config
from tools.policy_report import UsageError, read_waivers, waivers_path
from tools.synth import is_secret, synthesize

MASK = "[secret]"
CANNOT_PLAN = 2

# One stack's work: its name, its pack, its policy config, a stack file to use instead of its
# own, and the git ref to compare with.
Job = tuple[str, PolicyPack | None, Path | None, Path | None, str | None]


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


@dataclass(frozen=True)
class StackPlan:
    """What planning one stack prints on stdout and stderr, and its exit status."""

    stack: str
    out: str = ""
    err: str = ""
    status: int = 0


def plan_stacks(
    stacks: list[str], policy_configs: dict[str, Path], config_file: Path | None = None, base_ref: str | None = None
) -> list[StackPlan]:
    """Every stack's plan, in the order given (from `config_file` instead of its stack file when
    given); with policy configs, each checked against its stack's; with `base_ref`, compared
    with that ref's synth."""
    with ExitStack() as cleanup:
        packs = [cleanup.enter_context(_spawned(PolicyPack())) if policy_configs else None for _ in stacks]
        jobs: list[Job] = [
            (stack, pack, policy_configs.get(stack), config_file, base_ref)
            for stack, pack in zip(stacks, packs, strict=True)
        ]
        if len(jobs) == 1:
            return [plan_stack(*jobs[0])]
        return _in_workers(jobs)


@contextmanager
def _spawned(pack: PolicyPack) -> Iterator[PolicyPack]:
    pack.spawn()
    try:
        yield pack
    finally:
        pack.close()


def plan_stack(
    stack: str,
    pack: PolicyPack | None,
    policy_config: Path | None = None,
    config_file: Path | None = None,
    base_ref: str | None = None,
) -> StackPlan:
    """Synthesize and render `stack`; compare it with `base_ref`'s synth if given; check it with
    `pack` (spawned, not yet connected) and its `policy_config` if given; then its cost."""
    with ExitStack() as cleanup:
        # The base synth runs in its own process while this one synthesizes the head.
        base = cleanup.enter_context(_BaseSynth(base_ref, stack)) if base_ref else None
        try:
            stack_config = read_stack_config(stack, config_file)
            settings = load_settings(stack, stack_config)
            document = synthesize(stack, config=stack_config)
        except ConfigError as error:
            return StackPlan(stack, err="".join(f"{line}\n" for line in error.lines), status=CANNOT_PLAN)
        out = render(document, key_settings.render(settings, stack_config)) + "\n"
        status = 0
        if base is not None:
            changes, status = base.compare(document)
            out += f"\n{changes}"
    return _checked(stack, document, settings, out, status, pack, policy_config)


class _BaseSynth:
    """`base_ref`'s synth of a stack, made in a thread (its work is a child process)."""

    def __init__(self, base_ref: str, stack: str):
        self.ref, self.stack = base_ref, stack
        self.scratch = tempfile.TemporaryDirectory()
        self.out = Path(self.scratch.name) / "base.json"
        self.thread = threading.Thread(target=self._run, name=f"base-{stack}", daemon=True)
        self.problem: str | None = None

    def __enter__(self) -> _BaseSynth:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.thread.join()
        self.scratch.cleanup()

    def _run(self) -> None:
        self.problem = base_synth(self.ref, self.stack, self.out)

    def compare(self, head: dict[str, Any]) -> tuple[str, int]:
        """The change summary against the base, and 1 when a change is blocking."""
        self.thread.join()
        note = f"  ({self.problem}; everything counts as created)\n" if self.problem else ""
        base = EMPTY if self.problem else json.loads(self.out.read_text())
        report = compare(base, head)
        return f"Changes against {self.ref}:\n{note}{diff_text(report)}", 1 if report.blocking else 0


def _checked(
    stack: str,
    document: dict[str, Any],
    settings: StackSettings,
    out: str,
    status: int,
    pack: PolicyPack | None,
    policy_config: Path | None,
) -> StackPlan:
    """The plan so far, with the policy check and the cost estimate added."""
    if pack is not None and policy_config is not None:
        try:
            waivers = read_waivers(waivers_path(stack), stack)
            pack.connect()
            report = pack.check(document, read_policy_config(policy_config), waivers)
        except UsageError as error:
            return StackPlan(stack, out, f"policy check: {error}\n", CANNOT_PLAN)
        out += f"\nPolicy check ({policy_config.relative_to(ROOT)}):\n{report.text()}\n"
        status = max(status, report.exit_code)
    # After the policy result: what it costs, and whether that fits the budget.
    cost, cost_status = plan_section(document, settings)
    return StackPlan(stack, f"{out}\n{cost}\n", status=max(status, cost_status))


def _in_workers(jobs: list[Job]) -> list[StackPlan]:
    """Import the program once, then fork one worker per stack. No thread and no gRPC object
    exists in this process at the forks: each worker connects to its own stack's pack."""
    collecting = gc.isenabled()
    # Imports only add objects that live as long as the process: the collector is paused for
    # them, then they are frozen out of its reach, so no collection walks them again and the
    # workers do not copy their pages (the gc.freeze recipe). The short-lived workers keep it off.
    gc.disable()
    try:
        import_program()
        gc.freeze()
        context = multiprocessing.get_context("fork")
        workers = []
        for job in jobs:
            receiver, sender = context.Pipe(duplex=False)
            worker = context.Process(target=_worker, args=(job, sender), name=f"plan-{job[0]}", daemon=True)
            worker.start()
            sender.close()
            workers.append((job[0], worker, receiver))
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()
    return [_receive(*worker) for worker in workers]


def _worker(job: Job, sender: Connection) -> None:
    try:
        plan = plan_stack(*job)
    except BaseException:
        plan = StackPlan(job[0], err=f"{job[0]}: planning failed\n{traceback.format_exc()}", status=CANNOT_PLAN)
    sender.send(plan)
    sender.close()


def _receive(stack: str, worker: BaseProcess, receiver: Connection) -> StackPlan:
    try:
        return receiver.recv()
    except EOFError:
        worker.join()
        return StackPlan(
            stack, err=f"{stack}: the plan worker died (exit status {worker.exitcode})\n", status=CANNOT_PLAN
        )
    finally:
        receiver.close()
        worker.join()


def import_program() -> None:
    """Import what a synth runs: the modules `__main__.py` imports, and every
    `<pulumi_aws>.<service>.<Name>` the project's modules name. pulumi-aws loads a service's
    modules on first use, which is most of the first synth's time."""
    for module in _imports(ast.parse((ROOT / "__main__.py").read_text())):
        importlib.import_module(module)
    import pulumi_aws

    for service, name in sorted({used for path in _project_files() for used in _aws_names(path)}):
        # A name the text scan found in a comment or a string may not exist: nothing to import.
        getattr(getattr(pulumi_aws, service, None), name, None)


def _imports(tree: ast.Module) -> Iterator[str]:
    for node in tree.body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def _project_files() -> list[Path]:
    files = []
    for module in list(sys.modules.values()):
        path = Path(getattr(module, "__file__", None) or "/")
        if path.suffix == ".py" and path.is_relative_to(ROOT) and ".venv" not in path.relative_to(ROOT).parts:
            files.append(path)
    return files


# `import pulumi_aws as <alias>` (or plain `import pulumi_aws`) and what is named through it. A
# text scan, not a parse: parsing every module of the program took a quarter of a second on the
# plan's critical path, more than the rest of the scan's work.
_AWS_IMPORT = re.compile(r"^\s*import pulumi_aws(?: as (\w+))?\s*$", re.MULTILINE)


def _aws_names(path: Path) -> set[tuple[str, str]]:
    """(service, name) for every `aws.<service>.<Name>` in a module that imports pulumi_aws as aws."""
    text = path.read_text()
    aliases = {alias or "pulumi_aws" for alias in _AWS_IMPORT.findall(text)}
    return {
        (service, name)
        for alias in aliases
        for service, name in re.findall(rf"(?<![\w.]){re.escape(alias)}\.(\w+)\.(\w+)", text)
    }


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tools.plan", __doc__)
    parser.add_argument("--stack", action="append", help="stack to plan (repeatable; default: every stack)")
    parser.add_argument(
        "--policy", action="store_true", help="run the policy pack on each plan with policies/config/<stack>.json"
    )
    parser.add_argument("--config-file", type=Path, help="use this file instead of Pulumi.<stack>.yaml (one --stack)")
    parser.add_argument("--base", metavar="REF", help="also show what would change against git REF's synth")
    args = parser.parse_args(argv)
    if args.config_file and len(args.stack or ()) != 1:
        parser.error("--config-file needs exactly one --stack")
    stacks = args.stack or stack_names()
    # What would stop a stack is reported before any synth or the pack starts.
    missing = [unknown_stack(stack).lines[0] for stack in stacks if stack not in stack_names()]
    if missing and not args.config_file:
        print("\n".join(missing), file=sys.stderr)
        return CANNOT_PLAN
    # Planning every stack: the environments must not share an account by accident.
    shared = [] if args.stack else stack_file_problems()
    if shared:
        print("\n".join(shared), file=sys.stderr)
        return CANNOT_PLAN
    try:
        configs = {stack: stack_policy_config(stack) for stack in stacks} if args.policy else {}
        plans = plan_stacks(stacks, configs, args.config_file, args.base)
    except UsageError as error:
        print(f"policy check: {error}", file=sys.stderr)
        return CANNOT_PLAN
    for index, plan in enumerate(plans):
        if index:
            print("\n" + "=" * 72 + "\n")
        sys.stdout.write(plan.out)
        sys.stdout.flush()
        sys.stderr.write(plan.err)
        sys.stderr.flush()
    return max(plan.status for plan in plans)


if __name__ == "__main__":
    exit_now(main())
