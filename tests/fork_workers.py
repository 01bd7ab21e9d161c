"""Run the collected tests in forked worker processes: `pytest -p tests.fork_workers --forks N`.

pytest-xdist starts each worker as a new interpreter, which imports and collects everything
again and builds the same session fixtures (the real stacks' synths). On two cores that repeated
start-up cost about a tenth of the suite's CPU. Here the main process collects once, with what
conftest prepares at the end of collection (the real stacks' synths), and then forks: the
workers share all of it copy-on-write.

Scheduling is by module, as with xdist's `--dist loadscope`: a worker takes the next module from a
queue the main process holds, so module fixtures are built once, and a worker that finishes
early takes more. The modules that use one of the session fixtures named in the `fork_together`
ini option go to one worker, so that fixture is set up once (Queue). A worker runs each test
through pytest's own protocol and relays its reports and warnings. The main process logs them as
if it had run the test itself, so every reporter (terminal, --junitxml, --durations, -x) works
unchanged.

A worker that dies mid-test fails that test and the run. Ctrl-C, or -x after a failure, interrupts
the workers; each one tears its fixtures down (the policy pack, PostgreSQL) before it exits.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def forks(value: str) -> int:
    """--forks: a number of workers, or `auto`, one per CPU this process may run on."""
    return len(os.sched_getaffinity(0)) if value == "auto" else int(value)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("fork workers").addoption(
        "--forks",
        type=forks,
        default=0,
        metavar="N",
        help="run the tests in N forked workers, or `auto`: one per CPU (0 or 1: in this process)",
    )
    parser.addini(
        "fork_together",
        type="args",
        default=[],
        help="session fixtures whose modules run in one worker, which sets each up once (a process, a cache)",
    )


# How the main process stops a worker (-x after a failure, the run interrupted): a signal of its
# own, which the worker turns into the KeyboardInterrupt of a Ctrl-C. Not SIGINT: a shell without
# job control starts a background job (`make test &` or `make mutate &` in a script) with SIGINT
# ignored, which the workers inherit, and -x would then leave the other worker running to the end.
STOP = signal.SIGUSR1


def _stopped(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# Each message is a length-prefixed pickle of (kind, payload) on a pipe.


def _send(fd: int, kind: str, payload: Any = None) -> None:
    data = pickle.dumps((kind, payload))
    os.write(fd, struct.pack("!I", len(data)) + data)


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int) -> tuple[str, Any]:
    (size,) = struct.unpack("!I", _read_exactly(fd, 4))
    return pickle.loads(_read_exactly(fd, size))


# The main process.


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    config = session.config
    forks = config.getoption("forks")
    if forks < 2 or config.option.collectonly or not session.items:
        return None
    if session.testsfailed and not config.option.continue_on_collection_errors:
        raise session.Interrupted(f"{session.testsfailed} error(s) during collection")
    modules = by_module(session.items)
    config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]  # one base directory, made before the fork
    gc.collect()
    gc.freeze()  # the inherited heap stays out of the workers' collections, so its pages stay shared
    together = groups(modules, config.getini("fork_together"))
    queue = Queue([(index, 0) for index in _longest_first(config, modules)], together)
    workers = [_Worker.fork(session, modules, index) for index in range(min(forks, len(modules)))]
    try:
        _serve(session, modules, workers, queue)
    finally:
        for worker in workers:
            worker.interrupt()
        for worker in workers:
            worker.wait()
    if not (session.shouldfail or session.shouldstop):
        _remember_durations(config)
    if session.shouldfail:
        raise session.Failed(session.shouldfail)
    if session.shouldstop:
        raise session.Interrupted(session.shouldstop)
    return True


def by_module(items: list[pytest.Item]) -> list[list[pytest.Item]]:
    """The items grouped by the file that holds them, in collection order."""
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(_path(item), []).append(item)
    return list(modules.values())


def groups(modules: list[list[pytest.Item]], together: list[str]) -> list[str | None]:
    """Each module's group: the first of the `together` fixtures its tests use, or None."""
    used = [{name for item in module for name in getattr(item, "fixturenames", ())} for module in modules]
    return [next((name for name in together if name in names), None) for names in used]


