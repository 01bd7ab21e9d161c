"""tools.policy_report: how a reviewer reads a check: grouped by enforcement, waivers applied only
to advisories, stale waivers shown, the waivers file validated."""

import json

import pytest

from tools.policy_report import Report, Source, UsageError, Violation, Waiver, read_waivers

URN = "urn:pulumi:prod::webapp::webapp:components:LoadBalancer$aws:s3/bucket:Bucket::{}"
REASON = "ALB log objects are written once and expire by lifecycle."


def violation(enforcement: str, policy: str, name: str, message: str = "m", **extra) -> Violation:
    return Violation(enforcement, policy, URN.format(name), message, "low", "hygiene", **extra)


def report(*violations: Violation, waivers=()) -> Report:
    result = Report(project="webapp", stack="prod", violations=list(violations))
    result.apply(waivers)
    return result


VERSIONING = Waiver("prod", "aws-s3-bucket-versioning", ("alb-access-logs",), REASON)


def test_a_violation_names_its_resource_and_type():
    found = violation("advisory", "aws-s3-bucket-versioning", "alb-access-logs")
    assert (found.name, found.type) == ("alb-access-logs", "aws:s3/bucket:Bucket")


def test_mandatory_come_first_then_new_advisories_then_waived_ones():
    waived = violation("advisory", "aws-s3-bucket-versioning", "alb-access-logs")
    new = violation("advisory", "aws-s3-bucket-lifecycle", "alb-access-logs")
    blocking = violation("mandatory", "aws-s3-bucket-encryption", "alb-access-logs")
    ordered = report(waived, new, blocking, waivers=[VERSIONING]).ordered()
    assert [v.policy for v in ordered] == [blocking.policy, new.policy, waived.policy]


def test_a_waiver_marks_only_the_advisory_of_its_policy_on_its_resources():
    checked = report(
        violation("advisory", "aws-s3-bucket-versioning", "alb-access-logs"),
        violation("advisory", "aws-s3-bucket-versioning", "uploads"),
        violation("advisory", "aws-s3-bucket-lifecycle", "alb-access-logs"),
        waivers=[VERSIONING],
    )
    assert [(v.policy, v.name, v.waived) for v in checked.violations] == [
        ("aws-s3-bucket-versioning", "alb-access-logs", REASON),
        ("aws-s3-bucket-versioning", "uploads", None),
        ("aws-s3-bucket-lifecycle", "alb-access-logs", None),
    ]


def test_a_waiver_never_touches_a_mandatory_violation_nor_the_exit_status():
    checked = report(violation("mandatory", "aws-s3-bucket-versioning", "alb-access-logs"), waivers=[VERSIONING])
    assert (checked.violations[0].waived, checked.exit_code, checked.unused_waivers) == (None, 1, [VERSIONING])


def test_the_text_groups_by_enforcement_with_counts_and_one_reason_per_resource():
    checked = report(
        violation("mandatory", "aws-s3-bucket-encryption", "alb-access-logs", "not encrypted"),
        violation("advisory", "aws-s3-bucket-versioning", "alb-access-logs", "versioning off"),
        violation("advisory", "aws-s3-bucket-versioning", "alb-access-logs", "no MFA delete"),
        waivers=[VERSIONING],
    )
    urn = URN.format("alb-access-logs")
    assert checked.text().splitlines() == [
        "Mandatory (blocks the deployment): 1",
        f"  mandatory aws-s3-bucket-encryption (hygiene, low) {urn}: not encrypted",
        "Advisory: 2 (0 new, 2 waived)",
        f"  advisory aws-s3-bucket-versioning (hygiene, low) {urn}: versioning off",
        f"  advisory aws-s3-bucket-versioning (hygiene, low) {urn}: no MFA delete",
        f"    waived: {REASON}",
        "1 mandatory, 2 advisory violations (2 waived) in 1 resources",
    ]


def test_a_waiver_that_covers_nothing_is_listed_for_removal():
    text = report(waivers=[VERSIONING]).text().splitlines()
    assert text == [
        "Waivers that matched nothing (remove them): 1",
        "  aws-s3-bucket-versioning: alb-access-logs",
        "0 mandatory, 0 advisory violations in 0 resources",
    ]


def test_json_lists_violations_in_the_text_order_with_source_and_reason():
    source = Source("components/load_balancer.py", 120)
    checked = report(
        violation("advisory", "aws-s3-bucket-versioning", "alb-access-logs", source=source),
        violation("mandatory", "aws-s3-bucket-encryption", "alb-access-logs"),
        waivers=[VERSIONING],
    )
    result = checked.as_json()
    assert [v["enforcement"] for v in result["violations"]] == ["mandatory", "advisory"]
    assert result["violations"][1]["source"] == {"file": "components/load_balancer.py", "line": 120}
    assert (result["violations"][1]["waived"], result["waived"], result["unusedWaivers"]) == (REASON, 1, [])


def test_waivers_are_read_per_policy_with_resources_and_reason(tmp_path):
    path = tmp_path / "prod.json"
    path.write_text(json.dumps({VERSIONING.policy: {"resources": ["alb-access-logs"], "reason": f" {REASON} "}}))
    assert read_waivers(path, "prod") == [VERSIONING]


def test_a_stack_without_a_waivers_file_has_no_waivers(tmp_path):
    assert read_waivers(tmp_path / "dev.json", "dev") == []


@pytest.mark.parametrize(
    "entry, problem",
    [
        ({"resources": ["alb-access-logs"]}, "reason must say why the advisory is accepted"),
        ({"resources": [], "reason": REASON}, "resources must be a non-empty list of resource names"),
        ({"resources": "alb-access-logs", "reason": REASON}, "resources must be a non-empty list"),
        ({"resources": ["alb-access-logs"], "reason": REASON, "until": "2027"}, "unknown keys until"),
        ("just because", "resources must be a non-empty list"),
    ],
    ids=["no-reason", "no-resources", "resources-not-a-list", "unknown-key", "not-an-object"],
)
def test_a_malformed_waiver_is_a_usage_error_naming_the_policy(tmp_path, entry, problem):
    path = tmp_path / "prod.json"
    path.write_text(json.dumps({"aws-s3-bucket-versioning": entry}))
    with pytest.raises(UsageError, match=f"aws-s3-bucket-versioning: {problem}"):
        read_waivers(path, "prod")


def test_a_waivers_file_that_is_not_json_is_a_usage_error(tmp_path):
    path = tmp_path / "prod.json"
    path.write_text("{")
    with pytest.raises(UsageError, match="not valid JSON"):
        read_waivers(path, "prod")
