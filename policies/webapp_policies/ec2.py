"""The VPC: flow logs, the default security group, subnets, and security groups with their
rules in every form the provider offers (read as one shape by `security_groups`)."""

from __future__ import annotations

from pulumi_policy import Severity

from .controls import Control, resource_policy, stack_policy
from .security_groups import (
    DEFAULT_SECURITY_GROUP,
    EC2_RULE,
    SECURITY_GROUP,
    STANDALONE_RULES,
    VPC_INGRESS_RULE,
    group_id,
    group_rules,
    groups_named,
    id_list,
    rules_of,
    security_groups_of_function,
    security_groups_of_service,
    sources_are,
    standalone_targets,
    world_ingress,
)
from .values import UNKNOWN, show

VPC = ("aws:ec2/vpc:Vpc",)
SUBNET = ("aws:ec2/subnet:Subnet",)
FLOW_LOG = ("aws:ec2/flowLog:FlowLog",)
LOAD_BALANCER = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
ECS_SERVICE = ("aws:ecs/service:Service",)
LAMBDA_FUNCTION = ("aws:lambda/function:Function",)
# Data stores and the input naming their security groups.
DATA_STORES = {
    "aws:rds/instance:Instance": "vpcSecurityGroupIds",
    "aws:elasticache/replicationGroup:ReplicationGroup": "securityGroupIds",
}
PROVIDER_DEFAULT_DESCRIPTIONS = ("Managed by Pulumi", "Managed by Terraform")
HIGH_RISK_PORTS = [
    20,
    21,
    22,
    23,
    25,
    110,
    135,
    143,
    445,
    1433,
    1434,
    3306,
    3389,
    4333,
    5432,
    5601,
    6379,
    8080,
    9200,
    9300,
]
RULE_TYPES = SECURITY_GROUP + VPC_INGRESS_RULE + EC2_RULE


def _world_ingress_ports(resource, config):
    authorized = {"tcp": set(config["authorizedTcpPorts"]), "udp": set(config["authorizedUdpPorts"])}
    for rule in world_ingress(resource):
        allowed = authorized.get(rule.protocol)
        if allowed is None or not all(port in allowed for port in range(rule.ports[0], rule.ports[1] + 1)):
            yield f"allows {rule.shown()}"


world_ingress_ports = resource_policy(
    Control(
        name="aws-ec2-security-group-world-ingress-ports",
        description="Security groups admit the whole internet (0.0.0.0/0, ::/0) only on authorized ports (80 and 443).",
        category="public-exposure",
        severity=Severity.HIGH,
        fsbp="EC2.18",
        checkov=("CKV_AWS_260", "CKV_AWS_277"),
        remediation="Restrict the rule's source to a security group or known CIDR ranges; only the load balancer listens to the internet, on 80/443.",
        config={
            "authorizedTcpPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "default": [80, 443],
                "description": "TCP ports the internet may reach.",
            },
            "authorizedUdpPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "default": [],
                "description": "UDP ports the internet may reach.",
            },
        },
    ),
    RULE_TYPES,
)(_world_ingress_ports)


def _high_risk_ports(resource, config):
    for rule in world_ingress(resource):
        exposed = [port for port in config["highRiskPorts"] if rule.covers(port)]
        if exposed:
            yield f"allows {rule.shown()}, exposing {', '.join(map(str, exposed))}"


high_risk_ports = resource_policy(
    Control(
        name="aws-ec2-security-group-high-risk-ports",
        description="Security groups never open high-risk ports (SSH, RDP, databases, Redis...) to the internet.",
        category="public-exposure",
        severity=Severity.MEDIUM,
        fsbp="EC2.19",
        securityhub=("EC2.53", "EC2.54"),
        checkov=("CKV_AWS_24", "CKV_AWS_25"),
        remediation="Remove the internet source from the rule; reach these ports through security group references or SSM.",
        config={
            "highRiskPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "default": HIGH_RISK_PORTS,
                "description": "Ports never open to 0.0.0.0/0 or ::/0.",
            }
        },
    ),
    RULE_TYPES,
)(_high_risk_ports)


