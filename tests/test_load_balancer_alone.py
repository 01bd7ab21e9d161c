"""The load balancer built alone (tests.components_support), as the composition builds it: through
the stack's provider, with prod's settings moved away from their defaults (and from AWS's), so
each value the component reads from its settings shows in what it registers. Its web service's
blue/green routing is made as the composition makes it, `blue_green` with the default priority."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.load_balancer import LoadBalancer, LoadBalancerArgs
from settings import StackSettings
from settings.stack_config import read_stack_config
from tests.components_support import CONTEXT, VPC, build, settings_with
from tests.support import EXISTING_CERTIFICATE, Synth

PUBLIC_SUBNETS = ["subnet-0c1d2e3f405162738", "subnet-0d2e3f40516273849"]
# Another policy, HSTS max-age, idle timeout, desync mode, log expiry and test port than the
# defaults; test CIDRs of both families, two of one family (a rule per CIDR, not only the first).
LOAD_BALANCER = {
    "tlsPolicy": "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "hstsMaxAgeSeconds": 63_072_000,
    "idleTimeoutSeconds": 120,
    "desyncMitigationMode": "strictest",
    "accessLogExpiryDays": 90,
    "testListenerPort": 9443,
    "testListenerCidrs": ["198.51.100.0/24", "2001:db8:1::/48", "192.0.2.16/28"],
}
# The web service's routing values away from their defaults.
WEB = {
    "name": "storefront",
    "port": 9090,
    "healthCheckPath": "/ready",
    "healthCheckMatcher": "200,204",
    "healthCheckIntervalSeconds": 20,
    "healthCheckTimeoutSeconds": 7,
    "healthyThreshold": 3,
    "unhealthyThreshold": 4,
    "deregistrationDelaySeconds": 45,
}
OVERRIDES = {
    "webapp:loadBalancer": LOAD_BALANCER,
    "webapp:services": [{**read_stack_config("prod")["webapp:services"][0], **WEB}],
}
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
RECORD = "aws:route53/record:Record"


def built_alone(overrides: dict[str, Any]) -> tuple[Synth, StackSettings]:
    """The load balancer of prod with these overrides and its web service's routing, alone; what
    it hands the services (`target`, the routing) and its URL as stack outputs."""
    settings = settings_with("prod", overrides)

    def program() -> None:
        provider = aws.Provider("aws", region=CONTEXT.region)
        load_balancer = LoadBalancer(
            "alb",
            LoadBalancerArgs(
                settings=settings.load_balancer,
                dns=settings.dns,
                context=CONTEXT,
                vpc_id=VPC,
                subnet_ids=PUBLIC_SUBNETS,
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        routing = load_balancer.blue_green(settings.web_service)
        target = load_balancer.target
        pulumi.export(
            "target",
            {
                "security_group_id": target.security_group_id,
                "production_listener_arn": target.production_listener_arn,
                "test_listener_arn": target.test_listener_arn,
                "arn_suffix": target.arn_suffix,
            },
        )
        pulumi.export(
            "routing",
            {
                "blue": routing.blue.arn,
                "green": routing.green.arn,
                "production_rule": routing.production_rule.arn,
                "test_rule": routing.test_rule.arn,
            },
        )
        pulumi.export("url", load_balancer.url)

    return build("prod", program), settings


@pytest.fixture(scope="module")
def alone() -> tuple[Synth, StackSettings]:
    return built_alone(OVERRIDES)


@pytest.fixture(scope="module")
def existing_certificate() -> Synth:
    """An existing ACM certificate and no hosted zone: the domain's DNS is managed elsewhere."""
    stack, _ = built_alone({**OVERRIDES, "webapp:dns": {"certificateArn": EXISTING_CERTIFICATE, "hostedZoneId": None}})
    return stack


def inputs(stack: Synth, type_: str, name: str) -> dict:
    return stack.one(type_, name)["inputs"]


def arn(stack: Synth, type_: str, name: str) -> str:
    return stack.one(type_, name)["outputs"]["arn"]


