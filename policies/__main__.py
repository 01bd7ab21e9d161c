"""Entry point the Pulumi engine runs (`python -m pulumi.policy <engine> .` in this directory):
build the pack, which serves the analyzer protocol and prints its port."""

import gc

import pulumi_policy.policy
from pulumi_policy import EnforcementLevel, PolicyPack

from webapp_policies import PACK_NAME, all_policies, wire

wire.install(pulumi_policy.policy)
policies = all_policies()
# What is imported now lives as long as the process: out of the collector's reach, and young
# objects pile up longer before a collection, which otherwise walks all of it again (gc.freeze).
gc.collect()
gc.freeze()
gc.set_threshold(10_000, 50, 100)

PolicyPack(
    name=PACK_NAME,
    description="Production security baseline for the webapp stacks on AWS (FSBP-aligned).",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=policies,
)
