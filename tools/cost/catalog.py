"""Which AWS Price List product each price key of the estimate stands for.

A price key names one on-demand meter, region-neutral: `fargate/ARM64/vcpu`,
`rds/instance/PostgreSQL/db.r7g.large`, `elasticache/node/Valkey/cache.r7g.large`. `spec(key)`
turns it into the `pricing:GetProducts` query that finds it in a region: the service code, the
product attributes to match, the meter (`usagetype` without its region prefix) and the unit
the price is quoted in. The estimate multiplies quantities in exactly that unit, so a Price
List answer in another unit is refused, never rescaled by guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HOURS_PER_MONTH = 730

# Billing codes that prefix usage types outside a service's home region (USE1-NatGateway-Hours);
# the destination of an inter-region transfer is named by its code (USE1-USW2-AWS-Out-Bytes).
BILLING_CODES = {
    "us-east-1": "USE1",
    "us-east-2": "USE2",
    "us-west-1": "USW1",
    "us-west-2": "USW2",
    "ca-central-1": "CAN1",
    "eu-west-1": "EU",
    "eu-west-2": "EUW2",
    "eu-central-1": "EUC1",
    "ap-northeast-1": "APN1",
    "ap-southeast-1": "APS1",
    "ap-southeast-2": "APS2",
}
# Price List `databaseEngine` and `cacheEngine` values of the engines the stack can run.
RDS_ENGINES = {"postgres": "PostgreSQL"}
CACHE_ENGINES = {"valkey": "Valkey", "redis": "Redis"}
# Price List `volumeType` of RDS storage types.
RDS_VOLUMES = {"gp3": ("General Purpose-GP3", "RDS:GP3-Storage"), "gp2": ("General Purpose", "RDS:GP2-Storage")}
FARGATE_METERS = {
    ("ARM64", "vcpu"): "Fargate-ARM-vCPU-Hours:perCPU",
    ("ARM64", "memory"): "Fargate-ARM-GB-Hours",
    ("X86_64", "vcpu"): "Fargate-vCPU-Hours:perCPU",
    ("X86_64", "memory"): "Fargate-GB-Hours",
}


@dataclass(frozen=True)
class Spec:
    """One on-demand meter as `pricing:GetProducts` finds it."""

    service: str
    # Product attributes the product must have (sent as TERM_MATCH filters, checked again).
    attributes: tuple[tuple[str, str], ...]
    # The usage type without its region prefix: NatGateway-Hours matches USW2-NatGateway-Hours.
    meter: str
    # Units the Price List quotes this meter in (the estimate's quantities use this unit).
    units: tuple[str, ...]
    description: str
    # The attribute naming the region (data transfer is priced by its source region).
    region_field: str = "regionCode"

    def filters(self, region: str) -> list[dict[str, str]]:
        pairs = [(self.region_field, region), *self.attributes]
        return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in pairs]

    def matches(self, region: str, usagetype: str) -> bool:
        """Whether a product's usage type is this meter in `region`: bare (a service's home
        region), or behind the region's billing code or name (`us-east-1-KMS-Keys`)."""
        prefixes = {"", f"{BILLING_CODES.get(region, '?')}-", f"{region}-"}
        return any(usagetype == prefix + self.meter for prefix in prefixes)


def _fixed(service: str, meter: str, units: tuple[str, ...], description: str, **attributes: str) -> Spec:
    return Spec(service, tuple(attributes.items()), meter, units, description)


