"""Entry point the Pulumi engine runs (`python -m pulumi.policy <engine> .` in this directory):
build the pack, which serves the analyzer protocol and prints its port."""

from pulumi_policy import EnforcementLevel, PolicyPack

from webapp_policies import PACK_NAME, all_policies

PolicyPack(
    name=PACK_NAME,
    description="Production security baseline for the webapp stacks on AWS (FSBP-aligned).",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=all_policies(),
)
