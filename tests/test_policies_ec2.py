"""VPC and security group policies: the compliant three-tier network (internet -> ALB -> service
-> database), each break of a property and of a link, which tests/test_policies.py runs; here the
messages, the policy config, aws.ec2.SecurityGroupRule resources, mirrored state, groups known by id
only, and values not known yet in a preview."""

from tests.policy_support import ACCOUNT, DELETE, UNKNOWN, PolicyTable, document, messages, removed, resource

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EC2_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"


def sg_arn(group_id: str) -> str:
    return f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{group_id}"


def group(name: str, group_id: str, inputs: dict, deps=None) -> dict:
    return resource(SG, name, inputs, outputs={**inputs, "arn": sg_arn(group_id)}, deps=deps)


def group_id(record: dict) -> str:
    return record["outputs"]["arn"].rsplit("/", 1)[1]


def ingress(name: str, into: dict, port: float, description: str, source: dict | None = None, cidr=None) -> dict:
    """A standalone tcp ingress rule into the security group `into`, from the group `source` or a CIDR."""
    origin = {"referencedSecurityGroupId": group_id(source)} if source else {"cidrIpv4": cidr}
    deps = {"securityGroupId": [into["urn"]], **({"referencedSecurityGroupId": [source["urn"]]} if source else {})}
    inputs = {"securityGroupId": group_id(into), **origin, "ipProtocol": "tcp", "fromPort": port, "toPort": port}
    return resource(INGRESS, name, {**inputs, "description": description}, deps=deps)


VPC = resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
FLOW_LOG = resource(
    "aws:ec2/flowLog:FlowLog",
    "flow-log",
    {"vpcId": "vpc-0", "trafficType": "ALL", "logDestinationType": "cloud-watch-logs"},
    deps={"vpcId": [VPC["urn"]]},
)
DEFAULT_SG = resource(
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "default-sg",
    {"vpcId": "vpc-0", "ingress": [], "egress": []},
    deps={"vpcId": [VPC["urn"]]},
)
SUBNET = resource(
    "aws:ec2/subnet:Subnet", "private-0", {"vpcId": "vpc-0", "cidrBlock": "10.0.16.0/20", "mapPublicIpOnLaunch": False}
)
WORLD = ["0.0.0.0/0"]
LB_SG = group(
    "alb-sg",
    "sg-0alb",
    {
        "description": "Internet to the load balancer on 80/443",
        "vpcId": "vpc-0",
        "ingress": [
            {
                "protocol": "tcp",
                "fromPort": 443.0,
                "toPort": 443.0,
                "cidrBlocks": WORLD,
                "ipv6CidrBlocks": ["::/0"],
                "description": "HTTPS",
            },
            {
                "protocol": "tcp",
                "fromPort": 80.0,
                "toPort": 80.0,
                "cidrBlocks": WORLD,
                "description": "HTTP, redirected",
            },
        ],
        "egress": [
            {
                "protocol": "tcp",
                "fromPort": 8080.0,
                "toPort": 8080.0,
                "cidrBlocks": ["10.0.0.0/16"],
                "description": "To the tasks",
            }
        ],
    },
)
LB = resource(
    "aws:lb/loadBalancer:LoadBalancer",
    "alb",
    {"internal": False, "securityGroups": ["sg-0alb"]},
    deps={"securityGroups": [LB_SG["urn"]]},
)
SERVICE_SG = group("web-sg", "sg-0web", {"description": "Web tasks", "vpcId": "vpc-0"})
SERVICE_RULE = ingress("web-from-alb", SERVICE_SG, 8080.0, "From the load balancer", source=LB_SG)
SERVICE = resource(
    "aws:ecs/service:Service",
    "web",
    {"networkConfiguration": {"assignPublicIp": False, "subnets": ["subnet-0"], "securityGroups": ["sg-0web"]}},
    deps={"networkConfiguration": [SERVICE_SG["urn"]]},
)
DB_SG = group("db-sg", "sg-0db", {"description": "PostgreSQL from the services", "vpcId": "vpc-0"})
DB_RULE = ingress("db-from-web", DB_SG, 5432.0, "From the web tasks", source=SERVICE_SG)
DB = resource(
    "aws:rds/instance:Instance",
    "db",
    {"engine": "postgres", "vpcSecurityGroupIds": ["sg-0db"]},
    deps={"vpcSecurityGroupIds": [DB_SG["urn"]]},
)
OTHER_SG = group("endpoints-sg", "sg-0vpce", {"description": "Interface endpoints", "vpcId": "vpc-0"})
SCENARIO = [
    VPC,
    FLOW_LOG,
    DEFAULT_SG,
    SUBNET,
    LB_SG,
    LB,
    SERVICE_SG,
    SERVICE_RULE,
    SERVICE,
    DB_SG,
    DB_RULE,
    DB,
    OTHER_SG,
]

