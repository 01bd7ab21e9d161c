"""Offline policy check: run the CrossGuard pack in `policies/` against a synth, as the engine does.

    python -m tools.policy_check SYNTH.json [--policy-config FILE | --pack-defaults] [--waivers FILE] [--json]
        [--sarif OUT.sarif]

The pack runs as its own process, started the way `pulumi preview --policy-pack policies` starts
a Python pack (`python -u -m pulumi.policy <engine address> .` in the pack's directory, which
prints the port of its analyzer gRPC server). This tool then plays the engine over Pulumi's
analyzer protocol: GetAnalyzerInfo; Configure with the policy config reconciled as the engine does
(tools.policy_config); ConfigureStack; Analyze for every resource in dependency order with its
inputs (secrets keep their wire-format signature); and AnalyzeStack with every resource's outputs,
parent, dependencies, property dependencies and provider.

The policy config is policies/config/<stack>.json for the synth's stack unless --policy-config
names another file; a stack without one is a usage error (--pack-defaults checks against the
pack's own levels on purpose).

It prints the violations grouped by enforcement, mandatory first, each with its policy's category
and severity, the advisories the stack's waivers accept marked `waived: <reason>`
(tools.policy_report), then a summary line; --json prints the same as JSON, --sarif also writes
SARIF 2.1.0 for code scanning (tools.policy_sarif). Whatever the format, it exits 1 when a
mandatory violation remains, 0 otherwise, 2 on usage errors (unreadable synth, invalid policy
config or waivers, a pack that does not start). The pack's interpreter is this one (the project's
.venv holds every package of policies/requirements.txt, at the same pins); --python picks another,
e.g. policies/venv/bin/python as the Pulumi CLI would create it.
"""

from __future__ import annotations

import functools
import json
import queue
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from concurrent import futures
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from settings.stack_config import ROOT
from tools import cli_parser, exit_now
from tools.policy_config import LEVEL_VALUES, LEVELS, SEVERITIES, read_policy_config, reconcile, stack_policy_config
from tools.policy_report import Report, Source, UsageError, Violation, Waiver, read_waivers, waivers_path
from tools.policy_sarif import sarif
from tools.synth import dependency_order

PACK_DIR = ROOT / "policies"
START_TIMEOUT_SECONDS = 60
CALL_TIMEOUT_SECONDS = 120
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


# ------------------------------------------------------------------------------------------------
# The synth document as the engine would send it


def read_synth(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text())
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: not valid JSON: {error.msg} (line {error.lineno})") from None
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise UsageError(f"{path}: not a synth document (python -m tools.synth): no resources list")
    for key in ("project", "stack"):
        if not isinstance(document.get(key), str):
            raise UsageError(f"{path}: not a synth document: no {key}")
    return document


def _struct(values: dict[str, Any] | None) -> struct_pb2.Struct:
    """Wire-format values (secret signature objects included) as the engine marshals them."""
    message = struct_pb2.Struct()
    message.update(values or {})
    return message


def _seconds(duration: str) -> float:
    """A Go duration ("1h30m", "40m") in seconds, as the engine sends custom timeouts."""
    return sum(float(amount) * _SECONDS[unit] for amount, unit in _DURATION.findall(duration or ""))


def _options(resource: dict[str, Any]) -> analyzer_pb2.AnalyzerResourceOptions:
    options = resource.get("options", {})
    timeouts = options.get("customTimeouts", {})
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(options.get("protect")),
        ignoreChanges=list(options.get("ignoreChanges", [])),
        deleteBeforeReplace=bool(options.get("deleteBeforeReplace")),
        deleteBeforeReplaceDefined="deleteBeforeReplace" in options,
        additionalSecretOutputs=list(options.get("additionalSecretOutputs", [])),
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(
            create=_seconds(timeouts.get("create", "")),
            update=_seconds(timeouts.get("update", "")),
            delete=_seconds(timeouts.get("delete", "")),
        ),
        parent=resource.get("parent") or "",
    )


def _provider(
    resource: dict[str, Any], by_urn: dict[str, dict[str, Any]]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    reference = resource.get("provider")
    provider = by_urn.get(reference.rsplit("::", 1)[0]) if reference else None
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider["type"], name=provider["name"], urn=provider["urn"], properties=_struct(provider.get("inputs"))
    )


def stack_urn(document: dict[str, Any]) -> str:
    project, stack = document["project"], document["stack"]
    return f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"


# ------------------------------------------------------------------------------------------------
# The pack process


