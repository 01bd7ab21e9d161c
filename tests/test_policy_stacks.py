"""The real stacks under the pack, as `make policy` checks them: prod and staging pass with every
advisory waived for a written reason, and careless changes to the prod synth are blocked, naming
the resource."""

import json

import pytest

from tests.support import copied
from tools.policy_check import stack_urn
from tools.policy_config import read_policy_config, reconcile, stack_policy_config
from tools.policy_report import read_waivers, waivers_path


def _check(pack, synth, stack):
    """The check `make policy` runs: the stack's policy config and waivers."""
    config = read_policy_config(stack_policy_config(stack))
    return pack.check(synth.document, config, read_waivers(waivers_path(stack), stack))


@pytest.fixture(scope="module")
def prod_report(policy_pack, prod):
    return _check(policy_pack, prod, "prod")


@pytest.fixture(scope="module")
def staging_report(policy_pack, staging):
    return _check(policy_pack, staging, "staging")


@pytest.fixture(params=["prod", "staging"])
def stack_report(request, prod_report, staging_report):
    return {"prod": prod_report, "staging": staging_report}[request.param]


def test_prod_has_no_mandatory_violation(prod_report):
    assert [v.line() for v in prod_report.violations if v.enforcement == "mandatory"] == []


def test_staging_has_no_mandatory_violation(staging_report):
    assert [v.line() for v in staging_report.violations if v.enforcement == "mandatory"] == []


def test_every_advisory_violation_of_a_stack_is_waived_with_a_reason(stack_report):
    assert [v.line() for v in stack_report.violations if v.enforcement == "advisory" and not v.waived] == []


def test_every_waiver_of_a_stack_still_covers_a_violation(stack_report):
    assert [(w.policy, w.resources) for w in stack_report.unused_waivers] == []


def test_every_waiver_explains_an_advisory_policy(policy_pack):
    for stack in ("prod", "staging"):
        levels = reconcile(policy_pack.info, read_policy_config(stack_policy_config(stack)))
        assert [w.policy for w in read_waivers(waivers_path(stack), stack) if levels[w.policy][0] != "advisory"] == []


def _require(synth, type_):
    if not synth.of_type(type_):
        pytest.skip(f"the prod synth has no {type_} yet (its tier has not landed)")


def _set(record, key, value):
    for field in ("inputs", "outputs"):
        record[field][key] = value


def _rds_unencrypted(doc):
    for r in _of(doc, "aws:rds/instance:Instance"):
        _set(r, "storageEncrypted", False)


def _rds_retention_1(doc):
    for r in _of(doc, "aws:rds/instance:Instance"):
        _set(r, "backupRetentionPeriod", 1.0)