class Queue:
    """The work units (module index, first test) not handed out yet, in order. A module of a group
    (the modules that use one of the `fork_together` fixtures, the policy pack's process above
    all) goes to the worker that took the group's first module, which has the fixture set up and
    whatever it remembers: the pack answers each resource it has seen before from memory, and
    the suite's policy tests re-send the real stacks' resources hundreds of times. Another worker
    takes such a module only when nothing else is left, rather than idle."""

    def __init__(self, units: list[tuple[int, int]], groups: list[str | None]):
        self.units, self.groups = units, groups
        self.holders: dict[str, object] = {}

    def take(self, worker: object) -> tuple[int, int] | None:
        if not self.units:
            return None
        position = next(
            (i for i, (module, _) in enumerate(self.units) if self.holders.get(self.groups[module], worker) is worker),
            0,
        )
        unit = self.units.pop(position)
        group = self.groups[unit[0]]
        if group is not None:
            self.holders.setdefault(group, worker)
        return unit

    def put_back(self, units: list[tuple[int, int]], worker: object) -> None:
        """A dead worker's unfinished units, first in the queue; its groups go to whoever comes next."""
        self.units[:0] = units
        self.holders = {group: holder for group, holder in self.holders.items() if holder is not worker}


# Modules start longest first (by the last run's durations, kept in pytest's cache), so no worker
# is left with a long module while the other idles at the end. A module the cache does not know
# yet counts as long.
DURATIONS_KEY = "fork_workers/module_seconds"


def _longest_first(config: pytest.Config, modules: list[list[pytest.Item]]) -> list[int]:
    cache = getattr(config, "cache", None)  # None under -p no:cacheprovider
    known = cache.get(DURATIONS_KEY, {}) if cache else {}
    seconds = [known.get(_path(module[0]), float("inf")) for module in modules]
    return sorted(range(len(modules)), key=lambda index: -seconds[index])


def _remember_durations(config: pytest.Config) -> None:
    durations = config.stash.get(_DURATIONS, {})
    cache = getattr(config, "cache", None)
    if cache and durations:
        cache.set(DURATIONS_KEY, {**cache.get(DURATIONS_KEY, {}), **durations})


_DURATIONS = pytest.StashKey[dict[str, float]]()


def _path(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _serve(session: pytest.Session, modules: list[list[pytest.Item]], workers: list[_Worker], queue: Queue) -> None:
    hook = session.config.hook
    durations = session.config.stash.setdefault(_DURATIONS, {})
    live = {worker.reports: worker for worker in workers}
    for worker in workers:
        worker.assign(queue.take(worker))
    while live:
        for fd in select.select(list(live), [], [])[0]:
            worker = live[fd]
            try:
                kind, payload = _receive(fd)
            except EOFError:
                del live[fd]
                if worker.lost(session, modules, queue) and not (session.shouldfail or session.shouldstop):
                    # A fresh worker from this process takes over where the dead one stopped.
                    replacement = _Worker.fork(session, modules, len(workers))
                    workers.append(replacement)
                    live[replacement.reports] = replacement
                    replacement.assign(queue.take(replacement))
                continue
            if kind == "next":
                worker.assign(None if session.shouldfail or session.shouldstop else queue.take(worker))
            elif kind == "logstart":
                worker.running = payload
                hook.pytest_runtest_logstart(nodeid=payload[0], location=payload[1])
            elif kind == "report":
                report = hook.pytest_report_from_serializable(config=session.config, data=payload)
                module = report.nodeid.split("::", 1)[0]
                durations[module] = durations.get(module, 0.0) + report.duration
                hook.pytest_runtest_logreport(report=report)
            elif kind == "logfinish":
                worker.running = None
                worker.done += 1
                hook.pytest_runtest_logfinish(nodeid=payload[0], location=payload[1])
            elif kind == "warning":
                message, category, filename, lineno, when, nodeid = payload
                record = warnings.WarningMessage(message, category, filename, lineno)
                hook.pytest_warning_recorded.call_historic(
                    kwargs={"warning_message": record, "when": when, "nodeid": nodeid, "location": None}
                )
            elif kind == "done":
                del live[fd]
                worker.wait()
        if session.shouldfail or session.shouldstop:
            for worker in live.values():
                worker.interrupt()


class _Worker:
    """A forked worker as the main process sees it."""

    def __init__(self, pid: int, reports: int, orders: int):
        self.pid, self.reports, self.orders = pid, reports, orders
        self.running: tuple[str, Any] | None = None
        self.interrupted = False
        self.assigned: list[tuple[int, int]] = []  # the work units sent, in order
        self.done = 0  # tests finished

    @classmethod
    def fork(cls, session: pytest.Session, modules: list[list[pytest.Item]], index: int) -> _Worker:
        reports_out, reports_in = os.pipe()
        orders_out, orders_in = os.pipe()
        pid = os.fork()
        if pid == 0:
            signal.signal(STOP, _stopped)
            os.close(reports_out)
            os.close(orders_in)
            code = 3
            try:
                code = _work(session, modules, index, orders_out, reports_in)
            finally:
                os._exit(code)
        os.close(reports_in)
        os.close(orders_out)
        return cls(pid, reports_out, orders_in)

    def assign(self, unit: tuple[int, int] | None) -> None:
        if unit is not None:
            self.assigned.append(unit)
        try:
            _send(self.orders, "module", unit)
        except BrokenPipeError:
            pass  # the worker is gone; its end of the reports pipe says how

    def interrupt(self) -> None:
        if self.pid and not self.interrupted:
            self.interrupted = True
            os.kill(self.pid, STOP)

    def wait(self) -> int:
        if self.pid:
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
            os.close(self.reports)
            os.close(self.orders)
            return status
        return 0

    def lost(self, session: pytest.Session, modules: list[list[pytest.Item]], queue: Queue) -> bool:
        """The worker ended without saying it was done. Unless it was interrupted, the test it was
        running fails, and what it had not run yet goes back to the front of the queue; True then."""
        status = self.wait()
        if self.interrupted:
            return False
        nodeid, location = self.running or (f"a fork worker ({_describe(status)})", None)
        report = pytest.TestReport(
            nodeid,
            location or ("", None, ""),
            {},
            "failed",
            f"the fork worker running this test died: {_describe(status)}",
            "call",
        )
        session.config.hook.pytest_runtest_logreport(report=report)
        if self.running:
            session.config.hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)
        queue.put_back(unfinished([len(m) for m in modules], self.assigned, self.done + 1), self)
        return True


