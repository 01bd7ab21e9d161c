"""S3 bucket policies (stack policies over the bucket and its configuration resources): the
compliant bucket, each break of a configuration resource and each one left out, which
tests/test_policies.py runs; here the messages and ALB access-log buckets (held to SSE-S3)."""

import json

from tests.policy_support import (
    ACCOUNT,
    DELETE,
    UNKNOWN,
    PolicyTable,
    document,
    messages,
    removed,
    resource,
    variant_urn,
)

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
TLS_STATEMENT = ("policy", "Statement", 0)
BREAKS = {
    "public-policy-allowed": ("aws-s3-bucket-public-access-block", "data-pab", ("blockPublicPolicy",), False),
    # The provider's default for each of the four block settings is false.
    "block-setting-unset": ("aws-s3-bucket-public-access-block", "data-pab", ("ignorePublicAcls",), DELETE),
    "acls-enabled": ("aws-s3-bucket-ownership-enforced", "data-ownership", ("rule", "objectOwnership"), "ObjectWriter"),
    "sse-s3": ("aws-s3-bucket-encryption", "data-sse", SSE_RULE + ("sseAlgorithm",), "AES256"),
    "aws-managed-key": ("aws-s3-bucket-encryption", "data-sse", SSE_RULE + ("kmsMasterKeyId",), DELETE),
    "aws-s3-alias": ("aws-s3-bucket-encryption", "data-sse", SSE_RULE + ("kmsMasterKeyId",), "alias/aws/s3"),
    "no-bucket-key": ("aws-s3-bucket-encryption", "data-sse", ("rules", 0, "bucketKeyEnabled"), False),
    "tls-optional": (
        "aws-s3-bucket-tls-only",
        "data-policy",
        ("policy", "Statement", 0, "Condition", "Bool", "aws:SecureTransport"),
        "true",
    ),
    "tls-bucket-only": ("aws-s3-bucket-tls-only", "data-policy", ("policy", "Statement", 0, "Resource"), [ARN]),
    "tls-allow": ("aws-s3-bucket-tls-only", "data-policy", TLS_STATEMENT + ("Effect",), "Allow"),
    "tls-one-action": ("aws-s3-bucket-tls-only", "data-policy", TLS_STATEMENT + ("Action",), "s3:GetObject"),
    "tls-any-action": (None, "data-policy", TLS_STATEMENT + ("Action",), "*"),
    "tls-any-resource": (None, "data-policy", TLS_STATEMENT + ("Resource",), "*"),
    "dual-layer-kms": (None, "data-sse", SSE_RULE + ("sseAlgorithm",), "aws:kms:dsse"),
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


def test_each_break_tells_the_reviewer_what_is_wrong(report):
    """The PR report shows these lines under the bucket: each names the setting and what it holds."""
    said = {
        variant: [m for p in TABLE.policies for m in messages(report, p, case.on)]
        for variant, case in TABLE.cases.items()
    }
    no_tls = "no bucket policy statement denies requests without aws:SecureTransport"
    no_expiry = "no enabled lifecycle rule expires objects"
    no_abort = "no enabled lifecycle rule aborts incomplete multipart uploads"
    sse_s3 = "default encryption is 'AES256', not aws:kms with a customer-managed key"
    assert said == {
        "no-public-access-block": ["no public access block names it"],
        "no-ownership-controls": ["object ownership is not managed, so ACLs stay enabled"],
        "default-encryption": [sse_s3],
        "no-bucket-policy": [no_tls],
        "no-lifecycle": [no_expiry, no_abort],
        "no-versioning": ["versioning is not enabled"],
        "no-access-logging": ["no access logging is configured"],
        "public-policy-allowed": ["its public access block leaves blockPublicPolicy off"],
        "block-setting-unset": ["its public access block leaves ignorePublicAcls off"],
        "acls-enabled": ["object ownership is 'ObjectWriter', so ACLs stay enabled"],
        "sse-s3": [sse_s3],
        "aws-managed-key": ["kmsMasterKeyId is not set, so objects use the AWS-managed key"],
        "aws-s3-alias": ["kmsMasterKeyId is 'alias/aws/s3', so objects use the AWS-managed key"],
        "no-bucket-key": ["bucketKeyEnabled is not true, so every object costs a KMS request"],
        "tls-optional": [no_tls],
        "tls-bucket-only": [no_tls],
        "tls-allow": [no_tls],
        "tls-one-action": [no_tls],
        "tls-any-action": [],
        "tls-any-resource": [],
        "dual-layer-kms": [],
        "lifecycle-disabled": [no_expiry, no_abort],
        "objects-never-expire": [no_expiry],
        "versioning-suspended": ["versioning is 'Suspended'"],
        "logs-into-itself": ["logs its access into itself"],
    }


def s3_problems(result) -> dict:
    return {v.message: v.urn for p in TABLE.policies for v in result.by_policy(p)}


INLINE = {
    "serverSideEncryptionConfiguration": {"rule": SCENARIO[3]["inputs"]["rules"][0]},
    "lifecycleRules": [{"enabled": True, "expiration": {"days": 90.0}, "abortIncompleteMultipartUploadDays": 7.0}],
    "policy": json.dumps(TLS_ONLY),
    "versioning": {"enabled": True},
    "logging": {"targetBucket": "webapp-test-access-logs", "targetPrefix": "data/"},
}


def inline_bucket(**changes) -> list:
    """The compliant bucket set up by the bucket's own (deprecated) arguments instead of
    configuration resources; public access block and ownership controls have no inline form."""
    inline = {**INLINE, **changes}
    bucket = resource(
        BUCKET["type"], "data", {**BUCKET["inputs"], **inline}, outputs={**inline, "bucket": NAME, "arn": ARN}
    )
    return [bucket, *SCENARIO[1:3]]


def test_a_bucket_set_up_by_its_inline_arguments_passes(policy_pack):
    assert s3_problems(policy_pack.check(document(*inline_bucket()))) == {}


def test_a_disabled_inline_lifecycle_rule_does_not_count(policy_pack):
    rules = [{**INLINE["lifecycleRules"][0], "enabled": False}]
    result = policy_pack.check(document(*inline_bucket(lifecycleRules=rules)))
    assert s3_problems(result) == {
        "no enabled lifecycle rule expires objects": BUCKET["urn"],
        "no enabled lifecycle rule aborts incomplete multipart uploads": BUCKET["urn"],
    }


def test_a_problem_line_lists_every_value_found(policy_pack):
    two_off = dict.fromkeys(("blockPublicAcls", "ignorePublicAcls"), True)
    ownership = [
        part("bucketOwnershipControls", f"data-ownership{n}", {"rule": {"objectOwnership": mode}})
        for n, mode in (("", "ObjectWriter"), ("-2", "BucketOwnerPreferred"))
    ]
    versioning = [
        part("bucketVersioning", f"data-versioning{n}", {"versioningConfiguration": {"status": status}})
        for n, status in (("", "Suspended"), ("-2", "Disabled"))
    ]
    result = policy_pack.check(
        document(BUCKET, part("bucketPublicAccessBlock", "data-pab", two_off), *ownership, *versioning)
    )
    assert [
        *messages(result, "aws-s3-bucket-public-access-block"),
        *messages(result, "aws-s3-bucket-ownership-enforced"),
        *messages(result, "aws-s3-bucket-versioning"),
    ] == [
        "its public access block leaves blockPublicPolicy, restrictPublicBuckets off",
        "object ownership is 'ObjectWriter', 'BucketOwnerPreferred', so ACLs stay enabled",
        "versioning is 'Suspended', 'Disabled'",
    ]


def tls_problems(policy_pack, bucket_outputs: dict, arn: str) -> list[str]:
    """The TLS-only problems of the data bucket reporting `bucket_outputs`, whose policy denies
    plaintext on `arn` and its objects."""
    bucket = resource(BUCKET["type"], "data", BUCKET["inputs"], outputs=bucket_outputs)
    statement = {**TLS_ONLY["Statement"][0], "Resource": [arn, f"{arn}/*"]}
    policy = part("bucketPolicy", "data-policy", {"policy": json.dumps({**TLS_ONLY, "Statement": [statement]})})
    return messages(policy_pack.check(document(bucket, policy)), "aws-s3-bucket-tls-only")


def test_the_tls_statement_must_name_the_arn_the_bucket_reports(policy_pack):
    # GovCloud (and China) bucket ARNs have another partition than arn:aws.
    gov_arn = f"arn:aws-us-gov:s3:::{NAME}"
    assert tls_problems(policy_pack, {"bucket": NAME, "arn": gov_arn}, gov_arn) == []
    assert tls_problems(policy_pack, {"bucket": NAME, "arn": gov_arn}, ARN) == [
        "no bucket policy statement denies requests without aws:SecureTransport"
    ]


def test_a_bucket_reporting_no_arn_is_named_by_the_arn_its_name_makes(policy_pack):
    assert tls_problems(policy_pack, {"bucket": NAME}, ARN) == []


def test_configuration_resources_naming_the_bucket_literally_count(policy_pack):
    # A resource given the bucket's name as a string has no dependency on the bucket resource.
    literal = [BUCKET] + [{**part, "propertyDependencies": {}, "dependencies": []} for part in SCENARIO[1:]]
    assert s3_problems(policy_pack.check(document(*literal))) == {}


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


def test_an_alb_log_bucket_needs_access_logging_when_the_policy_config_says_so(policy_pack):
    config = {"aws-s3-bucket-access-logging": {"exemptLoadBalancerLogBuckets": False}}
    result = policy_pack.check(document(*_log_bucket_sse("AES256")), config)
    assert messages(result, "aws-s3-bucket-access-logging") == ["no access logging is configured"]


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


def test_every_load_balancer_log_bucket_is_held_to_sse_s3_and_only_those(policy_pack):
    """One load balancer names its log bucket literally (no dependency), others through a
    dependency, one while the bucket's name is unknown (a preview): both buckets are held to
    SSE-S3 and the data bucket still to KMS."""
    named = resource(
        "aws:lb/loadBalancer:LoadBalancer", "alb-named", {"accessLogs": {"enabled": True, "bucket": LOG_NAME}}
    )
    other_name = "webapp-test-nlb-logs"
    other = resource(
        "aws:s3/bucket:Bucket", "nlb-logs", {}, outputs={"bucket": other_name, "arn": f"arn:aws:s3:::{other_name}"}
    )
    linked = resource(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb-linked",
        {"accessLogs": {"enabled": True, "bucket": UNKNOWN}},
        deps={"accessLogs": [other["urn"]]},
    )
    kms_logs = [
        part(
            "bucketServerSideEncryptionConfiguration",
            f"{bucket['name']}-sse",
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}}]},
            bucket=bucket,
            bucket_name=bucket["outputs"]["bucket"],
        )
        for bucket in (LOG_BUCKET, other)
    ]
    result = policy_pack.check(document(*SCENARIO, LOG_BUCKET, other, linked, named, LB, *kms_logs))
    assert {v.urn: v.message for v in result.by_policy("aws-s3-bucket-encryption")} == {
        bucket["urn"]: "receives load balancer logs (or is exempt from KMS) but encrypts with 'aws:kms'; "
        "ELB log delivery needs AES256"
        for bucket in (LOG_BUCKET, other)
    }