def test_every_resource_is_the_load_balancers_own_and_made_through_the_provider_it_is_given(alone):
    # A resource the component does not parent is not the component's in the plan and the state;
    # one made through the default provider escapes the stack's region and account guard.
    stack, _ = alone
    component = stack.one("webapp:components:LoadBalancer")["urn"]
    provider = stack.one("pulumi:providers:aws", "aws")["urn"]
    for resource in stack.resources:
        if resource["custom"] and resource["type"] != "pulumi:providers:aws":
            assert resource["parent"] == component, resource["name"]
            assert resource["provider"].startswith(f"{provider}::"), resource["name"]


def test_the_security_group_says_what_it_admits_in_the_vpc_given(alone):
    stack, _ = alone
    assert inputs(stack, "aws:ec2/securityGroup:SecurityGroup", "alb-sg") == {
        "vpcId": VPC,
        "description": "Internet-facing ALB: HTTP/HTTPS from anywhere, test listener from allowed CIDRs",
        "tags": {"Name": "alb-alb"},
    }


def test_the_internet_reaches_80_and_443_and_each_test_cidr_the_test_port_each_by_a_named_rule(alone):
    # One standalone rule per port, family and CIDR, each named for what it admits (its resource
    # name, so a CIDR keeps its rule across deploys) and described for the console.
    stack, settings = alone
    group = stack.one("aws:ec2/securityGroup:SecurityGroup", "alb-sg")["id"]

    def rule(name: str, port: int, family: str, cidr: str, description: str) -> tuple[str, dict]:
        return name, {
            "securityGroupId": group,
            "ipProtocol": "tcp",
            "fromPort": port,
            "toPort": port,
            family: cidr,
            "description": description,
            "tags": {"Name": name},
        }

    port = settings.load_balancer.test_listener_port
    assert {r["name"]: r["inputs"] for r in stack.of_type(INGRESS)} == dict(
        [
            rule("alb-in-80-ipv4", 80, "cidrIpv4", "0.0.0.0/0", "HTTP from the internet (ipv4)"),
            rule("alb-in-80-ipv6", 80, "cidrIpv6", "::/0", "HTTP from the internet (ipv6)"),
            rule("alb-in-443-ipv4", 443, "cidrIpv4", "0.0.0.0/0", "HTTPS from the internet (ipv4)"),
            rule("alb-in-443-ipv6", 443, "cidrIpv6", "::/0", "HTTPS from the internet (ipv6)"),
            rule(
                "alb-in-test-198-51-100-0-24",
                port,
                "cidrIpv4",
                "198.51.100.0/24",
                "Blue/green test listener from 198.51.100.0/24",
            ),
            rule(
                "alb-in-test-2001-db8-1---48",
                port,
                "cidrIpv6",
                "2001:db8:1::/48",
                "Blue/green test listener from 2001:db8:1::/48",
            ),
            rule(
                "alb-in-test-192-0-2-16-28",
                port,
                "cidrIpv4",
                "192.0.2.16/28",
                "Blue/green test listener from 192.0.2.16/28",
            ),
        ]
    )


def test_the_alb_is_public_hardened_and_logging_as_configured(alone):
    stack, settings = alone
    lb = settings.load_balancer
    bucket = stack.one("aws:s3/bucket:Bucket", "alb-access-logs")
    assert inputs(stack, "aws:lb/loadBalancer:LoadBalancer", "alb-lb") == {
        "loadBalancerType": "application",
        "internal": False,
        "ipAddressType": "ipv4",
        "subnets": PUBLIC_SUBNETS,
        "securityGroups": [stack.one("aws:ec2/securityGroup:SecurityGroup", "alb-sg")["id"]],
        # FSBP ELB.4 (invalid header fields dropped), ELB.12 (desync mitigation defensive or
        # strictest), ELB.6 (deletion protection), ELB.5 (access logs).
        "dropInvalidHeaderFields": True,
        "desyncMitigationMode": lb.desync_mitigation_mode,
        "enableDeletionProtection": lb.deletion_protection,
        "idleTimeout": lb.idle_timeout_seconds,
        "enableHttp2": True,
        "accessLogs": {"bucket": bucket["outputs"]["bucket"], "enabled": True},
        "tags": {"Name": "alb-alb"},
    }
    assert (lb.desync_mitigation_mode, lb.idle_timeout_seconds) == ("strictest", 120)


