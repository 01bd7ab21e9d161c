"""Load balancer, listener and target group policies: the compliant ALB setup, each broken
property and an ALB without WAF, which tests/test_policies.py runs; here the messages, `aws:alb`
aliases, network load balancers, TLS listeners, Lambda and HTTPS target groups and the policy
config."""

from tests.policy_support import ACCOUNT, DELETE, PolicyTable, document, messages, removed, resource, variant_urn

LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/2f1e0d9c-8b7a-4c6d-9e5f-0a1b2c3d4e5f"
LB = resource(
    LOAD_BALANCER,
    "alb",
    {
        "loadBalancerType": "application",
        "internal": False,
        "subnets": ["subnet-0a", "subnet-0b", "subnet-0c"],
        "securityGroups": ["sg-0alb"],
        "accessLogs": {"enabled": True, "bucket": "webapp-test-alb-logs", "prefix": "alb"},
        "dropInvalidHeaderFields": True,
        "enableDeletionProtection": True,
        "desyncMitigationMode": "defensive",
    },
    outputs={"arn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/alb/0123456789abcdef"},
)
WAF = resource(
    ASSOCIATION,
    "alb-waf",
    {"resourceArn": LB["outputs"]["arn"], "webAclArn": f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/acl/1"},
    deps={"resourceArn": [LB["urn"]]},
)
HTTP = resource(
    LISTENER,
    "http",
    {
        "loadBalancerArn": LB["outputs"]["arn"],
        "port": 80.0,
        "protocol": "HTTP",
        "defaultActions": [
            {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
        ],
    },
)
HTTPS = resource(
    LISTENER,
    "https",
    {
        "loadBalancerArn": LB["outputs"]["arn"],
        "port": 443.0,
        "protocol": "HTTPS",
        "certificateArn": CERTIFICATE,
        "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}],
    },
)
TG = resource(
    TARGET_GROUP,
    "blue",
    {
        "port": 8080.0,
        "protocol": "HTTP",
        "targetType": "ip",
        "vpcId": "vpc-0123",
        "healthCheck": {"enabled": True, "path": "/healthz", "matcher": "200", "interval": 15.0},
    },
)
SCENARIO = [LB, WAF, HTTP, HTTPS, TG]
SUBJECTS = {"lb": 0, "http": 2, "https": 3, "tg": 4}
BREAKS = {
    "lb": {
        "logs-off": ("aws-elb-load-balancer-access-logs", ("accessLogs", "enabled"), False),
        "logs-unset": ("aws-elb-load-balancer-access-logs", ("accessLogs",), DELETE),
        "logs-no-bucket": ("aws-elb-load-balancer-access-logs", ("accessLogs", "bucket"), ""),
        "invalid-headers-kept": ("aws-elb-load-balancer-drop-invalid-headers", ("dropInvalidHeaderFields",), False),
        "invalid-headers-default": ("aws-elb-load-balancer-drop-invalid-headers", ("dropInvalidHeaderFields",), DELETE),
        "deletable": ("aws-elb-load-balancer-deletion-protection", ("enableDeletionProtection",), False),
        "deletable-default": ("aws-elb-load-balancer-deletion-protection", ("enableDeletionProtection",), DELETE),
        "desync-monitor": ("aws-elb-load-balancer-desync-mitigation", ("desyncMitigationMode",), "monitor"),
        "one-az": ("aws-elb-load-balancer-multi-az", ("subnets",), ["subnet-0a"]),
        # Unset is the provider's default, defensive.
        "desync-default": (None, ("desyncMitigationMode",), DELETE),
    },
    "http": {
        "http-forwards": ("aws-elb-listener-http-redirect", ("defaultActions", 0, "type"), "forward"),
        "redirect-to-http": ("aws-elb-listener-http-redirect", ("defaultActions", 0, "redirect", "protocol"), "HTTP"),
        "two-actions": (
            "aws-elb-listener-http-redirect",
            ("defaultActions", 1),
            {"type": "forward", "targetGroupArn": "arn:tg"},
        ),
    },
    "https": {
        "no-certificate": ("aws-elb-listener-secure-protocol", ("certificateArn",), DELETE),
        "tcp": ("aws-elb-listener-secure-protocol", ("protocol",), "TCP"),
        # A Network Load Balancer's TLS listener with a certificate terminates TLS as HTTPS does.
        "tls": (None, ("protocol",), "TLS"),
        "tls-2016": ("aws-elb-listener-tls-policy", ("sslPolicy",), "ELBSecurityPolicy-2016-08"),
        "tls-default": ("aws-elb-listener-tls-policy", ("sslPolicy",), DELETE),
    },
    "tg": {
        "health-check-off": ("aws-elb-target-group-health-check", ("healthCheck", "enabled"), False),
        "no-health-path": ("aws-elb-target-group-health-check", ("healthCheck", "path"), DELETE),
        "no-matcher": ("aws-elb-target-group-health-check", ("healthCheck", "matcher"), DELETE),
        "no-health-check": ("aws-elb-target-group-health-check", ("healthCheck",), DELETE),
    },
}
WAF_POLICY = "aws-elb-load-balancer-waf"


def _internal(records):
    # An internal ALB needs no WAF.
    records["alb-waf"] = None
    for field in ("inputs", "outputs"):
        records["alb"][field]["internal"] = True


def _subnet_mappings(records):
    # Two AZs given as subnet mappings (for Elastic IPs or private addresses) instead of subnets.
    inputs = records["alb"]["inputs"]
    del inputs["subnets"]
    inputs["subnetMappings"] = [{"subnetId": "subnet-0a"}, {"subnetId": "subnet-0b"}]


def _waf_on_another_input(records):
    # The association takes something from the load balancer, but its resourceArn names another
    # resource: only resourceArn says what the web ACL protects.
    waf = records["alb-waf"]
    waf["propertyDependencies"] = {"webAclArn": [LB["urn"]]}
    for field in ("inputs", "outputs"):
        waf[field]["resourceArn"] = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/prod"


TABLE = PolicyTable(*SCENARIO).edits(
    {
        "no-waf": (WAF_POLICY, "alb", removed("alb-waf")),
        "waf-on-another-input": (WAF_POLICY, "alb", _waf_on_another_input),
        "internal": (None, "alb", _internal),
        "subnet-mappings": (None, "alb", _subnet_mappings),
    }
)
for subject, breaks in BREAKS.items():
    TABLE.breaks(SCENARIO[SUBJECTS[subject]]["name"], breaks)


def test_an_unset_ssl_policy_is_named_as_the_provider_default(report):
    assert messages(report, "aws-elb-listener-tls-policy", variant_urn(HTTPS, "tls-default")) == [
        "sslPolicy is not set (ELBSecurityPolicy-2016-08)"
    ]


def test_a_listener_without_protocol_is_plain_http(policy_pack):
    inputs = {k: v for k, v in HTTPS["inputs"].items() if k not in ("protocol", "certificateArn", "sslPolicy")}
    result = policy_pack.check(document(resource(LISTENER, "default-protocol", inputs)))
    assert messages(result, "aws-elb-listener-http-redirect") == [
        "an HTTP listener whose default action is not a single redirect to HTTPS"
    ]


def test_alb_alias_tokens_are_checked_too(policy_pack):
    alias = resource("aws:alb/loadBalancer:LoadBalancer", "legacy", {**LB["inputs"], "dropInvalidHeaderFields": False})
    result = policy_pack.check(document(alias))
    assert messages(result, "aws-elb-load-balancer-drop-invalid-headers") == [
        "dropInvalidHeaderFields is false (the provider default is false)"
    ]


def test_network_load_balancers_are_not_asked_for_alb_settings(policy_pack):
    nlb = resource(
        LOAD_BALANCER, "nlb", {"loadBalancerType": "network", "subnets": ["a", "b"], "enableDeletionProtection": True}
    )
    result = policy_pack.check(document(nlb))
    assert [v.policy for v in result.violations if v.policy in TABLE.policies] == []


def test_tls_to_targets_is_required_only_when_configured(policy_pack):
    result = policy_pack.check(document(TG), {"aws-elb-target-group-health-check": {"requireTlsToTargets": True}})
    assert messages(result, "aws-elb-target-group-health-check") == [
        "protocol is HTTP, so traffic to the targets is not encrypted"
    ]


def test_each_case_tells_the_reviewer_what_is_wrong(report):
    """The PR report shows these lines under the resource: each names the setting and what it
    holds (or that it is not set, and what the provider then does)."""
    said = {
        variant: [line for policy in TABLE.policies for line in messages(report, policy, case.on)]
        for variant, case in TABLE.cases.items()
    }
    not_a_redirect = ["an HTTP listener whose default action is not a single redirect to HTTPS"]
    no_waf = ["internet-facing and no WAFv2 web ACL association names it as resourceArn"]
    assert said == {
        "no-waf": no_waf,
        "waf-on-another-input": no_waf,
        "internal": [],
        "subnet-mappings": [],
        "logs-off": ["accessLogs.enabled is false (the provider default is false)"],
        "logs-unset": ["accessLogs.enabled is not set (the provider default is false)"],
        "logs-no-bucket": ["accessLogs.bucket is empty"],
        "invalid-headers-kept": ["dropInvalidHeaderFields is false (the provider default is false)"],
        "invalid-headers-default": ["dropInvalidHeaderFields is not set (the provider default is false)"],
        "deletable": ["enableDeletionProtection is false (the provider default is false)"],
        "deletable-default": ["enableDeletionProtection is not set (the provider default is false)"],
        "desync-monitor": ["desyncMitigationMode is 'monitor'"],
        "one-az": ["spans 1 subnet(s); at least 2 AZs required"],
        "desync-default": [],
        "http-forwards": not_a_redirect,
        "redirect-to-http": not_a_redirect,
        "two-actions": not_a_redirect,
        "no-certificate": ["a HTTPS listener without certificateArn"],
        "tcp": ["protocol is 'TCP', which does not encrypt in transit"],
        "tls": [],
        "tls-2016": ["sslPolicy is 'ELBSecurityPolicy-2016-08'"],
        "tls-default": ["sslPolicy is not set (ELBSecurityPolicy-2016-08)"],
        "health-check-off": ["healthCheck.enabled is false"],
        "no-health-path": ["healthCheck.path is not set"],
        "no-matcher": ["healthCheck.matcher is not set"],
        "no-health-check": ["healthCheck.path is not set", "healthCheck.matcher is not set"],
    }


def test_a_tls_listener_is_held_to_the_allowed_tls_policies(policy_pack):
    tls = resource(
        LISTENER, "tls", {**HTTPS["inputs"], "protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS-1-1-2017-01"}
    )
    result = policy_pack.check(document(tls))
    assert messages(result, "aws-elb-listener-tls-policy") == ["sslPolicy is 'ELBSecurityPolicy-TLS-1-1-2017-01'"]


def test_an_unset_ssl_policy_passes_where_the_config_allows_the_provider_default(policy_pack):
    inputs = {k: v for k, v in HTTPS["inputs"].items() if k != "sslPolicy"}
    config = {"aws-elb-listener-tls-policy": {"allowedPolicies": ["ELBSecurityPolicy-2016-08"]}}
    result = policy_pack.check(document(resource(LISTENER, "legacy-clients", inputs)), config)
    assert messages(result, "aws-elb-listener-tls-policy") == []


def test_a_lambda_target_group_needs_no_health_check(policy_pack):
    # Lambda targets are health-checked only when asked (health checks are off by default for them).
    group = resource(TARGET_GROUP, "function", {"targetType": "lambda", "healthCheck": {"enabled": False}})
    result = policy_pack.check(document(group))
    assert messages(result, "aws-elb-target-group-health-check") == []


def test_an_https_target_group_needs_a_health_check_path_and_matcher(policy_pack):
    inputs = {**TG["inputs"], "port": 8443.0, "protocol": "HTTPS", "healthCheck": {"enabled": True}}
    result = policy_pack.check(document(resource(TARGET_GROUP, "tls-targets", inputs)))
    assert messages(result, "aws-elb-target-group-health-check") == [
        "healthCheck.path is not set",
        "healthCheck.matcher is not set",
    ]
