"""tools.plan: what stops a plan before it starts (unknown stacks, missing policy configs); each
stack planned in its own forked worker, printed in stack order, the exit status the worst of the
stacks; with --policy, each stack checked by its own pack process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from settings import ConfigError
from settings.base import Problem
from settings.stack_config import ROOT
from tests.diff_support import edited, without_component
from tests.diff_support import resource as diff_resource
from tests.policy_support import document, resource
from tests.support import copied
from tools import ci_report, plan, policy_config

SEPARATOR = "\n" + "=" * 72 + "\n\n"
SUMMARY = re.compile(r"^\d+ mandatory, \d+ advisory violations( \(\d+ waived\))? in \d+ resources$")
UNENCRYPTED_DB = resource(
    "aws:rds/instance:Instance",
    "db",
    {
        "engine": "postgres",
        "instanceClass": "db.t4g.micro",
        "allocatedStorage": 20.0,
        "storageEncrypted": False,
        "dbSubnetGroupName": "db-subnets",
        "backupRetentionPeriod": 7.0,
    },
)
LOG_GROUP = resource("aws:cloudwatch/logGroup:LogGroup", "logs", {"retentionInDays": 400.0, "kmsKeyId": "key"})


def test_an_unknown_stack_is_one_line_listing_the_stacks_and_exit_2(capsys):
    assert plan.main(["--stack", "nosuch", "--policy"]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["stack nosuch does not exist: no Pulumi.nosuch.yaml (stacks: prod, staging)"]
    assert captured.out == ""


def test_a_stack_without_a_policy_config_stops_before_planning(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(policy_config, "CONFIG_DIR", tmp_path)
    assert plan.main(["--stack", "staging", "--policy"]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"policy check: no policy config for stack staging: {tmp_path / 'staging.json'} does not exist; create it "
        f"from staging's (non-production levels) or prod's (the strict set), e.g. cp {tmp_path / 'staging.json'} "
        f"{tmp_path / 'staging.json'}"
    ]
    assert captured.out == ""


def test_ci_report_fails_the_same_way_without_a_policy_config(tmp_path, monkeypatch):
    monkeypatch.setattr(policy_config, "CONFIG_DIR", tmp_path)
    outcome = ci_report.evaluate("staging")
    assert outcome.status == 2
    assert outcome.config_errors[0].startswith("no policy config for stack staging: ")


@pytest.mark.spawns
def test_make_plan_with_an_unknown_stack_prints_no_traceback():
    result = subprocess.run(
        ["make", "--no-print-directory", "plan", "STACK=nosuch"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    # make exits 2 whenever a recipe fails; its own last line gives the tool's status.
    assert result.returncode == 2 and result.stderr.splitlines()[-1].endswith("Error 2")
    assert "Traceback" not in result.stderr
    assert "stack nosuch does not exist: no Pulumi.nosuch.yaml (stacks: prod, staging)" in result.stderr.splitlines()


def _small(stack: str, config: object = None) -> dict:
    return {**document(LOG_GROUP), "stack": stack}


@pytest.mark.fork_safety
def test_a_forked_worker_plans_its_stack_as_this_process_does(capsys, monkeypatch, staging):
    # One real stack beside a small one: the real synth runs in a worker forked after the imports.
    real = plan.synthesize
    monkeypatch.setattr(
        plan, "synthesize", lambda stack, config: real(stack, config=config) if stack == "staging" else _small(stack)
    )
    status = plan.main(["--stack", "staging", "--stack", "prod"])
    out, err = capsys.readouterr()
    # The same plans in this process, from the session's synth of staging.
    monkeypatch.setattr(
        plan,
        "synthesize",
        lambda stack, config: copied(staging.document) if stack == "staging" else _small(stack),
    )
    expected = [plan.plan_stack(stack, None).out for stack in ("staging", "prod")]
    assert (status, err) == (0, "")
    assert out == expected[0] + SEPARATOR + expected[1]


# `--policy` over made-up synths: the workers need none of the program's pulumi-aws imports.
PLAN_WITH_FAKE_SYNTHS = """
import json, sys
from tools import plan
documents = json.loads(sys.argv[1])
plan.synthesize = lambda stack, config: {**documents[stack], "stack": stack}
plan.import_program = lambda: None
raise SystemExit(plan.main(["--stack", "prod", "--stack", "staging", "--policy"]))
"""


@pytest.mark.spawns
def test_each_stack_is_checked_by_its_own_pack_and_the_worst_verdict_is_the_exit_status():
    """In a fresh interpreter, not forked from this one: tools.plan forks its workers, which is
    only safe where no gRPC channel or thread exists yet, as in `make plan`; a test worker may hold
    the session's pack. Without import_program the child takes 1.7 CPU-s instead of 5.9."""
    documents = {"prod": document(LOG_GROUP), "staging": document(UNENCRYPTED_DB)}
    result = subprocess.run(
        [sys.executable, "-c", PLAN_WITH_FAKE_SYNTHS, json.dumps(documents)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    status = result.returncode
    prod_text, staging_text = result.stdout.split(SEPARATOR)
    assert status == 1, result.stderr
    for stack, text in (("prod", prod_text), ("staging", staging_text)):
        # The policy block ends with its summary; the cost estimate (tools.cost.gate) follows.
        lines = text.splitlines()
        cost = next(i for i, line in enumerate(lines) if line.startswith("Cost estimate"))
        assert f"Policy check (policies/config/{stack}.json):" in lines[:cost]
        assert SUMMARY.match(lines[cost - 2]) and lines[cost - 1] == ""
    assert "mandatory aws-rds-instance-storage-encrypted" not in prod_text
    assert (
        f"  mandatory aws-rds-instance-storage-encrypted (encryption, medium) {UNENCRYPTED_DB['urn']}: " in staging_text
    )


def test_one_stack_is_planned_in_this_process(monkeypatch):
    monkeypatch.setattr(plan, "_in_workers", None)  # would fail if called
    monkeypatch.setattr(plan, "synthesize", _small)
    (only,) = plan.plan_stacks(["prod"], {})
    assert (only.stack, only.status) == ("prod", 0) and only.out.startswith("Stack webapp/prod: 1 resources")


def test_output_follows_the_stack_order_whatever_order_the_workers_finish_in(capsys, monkeypatch, tmp_path):
    staging_done = tmp_path / "staging-done"

    def prod_after_staging(stack: str, *_: object) -> plan.StackPlan:
        if stack == "prod":
            deadline = time.monotonic() + 30
            while not staging_done.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        else:
            staging_done.touch()
        return plan.StackPlan(
            stack, out=f"{stack} out\n", err=f"{stack} err\n", status={"prod": 1, "staging": 0}[stack]
        )

    monkeypatch.setattr(plan, "import_program", lambda: None)
    monkeypatch.setattr(plan, "plan_stack", prod_after_staging)
    assert plan.main(["--stack", "prod", "--stack", "staging"]) == 1
    assert capsys.readouterr() == ("prod out\n" + SEPARATOR + "staging out\n", "prod err\nstaging err\n")


def _broken(stack: str, *_: object) -> plan.StackPlan:
    if stack == "crashing":
        raise RuntimeError("boom")
    if stack == "dying":
        os._exit(3)
    return plan.StackPlan(stack, out="fine\n")


@pytest.mark.parametrize(
    "stack, message",
    [("crashing", r"crashing: planning failed\nTraceback .*RuntimeError: boom"), ("dying", "exit status 3")],
)
def test_a_worker_that_fails_makes_its_stack_unplannable_and_the_others_are_planned(monkeypatch, stack, message):
    monkeypatch.setattr(plan, "import_program", lambda: None)
    monkeypatch.setattr(plan, "plan_stack", _broken)
    failed, fine = plan.plan_stacks([stack, "fine"], {})
    assert (failed.status, failed.out, fine) == (2, "", plan.StackPlan("fine", out="fine\n"))
    assert re.search(message, failed.err, re.DOTALL)


def test_an_invalid_stack_config_prints_its_problems_and_exits_2(capsys, monkeypatch):
    def synthesize(stack: str, config: object) -> dict:
        raise ConfigError(stack, [Problem("network.vpcCidr", "not a CIDR", "x")])

    monkeypatch.setattr(plan, "synthesize", synthesize)
    assert plan.main(["--stack", "staging"]) == 2
    assert capsys.readouterr() == ("", "staging: network.vpcCidr: not a CIDR (got x)\n")


def test_the_program_import_names_every_pulumi_aws_service_a_module_uses(tmp_path):
    module = tmp_path / "component.py"
    module.write_text(
        "import pulumi_aws as aws\nimport pulumi\n"
        "def build():\n"
        "    aws.ec2.Vpc('v', opts=pulumi.ResourceOptions())\n"
        "    return aws.get_caller_identity(), aws.rds.ParameterGroupParameterArgs\n"
    )
    assert plan._aws_names(module) == {("ec2", "Vpc"), ("rds", "ParameterGroupParameterArgs")}


def test_the_program_import_reads_any_alias_of_pulumi_aws_and_only_it(tmp_path):
    module = tmp_path / "component.py"
    module.write_text(
        "import pulumi_aws\nimport pulumi_aws as provider\n"
        "bucket = pulumi_aws.s3.Bucket\nkey = provider.kms.Key\nvpc = settings.aws.ec2.Vpc\n"
    )
    assert plan._aws_names(module) == {("s3", "Bucket"), ("kms", "Key")}


def test_a_name_the_scan_finds_that_pulumi_aws_lacks_is_not_imported(tmp_path, monkeypatch):
    module = tmp_path / "component.py"
    module.write_text("import pulumi_aws as aws\n# aws.nosuchservice.Thing and aws.ec2.NoSuchResource\n")
    monkeypatch.setattr(plan, "_project_files", lambda: [module])
    monkeypatch.setattr(plan, "_imports", lambda tree: iter(()))
    plan.import_program()
    assert "pulumi_aws.nosuchservice" not in sys.modules


def planned_against(monkeypatch, capsys, base, head, problem=None) -> tuple[int, str]:
    """`plan --stack staging --base main` with `head` as the synth and `base` as main's."""

    def base_synth(ref, stack, out):
        if base is not None:
            out.write_text(json.dumps(base))
        return problem

    monkeypatch.setattr(plan, "synthesize", lambda stack, config: head)
    monkeypatch.setattr(plan, "base_synth", base_synth)
    status = plan.main(["--stack", "staging", "--base", "main"])
    return status, capsys.readouterr().out


def test_with_a_base_the_plan_shows_what_would_change_against_it(monkeypatch, capsys, staging):
    base = edited(staging.document, lambda d: d["resources"].remove(diff_resource(d, "alarms-dashboard")))
    status, out = planned_against(monkeypatch, capsys, base, staging.document)
    assert status == 0
    changes = out.split("Changes against main:\n")[1]
    assert changes.startswith("1 to create, 0 to update, 0 to replace, 0 to delete, ")
    assert "+ create Dashboard alarms-dashboard" in changes


def test_a_blocking_change_against_the_base_fails_the_plan(monkeypatch, capsys, staging):
    head = edited(staging.document, lambda d: without_component(d, "webapp:components:Database"))
    status, out = planned_against(monkeypatch, capsys, staging.document, head)
    assert status == 1
    assert "BLOCKING delete Instance database-instance" in out


def test_a_base_that_cannot_be_synthesized_counts_as_empty_and_says_why(monkeypatch, capsys, staging):
    status, out = planned_against(monkeypatch, capsys, None, staging.document, problem="git archive main: bad ref")
    assert "(git archive main: bad ref; everything counts as created)" in out
    assert re.search(r"^\d+ to create, 0 to update", out.split("Changes against main:\n")[1].split("\n", 1)[1])