def test_the_alb_waits_for_the_bucket_policy_that_lets_elb_write_its_logs(alone):
    # ELB checks that it may write to the bucket when access logs are turned on and refuses the
    # attribute otherwise ("Access Denied for bucket"): the policy must exist first.
    stack, _ = alone
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer", "alb-lb")
    assert alb["options"]["dependsOn"] == [stack.one("aws:s3/bucketPolicy:BucketPolicy")["urn"]]


@pytest.mark.parametrize("name", ["alb-https", "alb-test"])
def test_an_https_listener_serves_the_configured_policy_certificate_and_hsts_and_answers_404(alone, name):
    stack, settings = alone
    lb = settings.load_balancer
    port = {"alb-https": 443, "alb-test": lb.test_listener_port}[name]
    assert inputs(stack, "aws:lb/listener:Listener", name) == {
        "loadBalancerArn": arn(stack, "aws:lb/loadBalancer:LoadBalancer", "alb-lb"),
        "port": port,
        "protocol": "HTTPS",
        "sslPolicy": lb.tls_policy,
        "certificateArn": stack.one("aws:acm/certificateValidation:CertificateValidation")["outputs"]["certificateArn"],
        "routingHttpResponseStrictTransportSecurityHeaderValue": "max-age=63072000; includeSubDomains",
        "defaultActions": [
            {
                "type": "fixed-response",
                "fixedResponse": {"contentType": "text/plain", "messageBody": "Not found", "statusCode": "404"},
            }
        ],
    }