# Keys whose query does not depend on a class, engine or destination.
_SIMPLE: dict[str, Spec] = {
    "rds/backup-storage": _fixed(
        "AmazonRDS",
        "RDS:ChargedBackupUsage",
        ("GB-Mo",),
        "RDS backup storage beyond the free allowance, per GB-month",
        productFamily="Storage Snapshot",
    ),
    "ec2/nat-gateway/hours": _fixed(
        "AmazonEC2", "NatGateway-Hours", ("Hrs",), "NAT gateway, per hour", productFamily="NAT Gateway"
    ),
    "ec2/nat-gateway/gb": _fixed(
        "AmazonEC2", "NatGateway-Bytes", ("GB",), "NAT gateway data processed, per GB", productFamily="NAT Gateway"
    ),
    "vpc/public-ipv4/hours": _fixed(
        "AmazonVPC", "PublicIPv4:InUseAddress", ("Hrs",), "Public IPv4 address in use, per hour"
    ),
    "vpc/interface-endpoint/hours": _fixed(
        "AmazonVPC",
        "VpcEndpoint-Hours",
        ("Hrs",),
        "Interface VPC endpoint, per AZ-hour",
        productFamily="VpcEndpoint",
    ),
    "vpc/interface-endpoint/gb": _fixed(
        "AmazonVPC",
        "VpcEndpoint-Bytes",
        ("GB",),
        "Interface VPC endpoint data processed, per GB",
        productFamily="VpcEndpoint",
    ),
    "elb/alb/hours": _fixed(
        "AWSELB",
        "LoadBalancerUsage",
        ("Hrs",),
        "Application Load Balancer, per hour",
        productFamily="Load Balancer-Application",
    ),
    "elb/alb/lcu-hours": _fixed(
        "AWSELB",
        "LCUUsage",
        ("LCU-Hrs",),
        "Application Load Balancer capacity units, per LCU-hour",
        productFamily="Load Balancer-Application",
    ),
    "waf/web-acl": _fixed("awswaf", "WebACL", ("WebACL-Mo",), "WAF web ACL, per month"),
    "waf/rule": _fixed("awswaf", "Rule", ("Rule-Mo",), "WAF rule or rule group in a web ACL, per month"),
    "waf/requests": _fixed("awswaf", "Request", ("Requests",), "WAF requests inspected, per request"),
    "cloudwatch/alarm/standard": _fixed(
        "AmazonCloudWatch", "CW:AlarmMonitorUsage", ("Alarms",), "Standard-resolution alarm metric, per month"
    ),
    "cloudwatch/alarm/high-resolution": _fixed(
        "AmazonCloudWatch",
        "CW:HighResAlarmMonitorUsage",
        ("Alarms",),
        "High-resolution alarm metric, per month",
    ),
    "cloudwatch/alarm/composite": _fixed(
        "AmazonCloudWatch", "CW:CompositeAlarmMonitorUsage", ("Alarms",), "Composite alarm, per month"
    ),
    "cloudwatch/dashboard": _fixed("AmazonCloudWatch", "DashboardsUsageHour", ("Dashboards",), "Dashboard, per month"),
    "cloudwatch/logs/ingestion": _fixed(
        "AmazonCloudWatch", "DataProcessing-Bytes", ("GB",), "CloudWatch Logs ingestion (standard class), per GB"
    ),
    "cloudwatch/logs/storage": _fixed(
        "AmazonCloudWatch", "TimedStorage-ByteHrs", ("GB-Mo",), "CloudWatch Logs storage, per GB-month"
    ),
    "kms/key": _fixed("awskms", "KMS-Keys", ("Keys",), "KMS customer managed key, per month"),
    "secretsmanager/secret": _fixed(
        "AWSSecretsManager", "AWSSecretsManager-Secrets", ("Secrets",), "Secrets Manager secret, per month"
    ),
    "s3/standard-storage": _fixed(
        "AmazonS3",
        "TimedStorage-ByteHrs",
        ("GB-Mo",),
        "S3 Standard storage (first 50 TB), per GB-month",
        productFamily="Storage",
        volumeType="Standard",
    ),
}
_INTERNET_OUT = Spec(
    "AWSDataTransfer",
    (("transferType", "AWS Outbound"),),
    "DataTransfer-Out-Bytes",
    ("GB",),
    "Data transfer out to the internet (first paid tier), per GB",
    region_field="fromRegionCode",
)
_KEY = re.compile(r"^(?P<head>[a-z0-9-]+/[A-Za-z0-9_-]+)(?:/(?P<a>[^/]+))?(?:/(?P<b>[^/]+))?$")


def spec(key: str) -> Spec | None:
    """The Price List query of a price key, or None for a key this catalogue cannot price."""
    if key in _SIMPLE:
        return _SIMPLE[key]
    if key == "datatransfer/internet-out":
        return _INTERNET_OUT
    match = _KEY.match(key)
    if not match:
        return None
    head, a, b = match["head"], match["a"], match["b"]
    if head == "fargate/ARM64" or head == "fargate/X86_64":
        meter = FARGATE_METERS.get((head.split("/")[1], a or ""))
        if meter and b is None:
            what = "vCPU-hour" if a == "vcpu" else "GB-hour"
            return _fixed(
                "AmazonECS", meter, ("hours",), f"Fargate {head.split('/')[1]}, per {what}", productFamily="Compute"
            )
    if head == "rds/instance" and a in RDS_ENGINES.values() and b:
        return _fixed(
            "AmazonRDS",
            f"InstanceUsage:{b}",
            ("Hrs",),
            f"RDS {b} {a} Single-AZ, per instance-hour",
            productFamily="Database Instance",
            instanceType=b,
            databaseEngine=a,
            deploymentOption="Single-AZ",
        )
    if head == "rds/storage" and a in RDS_VOLUMES and b is None:
        volume, meter = RDS_VOLUMES[a]
        return _fixed(
            "AmazonRDS",
            meter,
            ("GB-Mo",),
            f"RDS {a} storage Single-AZ, per GB-month",
            productFamily="Database Storage",
            volumeType=volume,
            databaseEngine="PostgreSQL",
            deploymentOption="Single-AZ",
        )
    if head == "elasticache/node" and a in CACHE_ENGINES.values() and b:
        return _fixed(
            "AmazonElastiCache",
            f"NodeUsage:{b}",
            ("Hrs",),
            f"ElastiCache {b} {a}, per node-hour",
            productFamily="Cache Instance",
            instanceType=b,
            cacheEngine=a,
        )
    if head == "datatransfer/inter-region" and a in BILLING_CODES and b is None:
        return Spec(
            "AWSDataTransfer",
            (("transferType", "InterRegion Outbound"), ("toRegionCode", a)),
            f"{BILLING_CODES[a]}-AWS-Out-Bytes",
            ("GB",),
            f"Data transfer to {a}, per GB",
            region_field="fromRegionCode",
        )
    return None
