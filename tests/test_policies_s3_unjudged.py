"""S3 bucket policies: what they leave unjudged (a value a preview does not know yet, a bucket
the policy config exempts), and that only that is left: the bucket after it is still checked,
and a value a finding does not need does not hold it back."""

import pytest

from tests.policy_support import UNKNOWN, document, messages, resource
from tests.test_policies_s3 import ARN, BUCKET, INLINE, NAME, inline_bucket, part, s3_problems, tls_problems


def test_an_inline_lifecycle_rule_not_known_to_be_enabled_yet_is_not_judged(policy_pack):
    rules = [{**INLINE["lifecycleRules"][0], "enabled": UNKNOWN}]
    assert s3_problems(policy_pack.check(document(*inline_bucket(lifecycleRules=rules)))) == {}


def test_a_bucket_whose_arn_is_not_known_yet_is_not_judged_tls_only(policy_pack):
    assert tls_problems(policy_pack, {"bucket": NAME, "arn": UNKNOWN}, ARN) == []


def test_a_bucket_whose_name_is_not_known_yet_is_still_caught_without_access_logging(policy_pack):
    bucket = resource(BUCKET["type"], "data", BUCKET["inputs"], outputs={"bucket": UNKNOWN, "arn": UNKNOWN})
    assert messages(policy_pack.check(document(bucket)), "aws-s3-bucket-access-logging") == [
        "no access logging is configured"
    ]


ARCHIVE_NAME = "webapp-test-archive"
# Checked before the data bucket (its URN sorts first, and neither depends on anything).
ARCHIVE = resource(
    "aws:s3/bucket:Bucket", "archive", {}, outputs={"bucket": ARCHIVE_NAME, "arn": f"arn:aws:s3:::{ARCHIVE_NAME}"}
)


def _archive_part(type_: str, inputs: dict) -> list:
    return [ARCHIVE, part(type_, f"archive-{type_}", inputs, bucket=ARCHIVE, bucket_name=ARCHIVE_NAME)]


# The archive bucket each policy leaves unjudged: what it reads is not known yet (a preview), or
# the policy's config exempts the bucket.
SKIPPED_FIRST = {
    "ownership-unknown": (
        "aws-s3-bucket-ownership-enforced",
        _archive_part("bucketOwnershipControls", {"rule": {"objectOwnership": UNKNOWN}}),
        None,
    ),
    "encryption-unknown": (
        "aws-s3-bucket-encryption",
        _archive_part("bucketServerSideEncryptionConfiguration", {"rules": UNKNOWN}),
        None,
    ),
    "arn-unknown": ("aws-s3-bucket-tls-only", [{**ARCHIVE, "outputs": {**ARCHIVE["outputs"], "arn": UNKNOWN}}], None),
    "policy-unknown": ("aws-s3-bucket-tls-only", _archive_part("bucketPolicy", {"policy": UNKNOWN}), None),
    "lifecycle-unknown": (
        "aws-s3-bucket-lifecycle",
        _archive_part("bucketLifecycleConfiguration", {"rules": UNKNOWN}),
        None,
    ),
    "versioning-unknown": (
        "aws-s3-bucket-versioning",
        _archive_part("bucketVersioning", {"versioningConfiguration": {"status": UNKNOWN}}),
        None,
    ),
    "versioning-exempt": ("aws-s3-bucket-versioning", [ARCHIVE], {"exemptBuckets": ["archive"]}),
    "logging-unknown": (
        "aws-s3-bucket-access-logging",
        _archive_part("bucketLogging", {"targetBucket": UNKNOWN}),
        None,
    ),
    "logging-exempt": ("aws-s3-bucket-access-logging", [ARCHIVE], {"exemptBuckets": ["archive"]}),
}


@pytest.mark.parametrize("variant", SKIPPED_FIRST)
def test_a_bucket_left_unjudged_does_not_end_the_check_of_the_next(policy_pack, variant):
    policy, archive, config = SKIPPED_FIRST[variant]
    result = policy_pack.check(document(*archive, BUCKET), {policy: config} if config else None)
    assert {v.urn for v in result.by_policy(policy)} == {BUCKET["urn"]}
