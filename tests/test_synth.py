"""The offline synth: JSON shape, determinism, dependency order, secrets, and config errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from settings.stack_config import ROOT
from tests import synth_ahead
from tests.components_support import build
from tests.process_support import another_hash_seed, in_fork
from tests.support import config_with
from tools.synth import dumps, synthesize

RESOURCE_KEYS = {
    "urn",
    "type",
    "name",
    "id",
    "custom",
    "parent",
    "provider",
    "inputs",
    "outputs",
    "propertyDependencies",
    "options",
    "dependencies",
    "source",
}
OPTION_KEYS = {"protect", "retainOnDelete", "ignoreChanges", "deleteBeforeReplace", "dependsOn", "aliases"}


def test_document_has_the_documented_shape(prod):
    assert set(prod.document) == {"project", "stack", "resources", "outputs"}
    assert (prod.document["project"], prod.document["stack"]) == ("webapp", "prod")
    for resource in prod.resources:
        assert set(resource) == RESOURCE_KEYS
        assert OPTION_KEYS <= set(resource["options"])


def test_each_resource_records_the_line_of_the_program_that_created_it(prod):
    source = prod.one("aws:rds/instance:Instance")["source"]
    line = (ROOT / source["file"]).read_text().splitlines()[source["line"] - 1]
    assert source["file"] == "components/database.py" and "aws.rds.Instance(" in line


def test_every_custom_resource_has_a_source_in_the_repository(prod):
    missing = [
        r["urn"] for r in prod.resources if r["custom"] and not (r["source"] and (ROOT / r["source"]["file"]).is_file())
    ]
    assert missing == []


def test_components_are_not_custom_and_have_no_id(prod):
    network = prod.one("webapp:components:Network")
    assert network["custom"] is False and network["id"] is None


def test_a_urn_carries_every_ancestor_type_but_the_stack(prod):
    # As the engine makes it: a key inside the cache's EncryptionKey inside the Cache component.
    key = prod.one("aws:kms/key:Key", "cache-encryption-key")
    assert key["urn"] == (
        "urn:pulumi:prod::webapp::webapp:components:Cache$webapp:components:EncryptionKey$aws:kms/key:Key"
        "::cache-encryption-key"
    )
    assert prod.one("webapp:components:Network")["urn"] == "urn:pulumi:prod::webapp::webapp:components:Network::network"


def test_aliases_are_recorded_as_the_program_states_them(prod):
    # pulumi-aws aliases its renamed types; the spec leaves the name and parent to the resource.
    balancer = prod.one("aws:lb/loadBalancer:LoadBalancer")
    assert {"spec": {"parentUrn": "", "type": "aws:elasticloadbalancingv2/loadBalancer:LoadBalancer"}} in balancer[
        "options"
    ]["aliases"]


def test_parents_and_dependencies_come_before_dependents(prod):
    position = {r["urn"]: index for index, r in enumerate(prod.resources)}
    for resource in prod.resources:
        for before in [resource["parent"], *resource["dependencies"]]:
            if before:
                assert position[before] < position[resource["urn"]], (before, resource["urn"])


def test_property_dependencies_name_the_resources_an_input_came_from(prod):
    subnet = prod.one("aws:ec2/subnet:Subnet", "network-private-0")
    assert prod.depends_on(subnet, "vpcId") == [prod.one("aws:ec2/vpc:Vpc", "network-vpc")]


def test_outputs_carry_realistic_arns(prod):
    key = prod.one("aws:kms/key:Key", "logs-key")
    assert key["outputs"]["arn"] == f"arn:aws:kms:us-east-1:123456789012:key/{key['id']}"
    log_group = prod.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert log_group["outputs"]["arn"] == "arn:aws:logs:us-east-1:123456789012:log-group:/vpc/prod/network/flow-logs"


def test_protect_option_is_recorded(prod):
    assert prod.one("aws:kms/key:Key", "logs-key")["options"]["protect"] is True


def test_stack_outputs_are_recorded(prod):
    assert prod.outputs["region"] == "us-east-1"
    assert prod.outputs["vpcId"].startswith("vpc-")


@pytest.mark.spawns
def test_same_stack_gives_byte_identical_json_in_another_interpreter_under_another_hash_seed(staging, tmp_path):
    """Nothing in the synth may depend on set or dict iteration order, which a hash seed changes.
    When the workers fork, the session documents come from an interpreter under another hash
    seed (tests.synth_ahead); otherwise this test runs `python -m tools.synth` under one (5 CPU-s)."""
    if synth_ahead.made_under_another_hash_seed():
        elsewhere = dumps(staging.document)
    else:
        out = tmp_path / "staging.json"
        result = subprocess.run(
            [sys.executable, "-m", "tools.synth", "--stack", "staging", "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=another_hash_seed(),
        )
        assert result.returncode == 0, result.stderr
        elsewhere = out.read_text()
    assert dumps(synthesize("staging")) == elsewhere


def test_a_synth_gives_the_sdk_back_its_stack_capture():
    """The synth leaves out the call stacks the SDK would send a real engine, only while it runs:
    a program run after it in the same process (pulumi's own test mocks) gets them again."""
    from pulumi.runtime import resource as runtime_resource

    before = runtime_resource._get_stack_trace  # noqa: SLF001 (the SDK hook the synth swaps)
    during = []
    build("staging", lambda: during.append(runtime_resource._get_stack_trace))  # noqa: SLF001
    (hook_during_the_run,) = during
    assert hook_during_the_run is not before
    assert runtime_resource._get_stack_trace is before  # noqa: SLF001
    assert before.__module__ == "pulumi.runtime.resource"


def _failing_then_good_synth() -> int:
    """A program that fails after the key policies started waiting for later roles, then the
    stack's own program, in this process; prints what each ended with."""
    config = config_with("staging", {})
    config["webapp:services"][0]["environment"] = {"DATABASE_HOST": "clash"}
    try:
        synthesize("staging", config=config)
        print("the failing program synthesized")
    except Exception as error:  # noqa: BLE001 (the engine wraps the program's error)
        print(f"failed: {error}")
    print(f"then {len(synthesize('staging')['resources'])} resources")
    return 0


@pytest.mark.fork_safety
def test_a_fork_of_a_process_that_synthesized_ends_a_failing_program_and_synthesizes_again(staging):
    # The mutation run forks each mutant's tests from a process that ran every synth once; a
    # mutant that breaks the program must end that run with its error (a killed mutant), not
    # leave it waiting for an Output nothing will resolve until the time limit (a timeout), and
    # the next synth in the same process must still work.
    status, output = in_fork(_failing_then_good_synth, timeout=60)
    assert status == 0, output
    assert "DATABASE_HOST is defined twice in its environment and secrets" in output
    assert f"then {len(staging.resources)} resources" in output
