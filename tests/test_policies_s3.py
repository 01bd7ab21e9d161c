"""S3 bucket policies (stack policies over the bucket and its configuration resources): the
compliant bucket, each break of a configuration resource and each one left out, which
tests/test_policies.py runs; here the messages and ALB access-log buckets (held to SSE-S3)."""

import json

from tests.policy_support import ACCOUNT, DELETE, PolicyTable, document, messages, removed, resource, variant_urn

NAME = "webapp-test-data"
ARN = f"arn:aws:s3:::{NAME}"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
BUCKET = resource("aws:s3/bucket:Bucket", "data", {"forceDestroy": False}, outputs={"bucket": NAME, "arn": ARN})


def part(type_: str, name: str, inputs: dict, bucket: dict = BUCKET, bucket_name: str = NAME) -> dict:
    return resource(
        f"aws:s3/{type_}:{type_[0].upper()}{type_[1:]}",
        name,
        {"bucket": bucket_name, **inputs},
        deps={"bucket": [bucket["urn"]]},
    )


TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyPlaintext",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [ARN, f"{ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}
SCENARIO = [
    BUCKET,
    part(
        "bucketPublicAccessBlock",
        "data-pab",
        dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True),
    ),
    part("bucketOwnershipControls", "data-ownership", {"rule": {"objectOwnership": "BucketOwnerEnforced"}}),
    part(
        "bucketServerSideEncryptionConfiguration",
        "data-sse",
        {
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY},
                    "bucketKeyEnabled": True,
                }
            ]
        },
    ),
    part("bucketPolicy", "data-policy", {"policy": json.dumps(TLS_ONLY)}),
    part(
        "bucketLifecycleConfiguration",
        "data-lifecycle",
        {
            "rules": [
                {
                    "id": "expire",
                    "status": "Enabled",
                    "expiration": {"days": 90.0},
                    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7.0},
                }
            ]
        },
    ),
    part("bucketVersioning", "data-versioning", {"versioningConfiguration": {"status": "Enabled"}}),
    part("bucketLogging", "data-logging", {"targetBucket": "webapp-test-access-logs", "targetPrefix": "data/"}),
]
SSE_RULE = ("rules", 0, "applyServerSideEncryptionByDefault")
BREAKS = {
    "public-policy-allowed": ("aws-s3-bucket-public-access-block", "data-pab", ("blockPublicPolicy",), False),
    "acls-enabled": ("aws-s3-bucket-ownership-enforced", "data-ownership", ("rule", "objectOwnership"), "ObjectWriter"),
    "sse-s3": ("aws-s3-bucket-encryption", "data-sse", SSE_RULE + ("sseAlgorithm",), "AES256"),
    "aws-managed-key": ("aws-s3-bucket-encryption", "data-sse", SSE_RULE + ("kmsMasterKeyId",), DELETE),
    "no-bucket-key": ("aws-s3-bucket-encryption", "data-sse", ("rules", 0, "bucketKeyEnabled"), False),
    "tls-optional": (
        "aws-s3-bucket-tls-only",
        "data-policy",
        ("policy", "Statement", 0, "Condition", "Bool", "aws:SecureTransport"),
        "true",
    ),
    "tls-bucket-only": ("aws-s3-bucket-tls-only", "data-policy", ("policy", "Statement", 0, "Resource"), [ARN]),
    "lifecycle-disabled": ("aws-s3-bucket-lifecycle", "data-lifecycle", ("rules", 0, "status"), "Disabled"),
    "objects-never-expire": ("aws-s3-bucket-lifecycle", "data-lifecycle", ("rules", 0, "expiration"), DELETE),
    "versioning-suspended": (
        "aws-s3-bucket-versioning",
        "data-versioning",
        ("versioningConfiguration", "status"),
        "Suspended",
    ),
    "logs-into-itself": ("aws-s3-bucket-access-logging", "data-logging", ("targetBucket",), NAME),
}
REMOVALS = {
    "no-public-access-block": ("aws-s3-bucket-public-access-block", "data-pab"),
    "no-ownership-controls": ("aws-s3-bucket-ownership-enforced", "data-ownership"),
    "default-encryption": ("aws-s3-bucket-encryption", "data-sse"),
    "no-bucket-policy": ("aws-s3-bucket-tls-only", "data-policy"),
    "no-lifecycle": ("aws-s3-bucket-lifecycle", "data-lifecycle"),
    "no-versioning": ("aws-s3-bucket-versioning", "data-versioning"),
    "no-access-logging": ("aws-s3-bucket-access-logging", "data-logging"),
}
# Every break is reported on the bucket.
TABLE = PolicyTable(*SCENARIO).edits(
    {variant: (policy, BUCKET["name"], removed(part_name)) for variant, (policy, part_name) in REMOVALS.items()}
)
for variant, (policy, part_name, path, value) in BREAKS.items():
    TABLE.breaks(part_name, {variant: (policy, path, value)}, on=BUCKET["name"])


def test_a_bucket_without_encryption_configuration_is_named_as_sse_s3(report):
    assert messages(report, "aws-s3-bucket-encryption", variant_urn(BUCKET, "default-encryption")) == [
        "default encryption is 'AES256', not aws:kms with a customer-managed key"
    ]


LOG_NAME = "webapp-test-alb-logs"
LOG_BUCKET = resource(
    "aws:s3/bucket:Bucket", "alb-logs", {}, outputs={"bucket": LOG_NAME, "arn": f"arn:aws:s3:::{LOG_NAME}"}
)
LB = resource(
    "aws:lb/loadBalancer:LoadBalancer",
    "alb",
    {"accessLogs": {"enabled": True, "bucket": LOG_NAME}},
    deps={"accessLogs": [LOG_BUCKET["urn"]]},
)


def _log_bucket_sse(algorithm: str) -> list:
    sse = part(
        "bucketServerSideEncryptionConfiguration",
        "alb-logs-sse",
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}}]},
        bucket=LOG_BUCKET,
        bucket_name=LOG_NAME,
    )
    return [LOG_BUCKET, LB, sse]


def test_an_alb_log_bucket_uses_sse_s3_and_needs_no_access_logging(policy_pack):
    result = policy_pack.check(document(*_log_bucket_sse("AES256")))
    assert messages(result, "aws-s3-bucket-encryption") == messages(result, "aws-s3-bucket-access-logging") == []


def test_an_alb_log_bucket_with_kms_is_caught_because_log_delivery_would_fail(policy_pack):
    result = policy_pack.check(document(*_log_bucket_sse("aws:kms")))
    assert messages(result, "aws-s3-bucket-encryption") == [
        "receives load balancer logs (or is exempt from KMS) but encrypts with 'aws:kms'; ELB log delivery needs AES256"
    ]


def test_the_sse_s3_exemption_follows_the_policy_config(policy_pack):
    result = policy_pack.check(
        document(*_log_bucket_sse("AES256")), {"aws-s3-bucket-encryption": {"loadBalancerLogBucketsUseSseS3": False}}
    )
    assert messages(result, "aws-s3-bucket-encryption") == [
        "default encryption is 'AES256', not aws:kms with a customer-managed key"
    ]
