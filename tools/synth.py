"""Offline synth: run the real program under Pulumi's mock runtime and write what it registers.

    python -m tools.synth --stack NAME [--config-file FILE] [--out FILE]

Every RegisterResourceRequest the program sends is recorded as the engine would see it:
inputs in the wire format (camelCase, numbers as floats, secrets wrapped in Pulumi's secret
signature object), options (protect, ignore changes, aliases, ...), parents, providers and
property dependencies, under the engine's URNs (a child's type is prefixed with its parent's
whole qualified type). Outputs are the state the realistic mocks in `tools.mocks` return.
Resources are written in a stable dependency order, so the same stack gives byte-identical JSON.
"""

from __future__ import annotations

import asyncio
import gc
import heapq
import json
import runpy
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_in_stack

from settings import ConfigError, load_settings
from settings.stack_config import ROOT, project_name, read_stack_config
from settings.stack_config import runtime_config as to_runtime_config
from tools import cli_parser, exit_now
from tools.mocks import AwsMocks
from tools.sources import SourceSites

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SIG_KEY = "4dabf18193072939515e22adb298388d"
STACK_TYPE = "pulumi:pulumi:Stack"


def secret(value: Any) -> dict[str, Any]:
    """A value wrapped in Pulumi's wire-format secret marker."""
    return {SIG_KEY: "1b47061264138c4ac30d75fd1eb44270", "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == "1b47061264138c4ac30d75fd1eb44270"


class RecordingMonitor(runtime_mocks.MockMonitor):
    """A mock resource monitor that keeps every registration request it receives."""

    def __init__(self, mocks: AwsMocks):
        super().__init__(mocks)
        # The base class keeps `mocks` typed as its interface; the provider regions are AwsMocks'.
        self.aws_mocks = mocks
        self.records: dict[str, dict[str, Any]] = {}
        self.stack_outputs: dict[str, Any] = {}
        self.stack_urn: str | None = None
        self.sources = SourceSites()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """As the engine does: the parent's whole qualified type (`a$b`) prefixes the type, and
        the root stack is nobody's prefix."""
        return make_urn(pulumi.get_stack(), pulumi.get_project(), parent, type_, name)

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        urn = response.urn
        if request.type == STACK_TYPE:
            self.stack_urn = urn
            return response
        inputs = json_format.MessageToDict(request.object)
        outputs = json_format.MessageToDict(response.object)
        secret_keys = set(request.additionalSecretOutputs) | {k for k, v in inputs.items() if is_secret(v)}
        outputs = {key: secret(_unwrap(value)) if key in secret_keys else value for key, value in outputs.items()}
        property_dependencies = {
            key: sorted(deps.urns) for key, deps in sorted(request.propertyDependencies.items()) if deps.urns
        }
        from_properties = {urn for urns in property_dependencies.values() for urn in urns}
        dependencies = sorted(set(request.dependencies))
        parent = request.parent if request.parent and request.parent != self.stack_urn else None
        if request.type.startswith("pulumi:providers:"):
            region = _unwrap(inputs.get("region")) or self.aws_mocks.region
            self.aws_mocks.provider_regions[f"{urn}::{response.id}"] = region
        self.records[urn] = {
            "urn": urn,
            "type": request.type,
            "name": request.name,
            "id": response.id or None if request.custom else None,
            "custom": bool(request.custom),
            "parent": parent,
            "provider": request.provider or None,
            "inputs": inputs,
            "outputs": outputs if request.custom else {},
            "propertyDependencies": property_dependencies,
            "options": {
                "protect": bool(request.protect),
                "retainOnDelete": bool(request.retainOnDelete),
                "ignoreChanges": list(request.ignoreChanges),
                "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                # Explicit depends_on: what the resource depends on beyond its inputs.
                "dependsOn": sorted(set(dependencies) - from_properties),
                "additionalSecretOutputs": list(request.additionalSecretOutputs),
                "customTimeouts": {k: v for k, v in json_format.MessageToDict(request.customTimeouts).items() if v},
                # Former identities, as the program states them: {"urn"} or {"spec": {name, type,
                # parentUrn | noParent, ...}}; the engine resolves them against the old state.
                "aliases": [json_format.MessageToDict(alias) for alias in request.aliases]
                + [{"urn": urn} for urn in request.aliasURNs],
            },
            "dependencies": dependencies,
            # The file and line of the program that created it (tools.sources), or None.
            "source": self.sources.of(request.type, request.name),
        }
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802
        if request.urn == self.stack_urn:
            self.stack_outputs = json_format.MessageToDict(request.outputs)
        elif request.urn in self.records:
            self.records[request.urn]["outputs"] = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)


def make_urn(stack: str, project: str, parent: str | None, type_: str, name: str) -> str:
    """The URN the engine gives a resource: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`,
    where the qualified type is the parent's (without the root stack) then `$` and the type."""
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != STACK_TYPE:
            type_ = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def _unwrap(value: Any) -> Any:
    return value["value"] if is_secret(value) else value