def unfinished(sizes: list[int], units: list[tuple[int, int]], finished: int) -> list[tuple[int, int]]:
    """The work units `units` (module index, first test) a worker was given, without the first
    `finished` tests it ran; `sizes` are the modules' test counts."""
    left = []
    for module, start in units:
        size = sizes[module] - start
        if finished < size:
            left.append((module, start + finished))
        finished = max(0, finished - size)
    return left


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


# A worker.


def _work(session: pytest.Session, modules: list[list[pytest.Item]], index: int, orders: int, reports: int) -> int:
    config = session.config
    factory = config._tmp_path_factory  # type: ignore[attr-defined]  # pytest's own factory
    factory._basetemp = Path(factory.getbasetemp(), f"fw{index}")
    factory._basetemp.mkdir()
    _capture_on_its_own(config)
    config.pluginmanager.unregister(name="terminalreporter")  # the main process reports
    relay = _Relay(config, reports)
    config.pluginmanager.register(relay, "fork-relay")
    # Registering replays the main process's warnings to the relay (pytest_warning_recorded is a
    # historic hook): the main process has reported those already.
    relay.relaying = True
    try:
        for item, next_item in _with_successors(modules, orders, reports):
            item.ihook.pytest_runtest_protocol(item=item, nextitem=next_item)
    except KeyboardInterrupt:
        # Interrupted (Ctrl-C, or the run stops): tear the fixtures down, once.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(STOP, signal.SIG_IGN)
        session._setupstate.teardown_exact(None)  # type: ignore[attr-defined]  # what the last test's teardown runs
        return 2
    _send(reports, "done")
    return 0


def _capture_on_its_own(config: pytest.Config) -> None:
    """Give the worker its own capture files. Inherited, they are one open file shared by every
    process: each test reads and truncates it, so a test's report could show another worker's
    output. The main process keeps what it had captured (nothing is read here)."""
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None and capture._global_capturing is not None:
        capture._global_capturing.stop_capturing()
        capture._global_capturing = None
        capture.start_global_capturing()


def _with_successors(
    modules: list[list[pytest.Item]], orders: int, reports: int
) -> Iterator[tuple[pytest.Item, pytest.Item | None]]:
    """Each item with the one this worker runs after it. A module's last test learns its successor
    only once the next module is assigned, so module fixtures are torn down when their module
    ends, and session fixtures after the worker's last test."""
    held: pytest.Item | None = None
    while (unit := _receive(orders)[1]) is not None:
        module, start = unit
        for item in modules[module][start:]:
            if held is not None:
                yield held, item
            held = item
        _send(reports, "next")
    if held is not None:
        yield held, None


class _Relay:
    """The worker's side of reporting: what pytest logs goes to the main process."""

    def __init__(self, config: pytest.Config, fd: int):
        self.config, self.fd = config, fd
        self.relaying = False

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        _send(self.fd, "logstart", (nodeid, location))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        _send(self.fd, "report", data)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        _send(self.fd, "logfinish", (nodeid, location))

    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage, when: str, nodeid: str) -> None:
        if not self.relaying:
            return
        category = warning_message.category
        try:
            pickle.dumps(category)
        except Exception:  # a warning class defined somewhere pickle cannot find it
            category = UserWarning
        message = str(warning_message.message)
        _send(self.fd, "warning", (message, category, warning_message.filename, warning_message.lineno, when, nodeid))
