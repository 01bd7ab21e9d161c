"""IAM policies: least-privilege roles and policies, each break (inside the JSON documents) and a
role managed both ways, which tests/test_policies.py runs; here the messages and inline policies."""

import json

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


def test_a_role_whose_inline_policies_are_unknown_is_judged_at_the_next_preview(policy_pack):
    role = resource(ROLE_TYPE, "later", {**ROLE["inputs"], "inlinePolicies": UNKNOWN})
    result = policy_pack.check(document(role))
    assert [v.line() for v in result.violations if v.policy.startswith("aws-iam-")] == []


def test_a_public_trust_statement_without_a_sid_is_named_by_its_position(policy_pack):
    public = {**TRUST, "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    role = resource(ROLE_TYPE, "open", {**ROLE["inputs"], "assumeRolePolicy": json.dumps(public)})
    assert messages(policy_pack.check(document(role)), "aws-iam-role-trust-not-public") == [
        'trust statement 0 lets {"AWS": "*"} assume the role'
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
