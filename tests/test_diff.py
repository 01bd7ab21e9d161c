"""tools.diff: what a change does to each resource, from two synths of the real program."""

from __future__ import annotations

import json

import pytest

from tests.components_support import database
from tests.diff_support import edited, of_type, renamed, resource, without_component
from tests.support import copied
from tools.diff import compare
from tools.diff.__main__ import main
from tools.diff.render import markdown, text
from tools.diff.values import MASK, UNKNOWN

RDS = "aws:rds/instance:Instance"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def change_of(report, name):
    found = [c for c in report.changes if c.name == name]
    assert len(found) == 1, [c.name for c in report.changes]
    return found[0]


def paths(change):
    return {p["path"]: (p["old"], p["new"]) for p in change.properties}


# --- the review's acceptance cases, on prod -----------------------------------------------------


def test_a_changed_rds_instance_class_is_an_update():
    # The database component alone, before and after.
    base, head = (database("prod", o) for o in ({}, {"webapp:database": {"instanceClass": "db.r7g.2xlarge"}}))
    report = compare(base.document, head.document)
    change = change_of(report, "database-instance")
    assert (change.action, change.blocking) == ("update", False)
    assert paths(change)["instanceClass"] == ("db.r7g.xlarge", "db.r7g.2xlarge")
    assert not report.blocking


def test_a_changed_subnet_cidr_is_a_replace(prod):
    head = edited(prod.document, lambda d: resource(d, "network-public-0")["inputs"].update(cidrBlock="10.20.64.0/20"))
    change = change_of(compare(prod.document, head), "network-public-0")
    assert change.action == "replace"
    assert "cidrBlock forces a new resource" in change.reason and "docs/resources/subnet" in change.reason


def test_a_replaced_subnet_replaces_what_is_bound_to_its_id(prod):
    head = edited(prod.document, lambda d: resource(d, "network-public-0")["inputs"].update(cidrBlock="10.20.64.0/20"))
    report = compare(prod.document, head)
    nat = change_of(report, "network-nat-0")
    assert nat.action == "replace" and paths(nat)["subnetId"][1] == UNKNOWN
    assert change_of(report, "network-public-0-rta").action == "replace"
    assert change_of(report, "alb-lb").action == "update"  # an ALB's subnets change in place


def test_a_changed_database_name_is_a_blocking_replace():
    # The database component alone, before and after.
    base, head = (database("prod", o) for o in ({}, {"webapp:database": {"databaseName": "orders"}}))
    report = compare(base.document, head.document)
    change = change_of(report, "database-instance")
    assert (change.action, change.protected, change.blocking) == ("replace", True, True)
    assert "protected" in change.reason and "dbName forces a new resource" in change.reason
    assert report.changes[0] is change or report.changes[0].blocking


def test_a_removed_cache_is_a_blocking_delete(prod):
    head = edited(prod.document, lambda d: without_component(d, "webapp:components:Cache"))
    report = compare(prod.document, head)
    change = change_of(report, "cache-group")
    assert (change.action, change.blocking) == ("delete", True)
    assert "stateful resource (cache)" in change.reason


def test_an_added_alarm_is_a_create(prod):
    def add_alarm(document):
        alarm = copied(of_type(document, ALARM)[0])
        renamed(alarm, "alarms-new-alarm")
        document["resources"].append(alarm)

    report = compare(prod.document, edited(prod.document, add_alarm))
    change = change_of(report, "alarms-new-alarm")
    assert (change.action, change.blocking, change.type) == ("create", False, ALARM)
    assert report.summary()["create"] == 1


# --- matching: unchanged, URN changes, aliases ------------------------------------------------


def test_the_same_synth_changes_nothing_and_counts_every_resource(prod):
    report = compare(prod.document, prod.document)
    assert report.changes == []
    assert report.summary()["same"] == sum(1 for r in prod.resources if r["custom"])


def test_a_urn_change_without_an_alias_is_a_delete_plus_a_create(prod):
    head = edited(prod.document, lambda d: renamed(resource(d, "alarms-critical"), "alarms-paging"))
    report = compare(prod.document, head)
    delete, create = change_of(report, "alarms-critical"), change_of(report, "alarms-paging")
    assert (delete.action, create.action) == ("delete", "create")
    assert "URN changed without an alias" in delete.reason and "aliases" in delete.reason


def test_a_urn_change_with_an_alias_is_the_same_resource(prod):
    def move(document):
        topic = resource(document, "alarms-critical")
        old = topic["urn"]
        renamed(topic, "alarms-paging")
        topic["options"]["aliases"] = [{"spec": {"name": old.rsplit("::", 1)[1]}}]

    report = compare(prod.document, edited(prod.document, move))
    assert [c.name for c in report.changes if c.name in ("alarms-critical", "alarms-paging")] == []


# --- property paths: structures, secrets, ignored changes -------------------------------------


