"""The webapp CrossGuard policy pack: one module per AWS service, each policy a control of the
AWS Foundational Security Best Practices standard or of another standard Security Hub or checkov
checks (documented in the `policies` reference). Each module lists its policies in `POLICIES`;
`values`, `documents` and `controls` are the machinery they share.

Each check is a plain function that its module hands to `resource_policy`/`stack_policy` by a call
(`rotation = resource_policy(control, KEY)(_rotation)`), never by a decorator, and no helper is
decorated either: mutmut leaves decorated functions unmutated, and the mutation run should reach
the checks (tests/test_mutation_support.py keeps it so).

The policy modules load only when `all_policies()` runs (in the pack's process), so importing a
plain-Python helper of this package, such as `names` (which the stack settings use), does not
pull in pulumi-policy.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulumi_policy import Policy

PACK_NAME = "webapp-aws-baseline"
MODULES = (
    "ec2",
    "vpc_egress",
    "kms",
    "cloudwatch",
    "iam",
    "s3",
    "elb",
    "wafv2",
    "ecs",
    "rds",
    "rds_access",
    "rds_parameter_groups",
    "elasticache",
    "final_snapshots",
    "secretsmanager",
)


def modules() -> list[ModuleType]:
    """The policy modules, in the pack's order (imported on first call)."""
    return [importlib.import_module(f".{name}", __name__) for name in MODULES]


def all_policies() -> list[Policy]:
    """Every policy of the pack, module by module, each module's in the order it lists them."""
    return [policy for module in modules() for policy in module.POLICIES]
