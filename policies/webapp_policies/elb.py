"""Application Load Balancers, their listeners and target groups (`aws:alb/*` tokens are
aliases of `aws:lb/*`; both are matched)."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy, stack_policy
from .values import UNKNOWN, has_unknown, lookup, show

LOAD_BALANCER = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TARGET_GROUP = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
WEB_ACL_ASSOCIATION = ("aws:wafv2/webAclAssociation:WebAclAssociation",)
SECURITY_HUB_TLS_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
]


def application(lb) -> bool:
    """An Application Load Balancer (the provider's default type); unknown counts as one."""
    kind = lb.get("loadBalancerType")
    return kind is None or kind is UNKNOWN or kind == "application"


def _access_logs(lb, config):
    if not application(lb):
        return
    if lb.flag("accessLogs.enabled", False) is False:
        yield f"accessLogs.enabled is {show(lb.get('accessLogs.enabled'))} (the provider default is false)"
    elif lb.get("accessLogs.bucket") in (None, ""):
        yield "accessLogs.bucket is empty"


access_logs = resource_policy(
    Control(
        name="aws-elb-load-balancer-access-logs",
        description="Application Load Balancers write access logs to S3.",
        category="logging",
        severity=Severity.MEDIUM,
        fsbp="ELB.5",
        checkov=("CKV_AWS_91",),
        remediation="Set access_logs={enabled: True, bucket: <log bucket>} (the bucket needs SSE-S3 and a policy for the ELB log delivery).",
    ),
    LOAD_BALANCER,
)(_access_logs)


def _drop_invalid_headers(lb, config):
    if application(lb) and lb.flag("dropInvalidHeaderFields", False) is False:
        yield f"dropInvalidHeaderFields is {show(lb.get('dropInvalidHeaderFields'))} (the provider default is false)"


drop_invalid_headers = resource_policy(
    Control(
        name="aws-elb-load-balancer-drop-invalid-headers",
        description="Application Load Balancers drop HTTP headers with invalid names.",
        category="hardening",
        severity=Severity.MEDIUM,
        fsbp="ELB.4",
        checkov=("CKV_AWS_131",),
        remediation="Set drop_invalid_header_fields=True.",
    ),
    LOAD_BALANCER,
)(_drop_invalid_headers)


def _deletion_protection(lb, config):
    if lb.flag("enableDeletionProtection", False) is False:
        yield f"enableDeletionProtection is {show(lb.get('enableDeletionProtection'))} (the provider default is false)"


deletion_protection = resource_policy(
    Control(
        name="aws-elb-load-balancer-deletion-protection",
        description="Load balancers have deletion protection on.",
        category="deletion-safety",
        severity=Severity.MEDIUM,
        fsbp="ELB.6",
        checkov=("CKV_AWS_150",),
        remediation="Set enable_deletion_protection=True.",
    ),
    LOAD_BALANCER,
)(_deletion_protection)


def _desync_mitigation(lb, config):
    mode = lb.get("desyncMitigationMode", "defensive")
    if application(lb) and mode is not UNKNOWN and mode not in config["allowedModes"]:
        yield f"desyncMitigationMode is {show(mode)}"


desync_mitigation = resource_policy(
    Control(
        name="aws-elb-load-balancer-desync-mitigation",
        description="Application Load Balancers mitigate HTTP desync in defensive or strictest mode.",
        category="hardening",
        severity=Severity.MEDIUM,
        fsbp="ELB.12",
        checkov=("CKV_AWS_328",),
        remediation='Leave desync_mitigation_mode unset (defensive) or set it to "strictest".',
        config={
            "allowedModes": {
                "type": "array",
                "items": {"type": "string", "enum": ["monitor", "defensive", "strictest"]},
                "default": ["defensive", "strictest"],
                "description": "Accepted desync mitigation modes.",
            }
        },
    ),
    LOAD_BALANCER,
)(_desync_mitigation)


def _multi_az(lb, config):
    subnets, mappings = lb.items("subnets"), lb.items("subnetMappings")
    if subnets is UNKNOWN or mappings is UNKNOWN:
        return
    if max(len(subnets), len(mappings)) < config["minimumZones"]:
        yield f"spans {max(len(subnets), len(mappings))} subnet(s); at least {show(config['minimumZones'])} AZs required"


multi_az = resource_policy(
    Control(
        name="aws-elb-load-balancer-multi-az",
        description="Load balancers span at least two Availability Zones.",
        category="availability",
        severity=Severity.MEDIUM,
        fsbp="ELB.13",
        remediation="Pass one subnet per AZ (at least two) as subnets.",
        config={
            "minimumZones": {
                "type": "integer",
                "minimum": 2,
                "default": 2,
                "description": "Fewest subnets (one per AZ) a load balancer spans.",
            }
        },
    ),
    LOAD_BALANCER,
)(_multi_az)


def _waf(stack, config):
    for lb in stack.of_type(LOAD_BALANCER):
        if not application(lb) or lb.flag("internal", False) is not False:
            continue
        if not stack.referencing(lb, WEB_ACL_ASSOCIATION, "resourceArn"):
            yield lb.urn, "internet-facing and no WAFv2 web ACL association names it as resourceArn"


waf = stack_policy(
    Control(
        name="aws-elb-load-balancer-waf",
        description="Internet-facing Application Load Balancers are protected by a WAFv2 web ACL.",
        category="public-exposure",
        severity=Severity.MEDIUM,
        securityhub=("ELB.16",),
        checkov=("CKV2_AWS_28",),
        remediation="Create an aws.wafv2.WebAclAssociation with resource_arn=<the load balancer's arn> and the web ACL's arn.",
    ),
    LOAD_BALANCER + WEB_ACL_ASSOCIATION,
)(_waf)


def redirects_to_https(listener) -> bool:
    actions = listener.items("defaultActions")
    if actions is UNKNOWN or len(actions) != 1 or not isinstance(actions[0], dict):
        return False
    return lookup(actions[0], "type") == "redirect" and lookup(actions[0], "redirect.protocol") == "HTTPS"


def protocol(listener):
    """The listener's protocol: HTTP when unset (the ALB default)."""
    return listener.get("protocol", "HTTP")


def _http_redirect(listener, config):
    if protocol(listener) != "HTTP" or has_unknown(listener.get("defaultActions")):
        return
    if not redirects_to_https(listener):
        yield "an HTTP listener whose default action is not a single redirect to HTTPS"


http_redirect = resource_policy(
    Control(
        name="aws-elb-listener-http-redirect",
        description="Plain-HTTP listeners do nothing but redirect to HTTPS.",
        category="encryption",
        severity=Severity.MEDIUM,
        fsbp="ELB.1",
        checkov=("CKV2_AWS_20",),
        remediation='Give the HTTP listener a single default action {type: "redirect", redirect: {protocol: "HTTPS", port: "443", status_code: "HTTP_301"}}.',
    ),
    LISTENER,
)(_http_redirect)


def _secure_protocol(listener, config):
    kind = protocol(listener)
    if kind is UNKNOWN:
        return
    if kind in ("HTTPS", "TLS"):
        if listener.get("certificateArn") is None:
            yield f"a {kind} listener without certificateArn"
    elif kind != "HTTP":
        yield f"protocol is {show(kind)}, which does not encrypt in transit"


secure_protocol = resource_policy(
    Control(
        name="aws-elb-listener-secure-protocol",
        description="Listeners terminate TLS (HTTPS or TLS with a certificate); plain HTTP only to redirect.",
        category="encryption",
        severity=Severity.MEDIUM,
        fsbp="ELB.18",
        checkov=("CKV_AWS_2",),
        remediation='Use protocol="HTTPS" with certificate_arn (an ACM certificate); keep port 80 only as a redirect.',
    ),
    LISTENER,
)(_secure_protocol)
# HTTP listeners are aws-elb-listener-http-redirect's to judge.


def _tls_policy(listener, config):
    if protocol(listener) not in ("HTTPS", "TLS"):
        return
    policy = listener.get("sslPolicy", "ELBSecurityPolicy-2016-08")
    if policy is not UNKNOWN and policy not in config["allowedPolicies"]:
        shown = show(listener.get("sslPolicy")) if listener.has("sslPolicy") else "not set (ELBSecurityPolicy-2016-08)"
        yield f"sslPolicy is {shown}"


tls_policy = resource_policy(
    Control(
        name="aws-elb-listener-tls-policy",
        description="TLS listeners use a TLS 1.2+/1.3 security policy from Security Hub's list.",
        category="encryption",
        severity=Severity.MEDIUM,
        fsbp="ELB.17",
        checkov=("CKV_AWS_103", "CKV2_AWS_74"),
        remediation='Set ssl_policy="ELBSecurityPolicy-TLS13-1-2-Res-2021-06" (or another allowed policy); unset means ELBSecurityPolicy-2016-08.',
        config={
            "allowedPolicies": {
                "type": "array",
                "items": {"type": "string"},
                "default": SECURITY_HUB_TLS_POLICIES,
                "description": "Security policies HTTPS/TLS listeners may use.",
            }
        },
    ),
    LISTENER,
)(_tls_policy)


def _target_group_health_check(group, config):
    if group.get("targetType") == "lambda":
        return
    if group.flag("healthCheck.enabled", True) is False:
        yield "healthCheck.enabled is false"
        return
    kind = group.get("protocol")
    if kind in ("HTTP", "HTTPS"):
        for key in ("path", "matcher"):
            if group.get(f"healthCheck.{key}") is None:
                yield f"healthCheck.{key} is not set"
    if config["requireTlsToTargets"] and kind == "HTTP":
        yield "protocol is HTTP, so traffic to the targets is not encrypted"


target_group_health_check = resource_policy(
    Control(
        name="aws-elb-target-group-health-check",
        description="Target groups health-check their targets on an explicit path and status matcher.",
        category="availability",
        severity=Severity.MEDIUM,
        checkov=("CKV_AWS_261", "CKV_AWS_378"),
        remediation='Give the target group health_check={enabled: True, path: <health path>, matcher: "200"}.',
        config={
            "requireTlsToTargets": {
                "type": "boolean",
                "default": False,
                "description": "Also require HTTPS from the load balancer to the targets (often waived for Fargate in private subnets).",
            }
        },
    ),
    TARGET_GROUP,
)(_target_group_health_check)


# The pack serves exactly these, in this order.
POLICIES = [
    access_logs,
    drop_invalid_headers,
    deletion_protection,
    desync_mitigation,
    multi_az,
    waf,
    http_redirect,
    secure_protocol,
    tls_policy,
    target_group_health_check,
]
