"""Security group rules in one shape (`Rule`), whatever declares them: a security group's inline
`ingress`/`egress`, `aws.vpc.SecurityGroupIngressRule`/`EgressRule`, or `aws.ec2.SecurityGroupRule`;
and the stack-wide views the VPC policies need (which group a rule belongs to, which groups a
resource names)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .values import UNKNOWN, has_unknown, items, lookup, number

SECURITY_GROUP = ("aws:ec2/securityGroup:SecurityGroup",)
DEFAULT_SECURITY_GROUP = ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",)
VPC_INGRESS_RULE = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",)
VPC_EGRESS_RULE = ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",)
EC2_RULE = ("aws:ec2/securityGroupRule:SecurityGroupRule",)
STANDALONE_RULES = VPC_INGRESS_RULE + VPC_EGRESS_RULE + EC2_RULE

_PROTOCOLS = {
    "-1": "all",
    "all": "all",
    "6": "tcp",
    "tcp": "tcp",
    "17": "udp",
    "udp": "udp",
    "1": "icmp",
    "icmp": "icmp",
    "58": "icmpv6",
    "icmpv6": "icmpv6",
}


@dataclass(frozen=True)
class Rule:
    """One security group rule for one source, in a single shape whatever resource declared it."""

    direction: str  # "ingress" | "egress"
    protocol: Any  # "all", "tcp", "udp", "icmp", "icmpv6", another number, or UNKNOWN
    ports: Any  # (from, to) for tcp/udp, None otherwise; UNKNOWN when unknown
    source: tuple  # ("cidr", cidr) | ("sg", id) | ("prefix", id) | ("self", "") ; may hold UNKNOWN
    description: Any

    def known(self) -> bool:
        return not has_unknown((self.protocol, self.ports, self.source))

    def world(self) -> bool:
        if self.source[0] != "cidr" or not isinstance(self.source[1], str):
            return False
        try:
            return ipaddress.ip_network(self.source[1], strict=False).prefixlen == 0
        except ValueError:
            return False

    def covers(self, port: int) -> bool:
        if self.protocol == "all":
            return True
        return self.ports is not None and self.ports[0] <= port <= self.ports[1]

    def shown(self) -> str:
        if not self.known():
            # Read after "the <direction> rule" (aws-ec2-security-group-descriptions): the only
            # problem line that shows a rule not known yet.
            return "(not known yet)"
        if self.protocol == "all":
            what = "all traffic"
        elif self.ports is None:
            what = str(self.protocol)
        elif self.ports[0] == self.ports[1]:
            what = f"{self.protocol} {self.ports[0]}"
        else:
            what = f"{self.protocol} {self.ports[0]}-{self.ports[1]}"
        return f"{what} {'from' if self.direction == 'ingress' else 'to'} {self.source[1] or self.source[0]}"

    def atom(self) -> tuple:
        return (self.direction, self.protocol, self.ports, self.source)


def _protocol(value: Any) -> Any:
    if value is UNKNOWN or value is None:
        return value
    text = str(value).lower()
    return _PROTOCOLS.get(text, text)


def _ports(protocol: Any, low: Any, high: Any) -> Any:
    if protocol not in ("tcp", "udp"):
        return None if protocol is not UNKNOWN else UNKNOWN
    low, high = number(low), number(high)
    if low is UNKNOWN or high is UNKNOWN:
        return UNKNOWN
    if low is None or high is None or low < 0:
        return (0, 65535)
    return (int(low), int(high))


def _rules(direction, protocol, low, high, sources, description) -> list[Rule]:
    protocol = _protocol(protocol)
    ports = _ports(protocol, low, high)
    return [Rule(direction, protocol, ports, source, description) for source in sources]


def _block_sources(block: dict) -> list[tuple]:
    """Sources of an inline rule or an aws.ec2.SecurityGroupRule."""
    sources: list[tuple] = []
    for key, kind in (("cidrBlocks", "cidr"), ("ipv6CidrBlocks", "cidr"), ("prefixListIds", "prefix")):
        found = items(block.get(key))
        sources += [(kind, UNKNOWN)] if found is UNKNOWN else [(kind, value) for value in found]
    groups = items(block.get("securityGroups"))
    sources += [("sg", UNKNOWN)] if groups is UNKNOWN else [("sg", value) for value in groups]
    if block.get("sourceSecurityGroupId") is not None:
        sources.append(("sg", block["sourceSecurityGroupId"]))
    if block.get("self") is UNKNOWN:
        sources.append(("self", UNKNOWN))
    elif block.get("self") is True:
        sources.append(("self", ""))
    return sources


def rules_of(resource) -> list[Rule]:
    """Every rule a security group, default security group or standalone rule resource declares
    (inputs in `Analyze`, outputs in `AnalyzeStack`)."""
    found: list[Rule] = []
    if resource.type in SECURITY_GROUP + DEFAULT_SECURITY_GROUP:
        for direction in ("ingress", "egress"):
            blocks = resource.items(direction)
            if blocks is UNKNOWN:
                found.append(Rule(direction, UNKNOWN, UNKNOWN, ("cidr", UNKNOWN), UNKNOWN))
                continue
            for block in blocks:
                if not isinstance(block, dict):
                    found.append(Rule(direction, UNKNOWN, UNKNOWN, ("cidr", UNKNOWN), UNKNOWN))
                    continue
                found += _rules(
                    direction,
                    block.get("protocol"),
                    block.get("fromPort"),
                    block.get("toPort"),
                    _block_sources(block),
                    block.get("description"),
                )
    elif resource.type in VPC_INGRESS_RULE + VPC_EGRESS_RULE:
        direction = "ingress" if resource.type in VPC_INGRESS_RULE else "egress"
        sources = [
            (kind, resource.get(key))
            for key, kind in (
                ("cidrIpv4", "cidr"),
                ("cidrIpv6", "cidr"),
                ("prefixListId", "prefix"),
                ("referencedSecurityGroupId", "sg"),
            )
            if resource.get(key) is not None
        ]
        found += _rules(
            direction,
            resource.get("ipProtocol"),
            resource.get("fromPort"),
            resource.get("toPort"),
            sources,
            resource.get("description"),
        )
    elif resource.type in EC2_RULE:
        direction = resource.get("type")
        if direction in ("ingress", "egress"):
            found += _rules(
                direction,
                resource.get("protocol"),
                resource.get("fromPort"),
                resource.get("toPort"),
                _block_sources(resource.props),
                resource.get("description"),
            )
        elif direction is UNKNOWN:
            found.append(Rule("ingress", UNKNOWN, UNKNOWN, ("cidr", UNKNOWN), UNKNOWN))
    return found


def world_ingress(resource) -> Iterator[Rule]:
    for rule in rules_of(resource):
        if rule.direction == "ingress" and rule.known() and rule.world():
            yield rule


def group_id(group) -> str | None:
    """A security group's id from its outputs (`id`, or the tail of its ARN)."""
    value = group.get("id")
    if isinstance(value, str):
        return value
    arn = group.get("arn")
    if isinstance(arn, str) and ":security-group/" in arn:
        return arn.rsplit("/", 1)[1]
    return None


