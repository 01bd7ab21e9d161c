"""Test helpers: synthesize a stack under the mocks and query what it registered."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, TypeVar

import pytest

import composition
from components.common import ServiceLink
from settings import ConfigError, load_settings
from settings.stack_config import read_stack_config
from tools.synth import is_secret, synthesize

T = TypeVar("T")

# A web service as a test stack names it: images pinned by digest in the stack's private ECR, as
# prod requires (the digests are made up).
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
DIGEST = "sha256:3fa996850b6d6489298c9e7877588859972a024455c43c3f3d0ef201e69e6ff8"
WEB_SERVICE = {
    "name": "web",
    "kind": "web",
    "image": f"{REGISTRY}/webapp:1.4.2@{DIGEST}",
    "tracingImage": f"{REGISTRY}/aws-xray-daemon:3.3.14@{DIGEST}",
    "healthCheckPath": "/healthz",
}


class Synth:
    """The synth document of one stack, with lookups by type, name and URN."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.resources: list[dict[str, Any]] = document["resources"]
        self.by_urn = {r["urn"]: r for r in self.resources}
        self.outputs = document["outputs"]

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_]

    def one(self, type_: str, name: str | None = None) -> dict[str, Any]:
        found = [r for r in self.of_type(type_) if name is None or r["name"] == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r['name'] for r in found]}"
        return found[0]

    def named(self, name: str) -> dict[str, Any]:
        return next(r for r in self.resources if r["name"] == name)

    def children(self, parent_name: str) -> list[dict[str, Any]]:
        parents = {r["urn"] for r in self.resources if r["name"] == parent_name and not r["custom"]}
        return [r for r in self.resources if r["parent"] in parents]

    def depends_on(self, resource: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """The resources an input of `resource` came from."""
        return [self.by_urn[u] for u in resource["propertyDependencies"].get(key, [])]

    def route_table_of(self, subnet: dict[str, Any]) -> dict[str, Any]:
        """The route table a subnet is associated with."""
        association = next(
            r
            for r in self.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
            if subnet["urn"] in r["propertyDependencies"]["subnetId"]
        )
        return self.depends_on(association, "routeTableId")[0]

    def routes_of(self, table: dict[str, Any]) -> list[dict[str, Any]]:
        """The routes of a route table."""
        return [
            r for r in self.of_type("aws:ec2/route:Route") if table["urn"] in r["propertyDependencies"]["routeTableId"]
        ]

    def rules_of(self, rule_type: str, group: dict[str, Any]) -> list[dict[str, Any]]:
        """Standalone ingress or egress rules (`rule_type`) of a security group."""
        return [
            r for r in self.of_type(rule_type) if group["urn"] in r["propertyDependencies"].get("securityGroupId", [])
        ]


def primary_region(stack: Synth) -> Synth:
    """The stack without its recovery site (the pilot light in the backup region), for tests of
    what the primary region runs."""
    return Synth(
        {
            **stack.document,
            "resources": [r for r in stack.resources if "webapp:components:RecoverySite" not in r["urn"]],
        }
    )


def config_with(stack: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The stack file's config with sections replaced or merged: {"webapp:network": {...}}.
    A dict merges into the section; anything else (lists, scalars, None to drop) replaces it."""
    config = copy.deepcopy(_stack_file_config(stack))
    for key, value in overrides.items():
        if value is None:
            config.pop(key, None)
        elif isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


@cache
def _stack_file_config(stack: str) -> dict[str, Any]:
    """The stack file's config, read once per test process: PyYAML's pure-Python parser takes
    about 4 ms of CPU a read, and the tests ask for the stack files' config some 360 times."""
    return read_stack_config(stack)


class Documents(dict[str, str]):
    """Synth documents as JSON, by what was synthesized (stack and overrides). It clears like a
    functools cache (`cache_clear`): the mutation run (tests.mutation_support) clears every cache
    of the project before a mutant runs, so that no mutant is handed the unmutated program's synth."""

    def cache_clear(self) -> None:
        self.clear()

    def cache_info(self) -> int:
        return len(self)


# Every synth document made in this process.
_DOCUMENTS = Documents()


def _document(key: str, build: Callable[[], dict[str, Any]]) -> str:
    if key not in _DOCUMENTS:
        _DOCUMENTS[key] = json.dumps(build())
    return _DOCUMENTS[key]


def synth(stack: str, overrides: dict[str, Any] | None = None) -> Synth:
    """Synthesize `stack` (with config overrides); cached per process, returns a fresh copy."""
    key = f"{stack} {json.dumps(overrides or {}, sort_keys=True)}"

    def build() -> dict[str, Any]:
        return synthesize(stack, config=config_with(stack, overrides) if overrides else None)

    return Synth(json.loads(_document(key, build)))


def documents() -> dict[str, str]:
    """The synth documents this process made, for another process to `keep`."""
    return dict(_DOCUMENTS)


def keep(made: dict[str, str]) -> None:
    """Take synth documents another process made (tests.synth_ahead) as if made here."""
    _DOCUMENTS.update(made)


# What the optional prod variant changes in the prod stack file (optional_prod below).
EXISTING_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
TEST_CIDRS = ["203.0.113.0/24", "2001:db8::/32"]
CONFIG_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/web/api-AbCdEf:token::"
CONFIG_SECRET_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
# One more data store's link, as a store hands it to a service (beside the stack's own links).
LINK = ServiceLink(
    environment={"LEDGER_HOST": "ledger.internal", "LEDGER_PORT": "5432"},
    secrets={"LEDGER_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ledger-XyZ123:password::"},
    secret_arns=["arn:aws:secretsmanager:us-east-1:123456789012:secret:ledger-XyZ123"],
    key_arns=["arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"],
)
CLUSTER_MODE = {"clusterMode": "enabled", "deployedClusterMode": "enabled"}
OPTIONAL_PROD = {
    "webapp:dns": {"certificateArn": EXISTING_CERTIFICATE},
    "webapp:loadBalancer": {"tlsPolicy": "ELBSecurityPolicy-TLS13-1-3-2021-06", "testListenerCidrs": TEST_CIDRS},
    "webapp:firewall": {"managedRules": {"AWSManagedRulesSQLiRuleSet": "off"}},
    "webapp:database": {
        "readReplicas": 2,
        "replicaInstanceClass": "db.r7g.large",
        "backupReplicationRegion": "eu-west-1",
    },
    "webapp:alarms": {"databaseReplicaLagSeconds": {"threshold": 5}},
    "webapp:cache": {**CLUSTER_MODE, "shards": 3, "replicasPerShard": 1},
}


def _optional_prod_overrides() -> dict[str, Any]:
    web = {
        **read_stack_config("prod")["webapp:services"][0],
        "secrets": {"API_TOKEN": CONFIG_SECRET},
        "secretKeyArns": [CONFIG_SECRET_KEY],
        "strategy": "canary",
        "canaryPercent": 5,
        "canaryBakeMinutes": 15,
    }
    return {**OPTIONAL_PROD, "webapp:services": [web]}


def _optional_prod_document() -> dict[str, Any]:
    services = composition._services

    def linked_services(*args: Any, links: Any = None, **kwargs: Any) -> Any:
        links = dict(links or {})
        links["web"] = [*links.get("web", ()), LINK]
        return services(*args, links=links, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(composition, "_services", linked_services)
        return synthesize("prod", config_with("prod", _optional_prod_overrides()))


def optional_prod() -> Synth:
    """Prod with the optional features on, each set away from its default, so that one synth
    (0.6-0.9 CPU-s) shows that each setting reaches its component: an existing certificate,
    another TLS 1.3 policy, an open test listener, a managed rule group off, config secrets and
    a data-store link on the only service (web, deployed canary 5% for 15 minutes), two read
    replicas of a smaller class with a 5 s lag alarm, backups replicated to eu-west-1, and a
    cluster-mode cache of three shards of one replica. These settings touch different
    components; a test of one of them reads only its component's resources."""
    return Synth(json.loads(_document("prod optional", _optional_prod_document)))


# What the optional staging variant changes in the staging stack file (optional_staging below).
STAGING_KEY_ADMINS = "arn:aws:iam::111122223333:role/platform/key-admins"  # Pulumi.staging.yaml's account
# Staging with two e-mail addresses and an HTTPS endpoint paged, nobody warned, and a slower
# unhealthy-host deployment alarm (2 of 2 periods of 120 s).
CUSTOM_ALARMS = {
    "critical": {
        "emails": ["oncall@example.com", "lead@example.com"],
        "httpsEndpoints": ["https://events.example.com/integration/abc/enqueue"],
    },
    "warning": {},
    "deploymentUnhealthyHosts": {"periodSeconds": 120, "evaluationPeriods": 2, "datapointsToAlarm": 2},
}
# The web service with a name the credential rule flags, allowlisted in its settings.
ALLOWLISTED_WEB = {
    **WEB_SERVICE,
    "environment": {"PARTITION_KEY": "tenant"},
    "allowedPlainNames": ["PARTITION_KEY"],
    "egressToInternet": True,
}
OPTIONAL_STAGING = {
    "webapp:alarms": {**CUSTOM_ALARMS, "slo": {"availabilityPercent": 99.5}},
    "webapp:encryption": {"keyAdminRoleArns": [STAGING_KEY_ADMINS]},
    "webapp:services": [ALLOWLISTED_WEB],
    "webapp:cache": {"engine": "redis", "engineVersion": "7.1", "nodeType": "cache.r6gd.xlarge"},
    "webapp:network": {"interfaceEndpoints": True, "interfaceEndpointAzCount": 1},
}


def optional_staging() -> Synth:
    """Staging with settings away from its defaults, one synth for the tests that each need one
    of them to reach its component: alarm subscribers (CUSTOM_ALARMS) and a 99.5% availability
    objective, configured key administrators, a web service with an allowlisted plain name
    (the only service), a Redis OSS 7.1 cache on data-tiering r6gd nodes, and interface
    endpoints in the first AZ only."""
    return synth("staging", OPTIONAL_STAGING)


def copied(value: T) -> T:
    """A deep copy of synth data (JSON values): a pickle round trip is six times faster than
    copy.deepcopy on a whole stack's document (7 against 43 ms of CPU for prod), and the suite
    copies documents some hundred times to edit them."""
    return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


def plain(value: Any) -> Any:
    """A wire value without its secret marker."""
    return value["value"] if is_secret(value) else value


def walk(value: Any) -> Iterator[Any]:
    """Every nested value (dict values, list items) of an input tree."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def rejection(stack: str, overrides: dict[str, Any]) -> list[str]:
    """The error lines a stack config with these overrides is rejected with."""
    try:
        load_settings(stack, config_with(stack, overrides))
    except ConfigError as error:
        return error.lines
    raise AssertionError(f"{stack} config with {overrides} was accepted")
