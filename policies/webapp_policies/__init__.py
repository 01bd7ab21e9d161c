"""The webapp CrossGuard policy pack: one module per AWS service, each policy a control of the
AWS Foundational Security Best Practices standard or of another standard Security Hub or checkov
checks (documented in the `policies` reference). Each module lists its policies in `POLICIES`;
`values`, `documents` and `controls` are the machinery they share."""

from __future__ import annotations

from pulumi_policy import Policy

from . import cloudwatch, ec2, ecs, elasticache, elb, final_snapshots, iam, kms, rds, s3, secretsmanager, wafv2

PACK_NAME = "webapp-aws-baseline"
MODULES = (ec2, kms, cloudwatch, iam, s3, elb, wafv2, ecs, rds, elasticache, final_snapshots, secretsmanager)


def all_policies() -> list[Policy]:
    """Every policy of the pack, module by module, each module's in the order it lists them."""
    return [policy for module in MODULES for policy in module.POLICIES]
