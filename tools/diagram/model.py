"""The architecture a synth describes, as plain data a drawing is made from.

Everything is read from the synth's resources and their property dependencies (which resource an
input came from), never from names: the VPC and its CIDR; per availability zone, each subnet tier
with its CIDR and what sits in it (NAT gateways; the database's primary and Multi-AZ standby and
the cache's nodes, placed in the subnets of their subnet groups, in AZ order, since AWS picks the
AZ); the internet gateway and the VPC endpoints; WAF -> ALB -> listeners -> target groups -> ECS
services; security-group edges (who may reach whom on which port, from the ingress rules); and
the resources a second-region provider places in a backup region.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

INTERNET = "0.0.0.0/0", "::/0"
SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_KEYS = ("securityGroups", "vpcSecurityGroupIds", "securityGroupIds", "networkConfiguration")


@dataclass(frozen=True)
class Box:
    """One node of the drawing: an id, an icon kind, a label and the resources it stands for."""

    id: str
    kind: str
    label: str
    urns: tuple[str, ...]


@dataclass
class Subnet:
    tier: str
    cidr: str
    urn: str
    boxes: list[Box] = field(default_factory=list)


@dataclass
class Architecture:
    title: str
    region: str
    vpc_label: str = ""
    vpc_urns: tuple[str, ...] = ()
    zones: dict[str, list[Subnet]] = field(default_factory=dict)
    vpc_boxes: list[Box] = field(default_factory=list)  # in the VPC, outside any subnet
    endpoints: list[Box] = field(default_factory=list)
    edge_boxes: list[Box] = field(default_factory=list)  # in the region, outside the VPC
    load_balancer: list[Box] = field(default_factory=list)  # ALB, listeners, target groups
    services: list[Box] = field(default_factory=list)
    backup: dict[str, list[Box]] = field(default_factory=dict)  # region -> boxes
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # from, to, label, style


def _short(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


class _Reader:
    def __init__(self, document: dict[str, Any]):
        self.resources = [r for r in document["resources"] if r["custom"]]
        self.by_urn = {r["urn"]: r for r in self.resources}
        self.stack = document.get("stack", "")

    def of(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_]

    def deps(self, record: dict[str, Any], key: str, type_: str | None = None) -> list[dict[str, Any]]:
        found = [self.by_urn[u] for u in record["propertyDependencies"].get(key, []) if u in self.by_urn]
        return [r for r in found if type_ is None or r["type"] == type_]

    def users(self, target: dict[str, Any], type_: str, key: str) -> list[dict[str, Any]]:
        return [r for r in self.of(type_) if target["urn"] in r["propertyDependencies"].get(key, [])]


def read(document: dict[str, Any]) -> Architecture:
    """The architecture of one synth document."""
    reader = _Reader(document)
    provider_regions = {r["urn"]: r["inputs"].get("region") for r in reader.of("pulumi:providers:aws")}
    main_region = next(iter(sorted(v for k, v in provider_regions.items() if k.endswith("::aws"))), "")
    arch = Architecture(title=f"{document.get('project', '')} / {reader.stack}", region=main_region or "")
    owners: dict[str, list[str]] = defaultdict(list)  # security group URN -> box ids
    _network(reader, arch, lambda record: _region(record, provider_regions) in (None, main_region))
    _edge_and_balancer(reader, arch, owners)
    _data(reader, arch, owners)
    _backup(reader, arch, provider_regions, main_region)
    _security_edges(reader, arch, owners)
    return arch


def _box(record: dict[str, Any], kind: str, label: str, *extra: dict[str, Any]) -> Box:
    """A box for `record` (and `extra` resources drawn with it); its id is the type and the name."""
    box_id = f"{_short(record['type']).lower()}.{record['name']}"
    return Box(box_id, kind, label, (record["urn"], *(r["urn"] for r in extra)))


def _region(record: dict[str, Any], provider_regions: dict[str, Any]) -> Any:
    """The region of `record`'s provider (None: the stack's default provider)."""
    return provider_regions.get((record.get("provider") or "").rsplit("::", 1)[0])


def _network(reader: _Reader, arch: Architecture, in_main_region: Callable[[dict[str, Any]], bool]) -> None:
    """The stack's VPC in its own region (a VPC of the backup region is drawn there, see _backup)."""
    for vpc in filter(in_main_region, reader.of("aws:ec2/vpc:Vpc")):
        arch.vpc_label = f"VPC {vpc['inputs'].get('cidrBlock', '')}"
        arch.vpc_urns = (vpc["urn"],)
    subnets: dict[str, Subnet] = {}
    for record in sorted(
        filter(in_main_region, reader.of(SUBNET)),
        key=lambda r: (r["inputs"]["availabilityZone"], r["inputs"]["cidrBlock"]),
    ):
        inputs = record["inputs"]
        tier = (inputs.get("tags") or {}).get("tier") or ("public" if inputs.get("mapPublicIpOnLaunch") else "private")
        subnet = Subnet(tier, inputs["cidrBlock"], record["urn"])
        arch.zones.setdefault(inputs["availabilityZone"], []).append(subnet)
        subnets[record["urn"]] = subnet
    for nat in reader.of("aws:ec2/natGateway:NatGateway"):
        eips = reader.deps(nat, "allocationId")
        for subnet in reader.deps(nat, "subnetId", SUBNET):
            subnets[subnet["urn"]].boxes.append(_box(nat, "nat", "NAT gateway", *eips))
    for gateway in reader.of("aws:ec2/internetGateway:InternetGateway"):
        arch.vpc_boxes.append(_box(gateway, "igw", "Internet gateway"))
        arch.edges += [(b.id, _box(gateway, "", "").id, "", "dashed") for s in subnets.values() for b in s.boxes]
    for endpoint in reader.of("aws:ec2/vpcEndpoint:VpcEndpoint"):
        service = endpoint["inputs"]["serviceName"].split(".", 3)[-1]
        arch.endpoints.append(_box(endpoint, "endpoint", f"{service}\n({endpoint['inputs'].get('vpcEndpointType')})"))
    for zone in arch.zones.values():
        zone.sort(
            key=lambda s: ("public", "private", "isolated").index(s.tier) if s.tier in "public private isolated" else 9
        )


