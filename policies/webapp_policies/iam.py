"""IAM roles and their policies (JSON-string documents, parsed here)."""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import Severity

from .controls import Control, resource_policy, stack_policy
from .documents import account_restricted, principal_is_public, statements
from .values import UNKNOWN, BadJson, as_list, json_document, lookup, show

POLICY = ("aws:iam/policy:Policy",)
ROLE_POLICY = ("aws:iam/rolePolicy:RolePolicy",)
ROLE = ("aws:iam/role:Role",)
ATTACHMENT = ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",)
EXCLUSIVE_ATTACHMENTS = ("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",)
POLICY_HOLDERS = POLICY + ROLE_POLICY + ROLE + ATTACHMENT + EXCLUSIVE_ATTACHMENTS
ADMIN_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$")
SERVICE_WILDCARD = re.compile(r"^[A-Za-z0-9-]+:\*$")
WRITE_VERBS = (
    "Add",
    "Associate",
    "Attach",
    "Authorize",
    "Cancel",
    "Change",
    "Copy",
    "Create",
    "Delete",
    "Deregister",
    "Detach",
    "Disable",
    "Disassociate",
    "Enable",
    "Execute",
    "Import",
    "Invoke",
    "Modify",
    "Pass",
    "Publish",
    "Put",
    "Reboot",
    "Register",
    "Remove",
    "Replicate",
    "Reset",
    "Restore",
    "Revoke",
    "Rotate",
    "Run",
    "Send",
    "Set",
    "Start",
    "Stop",
    "Tag",
    "Terminate",
    "Untag",
    "Update",
    "Upload",
    "Write",
)


def documents(resource):
    """(where, parsed document or UNKNOWN) for each policy document the resource holds, and
    messages for documents that are not valid JSON."""
    found, problems = [], []
    candidates = []
    if resource.type in POLICY + ROLE_POLICY:
        candidates.append(("policy", resource.get("policy")))
    if resource.type in ROLE:
        inline = resource.items("inlinePolicies")
        if inline is UNKNOWN:
            candidates.append(("inlinePolicies", UNKNOWN))
        else:
            candidates += [(f"inline policy {lookup(p, 'name')}", lookup(p, "policy")) for p in inline]
    for where, value in candidates:
        try:
            found.append((where, json_document(value)))
        except BadJson as error:
            problems.append(f"{where} is {error}")
    return found, problems


def policy_arns(resource) -> list:
    if resource.type in ATTACHMENT:
        return [resource.get("policyArn")]
    if resource.type in ROLE:
        return _known_list(resource.items("managedPolicyArns"))
    if resource.type in EXCLUSIVE_ATTACHMENTS:
        return _known_list(resource.items("policyArns"))
    return []


def _known_list(value) -> list:
    return [] if value is UNKNOWN else value


def allowed_statements(resource) -> tuple[list[str], list[tuple[str, Any]]]:
    """Messages for the resource's documents that are not valid JSON, and (where, statement) for
    every Allow statement of its known documents."""
    found, problems = documents(resource)
    known = [(where, document) for where, document in found if document is not UNKNOWN and document is not None]
    return problems, [(where, statement) for where, document in known for statement in allows(document)]


def allows(document):
    for statement in statements(document):
        if statement.get("Effect") == "Allow":
            yield statement


def _no_full_admin(resource, config):
    problems, allowed = allowed_statements(resource)
    yield from problems
    for where, statement in allowed:
        everywhere = "*" in as_list(statement.get("Resource"))
        if everywhere and any(a in ("*", "*:*") for a in as_list(statement.get("Action"))):
            yield f'{where} allows Action "*" on Resource "*"'
        elif everywhere and statement.get("NotAction") is not None:
            yield f'{where} allows everything but {show(statement.get("NotAction"))} on Resource "*"'
    for arn in policy_arns(resource):
        if isinstance(arn, str) and ADMIN_POLICY.match(arn):
            yield f"attaches {arn}"


no_full_admin = resource_policy(
    Control(
        name="aws-iam-policy-no-full-admin",
        description='No policy allows every action on every resource ("*" on "*", or AdministratorAccess).',
        category="least-privilege",
        severity=Severity.HIGH,
        fsbp="IAM.1",
        checkov=("CKV_AWS_62", "CKV_AWS_274"),
        remediation="Grant the actions the workload calls on the resources it uses; never attach AdministratorAccess to a workload role.",
    ),
    POLICY_HOLDERS,
)(_no_full_admin)


def _no_service_wildcards(resource, config):
    problems, allowed = allowed_statements(resource)
    yield from problems
    for where, statement in allowed:
        actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
        wildcards = [a for a in actions if SERVICE_WILDCARD.match(a)]
        if wildcards:
            yield f"{where} allows whole services: {', '.join(wildcards)}"
        if "*" not in as_list(statement.get("Resource")) or statement.get("Condition"):
            continue
        writes = [
            a
            for a in actions
            if ":" in a and a.split(":", 1)[1].startswith(WRITE_VERBS) and a not in config["wildcardResourceActions"]
        ]
        if writes:
            yield f'{where} allows {", ".join(writes)} on Resource "*"'