def _postgres_open_to_world(doc):
    db = _of(doc, "aws:rds/instance:Instance")[0]
    groups = set(db["propertyDependencies"]["vpcSecurityGroupIds"])
    rules = [
        r
        for r in _of(doc, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if set(r["propertyDependencies"].get("securityGroupId", [])) & groups
    ]
    for rule in rules:
        for field in ("inputs", "outputs"):
            rule[field].pop("referencedSecurityGroupId", None)
            rule[field]["cidrIpv4"] = "0.0.0.0/0"
        rule["propertyDependencies"].pop("referencedSecurityGroupId", None)


def _waf_association_dropped(doc):
    doc["resources"] = [r for r in doc["resources"] if r["type"] != "aws:wafv2/webAclAssociation:WebAclAssociation"]


def _cache_transit_preferred(doc):
    for r in _of(doc, "aws:elasticache/replicationGroup:ReplicationGroup"):
        _set(r, "transitEncryptionMode", "preferred")


def _secret_in_task_environment(doc):
    for r in _of(doc, "aws:ecs/taskDefinition:TaskDefinition"):
        containers = json.loads(r["inputs"]["containerDefinitions"])
        containers[0].setdefault("environment", []).append({"name": "AWS_SECRET_ACCESS_KEY", "value": "AKIA..."})
        _set(r, "containerDefinitions", json.dumps(containers))


def _rds_final_snapshot_skipped(doc):
    for r in _of(doc, "aws:rds/instance:Instance"):
        _set(r, "skipFinalSnapshot", True)
        for field in ("inputs", "outputs"):
            r[field].pop("finalSnapshotIdentifier", None)


def _cache_final_snapshot_dropped(doc):
    for r in _of(doc, "aws:elasticache/replicationGroup:ReplicationGroup"):
        for field in ("inputs", "outputs"):
            r[field].pop("finalSnapshotIdentifier", None)


def _privileged_container(doc):
    for r in _of(doc, "aws:ecs/taskDefinition:TaskDefinition"):
        containers = json.loads(r["inputs"]["containerDefinitions"])
        containers[0]["privileged"] = True
        _set(r, "containerDefinitions", json.dumps(containers))


def _image_by_tag(doc):
    for r in _of(doc, "aws:ecs/taskDefinition:TaskDefinition"):
        containers = json.loads(r["inputs"]["containerDefinitions"])
        containers[0]["image"] = containers[0]["image"].split("@")[0]
        _set(r, "containerDefinitions", json.dumps(containers))


def _admin_task_policy(doc):
    policy = next(r for r in _of(doc, "aws:iam/rolePolicy:RolePolicy") if r["name"] == "web-task-tracing")
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    _set(policy, "policy", json.dumps(admin))


def _flow_log_dropped(doc):
    doc["resources"] = [r for r in doc["resources"] if r["name"] != "network-flow-log"]


def _key_shared_with_the_account(doc):
    key = next(r for r in _of(doc, "aws:kms/key:Key") if r["name"] == "database-encryption-key")
    policy = json.loads(key["inputs"]["policy"])
    consumers = next(s for s in policy["Statement"] if s["Sid"] == "NamedConsumersDecrypt")
    consumers["Principal"] = {"AWS": "*"}
    consumers["Condition"]["StringEquals"]["kms:CallerAccount"] = "123456789012"
    _set(key, "policy", json.dumps(policy))


def _endpoint_policy_dropped(doc):
    for r in _of(doc, "aws:ec2/vpcEndpoint:VpcEndpoint"):
        for field in ("inputs", "outputs"):
            r[field].pop("policy", None)


def _service_egress_to_the_internet(doc):
    rule = next(
        r for r in _of(doc, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") if r["name"] == "web-to-s3"
    )
    for field in ("inputs", "outputs"):
        rule[field].pop("prefixListId", None)
        rule[field]["cidrIpv4"] = "0.0.0.0/0"
    rule["propertyDependencies"].pop("prefixListId", None)


def _of(doc, type_):
    return [r for r in doc["resources"] if r["type"] == type_]


# mutation: (what it needs in the prod synth, change, the mandatory policies that must catch it)
MUTATIONS = {
    "rds-storage-unencrypted": ("aws:rds/instance:Instance", _rds_unencrypted, {"aws-rds-instance-storage-encrypted"}),
    "rds-backup-retention-1": ("aws:rds/instance:Instance", _rds_retention_1, {"aws-rds-instance-backup-retention"}),
    "postgres-open-to-the-world": (
        "aws:rds/instance:Instance",
        _postgres_open_to_world,
        {
            "aws-ec2-security-group-high-risk-ports",
            "aws-ec2-security-group-world-ingress-ports",
            "aws-ec2-security-group-data-tier-sources",
            "aws-ec2-security-group-world-ingress-load-balancer-only",
        },
    ),
    "waf-association-dropped": (
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        _waf_association_dropped,
        {"aws-elb-load-balancer-waf"},
    ),
    "cache-transit-preferred": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        _cache_transit_preferred,
        {"aws-elasticache-replication-group-encrypted-in-transit"},
    ),
    "aws-keys-in-task-environment": (
        "aws:ecs/taskDefinition:TaskDefinition",
        _secret_in_task_environment,
        {"aws-ecs-task-definition-no-secrets-in-environment"},
    ),
    "rds-final-snapshot-skipped": (
        "aws:rds/instance:Instance",
        _rds_final_snapshot_skipped,
        {"aws-rds-instance-final-snapshot"},
    ),
    "cache-final-snapshot-dropped": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        _cache_final_snapshot_dropped,
        {"aws-elasticache-replication-group-final-snapshot"},
    ),
    "privileged-container": (
        "aws:ecs/taskDefinition:TaskDefinition",
        _privileged_container,
        {"aws-ecs-task-definition-non-privileged"},
    ),
    "admin-iam-policy": ("aws:iam/rolePolicy:RolePolicy", _admin_task_policy, {"aws-iam-policy-no-full-admin"}),
    "image-by-tag": (
        "aws:ecs/taskDefinition:TaskDefinition",
        _image_by_tag,
        {"aws-ecs-task-definition-image-digest"},
    ),
    "flow-log-dropped": ("aws:ec2/flowLog:FlowLog", _flow_log_dropped, {"aws-ec2-vpc-flow-logs"}),
    "key-shared-with-the-account": (
        "aws:kms/key:Key",
        _key_shared_with_the_account,
        {"aws-kms-key-policy-named-principals"},
    ),
    "endpoint-policy-dropped": (
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        _endpoint_policy_dropped,
        {"aws-ec2-vpc-endpoint-policy"},
    ),
    "service-egress-to-the-internet": (
        "aws:ec2/securityGroup:SecurityGroup",
        _service_egress_to_the_internet,
        {"aws-ec2-security-group-internet-egress"},
    ),
}