def test_the_http_listener_of_the_alb_redirects_permanently_to_https(alone):
    stack, _ = alone
    assert inputs(stack, "aws:lb/listener:Listener", "alb-http") == {
        "loadBalancerArn": arn(stack, "aws:lb/loadBalancer:LoadBalancer", "alb-lb"),
        "port": 80,
        "protocol": "HTTP",
        "defaultActions": [
            {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
        ],
    }


def test_the_domain_is_an_alias_of_the_alb_that_follows_its_health(alone):
    stack, settings = alone
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer", "alb-lb")["outputs"]
    assert inputs(stack, RECORD, "alb-alias") == {
        "zoneId": settings.dns.hosted_zone_id,
        "name": settings.dns.domain,
        "type": "A",
        "aliases": [{"name": alb["dnsName"], "zoneId": alb["zoneId"], "evaluateTargetHealth": True}],
    }


def test_the_certificate_is_issued_for_the_domain_and_validated_by_its_cname_in_the_zone(alone):
    stack, settings = alone
    certificate = stack.one("aws:acm/certificate:Certificate", "alb-certificate")
    assert certificate["inputs"] == {
        "domainName": settings.dns.domain,
        "validationMethod": "DNS",
        "tags": {"Name": settings.dns.domain},
    }
    (option,) = certificate["outputs"]["domainValidationOptions"]
    record = stack.one(RECORD, "alb-certificate-validation-record")
    assert record["inputs"] == {
        "zoneId": settings.dns.hosted_zone_id,
        "name": option["resourceRecordName"],
        "type": option["resourceRecordType"],
        "records": [option["resourceRecordValue"]],
        "ttl": 300,
        # ACM asks for the same CNAME for a domain in every certificate of the account: a
        # replacement certificate takes the record over.
        "allowOverwrite": True,
    }
    assert inputs(stack, "aws:acm/certificateValidation:CertificateValidation", "alb-certificate-validation") == {
        "certificateArn": certificate["outputs"]["arn"],
        "validationRecordFqdns": [record["outputs"]["fqdn"]],
    }


def test_an_existing_certificate_serves_both_https_listeners_and_no_dns_record_is_made(existing_certificate):
    stack = existing_certificate
    assert [r["type"] for r in stack.resources if r["type"].startswith(("aws:acm/", "aws:route53/"))] == []
    for name in ("alb-https", "alb-test"):
        assert inputs(stack, "aws:lb/listener:Listener", name)["certificateArn"] == EXISTING_CERTIFICATE
    assert stack.one("webapp:components:LoadBalancer")["outputs"]["certificate_arn"] == EXISTING_CERTIFICATE


def test_the_access_log_bucket_is_named_for_the_alb_owner_enforced_private_and_sse_s3(alone):
    stack, _ = alone
    bucket = stack.one("aws:s3/bucket:Bucket", "alb-access-logs")
    assert bucket["inputs"] == {"tags": {"Name": "alb-access-logs"}}
    name = bucket["outputs"]["bucket"]
    assert inputs(stack, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "alb-access-logs-ownership") == {
        "bucket": name,
        "rule": {"objectOwnership": "BucketOwnerEnforced"},
    }
    assert inputs(stack, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "alb-access-logs-public-access") == {
        "bucket": name,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    encryption = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    assert inputs(stack, encryption, "alb-access-logs-encryption") == {
        "bucket": name,
        # ALB access logs support SSE-S3 only (ELB User Guide, "Access logs for your ALB").
        "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
    }


def test_access_logs_expire_after_the_configured_days_and_abandoned_uploads_after_one(alone):
    stack, settings = alone
    lifecycle = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    assert inputs(stack, lifecycle, "alb-access-logs-lifecycle") == {
        "bucket": stack.one("aws:s3/bucket:Bucket", "alb-access-logs")["outputs"]["bucket"],
        "rules": [
            {
                "id": "expire-access-logs",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "expiration": {"days": settings.load_balancer.access_log_expiry_days},
                "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
            }
        ],
    }
    assert settings.load_balancer.access_log_expiry_days == 90


def test_the_access_log_bucket_policy_is_set_once_public_access_is_blocked(alone):
    # S3 rejects a bucket policy while the bucket's public access block is being applied.
    stack, _ = alone
    policy = stack.one("aws:s3/bucketPolicy:BucketPolicy", "alb-access-logs-policy")
    block = stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert policy["options"]["dependsOn"] == [block["urn"]]
    assert policy["inputs"]["bucket"] == stack.one("aws:s3/bucket:Bucket", "alb-access-logs")["outputs"]["bucket"]


def policy_statements(stack: Synth) -> dict[str, dict]:
    """The access-log bucket policy's statements by Sid (what a reviewer and the console show)."""
    document = json.loads(inputs(stack, "aws:s3/bucketPolicy:BucketPolicy", "alb-access-logs-policy")["policy"])
    assert document["Version"] == "2012-10-17"
    return {statement.pop("Sid"): statement for statement in document["Statement"]}


def test_the_access_log_bucket_policy_denies_plain_http_on_the_bucket_and_its_objects(alone):
    # FSBP S3.5: a bucket policy requires requests to use SSL.
    stack, _ = alone
    bucket_arn = stack.one("aws:s3/bucket:Bucket", "alb-access-logs")["outputs"]["arn"]
    assert policy_statements(stack)["DenyInsecureTransport"] == {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def test_the_access_log_bucket_policy_lets_only_elb_log_delivery_write_this_accounts_logs(alone):
    # The log delivery service principal (ELB User Guide, "Enable access logs for your ALB"),
    # only under AWSLogs/<this account>/: no other account's load balancer can write here.
    stack, _ = alone
    bucket_arn = stack.one("aws:s3/bucket:Bucket", "alb-access-logs")["outputs"]["arn"]
    statements = policy_statements(stack)
    assert list(statements) == ["DenyInsecureTransport", "ElbLogDelivery"]
    assert statements["ElbLogDelivery"] == {
        "Effect": "Allow",
        "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/AWSLogs/{CONTEXT.account_id}/*",
    }


def test_blue_and_green_target_ip_tasks_on_the_service_port_with_its_health_check(alone):
    # `ip` targets: Fargate tasks in awsvpc mode register by IP. Both groups alike, so a deploy
    # that moves traffic from one to the other judges the new tasks as the old were judged.
    stack, settings = alone
    web = settings.web_service
    for colour in ("blue", "green"):
        name = f"{web.name}-{colour}"
        assert inputs(stack, TARGET_GROUP, name) == {
            "targetType": "ip",
            "protocol": "HTTP",
            "port": web.port,
            "vpcId": VPC,
            "deregistrationDelay": web.deregistration_delay_seconds,
            "healthCheck": {
                "enabled": True,
                "protocol": "HTTP",
                "port": "traffic-port",
                "path": web.health_check_path,
                "matcher": web.health_check_matcher,
                "interval": web.health_check_interval_seconds,
                "timeout": web.health_check_timeout_seconds,
                "healthyThreshold": web.healthy_threshold,
                "unhealthyThreshold": web.unhealthy_threshold,
            },
            "tags": {"Name": name},
        }
    assert (web.port, web.health_check_matcher, web.deregistration_delay_seconds) == (9090, "200,204", 45)


def test_the_production_rule_sends_the_domain_all_to_blue_and_the_test_rule_to_green(alone):
    # Both of the service's rules take the default priority, 100, on their listener: the ALB
    # evaluates rules lowest first, so lower numbers stay free for rules that must come first.
    stack, settings = alone
    web = settings.web_service
    blue, green = (arn(stack, TARGET_GROUP, f"{web.name}-{colour}") for colour in ("blue", "green"))
    conditions = [{"pathPattern": {"values": ["/*"]}}, {"hostHeader": {"values": [settings.dns.domain]}}]

    def forward(*groups: tuple[str, int]) -> list[dict]:
        return [{"type": "forward", "forward": {"targetGroups": [{"arn": a, "weight": w} for a, w in groups]}}]

    assert inputs(stack, LISTENER_RULE, f"{web.name}-production-rule") == {
        "listenerArn": arn(stack, "aws:lb/listener:Listener", "alb-https"),
        "priority": 100,
        "conditions": conditions,
        "actions": forward((blue, 100), (green, 0)),
        "tags": {"Name": f"{web.name}-production"},
    }
    assert inputs(stack, LISTENER_RULE, f"{web.name}-test-rule") == {
        "listenerArn": arn(stack, "aws:lb/listener:Listener", "alb-test"),
        "priority": 100,
        "conditions": conditions,
        "actions": forward((green, 100)),
        "tags": {"Name": f"{web.name}-test"},
    }


def test_ecs_owns_the_rules_actions_after_the_first_deploy(alone):
    # ECS rewrites both rules' forward weights on every blue/green deploy; `pulumi up` must not
    # move the traffic back.
    stack, _ = alone
    for rule in stack.of_type(LISTENER_RULE):
        assert rule["options"]["ignoreChanges"] == ["actions"], rule["name"]


def test_the_service_is_handed_its_routing_the_alb_target_and_the_public_url(alone):
    stack, settings = alone
    web = settings.web_service
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer", "alb-lb")["outputs"]
    assert stack.outputs["routing"] == {
        "blue": arn(stack, TARGET_GROUP, f"{web.name}-blue"),
        "green": arn(stack, TARGET_GROUP, f"{web.name}-green"),
        "production_rule": arn(stack, LISTENER_RULE, f"{web.name}-production-rule"),
        "test_rule": arn(stack, LISTENER_RULE, f"{web.name}-test-rule"),
    }
    assert stack.outputs["target"] == {
        "security_group_id": stack.one("aws:ec2/securityGroup:SecurityGroup", "alb-sg")["id"],
        "production_listener_arn": arn(stack, "aws:lb/listener:Listener", "alb-https"),
        "test_listener_arn": arn(stack, "aws:lb/listener:Listener", "alb-test"),
        "arn_suffix": alb["arnSuffix"],
    }
    assert stack.outputs["url"] == f"https://{settings.dns.domain}"