def _descriptions(resource, config):
    if resource.type in SECURITY_GROUP:
        description = resource.get("description")
        if description is None or description in PROVIDER_DEFAULT_DESCRIPTIONS:
            yield f"description is {show(description)}"
    described: set = set()
    for rule in rules_of(resource):
        if rule.description is None and (rule.direction, rule.protocol, rule.ports) not in described:
            described.add((rule.direction, rule.protocol, rule.ports))
            yield f"the {rule.direction} rule {rule.shown()} has no description"


descriptions = resource_policy(
    Control(
        name="aws-ec2-security-group-descriptions",
        description="Security groups and each of their rules say what they are for.",
        category="hygiene",
        severity=Severity.LOW,
        checkov=("CKV_AWS_23",),
        remediation="Set description on the security group (not the provider's 'Managed by Pulumi') and on every rule.",
    ),
    SECURITY_GROUP + STANDALONE_RULES,
)(_descriptions)


def _subnet_no_auto_public_ip(subnet, config):
    if subnet.flag("mapPublicIpOnLaunch", False) is True:
        yield "mapPublicIpOnLaunch is true"


subnet_no_auto_public_ip = resource_policy(
    Control(
        name="aws-ec2-subnet-no-auto-public-ip",
        description="Subnets do not give instances public IP addresses automatically.",
        category="public-exposure",
        severity=Severity.MEDIUM,
        fsbp="EC2.15",
        checkov=("CKV_AWS_130",),
        remediation="Set map_public_ip_on_launch=False; the load balancer and NAT gateways get their own addresses.",
    ),
    SUBNET,
)(_subnet_no_auto_public_ip)


def _vpc_flow_logs(stack, config):
    for vpc in stack.of_type(VPC):
        logs = stack.referencing(vpc, FLOW_LOG, "vpcId")
        kinds = [log.get("trafficType") for log in logs]
        if UNKNOWN in kinds:
            continue
        if not any(kind in config["allowedTrafficTypes"] for kind in kinds):
            yield (
                vpc.urn,
                (f"flow logs capture {', '.join(map(show, kinds))}" if logs else "no flow log names it as vpcId"),
            )


vpc_flow_logs = stack_policy(
    Control(
        name="aws-ec2-vpc-flow-logs",
        description="Every VPC has flow logs capturing all (or rejected) traffic.",
        category="logging",
        severity=Severity.MEDIUM,
        fsbp="EC2.6",
        checkov=("CKV2_AWS_11",),
        remediation='Create an aws.ec2.FlowLog with vpc_id=<the VPC id> and traffic_type="ALL" to an encrypted log group.',
        config={
            "allowedTrafficTypes": {
                "type": "array",
                "items": {"type": "string", "enum": ["ACCEPT", "REJECT", "ALL"]},
                "default": ["ALL", "REJECT"],
                "description": "Traffic types a flow log may capture.",
            }
        },
    ),
    VPC + FLOW_LOG,
)(_vpc_flow_logs)


def _default_security_group_closed(stack, config):
    for vpc in stack.of_type(VPC):
        groups = stack.referencing(vpc, DEFAULT_SECURITY_GROUP, "vpcId")
        if not groups:
            yield vpc.urn, "its default security group is not managed, so it keeps AWS's allow rules"
        for group in groups:
            for rule in rules_of(group):
                if rule.known():
                    yield group.urn, f"the default security group has an {rule.direction} rule: {rule.shown()}"


default_security_group_closed = stack_policy(
    Control(
        name="aws-ec2-vpc-default-security-group-closed",
        description="Every VPC's default security group is managed with no rules at all.",
        category="public-exposure",
        severity=Severity.HIGH,
        fsbp="EC2.2",
        checkov=("CKV2_AWS_12",),
        remediation="Declare an aws.ec2.DefaultSecurityGroup with vpc_id=<the VPC id>, ingress=[] and egress=[].",
    ),
    VPC + DEFAULT_SECURITY_GROUP,
)(_default_security_group_closed)


def _world_ingress_load_balancer_only(stack, config):
    balancer_groups = {g.urn for lb in stack.of_type(LOAD_BALANCER) for g in groups_named(stack, lb, "securityGroups")}
    for urn, rules in group_rules(stack).items():
        if urn in balancer_groups:
            continue
        for rule, declared_by in rules:
            if rule.direction == "ingress" and rule.known() and rule.world():
                yield declared_by.urn, f"allows {rule.shown()} on {stack.by_urn[urn].name}, which no load balancer uses"


