"""IAM policies: least-privilege roles and policies, each break (inside the JSON documents) and a
role managed both ways, which tests/test_policies.py runs; here the messages and inline policies."""

import json

import pytest

from tests.policy_support import ACCOUNT, DELETE, UNKNOWN, PolicyTable, document, messages, resource, variant_urn

ROLE_TYPE = "aws:iam/role:Role"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    ],
}
PERMISSIONS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:webapp/test/*"],
        },
        {
            "Effect": "Allow",
            "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel"],
            "Resource": "*",
        },
    ],
}
ROLE = resource(
    ROLE_TYPE,
    "task-role",
    {"assumeRolePolicy": json.dumps(TRUST), "description": "web tasks"},
    outputs={
        "assumeRolePolicy": json.dumps(TRUST),
        "name": "task-role-1",
        "arn": f"arn:aws:iam::{ACCOUNT}:role/task-role-1",
    },
)
ROLE_POLICY = resource(
    "aws:iam/rolePolicy:RolePolicy",
    "task-permissions",
    {"role": "task-role-1", "policy": json.dumps(PERMISSIONS), "name": "task-permissions"},
    deps={"role": [ROLE["urn"]]},
)
MANAGED = resource(
    "aws:iam/policy:Policy", "managed", {"policy": json.dumps(PERMISSIONS), "description": "reads the app secrets"}
)
ATTACHMENT = resource(
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "task-managed",
    {"role": "task-role-1", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/managed"},
    deps={"role": [ROLE["urn"]]},
)
SCENARIO = [ROLE, ROLE_POLICY, MANAGED, ATTACHMENT]
STATEMENT = ("policy", "Statement", 0)
# variant: (policy, index of the scenario record broken and reported on, path, new value or DELETE)
BREAKS = {
    "admin-statement": (
        "aws-iam-policy-no-full-admin",
        1,
        STATEMENT,
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
    ),
    "not-action-everywhere": (
        "aws-iam-policy-no-full-admin",
        2,
        STATEMENT,
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
    ),
    "admin-attached": (
        "aws-iam-policy-no-full-admin",
        3,
        ("policyArn",),
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ),
    "service-wildcard": ("aws-iam-policy-no-service-wildcards", 1, STATEMENT + ("Action",), ["secretsmanager:*"]),
    "write-everywhere": (
        "aws-iam-policy-no-service-wildcards",
        2,
        ("policy", "Statement", 1, "Action"),
        ["s3:PutObject"],
    ),
    "public-trust": (
        "aws-iam-role-trust-not-public",
        0,
        ("assumeRolePolicy", "Statement", 0),
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
    ),
    "confused-deputy": (
        "aws-iam-role-trust-confused-deputy",
        0,
        ("assumeRolePolicy", "Statement", 0, "Condition"),
        DELETE,
    ),
}


def _managed_both_ways(records):
    role = records["task-role"]
    role["inputs"]["managedPolicyArns"] = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    role["outputs"]["managedPolicyArns"] = [
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        records["task-managed"]["inputs"]["policyArn"],
    ]


def _state_lists_attachments(records):
    # After an update the role's state lists what its attachment resources attached.
    role = records["task-role"]
    role["outputs"]["managedPolicyArns"] = [records["task-managed"]["inputs"]["policyArn"]]
    role["outputs"]["inlinePolicies"] = [{"name": "task-permissions", "policy": json.dumps(PERMISSIONS)}]


TABLE = PolicyTable(*SCENARIO).edits(
    {
        "mixed": ("aws-iam-role-no-mixed-policies", "task-role", _managed_both_ways),
        # The state of a role lists what its attachment resources attached: not mixed management.
        "mirrored": (None, "task-role", _state_lists_attachments),
    }
)
for variant, (policy, index, path, value) in BREAKS.items():
    TABLE.breaks(SCENARIO[index]["name"], {variant: (policy, path, value)})


def test_an_action_that_only_supports_any_resource_is_allowed_on_it(report):
    # The compliant policy grants ssmmessages:* channel actions (ECS Exec) on "*".
    assert messages(report, "aws-iam-policy-no-service-wildcards", ROLE_POLICY["urn"]) == []


def test_write_actions_on_any_resource_are_named(report):
    assert messages(report, "aws-iam-policy-no-service-wildcards", variant_urn(MANAGED, "write-everywhere")) == [
        'policy allows s3:PutObject on Resource "*"'
    ]


def test_a_role_with_its_own_managed_policies_and_attachments_is_caught(report):
    assert messages(report, "aws-iam-role-no-mixed-policies", variant_urn(ROLE, "mixed")) == [
        "declares arn:aws:iam::aws:policy/ReadOnlyAccess itself besides attachment resources"
    ]


def test_inline_policies_of_a_role_are_read(policy_pack):
    admin = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    role = resource(
        ROLE_TYPE, "legacy", {**ROLE["inputs"], "inlinePolicies": [{"name": "everything", "policy": admin}]}
    )
    assert messages(policy_pack.check(document(role)), "aws-iam-policy-no-full-admin") == [
        'inline policy everything allows Action "*" on Resource "*"'
    ]


def test_administrator_access_is_caught_however_the_role_gets_it(policy_pack):
    """In the role's own managed policy list, or in an exclusive attachments resource."""
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    role = resource(ROLE_TYPE, "managed", {**ROLE["inputs"], "managedPolicyArns": [admin]})
    exclusive = resource(
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        "exclusive",
        {"roleName": "task", "policyArns": [admin]},
    )
    result = policy_pack.check(document(role, exclusive))
    assert sorted((v.urn, v.message) for v in result.by_policy("aws-iam-policy-no-full-admin")) == [
        (role["urn"], f"attaches {admin}"),
        (exclusive["urn"], f"attaches {admin}"),
    ]


def test_an_inline_policy_that_is_not_json_is_named(policy_pack):
    role = resource(ROLE_TYPE, "broken", {**ROLE["inputs"], "inlinePolicies": [{"name": "half", "policy": "{"}]})
    said = messages(policy_pack.check(document(role)), "aws-iam-policy-no-full-admin")
    assert len(said) == 1 and said[0].startswith("inline policy half is not valid JSON")


def policy_with(*statements: dict) -> dict:
    return resource(
        "aws:iam/policy:Policy",
        "checked",
        {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})},
    )


def test_every_way_of_allowing_everything_is_named(policy_pack):
    """Action "*:*" is "*" too, and NotAction on "*" allows all but what it lists."""
    checked = policy_with(
        {"Effect": "Allow", "Action": "*:*", "Resource": "*"},
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
    )
    assert messages(policy_pack.check(document(checked)), "aws-iam-policy-no-full-admin") == [
        'policy allows Action "*" on Resource "*"',
        'policy allows everything but ["iam:*", "organizations:*"] on Resource "*"',
    ]


def test_every_service_wildcard_and_write_on_any_resource_is_listed(policy_pack):
    checked = policy_with(
        {"Effect": "Allow", "Action": ["s3:*", "sqs:*"], "Resource": "arn:aws:s3:::bucket"},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": "*"},
    )
    assert messages(policy_pack.check(document(checked)), "aws-iam-policy-no-service-wildcards") == [
        "policy allows whole services: s3:*, sqs:*",
        'policy allows s3:PutObject, s3:DeleteObject on Resource "*"',
    ]


def test_a_write_on_any_resource_under_a_condition_passes(policy_pack):
    """The condition scopes it, as a resource ARN would (aws:ResourceTag, aws:SourceVpce)."""
    checked = policy_with(
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/app": "webapp"}},
        }
    )
    assert messages(policy_pack.check(document(checked)), "aws-iam-policy-no-service-wildcards") == []


@pytest.mark.parametrize("own", ["inlinePolicies", "managedPolicyArns"])
def test_a_role_whose_own_policies_are_unknown_is_judged_at_the_next_preview(policy_pack, own):
    role = resource(ROLE_TYPE, "later", {**ROLE["inputs"], own: UNKNOWN})
    result = policy_pack.check(document(role))
    assert [v.line() for v in result.violations if v.policy.startswith("aws-iam-")] == []


@pytest.mark.parametrize("sid, named", [({}, "0"), ({"Sid": "Anyone"}, "Anyone")], ids=["position", "sid"])
def test_a_public_trust_statement_is_named_by_its_sid_or_its_position(policy_pack, sid, named):
    public = {**TRUST, "Statement": [{**sid, "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    role = resource(ROLE_TYPE, "open", {**ROLE["inputs"], "assumeRolePolicy": json.dumps(public)})
    assert messages(policy_pack.check(document(role)), "aws-iam-role-trust-not-public") == [
        f'trust statement {named} lets {{"AWS": "*"}} assume the role'
    ]


def role_with(name: str, **outputs) -> dict:
    return resource(ROLE_TYPE, name, ROLE["inputs"], outputs={**ROLE["outputs"], **outputs})


def attached(kind: str, record: str, role: dict, **inputs) -> dict:
    return resource(kind, record, {"role": f"{role['name']}-1", **inputs}, deps={"role": [role["urn"]]})


def test_each_role_that_mixes_its_own_policies_with_attachment_resources_is_named(policy_pack):
    """Roles without attachment resources (first and last) are passed over, and a role whose own
    lists are unknown is judged at the next preview; the others name what they declare themselves."""
    other = f"arn:aws:iam::{ACCOUNT}:policy/other"
    readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    own = {"name": "own", "policy": json.dumps(PERMISSIONS)}
    first, last = (
        role_with("aa-plain", managedPolicyArns=[readonly]),
        role_with("zz-plain", managedPolicyArns=[readonly]),
    )
    by_attachment = role_with("attached", managedPolicyArns=[other], inlinePolicies=[own])
    by_role_policy = role_with("inline", managedPolicyArns=[readonly, other], inlinePolicies=[{"name": "perms"}])
    unknown_managed = role_with("unknown-managed", managedPolicyArns=UNKNOWN, inlinePolicies=[own])
    unknown_inline = role_with("unknown-inline", managedPolicyArns=[], inlinePolicies=UNKNOWN)
    records = [
        first,
        by_attachment,
        attached(ATTACHMENT["type"], "attached-other", by_attachment, policyArn=other),
        by_role_policy,
        attached(ROLE_POLICY["type"], "inline-perms", by_role_policy, name="perms", policy=json.dumps(PERMISSIONS)),
        unknown_managed,
        attached(ATTACHMENT["type"], "unknown-managed-other", unknown_managed, policyArn=other),
        unknown_inline,
        attached(ROLE_POLICY["type"], "unknown-inline-perms", unknown_inline, name="perms", policy="{}"),
        last,
    ]
    result = policy_pack.check(document(*records))
    assert sorted((v.urn, v.message) for v in result.by_policy("aws-iam-role-no-mixed-policies")) == [
        (by_attachment["urn"], "declares inline policy own itself besides attachment resources"),
        (by_role_policy["urn"], f"declares {readonly}, {other} itself besides attachment resources"),
    ]


def test_roles_with_unknown_policies_are_judged_at_the_next_preview_and_the_roles_after_them_now(policy_pack):
    """A role whose attachment's policy ARN is unknown (its state still lists the policy), and one
    whose own list holds an unknown ARN, pass; a mixed role after them (by name) is still named."""
    other = f"arn:aws:iam::{ACCOUNT}:policy/other"
    unknown_attachment = role_with("unknown-attachment", managedPolicyArns=[other], inlinePolicies=[])
    unknown_own = role_with("unknown-own", managedPolicyArns=[UNKNOWN], inlinePolicies=[])
    mixed = role_with("zz-mixed", managedPolicyArns=[other], inlinePolicies=[{"name": "own"}])
    records = [
        unknown_attachment,
        attached(ATTACHMENT["type"], "unknown-attachment-arn", unknown_attachment, policyArn=UNKNOWN),
        unknown_own,
        attached(ATTACHMENT["type"], "unknown-own-other", unknown_own, policyArn=other),
        mixed,
        attached(ATTACHMENT["type"], "zz-mixed-other", mixed, policyArn=other),
    ]
    result = policy_pack.check(document(*records))
    assert [(v.urn, v.message) for v in result.by_policy("aws-iam-role-no-mixed-policies")] == [
        (mixed["urn"], "declares inline policy own itself besides attachment resources")
    ]


def test_another_roles_policies_that_take_an_input_from_a_role_are_not_its_own(policy_pack):
    """Only a `role` input makes an attachment or a role policy the role's: another role's policy
    granting iam:PassRole on it, or an attachment whose policy ARN is computed from it, leave a
    role that declares its policies itself alone."""
    passed = role_with("passed", inlinePolicies=[{"name": "own", "policy": json.dumps(PERMISSIONS)}])
    passing = role_with("passing")
    pass_role = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": passed["outputs"]["arn"]}
    records = [
        passed,
        passing,
        resource(
            ROLE_POLICY["type"],
            "passing-pass-role",
            {"role": "passing-1", "name": "pass-role", "policy": json.dumps({**PERMISSIONS, "Statement": [pass_role]})},
            deps={"role": [passing["urn"]], "policy": [passed["urn"]]},
        ),
        resource(
            ATTACHMENT["type"],
            "passing-derived",
            {"role": "passing-1", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/for-passed"},
            deps={"role": [passing["urn"]], "policyArn": [passed["urn"]]},
        ),
    ]
    assert messages(policy_pack.check(document(*records)), "aws-iam-role-no-mixed-policies") == []


def trusting(name: str, **statement) -> dict:
    trust = {**TRUST, "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", **statement}]}
    return resource(ROLE_TYPE, name, {**ROLE["inputs"], "assumeRolePolicy": json.dumps(trust)})


def test_a_service_trust_is_bound_by_the_source_account_arn_or_organization_only(policy_pack):
    services = {"Service": ["ecs-tasks.amazonaws.com", "events.amazonaws.com"]}
    by_arn = trusting("by-arn", Principal=services, Condition={"ArnLike": {"aws:SourceArn": "arn:aws:ecs:*"}})
    by_org = trusting("by-org", Principal=services, Condition={"StringEquals": {"aws:SourceOrgID": "o-a1b2c3"}})
    unbound = trusting("unbound", Principal=services, Condition={"StringEquals": {"sts:ExternalId": "webapp"}})
    public = trusting("public", Principal="*", Condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})
    result = policy_pack.check(document(by_arn, by_org, unbound, public))
    assert [(v.urn, v.message) for v in result.by_policy("aws-iam-role-trust-confused-deputy")] == [
        (
            unbound["urn"],
            "trusts ecs-tasks.amazonaws.com, events.amazonaws.com without an aws:SourceAccount or aws:SourceArn condition",
        )
    ]