def test_a_bucket_exempt_from_kms_by_the_policy_config_uses_sse_s3(policy_pack):
    config = {"aws-s3-bucket-encryption": {"sseS3Buckets": ["da*"]}}
    assert messages(policy_pack.check(document(*SCENARIO), config), "aws-s3-bucket-encryption") == [
        "receives load balancer logs (or is exempt from KMS) but encrypts with 'aws:kms'; ELB log delivery needs AES256"
    ]


def test_a_load_balancer_naming_its_log_bucket_after_another_holds_both_to_sse_s3(policy_pack):
    """ELB checks that the bucket policy lets it write when access logs are enabled, so a load
    balancer naming its log bucket literally waits for that policy (depends_on) and is checked
    after one whose accessLogs input came from its bucket: both log buckets are held to SSE-S3
    and need no access logging of their own."""
    other_name = "webapp-test-nlb-logs"
    other = resource(
        "aws:s3/bucket:Bucket", "nlb-logs", {}, outputs={"bucket": other_name, "arn": f"arn:aws:s3:::{other_name}"}
    )
    sse = [
        part(
            "bucketServerSideEncryptionConfiguration",
            f"{bucket['name']}-sse",
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
            bucket=bucket,
            bucket_name=bucket["outputs"]["bucket"],
        )
        for bucket in (LOG_BUCKET, other)
    ]
    linked = resource(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb-linked",
        {"accessLogs": {"enabled": True, "bucket": other_name}},
        deps={"accessLogs": [other["urn"]]},
    )
    delivery = part("bucketPolicy", "alb-logs-policy", {"policy": json.dumps(TLS_ONLY)}, LOG_BUCKET, LOG_NAME)
    named = resource(
        "aws:lb/loadBalancer:LoadBalancer", "alb-named", {"accessLogs": {"enabled": True, "bucket": LOG_NAME}}
    )
    named = {
        **named,
        "options": {**named["options"], "dependsOn": [delivery["urn"]]},
        "dependencies": [delivery["urn"]],
    }
    result = policy_pack.check(document(LOG_BUCKET, other, *sse, linked, delivery, named))
    assert messages(result, "aws-s3-bucket-encryption") == messages(result, "aws-s3-bucket-access-logging") == []


def test_a_bucket_receiving_access_logs_is_not_configured_by_the_logging_into_it(policy_pack):
    """The data bucket's BucketLogging names the log bucket (its targetBucket input came from
    it): that is the data bucket's logging, not the log bucket's."""
    log_name = "webapp-test-access-logs"
    logs = resource(
        "aws:s3/bucket:Bucket", "access-logs", {}, outputs={"bucket": log_name, "arn": f"arn:aws:s3:::{log_name}"}
    )
    logging = resource(
        SCENARIO[-1]["type"],
        "data-logging",
        {"bucket": NAME, "targetBucket": log_name, "targetPrefix": "data/"},
        deps={"bucket": [BUCKET["urn"]], "targetBucket": [logs["urn"]]},
    )
    result = policy_pack.check(document(*SCENARIO[:-1], logging, logs))
    assert {v.urn: v.message for v in result.by_policy("aws-s3-bucket-access-logging")} == {
        logs["urn"]: "no access logging is configured"
    }
