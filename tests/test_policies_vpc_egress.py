"""Egress policies: a compliant network edge (interface endpoint with an account-bound policy, a
service security group reaching the endpoints, S3 and the internet only as opted in) and its
breaks, which tests/test_policies.py runs; here the messages."""

import json

from tests.policy_support import ACCOUNT, DELETE, PolicyTable, messages, resource, variant_urn

SG = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_POLICY = "aws-ec2-vpc-endpoint-policy"
INTERNET_EGRESS = "aws-ec2-security-group-internet-egress"
TAG = "webapp:egress-to-internet"

THIS_ACCOUNT = {"StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ThisAccountOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": THIS_ACCOUNT,
        }
    ],
}
XRAY = resource(
    ENDPOINT,
    "xray",
    {
        "serviceName": "com.amazonaws.us-east-1.xray",
        "vpcEndpointType": "Interface",
        "privateDnsEnabled": True,
        "policy": json.dumps(POLICY),
    },
)
S3 = resource(ENDPOINT, "s3", {"serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Gateway"})


def group(name: str, tags: dict) -> dict:
    arn = f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-0{name}"
    inputs = {"description": name, "vpcId": "vpc-0", "tags": tags}
    return resource(SG, name, inputs, outputs={**inputs, "id": f"sg-0{name}", "arn": arn})


def egress(name: str, of: dict, **destination) -> dict:
    inputs = {"securityGroupId": of["outputs"]["id"], "ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0}
    return resource(EGRESS, name, {**inputs, **destination, "description": name}, deps={"securityGroupId": [of["urn"]]})


WEB_SG = group("web-sg", {"Name": "web-tasks"})
WORKER_SG = group("worker-sg", {"Name": "worker-tasks", TAG: "true"})
SCENARIO = [
    XRAY,
    S3,
    WEB_SG,
    egress("web-to-endpoints", WEB_SG, referencedSecurityGroupId="sg-0endpoints"),
    egress("web-to-s3", WEB_SG, prefixListId="pl-63a5400a"),
    WORKER_SG,
    egress("worker-out-https", WORKER_SG, cidrIpv4="0.0.0.0/0"),
]
STATEMENT = ("policy", "Statement", 0)
WORLD_BLOCK = {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"], "description": "out"}


def _to_ipv6_world(records):
    rule = records["web-to-s3"]
    for field in ("inputs", "outputs"):
        del rule[field]["prefixListId"]
        rule[field]["cidrIpv6"] = "::/0"


TABLE = (
    PolicyTable(*SCENARIO)
    .breaks(
        "xray",
        {
            "no-policy": (ENDPOINT_POLICY, ("policy",), DELETE),
            "no-account-condition": (ENDPOINT_POLICY, STATEMENT + ("Condition",), DELETE),
            "not-json": (ENDPOINT_POLICY, ("policy",), "{"),
        },
    )
    .breaks(
        "s3",
        {
            "gateway-public-policy": (
                ENDPOINT_POLICY,
                ("policy",),
                json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}),
            ),
        },
    )
    .breaks(
        "worker-sg",
        {
            "untagged-world-egress": (INTERNET_EGRESS, ("tags", TAG), DELETE),
            "tagged-false": (INTERNET_EGRESS, ("tags", TAG), "false"),
        },
        on="worker-out-https",
    )
    .breaks("web-sg", {"inline-world-egress": (INTERNET_EGRESS, ("egress",), [WORLD_BLOCK])})
    .edits({"ipv6-world-egress": (INTERNET_EGRESS, "web-to-s3", _to_ipv6_world)})
)


def test_a_gateway_endpoint_may_keep_the_default_policy(report):
    assert messages(report, ENDPOINT_POLICY, S3["urn"]) == []


def test_an_interface_endpoint_without_a_policy_is_named(report):
    assert messages(report, ENDPOINT_POLICY, variant_urn(XRAY, "no-policy")) == [
        "policy is not set, so the endpoint admits any principal to any resource (AWS's full-access default)"
    ]


def test_an_untagged_group_egressing_to_the_internet_is_named(report):
    rule = variant_urn(SCENARIO[6], "untagged-world-egress")
    assert messages(report, INTERNET_EGRESS, rule) == [
        "worker-sg-untagged-world-egress sends tcp 443 to 0.0.0.0/0, and is not tagged webapp:egress-to-internet=true"
    ]


def test_each_break_tells_the_reviewer_what_is_wrong(report):
    """The PR report shows these lines under the endpoint or the egress rule: a statement is named
    by its Sid (by its position without one) with the principal it lets in, and a rule by its
    group, what it sends where and the tag the group lacks."""
    said = {
        variant: [m for p in TABLE.policies for m in messages(report, p, case.on)]
        for variant, case in TABLE.cases.items()
    }
    world = f"and is not tagged {TAG}=true"
    assert said == {
        "no-policy": [
            "policy is not set, so the endpoint admits any principal to any resource (AWS's full-access default)"
        ],
        "no-account-condition": ["statement ThisAccountOnly allows '*' without an account condition"],
        "not-json": ["policy is not valid JSON: Expecting property name enclosed in double quotes at position 1"],
        "gateway-public-policy": ["statement 0 allows '*' without an account condition"],
        "untagged-world-egress": [f"worker-sg-untagged-world-egress sends tcp 443 to 0.0.0.0/0, {world}"],
        "tagged-false": [f"worker-sg-tagged-false sends tcp 443 to 0.0.0.0/0, {world}"],
        "inline-world-egress": [f"web-sg-inline-world-egress sends tcp 443 to 0.0.0.0/0, {world}"],
        "ipv6-world-egress": [f"web-sg-ipv6-world-egress sends tcp 443 to ::/0, {world}"],
    }