def test_container_definitions_are_diffed_by_container_and_variable(prod):
    def rename_database(document):
        task = resource(document, "web-task")
        containers = json.loads(task["inputs"]["containerDefinitions"])
        web = next(c for c in containers if c["name"] == "web")
        next(e for e in web["environment"] if e["name"] == "DATABASE_NAME")["value"] = "orders"
        task["inputs"]["containerDefinitions"] = json.dumps(containers)

    task = change_of(compare(prod.document, edited(prod.document, rename_database)), "web-task")
    assert paths(task) == {"containerDefinitions[web].environment[DATABASE_NAME].value": ("app", "orders")}


def test_policy_documents_are_diffed_by_statement(prod):
    def widen(document):
        policy = resource(document, "alb-access-logs-policy")
        statements = json.loads(policy["inputs"]["policy"])
        statements["Statement"][1]["Action"] = ["s3:PutObject", "s3:GetObject"]
        policy["inputs"]["policy"] = json.dumps(statements)

    change = change_of(compare(prod.document, edited(prod.document, widen)), "alb-access-logs-policy")
    assert change.action == "update"
    assert paths(change) == {
        "policy.Statement[ElbLogDelivery].Action": ("s3:PutObject", ["s3:PutObject", "s3:GetObject"])
    }


def test_a_changed_secret_is_reported_but_never_shown(prod):
    secret_type = "aws:secretsmanager/secretVersion:SecretVersion"
    original = of_type(prod.document, secret_type)[0]["inputs"]["secretString"]["value"]
    head = edited(prod.document, lambda d: of_type(d, secret_type)[0]["inputs"]["secretString"].update(value="x" * 64))
    report = compare(prod.document, head)
    change = change_of(report, "cache-auth-token")
    assert change.action == "replace" and paths(change)["secretString"] == (MASK, MASK)
    shown = json.dumps(report.as_json()) + text(report) + markdown(report)
    assert original not in shown and "x" * 64 not in shown


def test_paths_under_ignore_changes_are_not_changes(prod):
    def scale(document):
        service = resource(document, "web-service")
        assert "desiredCount" in service["options"]["ignoreChanges"]
        service["inputs"]["desiredCount"] = 40.0

    assert change_of_or_none(compare(prod.document, edited(prod.document, scale)), "web-service") is None


def change_of_or_none(report, name):
    return next((c for c in report.changes if c.name == name), None)


def test_lifting_protection_is_reported(prod):
    head = edited(prod.document, lambda d: resource(d, "database-instance")["options"].update(protect=False))
    change = change_of(compare(prod.document, head), "database-instance")
    assert (change.action, paths(change)) == ("update", {"options.protect": (True, False)})


def test_a_provider_region_change_replaces_its_resources(prod):
    backup = [r for r in prod.resources if r["type"] == "pulumi:providers:aws" and r["inputs"]["region"] != "us-east-1"]
    assert backup, "prod has a provider for its backup region"
    head = edited(prod.document, lambda d: resource(d, backup[0]["name"])["inputs"].update(region="us-west-1"))
    report = compare(prod.document, head)
    users = [r["name"] for r in prod.resources if (r["provider"] or "").startswith(backup[0]["urn"] + "::")]
    assert users and all(change_of(report, name).action == "replace" for name in users)


# --- the command --------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path, prod):
    def write(head):
        base_file, head_file = tmp_path / "base.json", tmp_path / "head.json"
        base_file.write_text(json.dumps(prod.document))
        head_file.write_text(json.dumps(head))
        return [str(base_file), str(head_file)]

    return write


def test_json_output_has_the_documented_shape(files, capsys, prod):
    head = edited(prod.document, lambda d: without_component(d, "webapp:components:Cache"))
    assert main([*files(head), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"summary", "changes"}
    assert set(document["summary"]) == {"create", "update", "replace", "delete", "same"}
    for change in document["changes"]:
        assert set(change) == {"urn", "type", "action", "properties", "protected", "blocking", "reason"}
        assert all(set(p) == {"path", "old", "new"} for p in change["properties"])


def test_exits_0_when_nothing_blocks(files, capsys, prod):
    head = edited(
        prod.document, lambda d: resource(d, "database-instance")["inputs"].update(instanceClass="db.r7g.2xlarge")
    )
    assert main(files(head)) == 0
    assert "instanceClass: db.r7g.xlarge => db.r7g.2xlarge" in capsys.readouterr().out


def test_markdown_lists_blocking_changes_before_the_rest(files, capsys, prod):
    def two_changes(document):
        without_component(document, "webapp:components:Cache")
        resource(document, "database-instance")["inputs"]["instanceClass"] = "db.r7g.2xlarge"

    assert main([*files(edited(prod.document, two_changes)), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert out.index("blocking change(s)") < out.index("cache-group") < out.index("database-instance")


def test_an_unreadable_synth_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "missing.json"), str(tmp_path / "missing.json")]) == 2
    assert "cannot read a synth" in capsys.readouterr().err
