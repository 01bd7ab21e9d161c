"""Builders of the AWS side the operations commands read, in the test's moto account: a web stack,
a database, their network, images, certificates, zones, usage. The builders most tests start
with are `snapshotted` (tests.moto_support)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.moto_support import snapshotted
from tests.ops_support import ACCOUNT, REGION, client

FARGATE_DIMENSIONS = {"Service": "Fargate", "Type": "Resource", "Resource": "vCPU", "Class": "Standard/OnDemand"}


def ecr_image(repository: str, tag: str, region: str = REGION) -> str:
    ecr = client("ecr", region)
    try:
        ecr.create_repository(repositoryName=repository)
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)
    return f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{repository}:{tag}"


@cache
def _certificate_key() -> ec.EllipticCurvePrivateKey:
    """One key for every test certificate: what a test checks is a certificate's names and dates.
    An ECDSA P-256 key, which ACM imports as it does RSA keys: moto loads the private key of every
    ImportCertificate, and loading a 2048-bit RSA key checks it (about 50 ms of CPU), a P-256 key
    in microseconds."""
    return ec.generate_private_key(ec.SECP256R1())


def certificate(names: list[str], valid_days: float) -> str:
    """Import a self-signed certificate for `names` valid for `valid_days` from now; its ARN.
    (Moto leaves requested certificates PENDING_VALIDATION; imported ones are ISSUED.)"""
    key = _certificate_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=valid_days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return client("acm").import_certificate(
        Certificate=cert.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ),
    )["CertificateArn"]


def hosted_zone(name: str) -> str:
    zone = client("route53").create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]
    return zone["Id"].rsplit("/", 1)[-1]


def ecs_service_linked_role() -> None:
    # moto's CreateServiceLinkedRole names it AWSServiceRoleForecs; AWS names it AWSServiceRoleForECS.
    client("iam").create_role(
        RoleName="AWSServiceRoleForECS",
        Path="/aws-service-role/ecs.amazonaws.com/",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )


def fargate_usage(vcpus: float) -> None:
    dimensions = [{"Name": k, "Value": v} for k, v in FARGATE_DIMENSIONS.items()]
    client("cloudwatch").put_metric_data(
        Namespace="AWS/Usage",
        MetricData=[
            {
                "MetricName": "ResourceCount",
                "Dimensions": dimensions,
                "Value": vcpus,
                "Timestamp": datetime.now(UTC) - timedelta(minutes=2),
            }
        ],
    )


def elastic_ips(count: int, tags: dict[str, str] | None = None) -> None:
    ec2 = client("ec2")
    spec = [{"ResourceType": "elastic-ip", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    for _ in range(count):
        ec2.allocate_address(Domain="vpc", TagSpecifications=spec)


def network() -> dict[str, Any]:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    group = ec2.create_security_group(GroupName=f"sg-{len(subnets)}-{vpc}", Description="test", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "security_group": group}


def task_definition(family: str, cpu: str = "2048") -> str:
    return client("ecs").register_task_definition(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu=cpu,
        memory="4096",
        containerDefinitions=[{"name": family, "image": "public.ecr.aws/nginx/nginx:1", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]


@snapshotted
def web_stack(weights: tuple[int, int] = (100, 0), revisions: int = 2) -> dict[str, Any]:
    """ALB with blue/green target groups on a production and a test rule, an ECS cluster with
    the web service on the newest of `revisions` task definition revisions, blue's targets
    registered, and the stack's metric alarms (all OK; the composite deployment alarm comes
    from `composite_alarm`). Returns the stack outputs."""
    net = network()
    elbv2, ecs, cloudwatch = client("elbv2"), client("ecs"), client("cloudwatch")
    alb = elbv2.create_load_balancer(Name="webapp-prod", Subnets=net["subnets"], SecurityGroups=[net["security_group"]])
    alb_arn = alb["LoadBalancers"][0]["LoadBalancerArn"]
    groups = {
        colour: elbv2.create_target_group(
            Name=f"webapp-{colour}", Protocol="HTTP", Port=8080, VpcId=net["vpc"], TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        for colour in ("blue", "green")
    }
    rules = {}
    for role, port, forward in (
        ("production", 443, [(groups["blue"], weights[0]), (groups["green"], weights[1])]),
        ("test", 8443, [(groups["green"], 100)]),
    ):
        listener = elbv2.create_listener(
            LoadBalancerArn=alb_arn,
            Protocol="HTTP",
            Port=port,
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
        )["Listeners"][0]["ListenerArn"]
        rules[role] = elbv2.create_rule(
            ListenerArn=listener,
            Priority=1,
            Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
            Actions=[
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in forward]
                    },
                }
            ],
        )["Rules"][0]["RuleArn"]
    elbv2.register_targets(
        TargetGroupArn=groups["blue"], Targets=[{"Id": "10.20.0.10", "Port": 8080}, {"Id": "10.20.1.10", "Port": 8080}]
    )

    ecs.create_cluster(clusterName="webapp")
    arns = [task_definition("web") for _ in range(revisions)]
    ecs.create_service(
        cluster="webapp",
        serviceName="web",
        taskDefinition=arns[-1],
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": net["subnets"], "securityGroups": [net["security_group"]]}
        },
    )
    alarm_names = ["webapp-prod-alb-5xx", "webapp-prod-web-cpu"]
    for name in alarm_names:
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/ApplicationELB",
            MetricName="HTTPCode_Target_5XX_Count",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=10,
            ComparisonOperator="GreaterThanThreshold",
        )
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="fine")
    return {
        "region": REGION,
        "albArn": alb_arn,
        "productionListenerRuleArn": rules["production"],
        "testListenerRuleArn": rules["test"],
        "blueTargetGroupArn": groups["blue"],
        "greenTargetGroupArn": groups["green"],
        "clusterName": "webapp",
        "webServiceName": "web",
        "serviceNames": ["web"],
        "alarmNames": alarm_names,
        "deploymentAlarmName": "webapp-prod-deployment",
    }


@snapshotted
def database() -> dict[str, Any]:
    """A PostgreSQL instance in a subnet group with its security group and parameter group, and
    the automated snapshot moto takes on creation. Returns the stack outputs."""
    net = network()
    rds = client("rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="webapp-db-isolated", DBSubnetGroupDescription="isolated", SubnetIds=net["subnets"]
    )
    rds.create_db_parameter_group(
        DBParameterGroupName="webapp-db-pg17", DBParameterGroupFamily="postgres17", Description="x"
    )
    rds.create_db_instance(
        DBInstanceIdentifier="webapp-prod-db",
        Engine="postgres",
        DBInstanceClass="db.r7g.large",
        AllocatedStorage=100,
        MasterUsername="app_admin",
        MasterUserPassword="not-a-real-password",
        DBName="app",
        DBSubnetGroupName="webapp-db-isolated",
        VpcSecurityGroupIds=[net["security_group"]],
        DBParameterGroupName="webapp-db-pg17",
        BackupRetentionPeriod=14,
        StorageEncrypted=True,
    )
    return {
        "region": REGION,
        "databaseInstanceId": "webapp-prod-db",
        "databaseName": "app",
        "databaseSecurityGroupId": net["security_group"],
        "databaseSubnetGroupName": "webapp-db-isolated",
        "databaseParameterGroupName": "webapp-db-pg17",
        "isolatedSubnetIds": net["subnets"],
    }