def _edge_and_balancer(reader: _Reader, arch: Architecture, owners: dict[str, list[str]]) -> None:
    for record in reader.of("aws:route53/record:Record"):
        for target in reader.deps(record, "aliases"):
            arch.edge_boxes.append(_box(record, "dns", f"Route 53\n{record['inputs']['name']}"))
            arch.edges.append((_box(record, "", "").id, _box(target, "", "").id, "alias", "dashed"))
    for balancer in reader.of("aws:lb/loadBalancer:LoadBalancer"):
        scheme = "internal" if balancer["inputs"].get("internal") else "internet-facing"
        count = len(balancer["inputs"].get("subnets") or [])
        alb = _box(balancer, "alb", f"ALB {scheme}\nin {count} public subnets")
        arch.load_balancer.append(alb)
        _own(reader, balancer, alb.id, owners)
        for association in reader.users(balancer, "aws:wafv2/webAclAssociation:WebAclAssociation", "resourceArn"):
            for acl in reader.deps(association, "webAclArn"):
                arch.edge_boxes.append(_box(acl, "waf", "WAF web ACL", association))
                arch.edges.append((_box(acl, "", "").id, alb.id, "", "bold"))
        for listener in reader.users(balancer, "aws:lb/listener:Listener", "loadBalancerArn"):
            inputs = listener["inputs"]
            actions = ", ".join(a.get("type", "") for a in inputs.get("defaultActions") or [])
            box = _box(listener, "listener", f"{inputs.get('protocol')} :{int(inputs.get('port', 0))}\n{actions}")
            arch.load_balancer.append(box)
            arch.edges.append((alb.id, box.id, "", "solid"))
            for rule in reader.users(listener, "aws:lb/listenerRule:ListenerRule", "listenerArn"):
                for group in reader.deps(rule, "actions", "aws:lb/targetGroup:TargetGroup"):
                    arch.edges.append((box.id, _box(group, "", "").id, _rule_label(rule), "solid"))
    for group in reader.of("aws:lb/targetGroup:TargetGroup"):
        inputs = group["inputs"]
        colour = "blue" if "blue" in group["name"] else "green" if "green" in group["name"] else ""
        arch.load_balancer.append(
            _box(
                group,
                f"tg-{colour}" if colour else "tg",
                f"{group['name']}\n{inputs.get('protocol')} :{int(inputs.get('port', 0))}",
            )
        )
    for service in reader.of("aws:ecs/service:Service"):
        inputs = service["inputs"]
        network = inputs.get("networkConfiguration") or {}
        box = _box(
            service,
            "ecs",
            f"ECS service {inputs.get('name')}\n{inputs.get('launchType', 'FARGATE')} in {len(network.get('subnets') or [])} private subnets",
        )
        arch.services.append(box)
        _own(reader, service, box.id, owners)
        for group in reader.deps(service, "loadBalancers", "aws:lb/targetGroup:TargetGroup"):
            arch.edges.append((_box(group, "", "").id, box.id, "", "solid"))