WORLD_PORTS = "aws-ec2-security-group-world-ingress-ports"
HIGH_RISK = "aws-ec2-security-group-high-risk-ports"
LB_ONLY = "aws-ec2-security-group-world-ingress-load-balancer-only"
DATA_TIER = "aws-ec2-security-group-data-tier-sources"
DESCRIPTIONS = "aws-ec2-security-group-descriptions"
MIXED = "aws-ec2-security-group-no-mixed-rules"

# variant: (policies that report it, changed resource, path, new value or DELETE, the resource
# the violation is reported on when not the changed one) -- one change each
BREAKS = {
    "world-udp-443": ({WORLD_PORTS}, "alb-sg", ("ingress", 0, "protocol"), "udp"),
    "world-all-traffic": ({WORLD_PORTS, HIGH_RISK}, "alb-sg", ("ingress", 0, "protocol"), "-1"),
    "world-ssh": ({WORLD_PORTS, HIGH_RISK}, "alb-sg", ("ingress", 1, "fromPort"), 22.0),
    "db-5432-to-world": ({WORLD_PORTS, HIGH_RISK, LB_ONLY, DATA_TIER}, "db-from-web", ("cidrIpv4",), "0.0.0.0/0"),
    "sg-without-description": ({DESCRIPTIONS}, "web-sg", ("description",), DELETE),
    "sg-provider-description": ({DESCRIPTIONS}, "web-sg", ("description",), "Managed by Pulumi"),
    "inline-rule-without-description": ({DESCRIPTIONS}, "alb-sg", ("ingress", 1, "description"), DELETE),
    "rule-without-description": ({DESCRIPTIONS}, "web-from-alb", ("description",), DELETE),
    "public-subnet-ips": ({"aws-ec2-subnet-no-auto-public-ip"}, "private-0", ("mapPublicIpOnLaunch",), True),
    "accepted-only": ({"aws-ec2-vpc-flow-logs"}, "flow-log", ("trafficType",), "ACCEPT", "vpc"),
    "default-sg-open": (
        {"aws-ec2-vpc-default-security-group-closed"},
        "default-sg",
        ("ingress",),
        [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "self": True}],
    ),
}


def _db_from(source_name: str):
    def edit(records):
        rule, source = records["db-from-web"], records[source_name]
        rule["inputs"]["referencedSecurityGroupId"] = group_id(source)
        rule["outputs"] = dict(rule["inputs"])
        rule["propertyDependencies"]["referencedSecurityGroupId"] = [source["urn"]]

    return edit


def _db_from_cidr(records):
    rule = records["db-from-web"]
    del rule["inputs"]["referencedSecurityGroupId"], rule["propertyDependencies"]["referencedSecurityGroupId"]
    rule["inputs"]["cidrIpv4"] = "10.0.0.0/16"
    rule["outputs"] = dict(rule["inputs"])


def _world_443_on_service(records):
    records["web-world"] = ingress("web-world", records["web-sg"], 443.0, "oops", cidr="0.0.0.0/0")


def _standalone_beside_inline(records):
    records["alb-extra"] = ingress("alb-extra", records["alb-sg"], 443.0, "From the VPC", cidr="10.0.0.0/16")


# variant: (policies, the resource they report, edit)
EDITS = {
    "no-flow-log": ({"aws-ec2-vpc-flow-logs"}, "vpc", removed("flow-log")),
    "default-sg-unmanaged": ({"aws-ec2-vpc-default-security-group-closed"}, "vpc", removed("default-sg")),
    "db-from-endpoints-sg": ({DATA_TIER}, "db-from-web", _db_from("endpoints-sg")),
    "db-from-vpc-cidr": ({DATA_TIER}, "db-from-web", _db_from_cidr),
    "world-443-on-service-sg": ({LB_ONLY}, "web-world", _world_443_on_service),
    "mixed-rules": ({MIXED}, "alb-sg", _standalone_beside_inline),
}
TABLE = PolicyTable(*SCENARIO).edits(EDITS)
for variant, (policies, subject, path, value, *reported_on) in BREAKS.items():
    TABLE.breaks(subject, {variant: (policies, path, value)}, on=(reported_on or [subject])[0])