def synthesize(stack: str, config: dict[str, Any] | None = None, config_file: Path | None = None) -> dict[str, Any]:
    """Run the program for `stack` under mocks; returns the synth document.

    `config` (full keys, parsed values) replaces the stack file when given. Raises ConfigError
    when the config is invalid, before any resource is registered.
    """
    if config is None:
        config = read_stack_config(stack, config_file)
    settings = load_settings(stack, config)
    # The stack's own account, as the provider's allowed_account_ids would insist on.
    monitor = RecordingMonitor(AwsMocks(settings.region, *settings.allowed_account_ids[:1]))
    return record(lambda: _run_program(monitor), monitor, stack, config)


def record(
    program: Callable[[], None], monitor: RecordingMonitor, stack: str, config: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run `program` (the Pulumi program, or a test's few components) in a fresh mock runtime of
    `stack` whose monitor is `monitor`; returns the synth document of what it registered."""
    project = project_name()
    _configure_runtime(monitor, project, stack, config or {})
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    collecting = gc.isenabled()
    # A synth allocates ~200k short-lived objects; with pulumi-aws loaded, every full collection
    # walks millions of long-lived ones. Pausing the collector for the run keeps ~10 MB more and
    # makes the synth about a third faster; what the run left is collected after it.
    gc.disable()
    try:
        with _no_engine_stack_traces():
            loop.run_until_complete(run_in_stack(program))
    finally:
        if collecting:
            gc.enable()
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.ROOT.set(None)
    return {
        "project": project,
        "stack": stack,
        "resources": dependency_order(monitor.records),
        "outputs": monitor.stack_outputs,
    }


@contextmanager
def _no_engine_stack_traces() -> Iterator[None]:
    """The SDK sends the engine each registration's call stack, every frame resolved to a file
    URI: a sixth of a synth's time. The mock monitor never reads it (the synth notes where each
    resource is created itself, tools.sources), so the synth sends an empty one, as the SDK does
    when it finds no user frame."""
    capture = runtime_resource._get_stack_trace  # noqa: SLF001 (the SDK's own hook, restored below)
    runtime_resource._get_stack_trace = _no_stack_trace  # noqa: SLF001
    try:
        yield
    finally:
        runtime_resource._get_stack_trace = capture  # noqa: SLF001


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


def _run_program(monitor: RecordingMonitor) -> None:
    monitor.sources.register()
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")


def _configure_runtime(monitor: RecordingMonitor, project: str, stack: str, config: dict[str, Any]) -> None:
    """A fresh mock runtime per synth, so several stacks can be synthesized in one process.

    pulumi keeps the runtime's state in context variables that assigning the settings' attributes
    sets. MockSettings makes a new RPC manager but keeps the set of outputs still tracked: empty
    after a run that succeeded, while a failed run leaves its failed outputs there ("to pick up at
    program exit", pulumi.output), tasks of its closed event loop that the next synth in this
    process would wait for ("Event loop is closed"). Each synth gets an empty set of its own."""
    runtime_settings.ROOT.set(None)
    runtime_settings.configure(
        runtime_mocks.MockSettings(
            outputs=set(),
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=runtime_mocks.MockEngine(None),
            project=project,
            stack=stack,
            dry_run=False,
            organization="organization",
            callbacks=None,
        )
    )
    values, secret_keys = to_runtime_config(config)
    runtime_config.set_all_config(values, secret_keys)


def dependency_order(records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents and dependencies before dependents; ties broken by URN."""
    edges: dict[str, set[str]] = {}
    for urn, record in records.items():
        before = set(record["dependencies"])
        if record["parent"]:
            before.add(record["parent"])
        if record["provider"]:
            before.add(record["provider"].rsplit("::", 1)[0])
        edges[urn] = {u for u in before if u in records and u != urn}
    waiting = {urn: len(before) for urn, before in edges.items()}
    dependents: dict[str, list[str]] = {urn: [] for urn in records}
    for urn, before in edges.items():
        for other in before:
            dependents[other].append(urn)
    ready = [urn for urn, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(records[urn])
        for dependent in dependents[urn]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, dependent)
    if len(ordered) != len(records):
        raise RuntimeError("dependency cycle among resources")
    return ordered


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tools.synth", __doc__)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--config-file", type=Path, help="use this file instead of Pulumi.<stack>.yaml")
    parser.add_argument("--out", type=Path, help="write the JSON here instead of stdout")
    args = parser.parse_args(argv)
    try:
        document = synthesize(args.stack, config_file=args.config_file)
    except ConfigError as error:
        print("\n".join(error.lines), file=sys.stderr)
        return 2
    text = dumps(document)
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    exit_now(main())
