"""Where the operations commands read the stack outputs: the Pulumi CLI or `--outputs FILE`."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from ops.aws import OpsError
from ops.outputs import load_outputs
from settings.stack_config import ROOT


def runner(stdout: str = "{}", returncode: int = 0, stderr: str = "", calls: list | None = None):
    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        if calls is not None:
            calls.append((command, kwargs))
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)

    return run


def test_outputs_come_from_pulumi_stack_output_in_the_project_directory():
    calls: list = []
    outputs = load_outputs("prod", run=runner('{"clusterName": "webapp"}', calls=calls))
    assert outputs.require("clusterName") == "webapp"
    assert calls[0][0] == ["pulumi", "stack", "output", "--json", "--stack", "prod"]
    assert calls[0][1]["cwd"] == ROOT


def test_an_outputs_file_replaces_the_cli(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text('{"clusterName": "webapp"}')
    assert load_outputs("prod", path, run=None).require("clusterName") == "webapp"


def test_a_missing_pulumi_cli_points_to_the_outputs_option():
    def missing(*args: Any, **kwargs: Any):
        raise FileNotFoundError("pulumi")

    with pytest.raises(OpsError, match="pass --outputs FILE"):
        load_outputs("prod", run=missing)


def test_a_failing_pulumi_cli_shows_its_last_error_line():
    failing = runner("", 255, "warning: something\nerror: no stack named 'prod' found")
    with pytest.raises(OpsError, match="error: no stack named 'prod' found$"):
        load_outputs("prod", run=failing)


def test_a_missing_output_names_it_and_the_stack():
    outputs = load_outputs("prod", run=runner('{"region": "us-east-1"}'))
    with pytest.raises(OpsError, match="stack output `albArn` is missing from stack prod"):
        outputs.require("albArn")


def test_a_secret_output_is_refused():
    outputs = load_outputs("prod", run=runner('{"databaseEndpoint": "[secret]"}'))
    with pytest.raises(OpsError, match="is a secret"):
        outputs.require("databaseEndpoint")