def test_opening_the_database_port_to_the_world_names_the_port(report):
    assert messages(report, HIGH_RISK, TABLE.cases["db-5432-to-world"].on) == [
        "allows tcp 5432 from 0.0.0.0/0, exposing 5432"
    ]


def test_a_data_tier_source_must_be_a_service_security_group(report):
    assert messages(report, DATA_TIER, TABLE.cases["db-from-endpoints-sg"].on) == [
        "db-db-from-endpoints-sg's security group db-sg-db-from-endpoints-sg admits tcp 5432 from sg-0vpce, "
        "which no ECS service or VPC function uses"
    ]


def test_authorized_ports_come_from_the_policy_config(policy_pack):
    config = {WORLD_PORTS: {"authorizedTcpPorts": [443]}}
    result = policy_pack.check(document(LB_SG), config)
    assert messages(result, WORLD_PORTS) == ["allows tcp 80 from 0.0.0.0/0"]


def test_ec2_security_group_rule_resources_are_checked_too(policy_pack):
    rule = resource(
        EC2_RULE,
        "legacy",
        {
            "type": "ingress",
            "securityGroupId": "sg-0web",
            "protocol": "tcp",
            "fromPort": 3389.0,
            "toPort": 3389.0,
            "cidrBlocks": WORLD,
            "description": "rdp",
        },
    )
    result = policy_pack.check(document(rule))
    assert messages(result, HIGH_RISK) == ["allows tcp 3389 from 0.0.0.0/0, exposing 3389"]


def test_state_listing_standalone_rules_is_not_mixed_management(policy_pack):
    # After an update, a group's state lists the rules its standalone rule resources created.
    mirrored = {
        "protocol": "tcp",
        "fromPort": 8080.0,
        "toPort": 8080.0,
        "securityGroups": ["sg-0alb"],
        "description": "From the load balancer",
    }
    service_sg = group("web-sg", "sg-0web", {"description": "Web tasks", "vpcId": "vpc-0"})
    service_sg["outputs"]["ingress"] = [mirrored]
    result = policy_pack.check(document(LB_SG, service_sg, SERVICE_RULE))
    assert messages(result, MIXED) == []


def world_group(name: str, protocol: str, low: float, high: float, description: str | None = "d") -> dict:
    """A security group with one ingress rule from 0.0.0.0/0 and ::/0 (two sources, one rule)."""
    rule = {"protocol": protocol, "fromPort": low, "toPort": high, "cidrBlocks": WORLD, "ipv6CidrBlocks": ["::/0"]}
    rule = rule if description is None else {**rule, "description": description}
    return group(name, f"sg-0{name}", {"description": "Public listener", "vpcId": "vpc-0", "ingress": [rule]})


def test_authorized_udp_ports_come_from_the_policy_config(policy_pack):
    config = {WORLD_PORTS: {"authorizedUdpPorts": [443]}}
    result = policy_pack.check(document(world_group("quic", "udp", 443.0, 443.0)), config)
    assert messages(result, WORLD_PORTS) == []


def test_a_world_port_range_names_every_high_risk_port_it_exposes(policy_pack):
    result = policy_pack.check(document(world_group("ftp-ssh", "tcp", 20.0, 23.0)))
    assert messages(result, HIGH_RISK) == [
        "allows tcp 20-23 from 0.0.0.0/0, exposing 20, 21, 22, 23",
        "allows tcp 20-23 from ::/0, exposing 20, 21, 22, 23",
    ]


def test_a_provider_default_description_is_shown(report):
    assert messages(report, DESCRIPTIONS, TABLE.cases["sg-provider-description"].on) == [
        "description is 'Managed by Pulumi'"
    ]


def test_a_rule_without_description_is_reported_once_whatever_its_sources(policy_pack):
    result = policy_pack.check(document(world_group("web", "tcp", 443.0, 443.0, description=None)))
    assert messages(result, DESCRIPTIONS) == ["the ingress rule tcp 443 from 0.0.0.0/0 has no description"]


def test_public_ips_on_launch_are_reported_by_name(report):
    assert messages(report, "aws-ec2-subnet-no-auto-public-ip", TABLE.cases["public-subnet-ips"].on) == [
        "mapPublicIpOnLaunch is true"
    ]