def standalone_targets(stack, rule) -> list:
    targets = stack.referenced(rule, "securityGroupId", SECURITY_GROUP)
    target_id = rule.get("securityGroupId")
    if not targets and isinstance(target_id, str):
        targets = [g for g in stack.of_type(SECURITY_GROUP) if group_id(g) == target_id]
    return targets


def group_rules(stack) -> dict[str, list[tuple[Rule, Any]]]:
    """Security group URN -> (rule, the resource that declared it) for inline and standalone rules."""
    found: dict[str, list[tuple[Rule, Any]]] = {
        g.urn: [(r, g) for r in rules_of(g)] for g in stack.of_type(SECURITY_GROUP)
    }
    for resource in stack.of_type(STANDALONE_RULES):
        for target in standalone_targets(stack, resource):
            found[target.urn] += [(r, resource) for r in rules_of(resource)]
    return found


def groups_named(stack, resource, key, ids=None) -> list:
    """Security groups an input of `resource` (a list of ids) names: by property dependency, or,
    for ids written into the program, by id."""
    groups = stack.referenced(resource, key, SECURITY_GROUP)
    if groups:
        return groups
    ids = id_list(lookup(resource.props, key) if ids is None else ids)
    return [g for g in stack.of_type(SECURITY_GROUP) if group_id(g) in ids]


def urn_type(urn: str) -> str:
    """The resource type in a URN (`urn:pulumi:stack::project::parent$type::name`)."""
    return urn.split("::")[2].split("$")[-1]


def id_list(value) -> list:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def security_groups_of_service(stack, service) -> list:
    """An ECS service's security groups (networkConfiguration.securityGroups)."""
    return groups_named(stack, service, "networkConfiguration", service.get("networkConfiguration.securityGroups"))


def security_groups_of_function(stack, function) -> list:
    """A Lambda function's security groups in its VPC (vpcConfig.securityGroupIds)."""
    return groups_named(stack, function, "vpcConfig", function.get("vpcConfig.securityGroupIds"))


def sources_are(declared_by, allowed_urns: set) -> bool:
    """Whether the security groups a rule's source came from are all service groups."""
    keys = ("referencedSecurityGroupId", "sourceSecurityGroupId", "ingress")
    urns = [u for k in keys for u in declared_by.property_dependencies.get(k, ()) if urn_type(u) in SECURITY_GROUP]
    return bool(urns) and all(u in allowed_urns for u in urns)
