"""S3 buckets (the ALB access-log bucket): public access, encryption, TLS-only policy, lifecycle,
versioning and access logging. Each setting lives in its own resource that names the bucket
(`bucket` input); the deprecated inline arguments of the bucket are read too."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, stack_policy
from .documents import principal_is_public, statements
from .values import UNKNOWN, BadJson, as_list, aws_managed_key, has_unknown, json_document, lookup, matches_any, show

BUCKET = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
OWNERSHIP_CONTROLS = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
LOAD_BALANCER = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
BLOCK_SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def attached(stack, bucket, types) -> list:
    """The configuration resources of `types` for `bucket`: those whose `bucket` input came from
    it, and those naming it literally (no property dependency) by its name."""
    name = bucket.get("bucket")
    return [
        r
        for r in stack.of_type(types)
        if r.depends_on(bucket.urn, "bucket")
        or (not r.property_dependencies.get("bucket") and isinstance(name, str) and r.get("bucket") == name)
    ]


def load_balancer_log_buckets(stack) -> set:
    """URNs of the buckets load balancers write access logs to."""
    found = set()
    for lb in stack.of_type(LOAD_BALANCER):
        linked = [urn for urn in lb.property_dependencies.get("accessLogs", ()) if urn in stack.by_urn]
        target = lb.get("accessLogs.bucket")
        if linked:
            found |= set(linked)
        elif isinstance(target, str):
            found |= {b.urn for b in stack.of_type(BUCKET) if b.get("bucket") == target}
    return {urn for urn in found if stack.by_urn[urn].type in BUCKET}


def _public_access_block(stack, config):
    for bucket in stack.of_type(BUCKET):
        blocks = attached(stack, bucket, PUBLIC_ACCESS_BLOCK)
        if not blocks:
            yield bucket.urn, "no public access block names it"
        for block in blocks:
            off = [key for key in BLOCK_SETTINGS if block.flag(key, False) is False]
            if off:
                yield bucket.urn, f"its public access block leaves {', '.join(off)} off"


public_access_block = stack_policy(
    Control(
        name="aws-s3-bucket-public-access-block",
        description="Buckets block every form of public access at the bucket level.",
        category="public-exposure",
        severity=Severity.HIGH,
        fsbp="S3.8",
        checkov=("CKV2_AWS_6", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
        remediation="Create an aws.s3.BucketPublicAccessBlock for the bucket with all four settings true.",
    ),
    BUCKET + PUBLIC_ACCESS_BLOCK,
)(_public_access_block)


def _ownership_enforced(stack, config):
    for bucket in stack.of_type(BUCKET):
        controls = attached(stack, bucket, OWNERSHIP_CONTROLS)
        modes = [c.get("rule.objectOwnership") for c in controls]
        if UNKNOWN in modes:
            continue
        if "BucketOwnerEnforced" not in modes:
            yield (
                bucket.urn,
                f"object ownership is {', '.join(map(show, modes)) if modes else 'not managed'}, so ACLs stay enabled",
            )


ownership_enforced = stack_policy(
    Control(
        name="aws-s3-bucket-ownership-enforced",
        description="Buckets disable ACLs (object ownership BucketOwnerEnforced).",
        category="public-exposure",
        severity=Severity.MEDIUM,
        fsbp="S3.12",
        checkov=("CKV2_AWS_65",),
        remediation='Create an aws.s3.BucketOwnershipControls with rule={object_ownership: "BucketOwnerEnforced"}.',
    ),
    BUCKET + OWNERSHIP_CONTROLS,
)(_ownership_enforced)


def _encryption_in_effect(stack, bucket):
    """(algorithm, KMS key, bucket key enabled) in effect; SSE-S3 when nothing says otherwise
    (S3's default since January 2023); UNKNOWN when unknown."""
    for configuration in attached(stack, bucket, ENCRYPTION):
        rules = configuration.items("rules")
        if rules is UNKNOWN:
            return UNKNOWN
        for rule in rules:
            return (
                lookup(rule, "applyServerSideEncryptionByDefault.sseAlgorithm"),
                lookup(rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId"),
                lookup(rule, "bucketKeyEnabled"),
            )
    inline = bucket.get("serverSideEncryptionConfiguration.rule")
    if inline is UNKNOWN:
        return UNKNOWN
    if inline is not None:
        return (
            lookup(inline, "applyServerSideEncryptionByDefault.sseAlgorithm"),
            lookup(inline, "applyServerSideEncryptionByDefault.kmsMasterKeyId"),
            lookup(inline, "bucketKeyEnabled"),
        )
    return ("AES256", None, None)


def _encryption(stack, config):
    sse_s3 = load_balancer_log_buckets(stack) if config["loadBalancerLogBucketsUseSseS3"] else set()
    for bucket in stack.of_type(BUCKET):
        found = _encryption_in_effect(stack, bucket)
        if found is UNKNOWN or has_unknown(found):
            continue
        algorithm, key, bucket_key = found
        if bucket.urn in sse_s3 or matches_any(bucket.name, config["sseS3Buckets"]):
            if algorithm != "AES256":
                yield (
                    bucket.urn,
                    f"receives load balancer logs (or is exempt from KMS) but encrypts with {show(algorithm)}; ELB log delivery needs AES256",
                )
        elif algorithm not in ("aws:kms", "aws:kms:dsse"):
            yield bucket.urn, f"default encryption is {show(algorithm)}, not aws:kms with a customer-managed key"
        elif key is None or aws_managed_key(str(key)):
            yield bucket.urn, f"kmsMasterKeyId is {show(key)}, so objects use the AWS-managed key"
        elif bucket_key is not True:
            yield bucket.urn, "bucketKeyEnabled is not true, so every object costs a KMS request"


encryption = stack_policy(
    Control(
        name="aws-s3-bucket-encryption",
        description="Buckets encrypt with a customer-managed KMS key and bucket keys; load balancer log buckets with SSE-S3, the only kind ELB log delivery supports.",
        category="encryption",
        severity=Severity.MEDIUM,
        securityhub=("S3.17",),
        checkov=("CKV_AWS_19", "CKV_AWS_145"),
        remediation=(
            'Create an aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm "aws:kms", '
            'kms_master_key_id and bucket_key_enabled=True; for an ALB access-log bucket use "AES256".'
        ),
        config={
            "sseS3Buckets": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Resource names (glob patterns) of buckets exempt from KMS, which must then use SSE-S3.",
            },
            "loadBalancerLogBucketsUseSseS3": {
                "type": "boolean",
                "default": True,
                "description": "Treat buckets receiving ALB access logs as SSE-S3 buckets (ELB log delivery cannot use SSE-KMS).",
            },
        },
    ),
    BUCKET + ENCRYPTION + LOAD_BALANCER,
)(_encryption)


def _denies_plaintext(statement, arns) -> bool:
    if statement.get("Effect") != "Deny" or not principal_is_public(statement.get("Principal")):
        return False
    if not any(a in ("s3:*", "*") for a in as_list(statement.get("Action"))):
        return False
    secure = lookup(statement, "Condition.Bool.aws:SecureTransport")
    if str(secure).lower() != "false":
        return False
    resources = as_list(statement.get("Resource"))
    return "*" in resources or all(arn in resources for arn in arns)


def _tls_only(stack, config):
    for bucket in stack.of_type(BUCKET):
        arn = bucket.get("arn")
        name = bucket.get("bucket")
        if arn is UNKNOWN or name is UNKNOWN:
            continue
        bucket_arn = arn if isinstance(arn, str) else f"arn:aws:s3:::{name}"
        documents = [p.get("policy") for p in attached(stack, bucket, BUCKET_POLICY)] + [bucket.get("policy")]
        if UNKNOWN in documents:
            continue
        parsed = []
        for document in documents:
            try:
                parsed.append(json_document(document))
            except BadJson as error:
                yield bucket.urn, f"its bucket policy is {error}"
        if not any(_denies_plaintext(s, [bucket_arn, f"{bucket_arn}/*"]) for d in parsed if d for s in statements(d)):
            yield bucket.urn, "no bucket policy statement denies requests without aws:SecureTransport"


tls_only = stack_policy(
    Control(
        name="aws-s3-bucket-tls-only",
        description="Bucket policies deny every request not made over TLS.",
        category="encryption",
        severity=Severity.MEDIUM,
        fsbp="S3.5",
        checkov=("CKV_AWS_379",),
        remediation=(
            'Add to the bucket policy {Effect: "Deny", Principal: "*", Action: "s3:*", Resource: '
            '[<bucket arn>, "<bucket arn>/*"], Condition: {Bool: {"aws:SecureTransport": "false"}}}.'
        ),
    ),
    BUCKET + BUCKET_POLICY,
)(_tls_only)


def _lifecycle(stack, config):
    for bucket in stack.of_type(BUCKET):
        rules = [rule for c in attached(stack, bucket, LIFECYCLE) for rule in _list(c.items("rules"))]
        rules += [_inline_lifecycle(rule) for rule in _list(bucket.items("lifecycleRules"))]
        if has_unknown(rules):
            continue
        enabled = [rule for rule in rules if lookup(rule, "status") == "Enabled"]
        if not any(lookup(rule, "expiration.days") is not None for rule in enabled):
            yield bucket.urn, "no enabled lifecycle rule expires objects"
        if not any(lookup(rule, "abortIncompleteMultipartUpload.daysAfterInitiation") is not None for rule in enabled):
            yield bucket.urn, "no enabled lifecycle rule aborts incomplete multipart uploads"


lifecycle = stack_policy(
    Control(
        name="aws-s3-bucket-lifecycle",
        description="Buckets expire objects and abort incomplete multipart uploads with a lifecycle rule.",
        category="hygiene",
        severity=Severity.LOW,
        fsbp="S3.13",
        checkov=("CKV2_AWS_61", "CKV_AWS_300"),
        remediation="Create an aws.s3.BucketLifecycleConfiguration with an Enabled rule setting expiration.days and abort_incomplete_multipart_upload.",
    ),
    BUCKET + LIFECYCLE,
)(_lifecycle)


def _list(value) -> list:
    return [UNKNOWN] if value is UNKNOWN else value


def _inline_lifecycle(rule):
    """A deprecated inline lifecycle rule in the shape of BucketLifecycleConfiguration's."""
    if not isinstance(rule, dict):
        return rule
    return {
        "status": "Enabled" if rule.get("enabled") is True else rule.get("enabled"),
        "expiration": {"days": lookup(rule, "expiration.days")},
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": rule.get("abortIncompleteMultipartUploadDays")},
    }


def _versioning(stack, config):
    for bucket in stack.of_type(BUCKET):
        if matches_any(bucket.name, config["exemptBuckets"]):
            continue
        states = [v.get("versioningConfiguration.status") for v in attached(stack, bucket, VERSIONING)]
        inline = bucket.get("versioning.enabled")
        if UNKNOWN in states or inline is UNKNOWN:
            continue
        if "Enabled" not in states and inline is not True:
            yield bucket.urn, f"versioning is {', '.join(map(show, states)) if states else 'not enabled'}"


versioning = stack_policy(
    Control(
        name="aws-s3-bucket-versioning",
        description="Buckets keep object versions.",
        category="hygiene",
        severity=Severity.LOW,
        securityhub=("S3.14",),
        checkov=("CKV_AWS_21",),
        remediation='Create an aws.s3.BucketVersioning with versioning_configuration={status: "Enabled"} (and a lifecycle rule expiring noncurrent versions).',
        config={
            "exemptBuckets": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Resource names (glob patterns) of buckets that need no versioning.",
            }
        },
    ),
    BUCKET + VERSIONING,
)(_versioning)