def test_a_subnet_without_map_public_ip_on_launch_gets_aws_default_of_no_public_ips(policy_pack):
    subnet = resource("aws:ec2/subnet:Subnet", "private-1", {"vpcId": "vpc-0", "cidrBlock": "10.0.32.0/20"})
    assert messages(policy_pack.check(document(subnet)), "aws-ec2-subnet-no-auto-public-ip") == []


FLOW_LOGS = "aws-ec2-vpc-flow-logs"
DEFAULT_CLOSED = "aws-ec2-vpc-default-security-group-closed"
# Named to come after VPC: the pack reviews a stack in dependency order, ties broken by URN.
OTHER_VPC = resource("aws:ec2/vpc:Vpc", "vpc-recovery", {"cidrBlock": "10.1.0.0/16"})


def flow_log(name: str, vpc: dict, traffic: str) -> dict:
    inputs = {"vpcId": f"{vpc['name']}-id", "trafficType": traffic, "logDestinationType": "s3"}
    return resource("aws:ec2/flowLog:FlowLog", name, inputs, deps={"vpcId": [vpc["urn"]]})


def test_a_vpc_without_flow_log_is_reported_by_name(report):
    assert messages(report, FLOW_LOGS, TABLE.cases["no-flow-log"].on) == ["no flow log names it as vpcId"]


def test_flow_logs_of_accepted_traffic_only_are_each_shown(policy_pack):
    logs = [flow_log("to-logs", VPC, "ACCEPT"), flow_log("to-s3", VPC, "ACCEPT")]
    result = policy_pack.check(document(VPC, *logs))
    assert messages(result, FLOW_LOGS) == ["flow logs capture 'ACCEPT', 'ACCEPT'"]


def test_a_vpc_whose_flow_log_is_not_known_yet_does_not_end_the_review(policy_pack):
    result = policy_pack.check(document(VPC, flow_log("pending", VPC, UNKNOWN), OTHER_VPC))
    assert [v.urn for v in result.by_policy(FLOW_LOGS)] == [OTHER_VPC["urn"]]


def test_only_a_flow_log_naming_the_vpc_as_vpc_id_covers_it(policy_pack):
    # A subnet's flow log logs that subnet only, even when another input (its tags) came from the VPC.
    subnet_log = resource(
        "aws:ec2/flowLog:FlowLog",
        "subnet-log",
        {"subnetId": "subnet-0", "trafficType": "ALL", "tags": {"Vpc": "vpc-0"}},
        deps={"subnetId": [SUBNET["urn"]], "tags": [VPC["urn"]]},
    )
    result = policy_pack.check(document(VPC, SUBNET, subnet_log))
    assert messages(result, FLOW_LOGS, VPC["urn"]) == ["no flow log names it as vpcId"]


def test_an_unmanaged_default_security_group_is_reported_on_its_vpc(report):
    assert messages(report, DEFAULT_CLOSED, TABLE.cases["default-sg-unmanaged"].on) == [
        "its default security group is not managed, so it keeps AWS's allow rules"
    ]


def test_only_the_default_security_group_naming_the_vpc_as_vpc_id_is_its_own(policy_pack):
    # The recovery VPC's default group, tagged after the primary VPC, leaves the primary's unmanaged.
    recovery_default = resource(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "recovery-default-sg",
        {"vpcId": "vpc-recovery-id", "ingress": [], "egress": [], "tags": {"Peer": "vpc-0"}},
        deps={"vpcId": [OTHER_VPC["urn"]], "tags": [VPC["urn"]]},
    )
    result = policy_pack.check(document(VPC, OTHER_VPC, recovery_default))
    assert [v.urn for v in result.by_policy(DEFAULT_CLOSED)] == [VPC["urn"]]


