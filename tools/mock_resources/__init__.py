"""Mock outputs of AWS resources: what `pulumi up` would read back, shaped as AWS returns it.

Each resource type maps to a generator that adds the outputs AWS computes (ARNs in each service's
format, ids with the service's prefix, DNS names, endpoints); a type without one gets an id from
its name (`context.by_name`). Values are derived from the URN with a hash (`context.MockContext`),
so a synth is byte-identical from one run to the next, for one account.

The generators are written per part of the stack, one module each, as tools/iam_actions is:
`network`, `edge` (load balancer, certificate, DNS, web ACL, access-log bucket), `compute` (ECS,
functions, IAM), `data` (database, cache, keys, secrets) and `monitoring`.
"""

from __future__ import annotations

from tools.mock_resources.compute import COMPUTE
from tools.mock_resources.context import Generator, MockContext, State
from tools.mock_resources.data import DATA
from tools.mock_resources.edge import EDGE
from tools.mock_resources.monitoring import MONITORING
from tools.mock_resources.network import NETWORK


def _provider(ctx: MockContext) -> State:
    return {"id": ctx.uuid()}


# The providers' own resources (the default and explicit providers of each package).
PROVIDERS: dict[str, Generator] = {"pulumi:providers:aws": _provider, "pulumi:providers:random": _provider}
PARTS: tuple[dict[str, Generator], ...] = (NETWORK, EDGE, COMPUTE, DATA, MONITORING, PROVIDERS)
GENERATORS: dict[str, Generator] = {
    resource_type: generate for part in PARTS for resource_type, generate in part.items()
}
