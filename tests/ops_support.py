"""Test helpers of the operations commands: a moto account with fake credentials, builders of the
AWS side each command reads, thin fakes for the calls moto 5.2.5 lacks, and a fake clock.

No test talks to AWS: every client is created inside `mock_aws`, with fake credentials from the
environment and IMDS disabled.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ops.aws import Aws
from ops.cli import Context, main
from ops.outputs import Outputs
from ops.progress import Clock, Progress
from settings import load_settings
from settings.stack_config import read_stack_config
from tests.moto_support import snapshotted


class SharedClients(boto3.session.Session):
    """A session that makes each (service, region, config) client once per test process.

    A session loads each service's API model once (moto resets boto3's default session at every
    mock_aws start); a client still costs about 9 ms of CPU to build (its class, its event
    handlers, its endpoint rules), and the commands under test would build some 400 of them. A
    client holds no account state (moto keeps that, reset for every test) and signs with the
    fake credentials every test has, so one client serves every test. A client behind a
    Stubber, which registers handlers on it, comes from `stubbed` instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self._clients: dict[tuple[str, str | None, int], tuple[Any, Any]] = {}
        self._stubbers: dict[tuple[str, str | None, int], tuple[Stubber, Any]] = {}

    def client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
        if set(kwargs) - {"config"}:
            return self.new_client(service_name, region_name=region_name, **kwargs)
        config = kwargs.get("config")
        key = (service_name, region_name, id(config))
        if key not in self._clients:
            # The config is kept beside its client: its id stays unique while the entry lives.
            self._clients[key] = (self.new_client(service_name, region_name=region_name, config=config), config)
        return self._clients[key][0]

    def new_client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
        """A client of its own."""
        return super().client(service_name, region_name=region_name, **kwargs)

    def stubbed(self, service_name: str, region_name: str | None = None, config: Any = None) -> Stubber:
        """A new, active Stubber on a client kept apart from the shared ones (its `.client`). The
        Stubber made before it on that client is deactivated: what a test queued in it never
        answers another test's calls."""
        key = (service_name, region_name, id(config))
        if key in self._stubbers:
            previous, _ = self._stubbers[key]
            previous.deactivate()
            client = previous.client
        else:
            client = self.new_client(service_name, region_name=region_name, config=config)
        stubber = Stubber(client)
        stubber.activate()
        self._stubbers[key] = (stubber, config)
        return stubber


# One session for every test, and its clients (SharedClients).
SESSION = SharedClients()

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
STACK = "prod"


class FakeClock(Clock):
    """Time that moves only when something sleeps."""

    def __init__(self, start: datetime | None = None):
        self.t = 0.0
        self.start = start or datetime.now(UTC)
        self.sleeps: list[float] = []
        super().__init__(
            monotonic=lambda: self.t,
            sleep=self._sleep,
            now=lambda: self.start + timedelta(seconds=self.t),
            jitter=lambda: 1.0,
        )

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def progress(clock: FakeClock | None = None) -> Progress:
    return Progress(clock or FakeClock(), io.StringIO())


def client(service: str, region: str = REGION) -> Any:
    """A client of the test's moto account, to build or inspect the AWS side."""
    return SESSION.client(service, region_name=region)


def access_denied(operation: str) -> ClientError:
    return client_error("AccessDenied", operation, f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized")


def client_error(code: str, operation: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message or code}}, operation)


class Patched:
    """A client whose named methods are replaced; everything else goes to the real (moto) one."""

    def __init__(self, real: Any, **methods: Callable[..., Any]):
        self._real = real
        self._methods = methods

    def __getattr__(self, name: str) -> Any:
        return self._methods.get(name) or getattr(self._real, name)


