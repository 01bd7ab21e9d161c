"""The webapp CrossGuard policy pack: one module per AWS service, each policy a control of
/work/shared/reference/controls.md (README: the `policies` section)."""

from __future__ import annotations

from pulumi_policy import Policy

from . import cloudwatch, ec2, ecs, elasticache, elb, final_snapshots, iam, kms, rds, s3, secretsmanager, wafv2

PACK_NAME = "webapp-aws-baseline"
MODULES = (ec2, kms, cloudwatch, iam, s3, elb, wafv2, ecs, rds, elasticache, final_snapshots, secretsmanager)


def all_policies() -> list[Policy]:
    """Every policy of the pack, module by module in definition order."""
    return [value for module in MODULES for value in vars(module).values() if isinstance(value, Policy)]