class _Engine(engine_pb2_grpc.EngineServicer):
    """The engine endpoint the pack is given: keeps what it logs."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.root = ""

    def Log(self, request, context):  # noqa: N802 (gRPC method name)
        self.messages.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request, context):  # noqa: N802
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


class PolicyPack:
    """The pack in `pack_dir` running as its own process, checked against synth documents.

    One process serves any number of checks (each reconfigures it), like one engine run with a
    `--policy-pack` per stack operation."""

    def __init__(self, pack_dir: Path = PACK_DIR, python: str | None = None):
        self.pack_dir = Path(pack_dir)
        self.python = python or sys.executable
        self.engine = _Engine()
        self._server: grpc.Server | None = None
        self._engine_dir: tempfile.TemporaryDirectory | None = None
        self.engine_address = ""
        self._process: subprocess.Popen | None = None
        self._channel: grpc.Channel | None = None
        self._stderr: list[str] = []
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self.levels: dict[str, str] = {}
        # Each policy config reconciled once (its JSON text -> the reconciled config): reconciling
        # validates every policy's properties against its schema (3 ms of CPU), and a process that
        # checks many documents (tools.plan, the test suite's hundreds) uses few configs.
        self._reconciled: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}

    @property
    def info(self) -> analyzer_pb2.AnalyzerInfo:
        """The policies the running pack declares (GetAnalyzerInfo); there is none before `start`."""
        if self._info is None:
            raise RuntimeError("the policy pack is not started")
        return self._info

    @functools.cached_property
    def categories(self) -> dict[str, str]:
        """Each policy's category: its first tag (webapp_policies.controls.Control.tags). Worked out
        once: a check reads it for each of its ~240 responses."""
        return {p.name: (p.tags[0] if p.tags else "") for p in self.info.policies}

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> PolicyPack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> None:
        self.spawn()
        self.connect()

    def spawn(self) -> None:
        """Start the pack's process, which imports and builds the pack on its own. No thread and
        no gRPC object exists yet, so the caller may still fork (tools.plan) before connect()."""
        if not (self.pack_dir / "PulumiPolicy.yaml").exists():
            raise UsageError(f"{self.pack_dir}: no PulumiPolicy.yaml, not a policy pack")
        # The engine endpoint is a socket in a private directory: it can be named before it is
        # served, and no other local user can reach it.
        self._engine_dir = tempfile.TemporaryDirectory(prefix="policy-engine-")
        self.engine_address = f"unix:{self._engine_dir.name}/engine.sock"
        self._process = self._start([self.python, "-u", "-m", "pulumi.policy", self.engine_address, "."])

    def _start(self, command: list[str]) -> subprocess.Popen:
        """The pack's process, running `command` in the pack's directory (the mutation run's
        plugin, tests/mutation_support.py, forks it from a process that has imported the pack)."""
        return subprocess.Popen(
            command,
            cwd=self.pack_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def connect(self) -> None:
        """Serve the engine endpoint, wait for the port the pack prints and connect to it."""
        assert self._process is not None and self._process.stdout and self._process.stderr, "spawn() first"
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self._server)
        self._server.add_insecure_port(self.engine_address)
        self._server.start()
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, args=(self._process.stdout, lines), daemon=True).start()
        errors = threading.Thread(target=self._pump, args=(self._process.stderr, None), daemon=True)
        errors.start()
        try:
            port = lines.get(timeout=START_TIMEOUT_SECONDS)
        except queue.Empty:
            port = None
        if not port or not port.strip().isdigit():
            self.close()
            errors.join(timeout=5)
            raise UsageError(
                f"the policy pack in {self.pack_dir} did not start:\n{self.stderr() or port or 'no output'}"
            )
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port.strip()}")
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        try:
            self.stub.Handshake(
                analyzer_pb2.AnalyzerHandshakeRequest(
                    engine_address=self.engine_address,
                    root_directory=str(self.pack_dir),
                    program_directory=str(self.pack_dir),
                ),
                timeout=CALL_TIMEOUT_SECONDS,
            )
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # Python packs fall back, as the engine allows.
                raise
        self._info = self.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=CALL_TIMEOUT_SECONDS)

    def _pump(self, stream, lines: queue.Queue | None) -> None:
        for line in stream:
            if lines is not None:
                lines.put(line)
            else:
                self._stderr.append(line)
        if lines is not None:
            lines.put(None)

    def stderr(self) -> str:
        return "".join(self._stderr).strip()

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._server is not None:
            self._server.stop(0)
        if self._engine_dir is not None:
            self._engine_dir.cleanup()

    # -- checks -----------------------------------------------------------------------------

    def configure(self, config: dict[str, Any]) -> None:
        key = json.dumps(config, sort_keys=True)
        if key not in self._reconciled:
            self._reconciled[key] = reconcile(self.info, config)
        reconciled = self._reconciled[key]
        self.levels = {name: level for name, (level, _) in reconciled.items()}
        self.stub.Configure(
            analyzer_pb2.ConfigureAnalyzerRequest(
                policyConfig={
                    name: analyzer_pb2.PolicyConfig(
                        enforcementLevel=LEVEL_VALUES[level], properties=_struct(properties)
                    )
                    for name, (level, properties) in reconciled.items()
                }
            ),
            timeout=CALL_TIMEOUT_SECONDS,
        )

    def check(
        self, document: dict[str, Any], config: dict[str, Any] | None = None, waivers: Iterable[Waiver] = ()
    ) -> Report:
        """Every violation the pack reports for the synth `document` under the policy `config`,
        the advisory ones that `waivers` cover marked with their reason."""
        self.configure(config or {})
        try:
            self.stub.ConfigureStack(
                analyzer_pb2.AnalyzerStackConfigureRequest(
                    stack=document["stack"], project=document["project"], organization="organization", dry_run=False
                ),
                timeout=CALL_TIMEOUT_SECONDS,
            )
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
        resources = dependency_order({r["urn"]: r for r in document["resources"]})
        by_urn = {r["urn"]: r for r in resources}
        report = Report(project=document["project"], stack=document["stack"], levels=dict(self.levels))
        for resource in resources:
            response = self.stub.Analyze(
                analyzer_pb2.AnalyzeRequest(
                    urn=resource["urn"],
                    type=resource["type"],
                    name=resource["name"],
                    properties=_struct(resource.get("inputs")),
                    options=_options(resource),
                    provider=_provider(resource, by_urn),
                ),
                timeout=CALL_TIMEOUT_SECONDS,
            )
            report.violations += self._violations(response, resource["urn"], by_urn)
        response = self.stub.AnalyzeStack(
            analyzer_pb2.AnalyzeStackRequest(resources=[self._stack_resource(r, by_urn) for r in resources]),
            timeout=CALL_TIMEOUT_SECONDS,
        )
        report.violations += self._violations(response, stack_urn(document), by_urn)
        report.apply(waivers)
        return report

    def _stack_resource(
        self, resource: dict[str, Any], by_urn: dict[str, dict[str, Any]]
    ) -> analyzer_pb2.AnalyzerResource:
        return analyzer_pb2.AnalyzerResource(
            urn=resource["urn"],
            type=resource["type"],
            name=resource["name"],
            properties=_struct(resource.get("outputs")),
            options=_options(resource),
            provider=_provider(resource, by_urn),
            parent=resource.get("parent") or "",
            dependencies=list(resource.get("dependencies", [])),
            propertyDependencies={
                key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                for key, urns in resource.get("propertyDependencies", {}).items()
                if urns
            },
        )

    def _violations(
        self, response: analyzer_pb2.AnalyzeResponse, default_urn: str, by_urn: dict[str, dict[str, Any]]
    ) -> Iterable[Violation]:
        categories = self.categories
        for diagnostic in response.diagnostics:
            level = LEVELS[diagnostic.enforcementLevel]
            if level == "disabled":
                continue
            message = diagnostic.message
            prefix = f"{diagnostic.description}\n"
            if message.startswith(prefix):
                message = message[len(prefix) :]
            urn = diagnostic.urn or default_urn
            source = (by_urn.get(urn) or {}).get("source")
            yield Violation(
                enforcement="mandatory" if level == "remediate" else level,
                policy=diagnostic.policyName,
                urn=urn,
                message=" ".join(message.split()),
                severity=SEVERITIES.get(diagnostic.severity, ""),
                category=categories.get(diagnostic.policyName, ""),
                source=Source(file=source["file"], line=int(source["line"])) if source else None,
            )


def main(argv: list[str] | None = None, pack: PolicyPack | None = None) -> int:
    """The command line; `pack` serves the check when given (one process for many checks)."""
    parser = cli_parser("python -m tools.policy_check", __doc__)
    parser.add_argument("synth", type=Path, metavar="SYNTH.json", help="a synth document (python -m tools.synth)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--policy-config",
        type=Path,
        metavar="FILE",
        help="policy config, as pulumi --policy-pack-config (default: policies/config/<the synth's stack>.json)",
    )
    source.add_argument(
        "--pack-defaults", action="store_true", help="check against the pack's own levels, with no policy config"
    )
    parser.add_argument(
        "--waivers", type=Path, metavar="FILE", help="accepted advisories (default: policies/waivers/<stack>.json)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of text")
    parser.add_argument("--sarif", type=Path, metavar="OUT.sarif", help="also write the result as SARIF 2.1.0")
    parser.add_argument("--python", help="interpreter to run the pack with (default: this one)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        document = read_synth(args.synth)
        path = None if args.pack_defaults else args.policy_config or stack_policy_config(document["stack"])
        config = read_policy_config(path)
        waivers = read_waivers(args.waivers or waivers_path(document["stack"]), document["stack"])
        with ExitStack() as cleanup:
            if pack is None:
                pack = cleanup.enter_context(PolicyPack(python=args.python))
            report = pack.check(document, config, waivers)
            if args.sarif:
                assert pack.info is not None
                _write_sarif(args.sarif, sarif(report, pack.info))
    except UsageError as error:
        print(f"policy check: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_json(), indent=2) if args.json else report.text())
    return report.exit_code


def _write_sarif(path: Path, log: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(log, indent=2) + "\n")
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror}") from None


if __name__ == "__main__":
    exit_now(main())