def failing(error: ClientError, times: int, then: Callable[..., Any]) -> Callable[..., Any]:
    """A call that raises `error` `times` times, then behaves like `then`."""
    calls = {"n": 0}

    def call(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return then(**kwargs)

    return call


# ---------------------------------------------------------------------------------------------
# ECS service deployments: moto 5.2.5 has no ListServiceDeployments, DescribeServiceDeployments
# or StopServiceDeployment, and its UpdateService names no currentServiceDeployment.


@dataclass
class FakeDeployment:
    arn: str
    statuses: list[str]  # what successive describes return; the last one sticks
    stage: str | None = None
    source: str = "arn:aws:ecs:us-east-1:123456789012:service-revision/webapp/web/1111"
    target: str = "arn:aws:ecs:us-east-1:123456789012:service-revision/webapp/web/2222"

    def describe(self) -> dict[str, Any]:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {
            "serviceDeploymentArn": self.arn,
            "status": status,
            "lifecycleStage": self.stage,
            "createdAt": datetime(2026, 1, 1, tzinfo=UTC),
            "sourceServiceRevisions": [{"arn": self.source, "requestedTaskCount": 2, "runningTaskCount": 2}],
            "targetServiceRevision": {"arn": self.target, "requestedTaskCount": 2, "runningTaskCount": 1},
        }


@dataclass
class FakeEcsDeployments:
    """The service-deployment calls of ECS, in front of moto's ECS client."""

    deployments: list[FakeDeployment] = field(default_factory=list)
    # Statuses of the deployment the next UpdateService starts.
    next_update: list[str] = field(default_factory=lambda: ["IN_PROGRESS", "SUCCESSFUL"])
    stopped: list[tuple[str, str]] = field(default_factory=list)
    describe_error: Callable[[], ClientError | None] | None = None

    def wrap(self, real: Any) -> Patched:
        return Patched(
            real,
            list_service_deployments=self.list_service_deployments,
            describe_service_deployments=self.describe_service_deployments,
            stop_service_deployment=self.stop_service_deployment,
            update_service=lambda **kwargs: self.update_service(real, **kwargs),
        )

    def list_service_deployments(
        self, cluster: str, service: str, status: list[str] | None = None, **_: Any
    ) -> dict[str, Any]:
        current = [d for d in self.deployments if status is None or d.statuses[0] in status]
        return {"serviceDeployments": [{"serviceDeploymentArn": d.arn, "status": d.statuses[0]} for d in current]}

    def describe_service_deployments(self, serviceDeploymentArns: list[str]) -> dict[str, Any]:
        error = self.describe_error() if self.describe_error else None
        if error:
            raise error
        return {
            "serviceDeployments": [d.describe() for d in self.deployments if d.arn in serviceDeploymentArns],
            "failures": [],
        }

    def stop_service_deployment(self, serviceDeploymentArn: str, stopType: str) -> dict[str, Any]:
        self.stopped.append((serviceDeploymentArn, stopType))
        return {"serviceDeploymentArn": serviceDeploymentArn}

    def update_service(self, real: Any, **kwargs: Any) -> dict[str, Any]:
        response = real.update_service(**kwargs)
        arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/webapp/web/update{len(self.deployments)}"
        self.deployments.append(FakeDeployment(arn, list(self.next_update)))
        response["service"]["currentServiceDeployment"] = arn
        return response


def composite_alarm(name: str, state: str = "OK") -> Callable[[Any], Any]:
    """A composite alarm in DescribeAlarms (moto 5.2.5 has no PutCompositeAlarm)."""

    def wrap(real: Any) -> Patched:
        def describe_alarms(AlarmNames: list[str], **kwargs: Any) -> dict[str, Any]:
            response = real.describe_alarms(AlarmNames=[n for n in AlarmNames if n != name], **kwargs)
            if name in AlarmNames:
                response["CompositeAlarms"] = [{"AlarmName": name, "StateValue": state, "StateReason": "composite"}]
            return response

        return Patched(real, describe_alarms=describe_alarms)

    return wrap


def quotas(fargate_vcpus: float, elastic_ips: float) -> Callable[[Any], Any]:
    """service-quotas through botocore's Stubber (moto 5.2.5 knows only the `vpc` quotas): the
    two GetServiceQuota calls preflight makes, in its order, with the usage metric AWS names."""

    def wrap(real: Any) -> Any:
        stubber = SESSION.stubbed("service-quotas", region_name=real.meta.region_name, config=real.meta.config)
        stubber.add_response(
            "get_service_quota",
            {
                "Quota": {
                    "ServiceCode": "fargate",
                    "QuotaCode": "L-3032A538",
                    "Value": fargate_vcpus,
                    "UsageMetric": {
                        "MetricNamespace": "AWS/Usage",
                        "MetricName": "ResourceCount",
                        "MetricDimensions": FARGATE_DIMENSIONS,
                        "MetricStatisticRecommendation": "Maximum",
                    },
                }
            },
            {"ServiceCode": "fargate", "QuotaCode": "L-3032A538"},
        )
        stubber.add_response(
            "get_service_quota",
            {"Quota": {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3", "Value": elastic_ips}},
            {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3"},
        )
        return stubber.client

    return wrap


FARGATE_DIMENSIONS = {"Service": "Fargate", "Type": "Resource", "Resource": "vCPU", "Class": "Standard/OnDemand"}


# ---------------------------------------------------------------------------------------------
# Builders of the AWS side


def stack_settings(**dns: Any):
    """The prod stack's real settings before its images are pinned (named by tag, as preflight
    resolves them), with `dns` fields replaced (moto's zone ids do not match the `Z...` pattern,
    so the replacement skips validation on purpose)."""
    settings = _stack_settings()
    services = [
        s.model_copy(update={"image": unpinned(s.image), "tracing_image": unpinned(s.tracing_image or "")})
        for s in settings.services
    ]
    settings = settings.model_copy(update={"services": services})
    return settings.model_copy(update={"dns": settings.dns.model_copy(update=dns)}) if dns else settings


@cache
def _stack_settings():
    """The stack file read and validated once per test process (settings are frozen models)."""
    return load_settings(STACK, read_stack_config(STACK))


def unpinned(image: str) -> str:
    """An image reference without its digest, in moto's account: `<repository>:<tag>`."""
    repository = image.split("@")[0].split("/", 1)[1]
    return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repository}"


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


def outputs(values: dict[str, Any]) -> Outputs:
    return Outputs(STACK, values, "test outputs")


def aws_session(
    wrap: dict[str, Callable[[Any], Any]] | None = None, session: boto3.session.Session | None = None
) -> Aws:
    return Aws(REGION, session=session or SESSION, wrap=wrap)


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(argv: list[str], tmp_path, values: dict[str, Any] | None = None, **context: Any) -> CliRun:
    """`python -m ops ...` in process, with `values` as the --outputs file when given."""
    if values is not None:
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(values))
        argv = [*argv, "--outputs", str(path)]
    stdout, stderr = io.StringIO(), io.StringIO()
    context.setdefault("clock", FakeClock())
    context.setdefault("session", SESSION)
    code = main(argv, Context(stdout=stdout, stderr=stderr, **context))
    return CliRun(code, stdout.getvalue(), stderr.getvalue())