def _access_logging(stack, config):
    exempt = load_balancer_log_buckets(stack) if config["exemptLoadBalancerLogBuckets"] else set()
    for bucket in stack.of_type(BUCKET):
        if bucket.urn in exempt or matches_any(bucket.name, config["exemptBuckets"]):
            continue
        name = bucket.get("bucket")
        targets = [c.get("targetBucket") for c in attached(stack, bucket, LOGGING)] + [
            bucket.get("logging.targetBucket")
        ]
        if UNKNOWN in targets:
            continue
        targets = [t for t in targets if t is not None]
        if not targets:
            yield bucket.urn, "no access logging is configured"
        elif all(t == name for t in targets):
            # A name not known yet (a preview) is no known target's.
            yield bucket.urn, "logs its access into itself"


access_logging = stack_policy(
    Control(
        name="aws-s3-bucket-access-logging",
        description="Buckets log requests to another bucket (server access logging).",
        category="logging",
        severity=Severity.MEDIUM,
        fsbp="S3.9",
        checkov=("CKV_AWS_18",),
        remediation="Create an aws.s3.BucketLogging with target_bucket set to a separate log bucket.",
        config={
            "exemptBuckets": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Resource names (glob patterns) of terminal log buckets that need no access logging.",
            },
            "exemptLoadBalancerLogBuckets": {
                "type": "boolean",
                "default": True,
                "description": "Treat buckets receiving ALB access logs as terminal log buckets.",
            },
        },
    ),
    BUCKET + LOGGING + LOAD_BALANCER,
)(_access_logging)


# The pack serves exactly these, in this order.
POLICIES = [
    public_access_block,
    ownership_enforced,
    encryption,
    tls_only,
    lifecycle,
    versioning,
    access_logging,
]
