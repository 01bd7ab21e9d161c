"""The config map `pulumi up` hands the program, as settings.runtime reads it, and the settings or
the problem lines (exit status 2) the program gets from it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.runtime import config as runtime_config

from settings import StackSettings
from settings.runtime import current_config, settings_or_exit
from settings.stack_config import read_stack_config
from settings.stack_config import runtime_config as to_runtime_config


def test_objects_arrive_as_json_and_scalars_stay_as_typed(monkeypatch):
    # The language host passes every value as a string; only objects and lists are JSON, a scalar
    # such as "2" or "true" stays a string and pydantic coerces it where a number or a boolean is
    # expected (a string setting that looks like a number must stay a string).
    runtime_config.set_all_config(
        {
            "webapp:network": '{"azCount": 3}',
            "aws:allowedAccountIds": '["123456789012"]',
            "webapp:tags": '{"owner": "2"}',
            "webapp:profile": "prod",
            "webapp:count": "2",
            "webapp:flag": "true",
        },
        [],
    )
    # What the CLI leaves in PULUMI_CONFIG is read too.
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"webapp:fromEnv": '{"a": 1}'}))
    try:
        assert current_config() == {
            "webapp:network": {"azCount": 3},
            "aws:allowedAccountIds": ["123456789012"],
            "webapp:tags": {"owner": "2"},
            "webapp:profile": "prod",
            "webapp:count": "2",
            "webapp:flag": "true",
            "webapp:fromEnv": {"a": 1},
        }
    finally:
        runtime_config.set_all_config({}, [])


def _run_with(config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, stack: str = "prod") -> StackSettings:
    """settings_or_exit under `pulumi up`: the stack's name and its config map from the runtime."""
    monkeypatch.setattr("settings.runtime.pulumi.get_stack", lambda: stack)
    values, secret_keys = to_runtime_config(config)
    runtime_config.set_all_config(values, secret_keys)
    try:
        return settings_or_exit()
    finally:
        runtime_config.set_all_config({}, [])


def test_pulumi_up_gets_the_stacks_settings(monkeypatch):
    settings = _run_with(read_stack_config("staging"), monkeypatch, stack="staging")
    assert (settings.stack, settings.profile) == ("staging", "staging")


def test_pulumi_up_exits_2_with_every_problem_line_on_stderr_and_nothing_on_stdout(monkeypatch, capsys):
    config = {**read_stack_config("prod"), "webapp:database": {"backupRetentionDays": 2, "multiAz": False}}
    with pytest.raises(SystemExit) as exited:
        _run_with(config, monkeypatch)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "prod: database.multiAz: prod runs the database in Multi-AZ (got false)\n"
        "prod: database.backupRetentionDays: prod keeps backups at least 7 days (got 2)\n"
    )