world_ingress_load_balancer_only = stack_policy(
    Control(
        name="aws-ec2-security-group-world-ingress-load-balancer-only",
        description="Only load balancer security groups admit traffic from the whole internet.",
        category="public-exposure",
        severity=Severity.HIGH,
        securityhub=("EC2.18",),
        remediation="Admit internet traffic only on the load balancer's security group; other groups reference it as their source.",
    ),
    SECURITY_GROUP + STANDALONE_RULES + LOAD_BALANCER,
)(_world_ingress_load_balancer_only)


def _data_tier_sources(stack, config):
    client_groups = [g for s in stack.of_type(ECS_SERVICE) for g in security_groups_of_service(stack, s)]
    client_groups += [g for f in stack.of_type(LAMBDA_FUNCTION) for g in security_groups_of_function(stack, f)]
    service_urns = {g.urn for g in client_groups}
    service_ids = (
        {group_id(g) for g in client_groups}
        | {i for s in stack.of_type(ECS_SERVICE) for i in id_list(s.get("networkConfiguration.securityGroups"))}
        | {i for f in stack.of_type(LAMBDA_FUNCTION) for i in id_list(f.get("vpcConfig.securityGroupIds"))}
    )
    rules_by_group = group_rules(stack)
    for store_type, key in DATA_STORES.items():
        for store in stack.of_type((store_type,)):
            for group in groups_named(stack, store, key):
                for rule, declared_by in rules_by_group[group.urn]:
                    if rule.direction != "ingress" or not rule.known():
                        continue
                    kind, value = rule.source
                    if kind == "sg" and (value in service_ids or sources_are(declared_by, service_urns)):
                        continue
                    why = ", which no ECS service or VPC function uses" if kind == "sg" else ""
                    yield declared_by.urn, f"{store.name}'s security group {group.name} admits {rule.shown()}{why}"


data_tier_sources = stack_policy(
    Control(
        name="aws-ec2-security-group-data-tier-sources",
        description=(
            "Database and cache security groups admit traffic only from the security groups of the ECS services "
            "and of the stack's own Lambda functions in the VPC (the database bootstrap)."
        ),
        category="public-exposure",
        severity=Severity.HIGH,
        remediation=(
            "Give the data store's security group one ingress rule per client service or function, with "
            "referenced_security_group_id=<its security group> and the store's port; no CIDR sources."
        ),
    ),
    tuple(DATA_STORES) + SECURITY_GROUP + STANDALONE_RULES + ECS_SERVICE + LAMBDA_FUNCTION,
)(_data_tier_sources)


def _no_mixed_rules(stack, config):
    for group in stack.of_type(SECURITY_GROUP):
        standalone = [r for r in stack.of_type(STANDALONE_RULES) if group in standalone_targets(stack, r)]
        if not standalone:
            continue
        declared = [rule for r in standalone for rule in rules_of(r)]
        inline = rules_of(group)
        if any(not rule.known() for rule in declared + inline):
            continue
        # The state of a group lists every rule it has, including those of standalone resources.
        atoms = {rule.atom() for rule in declared}
        extra = [rule for rule in inline if rule.atom() not in atoms]
        if extra:
            yield (
                group.urn,
                f"has inline rules ({'; '.join(r.shown() for r in extra)}) besides {len(standalone)} standalone rule resource(s)",
            )


no_mixed_rules = stack_policy(
    Control(
        name="aws-ec2-security-group-no-mixed-rules",
        description="A security group's rules come either inline or from standalone rule resources, never both.",
        category="hygiene",
        severity=Severity.LOW,
        remediation=(
            "Declare the rules of a security group that has aws.vpc.SecurityGroupIngressRule/EgressRule "
            "resources only as such resources (no ingress/egress arguments), or the two fight on every update."
        ),
    ),
    SECURITY_GROUP + STANDALONE_RULES,
)(_no_mixed_rules)


# The pack serves exactly these, in this order.
POLICIES = [
    world_ingress_ports,
    high_risk_ports,
    descriptions,
    subnet_no_auto_public_ip,
    vpc_flow_logs,
    default_security_group_closed,
    world_ingress_load_balancer_only,
    data_tier_sources,
    no_mixed_rules,
]
