"""The load balancer: internet exposure, listeners, TLS and certificate, hardening, access logs, DNS."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from components.load_balancer import validation_record_value
from settings.edge import TLS13_POLICIES
from tests.service_path import (
    EGRESS,
    INGRESS,
    SECURITY_GROUP,
    WORLD,
    alb_group,
    child_of,
    depends_on_urn,
    listener,
    peer,
    ports,
    service_group,
)
from tests.support import EXISTING_CERTIFICATE, TEST_CIDRS, Synth

LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
BUCKET = "aws:s3/bucket:Bucket"
RECORD = "aws:route53/record:Record"


@pytest.fixture(scope="module")
def custom(optional_prod: Synth) -> Synth:
    """Prod with an existing certificate, another TLS 1.3 policy and an open test listener."""
    return optional_prod


def alb(stack: Synth) -> dict:
    return stack.one(LOAD_BALANCER)


def bucket_config(stack: Synth, type_: str) -> dict:
    """The one configuration resource of `type_` attached to the access-log bucket."""
    bucket = child_of(stack, "alb", BUCKET)
    (config,) = [r for r in stack.of_type(type_) if depends_on_urn(r, "bucket", bucket["urn"])]
    return config


def world_rules(stack: Synth) -> list[dict]:
    """Every ingress rule of any security group (standalone or inline) open to the internet."""
    standalone = [r for r in stack.of_type(INGRESS) if peer(stack, r) in WORLD]
    inline = [
        group
        for group in stack.of_type(SECURITY_GROUP)
        for rule in group["inputs"].get("ingress", [])
        if set(rule.get("cidrBlocks", []) + rule.get("ipv6CidrBlocks", [])) & set(WORLD)
    ]
    return standalone + inline


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_only_the_alb_is_reachable_from_the_internet_and_only_on_80_and_443(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    rules = world_rules(stack)
    assert rules
    assert all(depends_on_urn(r, "securityGroupId", alb_group(stack)["urn"]) for r in rules)
    assert {(ports(r), peer(stack, r)) for r in rules} == {
        (("tcp", port, port), cidr) for port in (80.0, 443.0) for cidr in WORLD
    }


def test_alb_sends_only_to_the_web_tasks_on_the_container_port(prod):
    (egress,) = prod.rules_of(EGRESS, alb_group(prod))
    assert peer(prod, egress) == service_group(prod, "web")["name"]
    assert ports(egress) == ("tcp", 8080.0, 8080.0)


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_every_security_group_and_rule_has_a_description(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    for resource in stack.of_type(SECURITY_GROUP) + stack.of_type(INGRESS) + stack.of_type(EGRESS):
        assert resource["inputs"].get("description"), resource["name"]


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_no_security_group_mixes_inline_and_standalone_rules(request, stack_name):
    """The ALB's rules are standalone (the service adds its egress), as are the services'."""
    stack = request.getfixturevalue(stack_name)
    targeted = {
        urn
        for rule in stack.of_type(INGRESS) + stack.of_type(EGRESS)
        for urn in rule["propertyDependencies"]["securityGroupId"]
    }
    assert alb_group(stack)["urn"] in targeted
    for group in stack.of_type(SECURITY_GROUP):
        if group["urn"] in targeted:
            assert not group["inputs"].get("ingress") and not group["inputs"].get("egress"), group["name"]


def test_http_listener_only_redirects_to_https(prod):
    http = listener(prod, "alb-http")
    assert (http["inputs"]["port"], http["inputs"]["protocol"]) == (80.0, "HTTP")
    (action,) = http["inputs"]["defaultActions"]
    assert action["type"] == "redirect"
    assert action["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}


def test_https_listener_serves_tls13_with_the_dns_validated_certificate(prod):
    https = listener(prod, "alb-https")
    assert (https["inputs"]["port"], https["inputs"]["protocol"]) == (443.0, "HTTPS")
    # -Res-: no CBC suites, unlike ELBSecurityPolicy-TLS13-1-2-2021-06.
    assert https["inputs"]["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    (source,) = prod.depends_on(https, "certificateArn")
    assert source["type"] == "aws:acm/certificateValidation:CertificateValidation"


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
@pytest.mark.parametrize("name", ["alb-https", "alb-test"])
def test_https_listeners_send_hsts_for_a_year_with_subdomains(request, stack_name, name):
    value = listener(request.getfixturevalue(stack_name), name)["inputs"][
        "routingHttpResponseStrictTransportSecurityHeaderValue"
    ]
    directives = [d.strip() for d in value.split(";")]
    max_age = next(int(d.removeprefix("max-age=")) for d in directives if d.startswith("max-age="))
    assert max_age >= 31_536_000
    assert "includeSubDomains" in directives


def test_listeners_without_a_matching_rule_answer_404(prod):
    for name in ("alb-https", "alb-test"):
        (action,) = listener(prod, name)["inputs"]["defaultActions"]
        assert (action["type"], action["fixedResponse"]["statusCode"]) == ("fixed-response", "404")


def test_tls_policy_comes_from_the_config(custom):
    policies = {listener(custom, name)["inputs"]["sslPolicy"] for name in ("alb-https", "alb-test")}
    assert policies == {"ELBSecurityPolicy-TLS13-1-3-2021-06"}
    assert policies <= set(TLS13_POLICIES)


def test_certificate_is_validated_by_dns_in_the_hosted_zone(prod):
    certificate = prod.one("aws:acm/certificate:Certificate")
    assert certificate["inputs"]["domainName"] == "app.example.com"
    assert certificate["inputs"]["validationMethod"] == "DNS"
    record = prod.one(RECORD, "alb-certificate-validation-record")
    assert record["inputs"]["zoneId"] == "Z0123456789ABCDEFGHIJ"
    assert record["inputs"]["type"] == "CNAME"
    option = certificate["outputs"]["domainValidationOptions"][0]
    assert record["inputs"]["name"] == option["resourceRecordName"]
    validation = prod.one("aws:acm/certificateValidation:CertificateValidation")
    assert prod.depends_on(validation, "validationRecordFqdns") == [record]


def test_an_existing_certificate_arn_is_used_as_is(custom):
    assert custom.of_type("aws:acm/certificate:Certificate") == []
    assert {listener(custom, n)["inputs"]["certificateArn"] for n in ("alb-https", "alb-test")} == {
        EXISTING_CERTIFICATE
    }
    assert custom.outputs["certificateArn"] == EXISTING_CERTIFICATE


def configured_test_rules(stack) -> list[dict]:
    """Test-listener ingress from `testListenerCidrs` (the smoke-test hook's NAT rules are its own,
    tests/test_smoke_test.py)."""
    rules = [r for r in stack.rules_of(INGRESS, alb_group(stack)) if ports(r)[1] == 8443.0]
    return [r for r in rules if not r["name"].startswith("smoke-test-")]


def test_test_listener_is_closed_by_default(prod):
    test = listener(prod, "alb-test")
    assert (test["inputs"]["port"], test["inputs"]["protocol"]) == (8443.0, "HTTPS")
    assert configured_test_rules(prod) == []


def test_test_listener_admits_only_the_configured_cidrs(custom):
    rules = configured_test_rules(custom)
    assert sorted(peer(custom, r) for r in rules) == sorted(TEST_CIDRS)
    assert all(ports(r) == ("tcp", 8443.0, 8443.0) for r in rules)


@pytest.mark.parametrize("stack_name", ["prod", "staging"])
def test_alb_is_internet_facing_in_the_public_subnet_of_every_az(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    inputs = alb(stack)["inputs"]
    assert (inputs["loadBalancerType"], inputs["internal"]) == ("application", False)
    subnets = stack.depends_on(alb(stack), "subnets")
    assert {s["inputs"]["tags"]["tier"] for s in subnets} == {"public"}
    assert (
        len({s["inputs"]["availabilityZone"] for s in subnets}) == len(subnets) == len(stack.outputs["publicSubnetIds"])
    )


def test_alb_drops_invalid_headers_and_mitigates_desync(prod):
    inputs = alb(prod)["inputs"]
    assert inputs["dropInvalidHeaderFields"] is True
    assert inputs["desyncMitigationMode"] in ("defensive", "strictest")
    assert inputs["idleTimeout"] == 60.0


@pytest.mark.parametrize("stack_name, protected", [("prod", True), ("staging", False)])
def test_deletion_protection_per_profile(request, stack_name, protected):
    assert alb(request.getfixturevalue(stack_name))["inputs"]["enableDeletionProtection"] is protected


def test_access_logs_go_to_the_dedicated_bucket(prod):
    access_logs = alb(prod)["inputs"]["accessLogs"]
    bucket = child_of(prod, "alb", BUCKET)
    assert access_logs["enabled"] is True
    assert access_logs["bucket"] == bucket["outputs"]["bucket"]
    policy = bucket_config(prod, "aws:s3/bucketPolicy:BucketPolicy")
    assert policy["urn"] in alb(prod)["options"]["dependsOn"]


def test_access_log_bucket_uses_sse_s3(prod):
    (rule,) = bucket_config(
        prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


def test_access_log_bucket_blocks_public_access_and_disables_acls(prod):
    block = bucket_config(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block[flag] is True for flag in flags)
    ownership = bucket_config(prod, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")["inputs"]
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"


@pytest.mark.parametrize("stack_name, days", [("prod", 365.0), ("staging", 30.0)])
def test_access_logs_expire_per_profile(request, stack_name, days):
    stack = request.getfixturevalue(stack_name)
    (rule,) = bucket_config(stack, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["inputs"][
        "rules"
    ]
    assert (rule["status"], rule["expiration"]["days"], rule["filter"]) == ("Enabled", days, {"prefix": ""})
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] >= 1


def test_domain_is_an_alias_of_the_alb(prod):
    record = prod.one(RECORD, "alb-alias")
    assert (record["inputs"]["name"], record["inputs"]["type"]) == ("app.example.com", "A")
    (alias,) = record["inputs"]["aliases"]
    assert (alias["name"], alias["zoneId"]) == (alb(prod)["outputs"]["dnsName"], alb(prod)["outputs"]["zoneId"])


def test_stack_exports_the_public_url_and_alb_identity(prod):
    outputs = prod.outputs
    assert outputs["url"] == "https://app.example.com"
    assert (outputs["albArn"], outputs["albArnSuffix"], outputs["albDnsName"]) == (
        alb(prod)["outputs"]["arn"],
        alb(prod)["outputs"]["arnSuffix"],
        alb(prod)["outputs"]["dnsName"],
    )
    assert outputs["httpsListenerArn"] == listener(prod, "alb-https")["outputs"]["arn"]
    assert outputs["testListenerArn"] == listener(prod, "alb-test")["outputs"]["arn"]


def test_a_certificate_without_a_validation_record_fails_the_update_naming_it():
    option = aws.acm.outputs.CertificateDomainValidationOption(
        domain_name="app.example.com", resource_record_name="_x1.app.example.com.", resource_record_type="CNAME"
    )
    with pytest.raises(ValueError, match="^the provider returned no certificate validation record value$"):
        validation_record_value(option)
