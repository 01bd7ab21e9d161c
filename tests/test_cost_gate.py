"""The budget gate of `python -m tools.plan` and the cost settings (`webapp:budget`,
`webapp:usage`, `--usage`): one-line errors, exit 2, like any stack config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from settings import load_settings
from settings.stack_config import ROOT
from tests.support import Synth, config_with, copied, rejection
from tools import plan
from tools.cost import cli
from tools.policy_report import Report


def stack_file(tmp_path: Path, stack: str, **sections: object) -> Path:
    """A copy of Pulumi.<stack>.yaml with `webapp:<section>` values replaced."""
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    for section, value in sections.items():
        document["config"][f"webapp:{section}"] = value
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def run_plan(monkeypatch, capsys, stack: Synth, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(plan, "synthesize", lambda name, config=None: copied(stack.document))
    status = plan.main(["--stack", stack.document["stack"], *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_plan_fails_when_the_fixed_estimate_is_over_the_budget(staging, monkeypatch, capsys, tmp_path):
    config = stack_file(tmp_path, "staging", budget={"monthlyUsd": 100})
    status, out, _ = run_plan(monkeypatch, capsys, staging, "--config-file", str(config))
    assert status == 1
    verdict = out.strip().splitlines()[-1]
    assert verdict.startswith("Budget exceeded: the fixed estimate $")
    assert "is over the budget webapp:budget.monthlyUsd = $100.00 by $" in verdict


class CleanPack:
    """A policy pack that finds nothing (the real pack's verdicts are tests/test_policy_check.py's)."""

    def spawn(self) -> None:
        pass

    def connect(self) -> None:
        pass

    def close(self) -> None:
        pass

    def check(self, document, config, waivers=()):
        return Report(project=document["project"], stack=document["stack"])


def test_the_plan_passes_within_the_budget_and_prints_the_estimate_after_the_policy_result(
    staging, monkeypatch, capsys
):
    monkeypatch.setattr(plan, "PolicyPack", CleanPack)
    status, out, _ = run_plan(monkeypatch, capsys, staging, "--policy")
    assert status == 0
    assert out.index("Policy check (") < out.index("Cost estimate (USD per month") < out.index("Budget: ")
    assert "Total (USD per month)" in out and "within webapp:budget.monthlyUsd = $200.00" in out


def test_a_stack_without_a_budget_is_not_gated(staging, monkeypatch, capsys, tmp_path):
    config = stack_file(tmp_path, "staging", budget=None)
    status, out, _ = run_plan(monkeypatch, capsys, staging, "--config-file", str(config))
    assert status == 0
    assert "Budget: none set (webapp:budget.monthlyUsd)" in out


def test_plan_config_file_needs_one_stack(capsys):
    with pytest.raises(SystemExit) as exit_:
        plan.main(["--config-file", "Pulumi.prod.yaml"])
    assert exit_.value.code == 2
    assert "--config-file needs exactly one --stack" in capsys.readouterr().err


def test_plan_config_errors_are_one_line_exit_2(staging, monkeypatch, capsys, tmp_path):
    config = stack_file(tmp_path, "staging", budget={"monthlyUsd": 0})
    status, out, err = run_plan(monkeypatch, capsys, staging, "--config-file", str(config))
    assert (status, out) == (2, "")
    assert err == "staging: budget.monthlyUsd: input should be greater than 0 (got 0)\n"


@pytest.mark.parametrize(
    "overrides, line",
    [
        (
            {"webapp:usage": {"requestsPerMonth": -5}},
            "prod: usage.requestsPerMonth: input should be greater than or equal to 0 (got -5)",
        ),
        ({"webapp:usage": {"natGb": 5}}, "prod: usage.natGb: unknown key (got 5)"),
        (
            {"webapp:usage": {"logs": {"service": "lots"}}},
            "prod: usage.logs.service: input should be a valid number, unable to parse string as a number (got lots)",
        ),
        ({"webapp:budget": {"monthlyUsd": -1}}, "prod: budget.monthlyUsd: input should be greater than 0 (got -1)"),
        (
            {"webapp:budget": 1300},
            "prod: budget: input should be a valid dictionary or instance of BudgetSettings (got 1300)",
        ),
    ],
)
def test_cost_config_is_rejected_with_one_line(overrides, line):
    assert rejection("prod", overrides) == [line]


def test_stack_usage_overrides_the_documented_defaults():
    settings = load_settings("prod", config_with("prod", {"webapp:usage": {"natProcessedGb": 500}}))
    assert settings.usage.nat_processed_gb == 500
    assert settings.usage.requests_per_month == 10_000_000


def test_a_usage_file_overrides_the_stack_usage_key_by_key(staging, monkeypatch, capsys, tmp_path):
    usage = tmp_path / "usage.yaml"
    usage.write_text("requestsPerMonth: 2000000\nlogs:\n  service: 4\n")
    monkeypatch.setattr(cli, "synthesize", lambda name, config=None: copied(staging.document))
    assert cli.main(["--stack", "staging", "--json", "--usage", str(usage)]) == 0
    lines = yaml.safe_load(capsys.readouterr().out)["lines"]
    waf = next(line for line in lines if line["description"] == "requests inspected")
    web_logs = next(line for line in lines if line["description"] == "/ecs/staging/web: ingestion")
    database_logs = [line for line in lines if line["description"].endswith("postgresql: ingestion")]
    assert (waf["quantity"], web_logs["quantity"]) == (2_000_000, 4)
    assert database_logs[0]["quantity"] == 0.2  # still the staging profile's


@pytest.mark.parametrize(
    "text, line",
    [
        (
            "requestsPerMonth: many\n",
            "{path}: usage.requestsPerMonth: input should be a valid number, unable to parse string as a number (got many)",
        ),
        ("natGB: 3\n", "{path}: usage.natGB: unknown key (got 3)"),
        ("- 1\n- 2\n", "{path}: usage: must be a mapping of usage keys (got list)"),
        ("a: [\n", "{path}: usage: not YAML or JSON (got line 2)"),
    ],
)
def test_a_bad_usage_file_is_one_line_exit_2(text, line, staging, monkeypatch, capsys, tmp_path):
    usage = tmp_path / "usage.yaml"
    usage.write_text(text)
    monkeypatch.setattr(cli, "synthesize", lambda name, config=None: copied(staging.document))
    assert cli.main(["--stack", "staging", "--usage", str(usage)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", line.format(path=usage) + "\n")


def test_a_missing_usage_file_is_one_line_exit_2(staging, monkeypatch, capsys, tmp_path):
    missing = tmp_path / "nope.yaml"
    monkeypatch.setattr(cli, "synthesize", lambda name, config=None: copied(staging.document))
    assert cli.main(["--stack", "staging", "--usage", str(missing)]) == 2
    assert capsys.readouterr().err == f"{missing}: usage: cannot read the usage file (got No such file or directory)\n"
