"""The stack as a whole: providers, and the network path from the internet to the data."""

from __future__ import annotations

import json
from functools import partial

import yaml

from tests.process_support import in_fork
from tests.service_path import EGRESS, INGRESS, SECURITY_GROUP, peer
from tests.support import config_with
from tools import synth


def test_every_provider_refuses_accounts_other_than_the_allowed_one(prod):
    providers = prod.of_type("pulumi:providers:aws")
    assert len(providers) == 2  # the stack's region and the backup region
    for provider in providers:
        assert json.loads(provider["inputs"]["allowedAccountIds"]) == ["123456789012"]


def test_traffic_flows_internet_to_alb_to_services_to_data_stores_and_nowhere_else(staging):
    """The chain ALB SG -> service SG -> database/cache SGs, and nothing else, in the synth (and
    the database bootstrap function to the database)."""
    edges = set()
    for group in staging.of_type(SECURITY_GROUP):
        for rule in staging.rules_of(INGRESS, group):
            edges.add((peer(staging, rule), group["name"], rule["inputs"].get("fromPort")))
    internal = {(source, target, port) for source, target, port in edges if "/" not in source}
    assert internal == {
        ("alb-sg", "web-sg", 8080.0),
        ("web-sg", "database-sg", 5432.0),
        ("worker-sg", "database-sg", 5432.0),
        ("web-sg", "cache-sg", 6379.0),
        ("worker-sg", "cache-sg", 6379.0),
        ("db-bootstrap-function-sg", "database-sg", 5432.0),
    }
    world = {(source, target, port) for source, target, port in edges if source in ("0.0.0.0/0", "::/0")}
    assert world == {(cidr, "alb-sg", port) for cidr in ("0.0.0.0/0", "::/0") for port in (80.0, 443.0)}


def test_prod_services_send_only_to_the_endpoints_s3_and_the_data_stores(prod):
    group = prod.one(SECURITY_GROUP, "web-sg")
    destinations = {(peer(prod, r), r["inputs"]["fromPort"]) for r in prod.rules_of(EGRESS, group)}
    assert destinations == {
        ("network-endpoints-sg", 443.0),
        ("network-s3", 443.0),
        ("database-sg", 5432.0),
        ("cache-sg", 6379.0),
    }


def test_staging_services_reach_aws_apis_through_nat_as_their_settings_say(staging):
    for name in ("web-sg", "worker-sg"):
        group = staging.one(SECURITY_GROUP, name)
        destinations = {(peer(staging, r), r["inputs"]["fromPort"]) for r in staging.rules_of(EGRESS, group)}
        assert destinations == {
            ("0.0.0.0/0", 443.0),
            ("network-s3", 443.0),
            ("database-sg", 5432.0),
            ("cache-sg", 6379.0),
        }


def test_a_program_failing_after_the_deferred_key_consumers_ends_with_its_error(tmp_path):
    """The key policies wait for the roles made later; a service that cannot be built must fail
    the run with its reason, not leave the keys waiting forever. The run is forked, with a time
    limit: a program that waits forever fails this test instead of hanging the worker, and the
    fork reuses this process's imports (a fresh interpreter spent 4 CPU-s on them)."""
    config = config_with("staging", {})
    config["webapp:services"][0]["environment"] = {"DATABASE_HOST": "clash"}
    stack_file = tmp_path / "Pulumi.staging.yaml"
    stack_file.write_text(yaml.safe_dump({"config": config}))
    status, output = in_fork(partial(synth.main, ["--stack", "staging", "--config-file", str(stack_file)]))
    assert status != 0
    assert "DATABASE_HOST is defined twice in its environment and secrets" in output
