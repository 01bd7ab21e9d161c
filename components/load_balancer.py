"""The internet-facing Application Load Balancer: the only thing in the stack the internet can
reach, and only on 80 and 443 (IPv4 and IPv6).

- HTTPS on 443 with a TLS 1.3 policy and a certificate (an existing ACM ARN, or one issued for
  the domain and validated by DNS in the hosted zone); HTTP on 80 only redirects to HTTPS. The
  HTTPS listeners add Strict-Transport-Security (`includeSubDomains`, max-age from the settings)
  to every response through the listener's response-header attribute.
- A test listener (HTTPS, its own port) open only to the configured CIDRs, none by default: a
  blue/green deploy exposes the new version there before production traffic reaches it.
- Both listeners answer 404 unless a service's listener rule matches; the rules match only the
  stack's domain (host header), so requests for any other host get the 404. `blue_green(service)`
  adds a web service's two target groups (blue, green: `ip` targets, identical health checks)
  and its listener rules: production on 443 (weighted forward, blue 100 / green 0) and test on
  the test listener (green). They live here, before any service exists, so the deployment
  alarms that watch both groups can be made first and handed to the service.
- Hardened: invalid header fields dropped, desync mitigation, deletion protection per profile,
  access logs to a dedicated S3 bucket (SSE-S3: ALB log delivery cannot use KMS keys; public
  access blocked, ACLs disabled, TLS-only policy that lets only ELB log delivery write).
- A Route 53 alias points the domain at the ALB when a hosted zone is configured.

The ALB security group holds standalone rules only: ingress here, and the egress to each
service's tasks added by that service, so no rule is ever managed in two places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.edge import PUBLIC_PORTS, DnsSettings, LoadBalancerSettings
from settings.services import ServiceSettings

from .common import TYPE_PREFIX, AwsContext, child, policy_document, provided

INTERNET = {"ipv4": "0.0.0.0/0", "ipv6": "::/0"}
# ALB access logs are written by this service principal. AWS documents it for Regions opened
# since August 2022 (older Regions list a per-Region ELB account id instead); it is accepted in
# the older Regions too, and unlike the account id it needs no per-Region lookup table.
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"
# Uploads ELB abandoned halfway are removed after this many days.
ABORTED_UPLOAD_DAYS = 1
_SseByDefault = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
_AbortUploads = aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs


@dataclass(frozen=True)
class LoadBalancerArgs:
    settings: LoadBalancerSettings
    dns: DnsSettings
    context: AwsContext
    vpc_id: pulumi.Input[str]
    # Public subnets, one per AZ.
    subnet_ids: Sequence[pulumi.Input[str]]


@dataclass(frozen=True)
class AlbTarget:
    """What a service behind the ALB needs: the ALB security group (to open a path to its tasks),
    the listeners its production and test rules attach to, and the ALB's metric dimension."""

    security_group_id: pulumi.Output[str]
    production_listener_arn: pulumi.Output[str]
    test_listener_arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]


@dataclass(frozen=True)
class BlueGreenRouting:
    """The routing ECS moves a web service's traffic on during a blue/green deploy."""

    blue: aws.lb.TargetGroup
    green: aws.lb.TargetGroup
    production_rule: aws.lb.ListenerRule
    test_rule: aws.lb.ListenerRule


def validation_record_value(option: aws.acm.outputs.CertificateDomainValidationOption) -> str:
    """The CNAME value ACM asks for to prove control of the domain: ACM returns one for every
    DNS-validated certificate, and if it ever does not, the update stops at once, naming it."""
    return provided(option.resource_record_value, "certificate validation record value")