def db_rule(name: str, **origin) -> dict:
    """A standalone tcp 5432 rule into the database's group, from an id or CIDR written into the program."""
    inputs = {"securityGroupId": "sg-0db", "ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, **origin}
    return resource(INGRESS, name, {**inputs, "description": name}, deps={"securityGroupId": [DB_SG["urn"]]})


def test_a_data_tier_source_may_be_an_ecs_service_group_known_by_id_only(policy_pack):
    # A group another stack owns reaches this one as an id: no dependency links it to the service.
    network = {"subnets": ["subnet-0"], "securityGroups": ["sg-0shared"]}
    service = resource("aws:ecs/service:Service", "worker", {"networkConfiguration": network})
    result = policy_pack.check(
        document(DB_SG, DB, service, db_rule("from-shared", referencedSecurityGroupId="sg-0shared"))
    )
    assert messages(result, DATA_TIER) == []


def test_a_data_tier_source_may_be_a_vpc_function_group_known_by_id_only(policy_pack):
    function = resource(
        "aws:lambda/function:Function", "bootstrap", {"vpcConfig": {"securityGroupIds": ["sg-0fn"], "subnetIds": []}}
    )
    result = policy_pack.check(
        document(DB_SG, DB, function, db_rule("from-function", referencedSecurityGroupId="sg-0fn"))
    )
    assert messages(result, DATA_TIER) == []


ALL_EGRESS = {"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": WORLD, "description": "Anywhere"}


def test_a_data_store_group_egress_is_not_a_source(policy_pack):
    db_sg = group("db-sg", "sg-0db", {**DB_SG["inputs"], "egress": [ALL_EGRESS]})
    result = policy_pack.check(document(SERVICE_SG, SERVICE, db_sg, DB_RULE, DB))
    assert messages(result, DATA_TIER) == []


def test_a_cidr_source_after_egress_and_allowed_rules_is_reported_without_the_service_remark(policy_pack):
    db_sg = group("db-sg", "sg-0db", {**DB_SG["inputs"], "egress": [ALL_EGRESS]})
    from_vpc = db_rule("from-vpc", cidrIpv4="10.0.0.0/16")
    result = policy_pack.check(document(SERVICE_SG, SERVICE, db_sg, DB_RULE, from_vpc, DB))
    assert messages(result, DATA_TIER) == ["db's security group db-sg admits tcp 5432 from 10.0.0.0/16"]


def test_mixed_rules_name_every_inline_rule(report):
    assert messages(report, MIXED, TABLE.cases["mixed-rules"].on) == [
        "has inline rules (tcp 443 from 0.0.0.0/0; tcp 443 from ::/0; tcp 80 from 0.0.0.0/0; tcp 8080 to 10.0.0.0/16) "
        "besides 1 standalone rule resource(s)"
    ]


def mirrored_web_sg() -> dict:
    """The service's group as its state reads after an update: its standalone rule listed inline."""
    service_sg = group("web-sg", "sg-0web", {"description": "Web tasks", "vpcId": "vpc-0"})
    service_sg["outputs"]["ingress"] = [
        {"protocol": "tcp", "fromPort": 8080.0, "toPort": 8080.0, "securityGroups": ["sg-0alb"], "description": "x"}
    ]
    return service_sg


# In a preview that replaces the load balancer's group, the service's rule has no source yet.
PENDING_RULE = resource(
    INGRESS,
    "web-from-alb",
    {**SERVICE_RULE["inputs"], "referencedSecurityGroupId": UNKNOWN},
    deps=SERVICE_RULE["propertyDependencies"],
)


def test_mixed_rules_wait_for_a_standalone_rule_not_known_yet(policy_pack):
    # The group's inline rule may be that rule's own mirrored state.
    result = policy_pack.check(document(mirrored_web_sg(), PENDING_RULE))
    assert messages(result, MIXED) == []


def test_a_group_waiting_for_unknown_rules_does_not_end_the_review(policy_pack):
    # Reviewed after web-sg (URN order): an inline egress rule beside a standalone ingress rule.
    worker_sg = group(
        "worker-sg", "sg-0worker", {"description": "Worker tasks", "vpcId": "vpc-0", "egress": [ALL_EGRESS]}
    )
    from_alb = ingress("worker-from-alb", worker_sg, 8080.0, "From the load balancer", source=LB_SG)
    result = policy_pack.check(document(mirrored_web_sg(), PENDING_RULE, worker_sg, from_alb))
    assert messages(result, MIXED) == [
        "has inline rules (all traffic to 0.0.0.0/0) besides 1 standalone rule resource(s)"
    ]


def test_all_traffic_from_the_world_is_named_as_such(report):
    assert messages(report, WORLD_PORTS, TABLE.cases["world-all-traffic"].on) == [
        "allows all traffic from 0.0.0.0/0",
        "allows all traffic from ::/0",
    ]


def test_a_rule_of_the_default_security_group_names_its_self_source(report):
    case = TABLE.cases["default-sg-open"]
    assert messages(report, DEFAULT_CLOSED, case.on) == [
        "the default security group has an ingress rule: all traffic from self"
    ]
