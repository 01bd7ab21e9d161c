"""The cost estimate of the real stacks (`python -m tools.cost`): its JSON, what each setting
costs, the change against a base, and the staging/prod ratio. The stacks are the session's
synth documents; what-ifs edit a copy of a document the way the program would register it."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from settings import load_settings
from tests.support import Synth, config_with, copied
from tools.cost import cli
from tools.cost.estimate import Estimate, estimate
from tools.cost.prices import load

BOOK = load()
LINE_KEYS = {"urn", "type", "component", "description", "quantity", "unit", "unitPrice", "monthly", "kind"}


def priced(document: dict[str, Any], stack: str, usage_overrides: dict[str, Any] | None = None) -> Estimate:
    settings = load_settings(stack, config_with(stack, usage_overrides or {}))
    return estimate(document, settings.usage, BOOK)


def edited(stack: Synth, type_: str, **inputs: Any) -> dict[str, Any]:
    """A copy of the stack's document with these inputs set on its one resource of `type_`."""
    document = copied(stack.document)
    (resource,) = [r for r in document["resources"] if r["type"] == type_]
    resource["inputs"].update(inputs)
    return document


def lines_of(result: Estimate, type_: str) -> list[float]:
    return [line.monthly for line in result.lines if line.type == type_]


def run_cli(monkeypatch, capsys, stack: Synth, *args: str) -> tuple[int, str, str]:
    """`python -m tools.cost` in process, on the session's synth of the stack."""
    monkeypatch.setattr(cli, "synthesize", lambda name, config=None: copied(stack.document))
    status = cli.main(["--stack", stack.document["stack"], *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("name", ["prod", "staging"])
def test_json_has_the_documented_shape_and_its_lines_sum_to_the_totals(name, request, monkeypatch, capsys):
    stack = request.getfixturevalue(name)
    status, out, _ = run_cli(monkeypatch, capsys, stack, "--json")
    document = json.loads(out)
    assert status == 0
    assert {
        "stack",
        "currency",
        "priceDate",
        "fixedMonthly",
        "usageMonthly",
        "monthlyTotal",
        "lines",
        "unpriced",
    } <= set(document)
    assert (document["stack"], document["currency"], document["priceDate"]) == (name, "USD", BOOK.price_date)
    assert "delta" not in document
    assert all(LINE_KEYS <= set(line) and line["kind"] in ("fixed", "usage") for line in document["lines"])
    for kind in ("fixed", "usage"):
        amounts = [line["monthly"] for line in document["lines"] if line["kind"] == kind]
        assert math.fsum(amounts) == document[f"{kind}Monthly"]
    assert math.fsum(line["monthly"] for line in document["lines"]) == document["monthlyTotal"]
    assert all(line["monthly"] == line["quantity"] * line["unitPrice"] for line in document["lines"])


@pytest.mark.parametrize("name", ["prod", "staging"])
def test_every_resource_of_the_stacks_is_priced_or_free(name, request):
    stack = request.getfixturevalue(name)
    assert priced(stack.document, name).unpriced == []


def test_switching_the_cache_from_valkey_to_redis_raises_its_lines_by_a_quarter(prod):
    group = "aws:elasticache/replicationGroup:ReplicationGroup"
    valkey = lines_of(priced(prod.document, "prod"), group)
    redis = lines_of(priced(edited(prod, group, engine="redis", engineVersion="7.1"), "prod"), group)
    assert valkey and len(redis) == len(valkey)
    for before, after in zip(valkey, redis, strict=True):
        assert after == pytest.approx(before / 0.8, rel=1e-12)


def test_multi_az_doubles_the_database_instance_line(staging):
    instance = "aws:rds/instance:Instance"

    def instance_line(document):
        return next(line for line in priced(document, "staging").lines if line.price_key.startswith("rds/instance/"))

    single = instance_line(staging.document)
    multi = instance_line(edited(staging, instance, multiAz=True))
    assert multi.monthly == 2 * single.monthly
    assert "Multi-AZ" in multi.description and "Single-AZ" in single.description


def test_multi_az_doubles_the_database_storage_line(staging):
    def storage(document):
        return next(line for line in priced(document, "staging").lines if line.price_key.startswith("rds/storage/"))

    assert (
        storage(edited(staging, "aws:rds/instance:Instance", multiAz=True)).monthly
        == 2 * storage(staging.document).monthly
    )


def test_doubling_the_web_desired_count_adds_exactly_its_fargate_cost_in_the_delta(prod, monkeypatch, capsys, tmp_path):
    base = tmp_path / "base.json"
    base.write_text(json.dumps(prod.document))
    web = next(r for r in prod.of_type("aws:ecs/service:Service") if r["inputs"]["name"] == "web")
    doubled = edited(prod, "aws:ecs/service:Service", desiredCount=2 * web["inputs"]["desiredCount"])
    monkeypatch.setattr(cli, "synthesize", lambda name, config=None: doubled)
    assert cli.main(["--stack", "prod", "--base", str(base), "--json"]) == 0
    change = json.loads(capsys.readouterr().out)["delta"]
    fargate = [line for line in priced(prod.document, "prod").lines if line.urn == web["urn"]]
    assert {line["description"] for line in change["lines"]} == {
        f"web: {2 * web['inputs']['desiredCount']:g} tasks x 2 vCPU (ARM64)",
        f"web: {2 * web['inputs']['desiredCount']:g} tasks x 4 GB memory (ARM64)",
    }
    assert sorted(line["deltaMonthly"] for line in change["lines"]) == sorted(line.monthly for line in fargate)
    web_cost = math.fsum(line.monthly for line in fargate)
    assert change["fixedMonthly"] == pytest.approx(web_cost, abs=1e-9)
    assert change["monthlyTotal"] == pytest.approx(web_cost, abs=1e-9) and change["usageMonthly"] == 0


def test_an_unchanged_stack_has_an_empty_delta(staging, monkeypatch, capsys, tmp_path):
    base = tmp_path / "base.json"
    base.write_text(json.dumps(staging.document))
    status, out, _ = run_cli(monkeypatch, capsys, staging, "--base", str(base))
    assert status == 0
    assert "no line changes" in out and "fixed +0.00" in out


def test_arm64_tasks_cost_less_than_x86_64(staging):
    arm = lines_of(priced(staging.document, "staging"), "aws:ecs/service:Service")
    document = copied(staging.document)
    for resource in document["resources"]:
        if resource["type"] == "aws:ecs/taskDefinition:TaskDefinition":
            resource["inputs"]["runtimePlatform"]["cpuArchitecture"] = "X86_64"
    x86 = lines_of(priced(document, "staging"), "aws:ecs/service:Service")
    assert math.fsum(x86) / math.fsum(arm) == pytest.approx(1.25, abs=0.01)


def test_a_type_without_a_price_model_is_listed_unpriced_never_zero(staging):
    document = copied(staging.document)
    table = copied(document["resources"][-1])
    table.update(
        urn=table["urn"].rsplit("::", 2)[0] + "::aws:dynamodb/table:Table::sessions", type="aws:dynamodb/table:Table"
    )
    table.update(name="sessions", custom=True, inputs={"billingMode": "PAY_PER_REQUEST"})
    document["resources"].append(table)
    before, after = priced(staging.document, "staging"), priced(document, "staging")
    assert [item.urn for item in after.unpriced] == [table["urn"]]
    assert after.unpriced[0].reason == "no price model for this resource type"
    assert after.monthly_total == before.monthly_total


def test_a_class_missing_from_the_snapshot_is_unpriced_with_the_key(staging):
    result = priced(edited(staging, "aws:rds/instance:Instance", instanceClass="db.x2g.large"), "staging")
    (item,) = result.unpriced
    assert item.type == "aws:rds/instance:Instance"
    assert "no price rds/instance/PostgreSQL/db.x2g.large in us-east-1" in item.reason
    assert not [line for line in result.lines if line.price_key.startswith("rds/instance/")]


def test_usage_lines_follow_the_usage_profile_and_fixed_lines_do_not(staging):
    normal = priced(staging.document, "staging")
    busy = priced(staging.document, "staging", {"webapp:usage": {"requestsPerMonth": 1_000_000}})
    waf = [line for line in normal.lines if line.price_key == "waf/requests"]
    waf_busy = [line for line in busy.lines if line.price_key == "waf/requests"]
    assert waf_busy[0].monthly == 2 * waf[0].monthly
    assert busy.fixed_monthly == normal.fixed_monthly and busy.usage_monthly > normal.usage_monthly


def test_cross_region_backups_are_stored_in_the_second_region_and_transferred_from_the_first(prod):
    result = priced(prod.document, "prod")
    replication = [line for line in result.lines if line.type.endswith("InstanceAutomatedBackupsReplication")]
    assert {(line.price_key, line.region, line.kind) for line in replication} == {
        ("rds/backup-storage", "us-west-2", "usage"),
        ("datatransfer/inter-region/us-west-2", "us-east-1", "usage"),
    }


def test_the_rds_managed_master_secret_is_billed(prod):
    secrets = [line for line in priced(prod.document, "prod").lines if line.price_key == "secretsmanager/secret"]
    assert {line.type for line in secrets} == {"aws:rds/instance:Instance", "aws:secretsmanager/secret:Secret"}


def test_the_load_balancer_pays_one_public_ipv4_address_per_az(prod, staging):
    def addresses(stack, name):
        result = priced(stack.document, name)
        return next(
            line.quantity
            for line in result.lines
            if line.type.startswith("aws:lb/") and line.price_key == "vpc/public-ipv4/hours"
        )

    assert (addresses(prod, "prod"), addresses(staging, "staging")) == (3 * 730, 2 * 730)


def test_staging_fixed_cost_is_at_most_15_percent_of_prods(prod, staging):
    ratio = priced(staging.document, "staging").fixed_monthly / priced(prod.document, "prod").fixed_monthly
    assert ratio <= 0.15


@pytest.mark.parametrize("name", ["prod", "staging"])
def test_each_example_stack_meets_its_budget(name, request):
    stack = request.getfixturevalue(name)
    settings = load_settings(name, config_with(name, {}))
    assert settings.budget is not None
    assert priced(stack.document, name).fixed_monthly <= settings.budget.monthly_usd


def test_the_text_report_has_a_table_per_component_and_the_totals(prod, monkeypatch, capsys):
    status, out, _ = run_cli(monkeypatch, capsys, prod)
    result = priced(prod.document, "prod")
    assert status == 0
    for component in result.by_component():
        assert f"\n{component}  " in out
    assert "Total (USD per month)" in out and f"{result.fixed_monthly:,.2f}" in out
    assert f"Prices of {BOOK.price_date}" in out
    assert "within webapp:budget.monthlyUsd" in out


def test_a_base_that_is_not_a_synth_document_is_one_line_exit_2(staging, monkeypatch, capsys, tmp_path):
    base = tmp_path / "base.json"
    base.write_text('{"resources": 3}')
    status, out, err = run_cli(monkeypatch, capsys, staging, "--base", str(base))
    assert (status, out) == (2, "")
    assert err == f"--base {base}: not a synth document (python -m tools.synth --out)\n"


def test_a_read_replica_bills_its_class_and_the_primarys_storage_single_az(optional_prod):
    # Two replicas of db.r7g.large (the primary is a db.r7g.xlarge).
    result = priced(optional_prod.document, "prod")
    replica = [line for line in result.lines if line.urn.endswith("::database-replica-1")]
    assert [(line.description, line.quantity) for line in replica] == [
        ("db.r7g.large PostgreSQL, Single-AZ", 730),
        ("gp3 storage 100 GB, Single-AZ", 100),
    ]
    # The price book holds the stack files' regions: what this variant has unpriced is its backups'
    # copies in eu-west-1 and the transfer there.
    assert [item for item in result.unpriced if "eu-west-1" not in f"{item.region} {item.price_key}"] == []


def test_cluster_mode_bills_every_node_of_every_shard(optional_prod):
    # Three shards of a primary and one replica each.
    (line,) = [line for line in priced(optional_prod.document, "prod").lines if line.type.startswith("aws:elasticache")]
    assert (line.description, line.quantity) == ("cache.r7g.xlarge Valkey x 6 nodes", 6 * 730)