def _rule_label(rule: dict[str, Any]) -> str:
    forward = next((a.get("forward") for a in rule["inputs"].get("actions") or [] if a.get("forward")), {}) or {}
    weights = [int(g.get("weight", 0)) for g in forward.get("targetGroups") or []]
    return "weights " + "/".join(str(w) for w in weights) if len(weights) > 1 else ""


def _own(reader: _Reader, record: dict[str, Any], box_id: str, owners: dict[str, list[str]]) -> None:
    for key in SG_KEYS:
        for group in reader.deps(record, key, SG):
            owners[group["urn"]].append(box_id)


def _data(reader: _Reader, arch: Architecture, owners: dict[str, list[str]]) -> None:
    subnets = {s.urn: s for zone in arch.zones.values() for s in zone}
    for database in reader.of("aws:rds/instance:Instance"):
        inputs = database["inputs"]
        members = _members(reader, "aws:rds/subnetGroup:SubnetGroup", database, subnets)
        roles = ["primary", "Multi-AZ standby"] if inputs.get("multiAz") else ["single-AZ"]
        label = f"RDS {inputs.get('engine')} {inputs.get('engineVersion', '')}\n{inputs.get('instanceClass')}"
        _place(arch, database, "rds", label, roles, members, owners, reader)
    for cache in reader.of("aws:elasticache/replicationGroup:ReplicationGroup"):
        inputs = cache["inputs"]
        members = _members(reader, "aws:elasticache/subnetGroup:SubnetGroup", cache, subnets)
        count = int(inputs.get("numCacheClusters") or 1)
        roles = ["primary", *(f"replica {i}" for i in range(1, count))]
        label = f"ElastiCache {inputs.get('engine', '')} {inputs.get('engineVersion', '')}\n{inputs.get('nodeType')}"
        _place(arch, cache, "cache", label, roles, members, owners, reader)


def _members(reader: _Reader, group_type: str, record: dict[str, Any], subnets: dict[str, Subnet]) -> list[Subnet]:
    groups = [r for key in record["propertyDependencies"] for r in reader.deps(record, key, group_type)]
    return [subnets[s["urn"]] for g in groups for s in reader.deps(g, "subnetIds", SUBNET) if s["urn"] in subnets]


def _place(
    arch: Architecture,
    record: dict[str, Any],
    kind: str,
    label: str,
    roles: list[str],
    members: list[Subnet],
    owners: dict[str, list[str]],
    reader: _Reader,
) -> None:
    """One box per node role, in the group's subnets in AZ order; the first (primary) takes the edges."""
    zones = sorted(
        ((zone, s) for zone, subnet_list in arch.zones.items() for s in subnet_list if s in members),
        key=lambda pair: pair[0],
    )
    first = None
    for index, role in enumerate(roles):
        if not zones:
            arch.vpc_boxes.append(_box(record, kind, f"{label}\n{role}"))
            break
        _, subnet = zones[index % len(zones)]
        base = _box(record, kind, f"{label}\n{role}")
        box = base if index == 0 else Box(f"{base.id}-{index}", kind, base.label, base.urns)
        subnet.boxes.append(box)
        if first is None:
            first = box
            _own(reader, record, box.id, owners)
        else:
            arch.edges.append((first.id, box.id, "replication", "dashed"))


