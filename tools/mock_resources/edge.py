"""What AWS returns for the edge, where requests reach the stack: the load balancer, its target
groups, listeners and rules (ARNs built from each other's, as ELB does), the certificate and its
validation records, DNS records, the web ACL, and the access-log bucket and its configuration."""

from __future__ import annotations

from tools.mock_resources.context import PARTITION, Generator, MockContext, State

# Route 53 hosted zone ids of ALBs per region (AWS's published table, a subset).
ALB_ZONE_IDS = {
    "us-east-1": "Z35SXDOTRQ7X7K",
    "us-east-2": "Z3AADJGX6KTTL2",
    "us-west-2": "Z1H1FL5HABSF5",
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-central-1": "Z215JYRZR1TBD5",
}


def _elb_arn(ctx: MockContext, kind: str, name: str) -> tuple[str, str]:
    suffix = f"{kind}/{name}/{ctx.hex(16)}"
    return ctx.arn("elasticloadbalancing", suffix), suffix


def _load_balancer(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=32)
    kind = "app" if ctx.inputs.get("loadBalancerType", "application") == "application" else "net"
    arn, suffix = _elb_arn(ctx, f"loadbalancer/{kind}", name)
    return {
        "id": arn,
        "arn": arn,
        "arnSuffix": suffix.removeprefix("loadbalancer/"),
        "name": name,
        "dnsName": f"{name}-{ctx.digits(10)}.{ctx.region}.elb.amazonaws.com",
        "zoneId": ALB_ZONE_IDS.get(ctx.region, "Z35SXDOTRQ7X7K"),
    }


def _target_group(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=32)
    arn, suffix = _elb_arn(ctx, "targetgroup", name)
    return {"id": arn, "arn": arn, "arnSuffix": suffix, "name": name}


def _listener(ctx: MockContext) -> State:
    # arn:...:listener/app/<lb-name>/<lb-id>/<listener-id>, from the load balancer's own ARN.
    lb_arn = str(ctx.inputs.get("loadBalancerArn") or "")
    if ":loadbalancer/" in lb_arn:
        arn = f"{lb_arn.replace(':loadbalancer/', ':listener/', 1)}/{ctx.hex(16)}"
    else:
        arn = ctx.arn("elasticloadbalancing", f"listener/app/{ctx.name[:20]}/{ctx.hex(16, 'lb')}/{ctx.hex(16)}")
    return {"id": arn, "arn": arn}


def _listener_rule(ctx: MockContext) -> State:
    # arn:...:listener-rule/app/<lb-name>/<lb-id>/<listener-id>/<rule-id>, from the listener's ARN.
    listener_arn = str(ctx.inputs.get("listenerArn") or "")
    if ":listener/" in listener_arn:
        arn = f"{listener_arn.replace(':listener/', ':listener-rule/', 1)}/{ctx.hex(16)}"
    else:
        arn = ctx.arn(
            "elasticloadbalancing",
            f"listener-rule/app/{ctx.name[:20]}/{ctx.hex(16, 'lb')}/{ctx.hex(16, 'listener')}/{ctx.hex(16)}",
        )
    return {"id": arn, "arn": arn}


def _bucket(ctx: MockContext) -> State:
    name = ctx.physical_name("bucket", 63)
    return {
        "id": name,
        "bucket": name,
        "arn": f"arn:{PARTITION}:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
        "hostedZoneId": "Z3AQBSTGFYJSTF",
        "region": ctx.region,
    }


def _certificate(ctx: MockContext) -> State:
    domain = ctx.inputs.get("domainName", "example.com")
    names = [domain, *ctx.inputs.get("subjectAlternativeNames", [])]
    return {
        "id": ctx.arn("acm", f"certificate/{ctx.uuid()}"),
        "arn": ctx.arn("acm", f"certificate/{ctx.uuid()}"),
        "status": "PENDING_VALIDATION",
        "domainValidationOptions": [
            {
                "domainName": name,
                "resourceRecordName": f"_{ctx.hex(32, name)}.{name}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{ctx.hex(32, 'v' + name)}.xlfgrmvvlj.acm-validations.aws.",
            }
            for name in names
        ],
    }


def _wafv2_acl(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=128)
    acl_id = ctx.uuid()
    return {"id": acl_id, "name": name, "arn": ctx.arn("wafv2", f"regional/webacl/{name}/{acl_id}"), "capacity": 1000}


EDGE: dict[str, Generator] = {
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:lb/listenerRule:ListenerRule": _listener_rule,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": lambda c: {"id": "2026-01-01 00:00:00 +0000 UTC"},
    "aws:route53/record:Record": lambda c: {
        "id": f"{c.inputs.get('zoneId')}_{c.inputs.get('name')}_{c.inputs.get('type')}",
        "fqdn": str(c.inputs.get("name", "")).rstrip("."),
    },
    "aws:wafv2/webAcl:WebAcl": _wafv2_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": lambda c: {
        "id": f"{c.inputs.get('webAclArn')},{c.inputs.get('resourceArn')}"
    },
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": lambda c: {"id": c.inputs.get("resourceArn")},
    # The bucket configuration resources are identified by their bucket's name.
    **{
        f"aws:s3/{token}": lambda c: {"id": c.inputs.get("bucket")}
        for token in (
            "bucketPolicy:BucketPolicy",
            "bucketPublicAccessBlock:BucketPublicAccessBlock",
            "bucketOwnershipControls:BucketOwnershipControls",
            "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "bucketVersioning:BucketVersioning",
        )
    },
}
