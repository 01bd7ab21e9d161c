"""tools.bench: commands measured in turns, medians and the plan-to-synth ratio."""

from __future__ import annotations

import itertools

from tools import bench


def test_commands_take_turns_so_a_change_of_load_hits_them_alike(monkeypatch):
    calls = []
    clock = itertools.count(1)
    monkeypatch.setattr(bench, "run", lambda *args: (calls.append(args[1]), (next(clock), 0.5))[1])
    timings = bench.alternate({"a": ("-m", "tools.plan"), "b": ("-m", "tools.synth")}, runs=3)
    assert calls == ["tools.plan", "tools.synth"] * 3
    assert (timings["a"].wall, timings["b"].wall) == ([1, 3, 5], [2, 4, 6])


def test_plan_reports_the_ratio_of_the_medians(monkeypatch, capsys):
    walls = {"tools.plan": iter([9.0, 6.0, 6.5]), "tools.synth": iter([5.0, 5.2, 4.0])}
    monkeypatch.setattr(bench, "run", lambda *args: (next(walls[args[1]]), 1.0))
    bench.bench_plan(runs=3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "python -m tools.plan --policy:    6.50 s  (6.00-9.00; CPU 1.00 s)"
    assert lines[-1] == "ratio of the medians: 1.30"


def test_a_run_counts_the_cpu_time_of_the_process_and_its_children():
    wall, cpu = bench.run("-m", "tools.bench", "--help")
    assert 0 < cpu and 0 < wall
