"""The policy pack's processes in the mutation run, forked from one that has imported the pack.

A pack process begins by importing pulumi, pulumi-policy, gRPC and the pack's modules: about 0.45
of the 0.75 CPU-s that a killed pack mutant costs (measured with MUTATE_CPU_LOG, mutmut 3.8.1).
`python -m tests.pack_zygote <socket> <pack dir>` imports them once, before any mutant is active,
and forks a pack process for each request on the socket: the child runs what `python -u -m
pulumi.policy <engine> .` runs in the pack's directory, with the mutant the request names. mutmut
mutates functions, never module-level code, and a mutated function asks which mutant is active at
each call. The pack calls some of its own functions as it loads, though (each policy's published
fields: URL, tags, enforcement; the decorators that make a check a policy), and in the zygote those
ran before any mutant was: a child for a mutant of the pack imports the pack's modules again
(0.04 CPU-s; the SDK's 0.3 stay imported).

The child is the zygote's, not the requester's: the requester gets a handle (Forked) that polls,
signals and waits for it by its pid, and the child ends when its requester does (a mutant's run
that mutmut stops), as a pack process ended with its parent's pipes before.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

VARIABLE = "MUTANT_UNDER_TEST"
# The pack's package as its process imports it, and so the prefix of its mutants' names there.
PACK_PACKAGE = "webapp_policies"
# The CPU seconds of the forked pack processes this process ended: the kernel counts them to the
# zygote, not to the process that used them (MUTATE_CPU_LOG adds them to its children's).
ENDED_CPU = [0.0]


def serve(path: str, pack_dir: Path) -> None:
    sys.path.insert(0, str(pack_dir))
    os.chdir(pack_dir)
    import pulumi.policy  # noqa: F401 (the package `python -m pulumi.policy` runs)
    import pulumi_policy.policy  # noqa: F401

    pack = importlib.import_module(PACK_PACKAGE)
    for name in pack.MODULES:
        importlib.import_module(f"{PACK_PACKAGE}.{name}")
    # The children are reaped by the kernel; a requester learns one ended when its pid is gone.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    listener.settimeout(1.0)
    # Ended by its starter or by the end of mutmut's process: the socket and its directory go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    try:
        while os.getppid() == parent:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                message, fds, _, _ = socket.recv_fds(connection, 65536, 3)
                request = json.loads(message)
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    connection.close()
                    _run_pack(request, fds)
                for fd in fds:
                    os.close(fd)
                connection.sendall(str(pid).encode())
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
            os.rmdir(os.path.dirname(path))


def _run_pack(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become `python -u -m pulumi.policy <engine> .`; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
        if request["mutant"] is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = request["mutant"]
            _unload_pack_for(request["mutant"])
        _end_with(request["requester"])
        sys.argv = ["pulumi.policy", request["engine"], "."]
        try:
            runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        os._exit(code)


def _unload_pack_for(mutant: str) -> None:
    """Forgets the pack's modules when `mutant` is one of theirs, so that the pack imports them
    again with it active and the functions it runs as it loads are mutated too."""
    if mutant.startswith(PACK_PACKAGE + "."):
        for name in [name for name in sys.modules if name.partition(".")[0] == PACK_PACKAGE]:
            del sys.modules[name]


def _end_with(requester: int) -> None:
    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(requester, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


class Zygote:
    """`python -m tests.pack_zygote` started by this process; `spawn` asks it for a pack process."""

    def __init__(self, pack_dir: Path, directory: Path):
        self.path = str(directory / "zygote.sock")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.pack_zygote", self.path, str(pack_dir)],
            cwd=Path(__file__).resolve().parents[1],
            # No mutant is active in it: each child is told its own.
            env={name: value for name, value in os.environ.items() if name != VARIABLE},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the pack's zygote did not start")

    def spawn(self, engine: str, mutant: str | None) -> Forked:
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        stdin = os.open(os.devnull, os.O_RDONLY)
        request = {"engine": engine, "mutant": mutant, "requester": os.getpid()}
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.connect(self.path)
                socket.send_fds(connection, [json.dumps(request).encode()], [stdin, stdout_w, stderr_w])
                pid = int(connection.recv(64))
        finally:
            for fd in (stdin, stdout_w, stderr_w):
                os.close(fd)
        return Forked(pid, open(stdout_r, encoding="utf-8"), open(stderr_r, encoding="utf-8"))


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time of the process `pid` so far (proc(5): /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Forked:
    """What PolicyPack uses of a subprocess.Popen, for a pack process the zygote forked."""

    def __init__(self, pid: int, stdout: io.TextIOWrapper, stderr: io.TextIOWrapper):
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # ended; its status went to the zygote
        return self.returncode

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> None:
        if self.poll() is None:
            try:
                ENDED_CPU[0] += cpu_seconds(self.pid)
                os.kill(self.pid, number)
            except (ProcessLookupError, FileNotFoundError):
                pass

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pack process {self.pid}", timeout or 0)
            time.sleep(0.01)
        return self.returncode or 0


if __name__ == "__main__":
    serve(sys.argv[1], Path(sys.argv[2]))
