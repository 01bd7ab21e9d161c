"""The config map `pulumi up` hands the program, as settings.runtime reads it."""

from __future__ import annotations

import json

from pulumi.runtime import config as runtime_config

from settings.runtime import current_config


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