@pytest.fixture(scope="module")
def mutated(policy_pack, prod):
    """mutation -> the prod check of the prod synth with that mutation (each checked once)."""
    reports = {}

    def report(mutation):
        if mutation not in reports:
            needs, change, _ = MUTATIONS[mutation]
            _require(prod, needs)
            doc = copied(prod.document)
            change(doc)
            config, waivers = (
                read_policy_config(stack_policy_config("prod")),
                read_waivers(waivers_path("prod"), "prod"),
            )
            reports[mutation] = policy_pack.check(doc, config, waivers)
        return reports[mutation]

    return report


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_mutated_prod_synth_fails_with_the_right_policy(mutated, prod_report, mutation):
    policies = MUTATIONS[mutation][2]
    report = mutated(mutation)
    new = set(report.violations) - set(prod_report.violations)
    assert report.exit_code == 1
    assert {v.policy for v in new if v.enforcement == "mandatory"} == policies


# The careless changes to prod that must be blocked, and the resource the check must name.
BLOCKED = {
    "rds-final-snapshot-skipped": "database-instance",
    "cache-final-snapshot-dropped": "cache-group",
    "privileged-container": "web-task",
    "admin-iam-policy": "web-task-tracing",
    "flow-log-dropped": "network-vpc",
}


@pytest.mark.parametrize("mutation", BLOCKED)
def test_a_careless_prod_change_is_blocked_naming_the_resource(mutated, mutation):
    (policy,) = MUTATIONS[mutation][2]
    report = mutated(mutation)
    blamed = {v.urn.rsplit("::", 1)[1] for v in report.by_policy(policy) if v.enforcement == "mandatory"}
    assert (report.exit_code, blamed) == (1, {BLOCKED[mutation]})


def test_a_stack_level_violation_without_a_resource_blames_the_stack(prod):
    assert stack_urn(prod.document) == "urn:pulumi:prod::webapp::pulumi:pulumi:Stack::webapp-prod"


def test_a_violation_carries_the_source_line_the_synth_recorded(policy_pack, prod_report):
    port = next(v for v in prod_report.violations if v.policy == "aws-rds-instance-non-default-port")
    assert port.source is not None and port.source.file == "components/database.py"


def test_resources_are_analyzed_in_dependency_order_whatever_the_document_order(policy_pack, prod, prod_report):
    shuffled = copied(prod.document)
    shuffled["resources"].reverse()
    config, waivers = read_policy_config(stack_policy_config("prod")), read_waivers(waivers_path("prod"), "prod")
    assert policy_pack.check(shuffled, config, waivers).violations == prod_report.violations