no_service_wildcards = resource_policy(
    Control(
        name="aws-iam-policy-no-service-wildcards",
        description='Policies name actions, not whole services ("s3:*"), and scope write actions to resources.',
        category="least-privilege",
        severity=Severity.LOW,
        fsbp="IAM.21",
        checkov=(
            "CKV_AWS_63",
            "CKV_AWS_355",
            "CKV_AWS_286",
            "CKV_AWS_287",
            "CKV_AWS_288",
            "CKV_AWS_289",
            "CKV_AWS_290",
        ),
        remediation="List the actions the workload needs, and the ARNs of the resources they act on.",
        config={
            "wildcardResourceActions": {
                "type": "array",
                "items": {"type": "string"},
                "default": [
                    "cloudwatch:PutMetricData",
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                    "xray:PutTelemetryRecords",
                    "xray:PutTraceSegments",
                ],
                "description": 'Write actions that only support Resource "*" and are allowed on it.',
            }
        },
    ),
    POLICY + ROLE_POLICY + ROLE,
)(_no_service_wildcards)


def _trust_not_public(role, config):
    try:
        document = role.json("assumeRolePolicy")
    except BadJson as error:
        yield f"assumeRolePolicy is {error}"
        return
    if document is UNKNOWN or document is None:
        return
    for index, statement in enumerate(allows(document)):
        if principal_is_public(statement.get("Principal")) and not account_restricted(statement):
            yield f"trust statement {statement.get('Sid', index)} lets {show(statement.get('Principal'))} assume the role"


trust_not_public = resource_policy(
    Control(
        name="aws-iam-role-trust-not-public",
        description="No role can be assumed by everyone: a wildcard principal is always tied to known accounts.",
        category="public-exposure",
        severity=Severity.CRITICAL,
        checkov=("CKV_AWS_60", "CKV_AWS_61"),
        remediation='Trust the AWS service or account that assumes the role, by name; never Principal "*" without an account condition.',
    ),
    ROLE,
)(_trust_not_public)


def _trust_confused_deputy(role, config):
    # aws-iam-role-trust-not-public reports a trust policy that is not JSON.
    for statement in allows(role.known_json("assumeRolePolicy")):
        principal = statement.get("Principal")
        services = as_list(principal.get("Service")) if isinstance(principal, dict) else []
        services = [s for s in services if s not in config["exemptServices"]]
        if services and not _bound_to_source(statement):
            yield f"trusts {', '.join(services)} without an aws:SourceAccount or aws:SourceArn condition"


trust_confused_deputy = resource_policy(
    Control(
        name="aws-iam-role-trust-confused-deputy",
        description="Roles that AWS services assume are bound to this account (aws:SourceAccount or aws:SourceArn).",
        category="least-privilege",
        severity=Severity.MEDIUM,
        remediation=(
            'Add Condition {StringEquals: {"aws:SourceAccount": <account id>}} (and ArnLike aws:SourceArn '
            "when the caller is known) to each statement trusting a service principal."
        ),
        config={
            "exemptServices": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Service principals that do not send aws:SourceAccount/aws:SourceArn.",
            }
        },
    ),
    ROLE,
)(_trust_confused_deputy)


def _bound_to_source(statement) -> bool:
    condition = statement.get("Condition")
    keys = {"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid"}
    return isinstance(condition, dict) and any(
        isinstance(tests, dict) and any(str(k).lower() in keys for k in tests) for tests in condition.values()
    )


def _no_mixed_policies(stack, config):
    for role in stack.of_type(ROLE):
        attachments = stack.referencing(role, ATTACHMENT, "role")
        role_policies = stack.referencing(role, ROLE_POLICY, "role")
        if not attachments and not role_policies:
            continue
        # The state of a role lists every policy it has, those of attachment resources included.
        attached = {a.get("policyArn") for a in attachments}
        named = {p.get("name") for p in role_policies}
        managed = role.items("managedPolicyArns")
        inline = role.items("inlinePolicies")
        if UNKNOWN in attached or UNKNOWN in named or managed is UNKNOWN or inline is UNKNOWN:
            continue
        extra = [arn for arn in managed if arn not in attached]
        extra += [f"inline policy {lookup(p, 'name')}" for p in inline if lookup(p, "name") not in named]
        if UNKNOWN in extra:
            continue
        if extra:
            yield role.urn, f"declares {', '.join(map(str, extra))} itself besides attachment resources"


no_mixed_policies = stack_policy(
    Control(
        name="aws-iam-role-no-mixed-policies",
        description="A role's policies come either from its own arguments or from attachment resources, never both.",
        category="hygiene",
        severity=Severity.LOW,
        remediation=(
            "Attach policies to a role that has aws.iam.RolePolicyAttachment/RolePolicy resources only "
            "through such resources (no managed_policy_arns or inline_policies, deprecated in v7)."
        ),
    ),
    ROLE + ATTACHMENT + ROLE_POLICY,
)(_no_mixed_policies)


# The pack serves exactly these, in this order.
POLICIES = [
    no_full_admin,
    no_service_wildcards,
    trust_not_public,
    trust_confused_deputy,
    no_mixed_policies,
]
