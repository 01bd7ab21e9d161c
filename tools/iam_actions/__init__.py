"""The IAM actions the Pulumi AWS provider calls for each resource type the program manages.

Per type: what creating, reading (refresh and the read after every write), updating and deleting
it calls. The provider is the Terraform AWS provider underneath, so these follow its resource
implementations; tagging actions count as updates because every resource carries the provider's
default tags. `tools.iam_policies` builds the deploy and preview role policies in `iam/` from
this table (and from `commands.PIPELINE_COMMANDS`, what the operations commands call); the tests
hold every resource type of both stacks to it and every action to AWS's Service Authorization
Reference.

The table is written per part of the stack, one module each: `network`, `edge` (load balancer,
certificate, DNS, web ACL, access-log bucket), `compute` (ECS, functions, IAM roles), `data`
(database, cache, keys, secrets) and `monitoring`. A type missing from all of them fails the tests
with its name: add its actions to its part's table when the program starts managing a new type.
"""

from __future__ import annotations

from tools.iam_actions.compute import COMPUTE
from tools.iam_actions.data import DATA
from tools.iam_actions.edge import EDGE
from tools.iam_actions.model import Actions
from tools.iam_actions.monitoring import MONITORING
from tools.iam_actions.network import NETWORK

# What every run calls whatever the stack holds: the provider's account check, and the
# data sources of the program (availability zones).
PROVIDER: tuple[str, ...] = ("sts:GetCallerIdentity", "ec2:DescribeAvailabilityZones", "ec2:DescribeAccountAttributes")

# Types without AWS calls of their own: Pulumi's provider and components, random values.
NOT_AWS = ("pulumi:providers:", "webapp:components:", "random:")

PARTS: tuple[dict[str, Actions], ...] = (NETWORK, EDGE, COMPUTE, DATA, MONITORING)
ACTIONS: dict[str, Actions] = {resource_type: entry for part in PARTS for resource_type, entry in part.items()}


def is_aws(resource_type: str) -> bool:
    return not resource_type.startswith(NOT_AWS)
