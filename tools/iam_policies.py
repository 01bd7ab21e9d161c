"""The deploy and preview role policies, built from the per-type action table.

    python -m tools.iam_policies --write   # regenerate iam/*.json
    python -m tools.iam_policies --check   # exit 1 when they are stale

`iam/deploy-policy-<n>.json` let a role create, read, update and delete every resource type the
program manages (`pulumi up`) and run the operations commands the deploy workflow runs around it
(preflight, snapshot, verify); `iam/preview-policy.json` only reads them (`pulumi preview
--refresh`, drift checks). Attach them as customer-managed policies (all the deploy parts to the
deploy role), next to the state bucket and key statements in docs/delivery.md. The deploy
actions do not fit in one managed policy, so they are split into parts of whole statements.

Resources are `*` for most actions: Pulumi names resources with a random suffix, so no name
pattern would hold them, and ARNs are only known once created. What could escalate privileges or
reach data is narrowed by a condition instead:
- `iam:PassRole` only to the services that assume the program's roles;
- `iam:CreateServiceLinkedRole` only for the services the program uses;
- IAM role actions only on roles (not users, groups or policies);
- `kms:CreateGrant` only for grants AWS services make on the caller's behalf
  (`kms:GrantIsForAWSResource`), `kms:Decrypt`/`kms:GenerateDataKey` only through Secrets Manager;
- `secretsmanager:GetSecretValue` only on secrets tagged `project=webapp` (every resource of the
  program carries the provider's default tags).
Each file stays under IAM's 6,144-character limit for a managed policy (whitespace not counted).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from settings import PROJECT
from settings.stack_config import ROOT
from tools.iam_actions import ACTIONS, PROVIDER
from tools.iam_actions.commands import PIPELINE_COMMANDS

POLICY_DIR = ROOT / "iam"
MANAGED_POLICY_MAX_CHARS = 6144
ROLES = "arn:aws:iam::*:role/*"

# Who assumes the roles the program creates, so who they may be passed to.
PASSED_TO = (
    "ecs-tasks.amazonaws.com",  # task and execution roles
    "ecs.amazonaws.com",  # the blue/green infrastructure role
    "monitoring.rds.amazonaws.com",  # Enhanced Monitoring
    "vpc-flow-logs.amazonaws.com",  # flow logs to CloudWatch Logs
    "lambda.amazonaws.com",  # functions in the VPC
)
SERVICE_LINKED = (
    "ecs.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
    "elasticache.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "rds.amazonaws.com",
)
THROUGH_SECRETS_MANAGER = {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}

# Actions that only ever appear under their condition (and resource, when narrower than `*`).
NARROWED: dict[str, tuple[str, str, dict[str, Any]]] = {
    "iam:PassRole": ("PassRolesToTheirServices", ROLES, {"StringEquals": {"iam:PassedToService": list(PASSED_TO)}}),
    "iam:CreateServiceLinkedRole": (
        "ServiceLinkedRoles",
        "arn:aws:iam::*:role/aws-service-role/*",
        {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED)}},
    ),
    "kms:CreateGrant": ("GrantsForAwsServices", "*", {"Bool": {"kms:GrantIsForAWSResource": "true"}}),
    "kms:Decrypt": ("SecretsThroughSecretsManager", "*", THROUGH_SECRETS_MANAGER),
    "kms:GenerateDataKey": ("SecretsThroughSecretsManager", "*", THROUGH_SECRETS_MANAGER),
    # `ops snapshot` deletes only the snapshots it took (and tagged) past their retention.
    "rds:DeleteDBSnapshot": (
        "OnlyTheOpsSnapshots",
        "*",
        {"StringEquals": {"rds:snapshot-tag/created-by": "webapp-ops-snapshot"}},
    ),
    "secretsmanager:GetSecretValue": (
        "TheProjectsSecretValues",
        "*",
        {"StringEquals": {"aws:ResourceTag/project": PROJECT}},
    ),
}


def deploy_actions() -> set[str]:
    actions = set(PROVIDER)
    for entry in ACTIONS.values():
        actions.update(entry.create, entry.read, entry.update, entry.delete)
    for command in PIPELINE_COMMANDS.values():
        actions.update(command)
    return actions


def preview_actions() -> set[str]:
    actions = set(PROVIDER)
    for entry in ACTIONS.values():
        actions.update(entry.read)
    return actions


def document(actions: Iterable[str]) -> dict[str, Any]:
    """One statement per service for the plain actions, one per condition for the narrowed ones."""
    plain: dict[str, list[str]] = defaultdict(list)
    narrowed: dict[str, tuple[str, dict[str, Any], list[str]]] = {}
    for action in sorted(set(actions)):
        if action in NARROWED:
            sid, resource, condition = NARROWED[action]
            narrowed.setdefault(sid, (resource, condition, []))[2].append(action)
        elif action.startswith("iam:"):
            narrowed.setdefault("Roles", (ROLES, {}, []))[2].append(action)
        else:
            plain[action.split(":")[0]].append(action)
    statements = [
        {"Sid": _sid(prefix), "Effect": "Allow", "Action": names, "Resource": "*"} for prefix, names in plain.items()
    ]
    for sid, (resource, condition, names) in narrowed.items():
        statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": names, "Resource": resource}
        if condition:
            statement["Condition"] = condition
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def _sid(prefix: str) -> str:
    return "".join(part.capitalize() for part in prefix.split("-"))


def parts(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """The policy's statements, in order, packed into documents that each fit a managed policy."""
    documents: list[dict[str, Any]] = []
    for statement in policy["Statement"]:
        if not documents or size({**documents[-1], "Statement": [*documents[-1]["Statement"], statement]}) > (
            MANAGED_POLICY_MAX_CHARS
        ):
            documents.append({"Version": policy["Version"], "Statement": []})
        documents[-1]["Statement"].append(statement)
    return documents


def policies() -> dict[str, dict[str, Any]]:
    """File name -> policy document."""
    deploy = parts(document(deploy_actions()))
    files = {f"deploy-policy-{number}.json": part for number, part in enumerate(deploy, 1)}
    return {**files, "preview-policy.json": document(preview_actions())}


def render(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2) + "\n"


def size(policy: dict[str, Any]) -> int:
    """Characters IAM counts against a managed policy's limit: the JSON without whitespace."""
    return len(json.dumps(policy, separators=(",", ":")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.iam_policies", description=(__doc__ or "").split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="regenerate iam/*.json")
    mode.add_argument("--check", action="store_true", help="exit 1 when iam/*.json is stale")
    args = parser.parse_args(argv)
    stale = []
    expected = policies()
    for path in sorted(POLICY_DIR.glob("*.json")) if POLICY_DIR.exists() else []:
        if path.name not in expected:
            if args.write:
                path.unlink()
            else:
                stale.append(str(path.relative_to(ROOT)))
    for name, policy in expected.items():
        path = POLICY_DIR / name
        if args.write:
            POLICY_DIR.mkdir(exist_ok=True)
            path.write_text(render(policy))
            print(f"wrote {path.relative_to(ROOT)} ({size(policy)} of {MANAGED_POLICY_MAX_CHARS} characters)")
        elif not path.exists() or path.read_text() != render(policy):
            stale.append(str(path.relative_to(ROOT)))
    if stale:
        print(f"stale: {', '.join(stale)}; run `python -m tools.iam_policies --write`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