def _backup(reader: _Reader, arch: Architecture, provider_regions: dict[str, Any], main_region: str) -> None:
    """Resources whose provider works in another region than the stack's."""
    kinds = {
        "aws:kms/key:Key": ("kms", "KMS key\n{name}"),
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": (
            "backup",
            "RDS automated backups\nkept {retention} days",
        ),
        "aws:ec2/vpc:Vpc": ("vpc", "recovery site VPC {cidr}\n{subnets} subnets, no NAT"),
        "aws:rds/subnetGroup:SubnetGroup": ("", "DB subnet group\n{subnets} isolated subnets"),
    }
    for record in reader.resources:
        region = _region(record, provider_regions)
        if not region or region == main_region or record["type"] not in kinds:
            continue
        kind, label = kinds[record["type"]]
        inputs = record["inputs"]
        retention = int(inputs.get("retentionPeriod") or 0)
        subnets = len(inputs.get("subnetIds") or reader.users(record, SUBNET, "vpcId"))
        text = label.format(name=record["name"], retention=retention, cidr=inputs.get("cidrBlock"), subnets=subnets)
        box = _box(record, kind, text)
        arch.backup.setdefault(region, []).append(box)
        for key in record["propertyDependencies"]:
            for source in reader.deps(record, key):
                if source["type"] == "aws:rds/instance:Instance":
                    arch.edges.append((_box(source, "", "").id, box.id, "automated backups", "dashed"))
        if record["type"].startswith("aws:rds/"):
            arn = str(record["inputs"].get("sourceDbInstanceArn", ""))
            for database in reader.of("aws:rds/instance:Instance"):
                if arn.endswith(f":db:{database['inputs'].get('identifier')}") and not record["propertyDependencies"]:
                    arch.edges.append((_box(database, "", "").id, box.id, "automated backups", "dashed"))


def _security_edges(reader: _Reader, arch: Architecture, owners: dict[str, list[str]]) -> None:
    """Ingress rules as edges: source owner (or the internet) -> target owner, labelled with the ports."""
    ports: dict[tuple[str, str], set[str]] = defaultdict(set)
    waf_in_front = {to for frm, to, _, style in arch.edges if style == "bold"}
    waf_of = {to: frm for frm, to, _, style in arch.edges if style == "bold"}
    for rule in reader.of(INGRESS):
        inputs = rule["inputs"]
        targets = [b for g in reader.deps(rule, "securityGroupId", SG) for b in owners.get(g["urn"], [])]
        sources = [b for g in reader.deps(rule, "referencedSecurityGroupId", SG) for b in owners.get(g["urn"], [])]
        cidr = inputs.get("cidrIpv4") or inputs.get("cidrIpv6")
        if not sources and cidr in INTERNET:
            sources = ["internet"]
        elif not sources and cidr:
            sources = [f"cidr {cidr}"]
        label = _ports(inputs)
        for target in targets:
            for source in sources:
                if source == "internet" and target in waf_in_front:
                    ports[(source, waf_of[target])].add(label)
                else:
                    ports[(source, target)].add(label)
    for (source, target), labels in sorted(ports.items()):
        arch.edges.append((source, target, ", ".join(sorted(labels, key=_port_order)), "security"))


def _ports(inputs: dict[str, Any]) -> str:
    low, high = int(inputs.get("fromPort") or 0), int(inputs.get("toPort") or 0)
    protocol = inputs.get("ipProtocol", "tcp")
    return f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"


def _port_order(label: str) -> tuple[int, str]:
    digits = "".join(c for c in label.split(" ")[-1].split("-")[0] if c.isdigit())
    return (int(digits or 0), label)