class LoadBalancer(pulumi.ComponentResource):
    """Internet-facing ALB with HTTPS, redirect, test listener, access logs and DNS alias."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:LoadBalancer", name, None, opts)
        settings = args.settings
        self._vpc_id = args.vpc_id
        self._domain = args.dns.domain

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Internet-facing ALB: HTTP/HTTPS from anywhere, test listener from allowed CIDRs",
            tags={"Name": f"{name}-alb"},
            opts=child(self),
        )
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        self._ingress_rules(name, settings)

        logs_bucket, logs_policy = self._access_logs(name, args)
        self.alb = aws.lb.LoadBalancer(
            f"{name}-lb",
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            subnets=list(args.subnet_ids),
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode=settings.desync_mitigation_mode,
            enable_deletion_protection=settings.deletion_protection,
            idle_timeout=settings.idle_timeout_seconds,
            enable_http2=True,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=logs_bucket.bucket, enabled=True),
            tags={"Name": f"{name}-alb"},
            # ELB checks that it may write to the bucket when access logs are turned on.
            opts=child(self, depends_on=[logs_policy]),
        )
        self.arn: pulumi.Output[str] = self.alb.arn
        self.arn_suffix: pulumi.Output[str] = self.alb.arn_suffix
        self.dns_name: pulumi.Output[str] = self.alb.dns_name

        self.certificate_arn = self._certificate(name, args)
        self.https_listener = self._https_listener(f"{name}-https", 443, settings)
        self.test_listener = self._https_listener(f"{name}-test", settings.test_listener_port, settings)
        self.http_listener = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            opts=child(self),
        )
        if args.dns.hosted_zone_id:
            aws.route53.Record(
                f"{name}-alias",
                zone_id=args.dns.hosted_zone_id,
                name=args.dns.domain,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=self.alb.dns_name, zone_id=self.alb.zone_id, evaluate_target_health=True
                    )
                ],
                opts=child(self),
            )
        self.url = f"https://{args.dns.domain}"
        self.target = AlbTarget(
            security_group_id=self.security_group.id,
            production_listener_arn=self.https_listener.arn,
            test_listener_arn=self.test_listener.arn,
            arn_suffix=self.alb.arn_suffix,
        )
        self.register_outputs(
            {
                "arn": self.arn,
                "arn_suffix": self.arn_suffix,
                "dns_name": self.dns_name,
                "url": self.url,
                "certificate_arn": self.certificate_arn,
                "https_listener_arn": self.https_listener.arn,
                "test_listener_arn": self.test_listener.arn,
                "security_group_id": self.security_group_id,
            }
        )

    def blue_green(self, service: ServiceSettings, priority: int = 100) -> BlueGreenRouting:
        """Blue and green target groups of a web service and the listener rules ECS shifts."""
        blue = self._target_group(f"{service.name}-blue", service)
        green = self._target_group(f"{service.name}-green", service)
        # ECS rewrites the forward weights of both rules on every deploy and owns them after the
        # first one; ignoring `actions` keeps `pulumi up` from moving traffic back to blue (deploy
        # with --refresh so the state follows what ECS set). Keep these rules' identities stable:
        # a replaced rule gets a new ARN the service does not know, and the next deploy fails.
        production_rule = aws.lb.ListenerRule(
            f"{service.name}-production-rule",
            listener_arn=self.https_listener.arn,
            priority=priority,
            conditions=self._conditions(),
            actions=[_forward((blue, 100), (green, 0))],
            tags={"Name": f"{service.name}-production"},
            opts=child(self, ignore_changes=["actions"]),
        )
        test_rule = aws.lb.ListenerRule(
            f"{service.name}-test-rule",
            listener_arn=self.test_listener.arn,
            priority=priority,
            conditions=self._conditions(),
            actions=[_forward((green, 100))],
            tags={"Name": f"{service.name}-test"},
            opts=child(self, ignore_changes=["actions"]),
        )
        return BlueGreenRouting(blue=blue, green=green, production_rule=production_rule, test_rule=test_rule)

    def _conditions(self) -> list[aws.lb.ListenerRuleConditionArgs]:
        """Every path of the stack's domain only: other hosts fall through to the 404 default."""
        host = aws.lb.ListenerRuleConditionArgs(
            host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=[self._domain])
        )
        return [_all_paths(), host]

    def _target_group(self, resource_name: str, settings: ServiceSettings) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
            resource_name,
            target_type="ip",
            protocol="HTTP",
            port=settings.port,
            vpc_id=self._vpc_id,
            deregistration_delay=settings.deregistration_delay_seconds,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",
                port="traffic-port",
                path=settings.health_check_path,
                matcher=settings.health_check_matcher,
                interval=settings.health_check_interval_seconds,
                timeout=settings.health_check_timeout_seconds,
                healthy_threshold=settings.healthy_threshold,
                unhealthy_threshold=settings.unhealthy_threshold,
            ),
            tags={"Name": resource_name},
            opts=child(self),
        )

    def _ingress_rules(self, name: str, settings: LoadBalancerSettings) -> None:
        for port in PUBLIC_PORTS:
            for family, cidr in INTERNET.items():
                protocol = "HTTPS" if port == 443 else "HTTP"
                self._ingress(f"{name}-in-{port}-{family}", port, cidr, f"{protocol} from the internet ({family})")
        for cidr in settings.test_listener_cidrs:
            label = cidr.replace(":", "-").replace("/", "-").replace(".", "-")
            self._ingress(
                f"{name}-in-test-{label}", settings.test_listener_port, cidr, f"Blue/green test listener from {cidr}"
            )

    def _ingress(self, resource_name: str, port: int, cidr: str, description: str) -> None:
        family = "cidr_ipv6" if ":" in cidr else "cidr_ipv4"
        aws.vpc.SecurityGroupIngressRule(
            resource_name,
            security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=description,
            tags={"Name": resource_name},
            opts=child(self),
            **{family: cidr},
        )

    def _access_logs(self, name: str, args: LoadBalancerArgs) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
        bucket = aws.s3.Bucket(f"{name}-access-logs", tags={"Name": f"{name}-access-logs"}, opts=child(self))
        aws.s3.BucketOwnershipControls(
            f"{name}-access-logs-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child(self),
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-access-logs-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child(self),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-access-logs-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    # SSE-S3: the only encryption ALB access log delivery supports.
                    apply_server_side_encryption_by_default=_SseByDefault(sse_algorithm="AES256")
                )
            ],
            opts=child(self),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=args.settings.access_log_expiry_days
                    ),
                    abort_incomplete_multipart_upload=_AbortUploads(days_after_initiation=ABORTED_UPLOAD_DAYS),
                )
            ],
            opts=child(self),
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-access-logs-policy",
            bucket=bucket.id,
            policy=access_log_policy(bucket.arn, args.context),
            # S3 rejects a bucket policy while the public access block is still being applied.
            opts=child(self, depends_on=[public_access_block]),
        )
        return bucket, policy

    def _certificate(self, name: str, args: LoadBalancerArgs) -> pulumi.Output[str]:
        dns = args.dns
        if dns.certificate_arn:
            return pulumi.Output.from_input(dns.certificate_arn)
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=dns.domain,
            validation_method="DNS",
            tags={"Name": dns.domain},
            opts=child(self),
        )
        option = certificate.domain_validation_options.apply(
            lambda options: next(o for o in options if o.domain_name == dns.domain)
        )
        record = aws.route53.Record(
            f"{name}-certificate-validation-record",
            zone_id=dns.hosted_zone_id,
            name=option.apply(lambda o: o.resource_record_name),
            type=option.apply(lambda o: o.resource_record_type),
            records=[option.apply(validation_record_value)],
            ttl=300,
            # ACM asks for the same CNAME for a domain in every certificate of the account, so a
            # replacement certificate must be able to take the record over.
            allow_overwrite=True,
            opts=child(self),
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=child(self),
        )
        # The listeners wait for the certificate to be issued.
        return validation.certificate_arn

    def _https_listener(self, resource_name: str, port: int, settings: LoadBalancerSettings) -> aws.lb.Listener:
        return aws.lb.Listener(
            resource_name,
            load_balancer_arn=self.alb.arn,
            port=port,
            protocol="HTTPS",
            ssl_policy=settings.tls_policy,
            certificate_arn=self.certificate_arn,
            routing_http_response_strict_transport_security_header_value=(
                f"max-age={settings.hsts_max_age_seconds}; includeSubDomains"
            ),
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="fixed-response",
                    fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                        content_type="text/plain", message_body="Not found", status_code="404"
                    ),
                )
            ],
            opts=child(self),
        )


def access_log_policy(bucket_arn: pulumi.Input[str], context: AwsContext) -> pulumi.Output[str]:
    """Only ELB log delivery may write, and only this account's logs; nothing over plain HTTP."""
    objects = pulumi.Output.from_input(bucket_arn).apply(lambda arn: f"{arn}/*")
    return policy_document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "ElbLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": ELB_LOG_DELIVERY},
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.from_input(bucket_arn).apply(lambda arn: f"{arn}/AWSLogs/{context.account_id}/*"),
        },
    )


def _all_paths() -> aws.lb.ListenerRuleConditionArgs:
    return aws.lb.ListenerRuleConditionArgs(path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=["/*"]))


def _forward(*weighted: tuple[aws.lb.TargetGroup, int]) -> aws.lb.ListenerRuleActionArgs:
    """One forward action (ECS fails a deploy whose rule mixes forward with other actions)."""
    return aws.lb.ListenerRuleActionArgs(
        type="forward",
        forward=aws.lb.ListenerRuleActionForwardArgs(
            target_groups=[
                aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=group.arn, weight=weight)
                for group, weight in weighted
            ]
        ),
    )
