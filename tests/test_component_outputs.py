"""What each component registers as its outputs (`register_outputs`): the values the Pulumi
console and `pulumi stack export` show for the component, and the signal that it is done. Each is
one of its own resources' outputs, under the name the component gives it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Synth, walk

# Each component type of the prod stack, with the names of the outputs it registers.
OUTPUTS = {
    "Alarms": {
        "alarm_names",
        "critical_topic_arn",
        "dashboard_url",
        "deployment_alarm_name",
        "slo_alarm_names",
        "warning_topic_arn",
    },
    "Cache": {
        "key_arn",
        "port",
        "primary_endpoint",
        "reader_endpoint",
        "replication_group_id",
        "security_group_id",
        "token_secret_arn",
    },
    "Cluster": {"arn", "name"},
    "Database": {"database_name", "endpoint", "instance_id", "key_arn", "port", "secret_arn", "security_group_id"},
    "DatabaseBootstrap": {"function_name", "version"},
    "EncryptionKey": {"alias", "arn"},
    "FargateService": {"log_group", "security_group_id", "service_name", "task_role_arn"},
    "Firewall": {"log_group", "web_acl_arn", "web_acl_name"},
    "KeyAdministrator": {"arn"},
    "LoadBalancer": {
        "arn",
        "arn_suffix",
        "certificate_arn",
        "dns_name",
        "https_listener_arn",
        "security_group_id",
        "test_listener_arn",
        "url",
    },
    "Network": {"isolated_subnet_ids", "private_subnet_ids", "public_subnet_ids", "vpc_id"},
    "RecoverySite": {
        "cache_subnet_group_name",
        "database_security_group_id",
        "db_subnet_group_name",
        "isolated_subnet_ids",
        "key_arn",
        "logs_key_arn",
        "parameter_group_name",
        "private_subnet_ids",
        "region",
        "vpc_id",
    },
    "SmokeTestHook": {"function_arn", "role_arn"},
    "VpcFunction": {"arn", "code_sha256", "log_group", "name", "role_arn", "security_group_id"},
}
# Outputs made from settings rather than read from a resource: the dashboard's console address, the
# site's URL, the recovery region, and the recovery database's security group (made by the
# database's own replica, outside the recovery site's children).
MADE = {
    ("Alarms", "dashboard_url"),
    ("LoadBalancer", "url"),
    ("RecoverySite", "region"),
    ("RecoverySite", "database_security_group_id"),
}


def components(stack: Synth) -> list[dict[str, Any]]:
    return [r for r in stack.resources if not r["custom"] and r["type"].startswith("webapp:components:")]


def resource_outputs(stack: Synth, component: dict[str, Any]) -> set[str]:
    """Every value that a resource below `component` (at any depth) reports as an output."""
    parents = {r["urn"]: r.get("parent") for r in stack.resources}
    values: set[str] = set()
    for resource in stack.resources:
        parent = resource.get("parent")
        while parent and parent != component["urn"]:
            parent = parents.get(parent)
        if parent:
            values.update(
                str(value) for value in walk(resource.get("outputs", {})) if not isinstance(value, dict | list)
            )
    return values


@pytest.mark.parametrize("kind", sorted(OUTPUTS))
def test_each_component_registers_its_outputs_by_name_each_one_of_its_resources(prod, kind):
    found = [r for r in components(prod) if r["type"] == f"webapp:components:{kind}"]
    assert found
    for component in found:
        outputs = component["outputs"]
        assert set(outputs) == OUTPUTS[kind], component["name"]
        reported = resource_outputs(prod, component)
        for name, value in outputs.items():
            values = value if isinstance(value, list) else [value]
            assert values and all(item not in (None, "") for item in values), (component["name"], name)
            if (kind, name) not in MADE:
                assert all(str(item) in reported for item in values), (component["name"], name)


def test_every_component_type_of_prod_is_in_the_table(prod):
    assert {r["type"].removeprefix("webapp:components:") for r in components(prod)} == set(OUTPUTS)
