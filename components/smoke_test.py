"""The web service's smoke-test hook: a Lambda function (`functions/smoke_test/`, a VpcFunction
in the private subnets) that ECS native blue/green invokes at POST_TEST_TRAFFIC_SHIFT, when the
test listener routes to the new version only, and the role ECS invokes it with. A FAILED answer
rolls the deployment back before any user reaches the new version.

Network path: the ALB is internet-facing, so its name resolves to public addresses only, and
from the private subnets the requests leave through the NAT gateways. The function's security
group sends only to the test listener's port; the ALB admits that port from the NAT gateways'
Elastic IPs (one /32 each), besides `testListenerCidrs`. The alternative, the ALB's private
addresses, has no DNS name and changes as the ALB scales, and finding them at run time would need
EC2 API access from the function (HTTPS to anywhere), which is broader than this path.

Invocation: the hook role trusts `ecs.amazonaws.com` (as the ECS infrastructure role does, without
a source condition, which ECS is not documented to send) and may only `lambda:InvokeFunction` this
function.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.functions import FunctionSettings
from settings.services import ServiceSettings

from .common import TYPE_PREFIX, AwsContext, child, ecs_role
from .function_package import FUNCTIONS_DIR
from .service_egress import EGRESS_TO_INTERNET_TAG
from .vpc_function import Egress, VpcFunction, VpcFunctionArgs

HOOK_STAGE = "POST_TEST_TRAFFIC_SHIFT"
# Per request, and the bounded retry: ECS calls again after the delay while the hook answers
# IN_PROGRESS, so a version still warming up gets about two minutes before it fails.
REQUEST_TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 4
RETRY_DELAY_SECONDS = 30


@dataclass(frozen=True)
class SmokeTestArgs:
    # The web service: its health check path and `smokeTests`.
    service: ServiceSettings
    context: AwsContext
    # The test listener, as the function reaches it: `https://<domain>:<testListenerPort>`.
    domain: str
    test_listener_port: int
    alb_security_group_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    # The NAT gateways' public addresses: the function's requests reach the ALB from these.
    nat_public_ips: Sequence[pulumi.Input[str]]
    log_key_arn: pulumi.Input[str]
    function: FunctionSettings = FunctionSettings()


@dataclass(frozen=True)
class LifecycleHook:
    """What the ECS service's deployment configuration names."""

    function_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    stage: str
    # The service must not deploy before the role may invoke the function.
    ready: pulumi.Resource


def smoke_checks(service: ServiceSettings) -> list[dict[str, object]]:
    """The checks the function runs: the health check path first, then `smokeTests`."""
    health = {"path": service.health_check_path, "expectStatus": 200}
    tests = [test.model_dump(by_alias=True, exclude_none=True) for test in service.smoke_tests]
    return [health, *tests]


class SmokeTestHook(pulumi.ComponentResource):
    """The smoke-test function, the ALB's admission of it, and the role ECS invokes it with."""

    def __init__(self, name: str, args: SmokeTestArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:SmokeTestHook", name, None, opts)
        port = args.test_listener_port
        self.function = VpcFunction(
            f"{name}-function",
            VpcFunctionArgs(
                settings=args.function,
                context=args.context,
                source=FUNCTIONS_DIR / "smoke_test",
                description=f"Smoke tests of a new {args.service.name} version on the test listener",
                vpc_id=args.vpc_id,
                subnet_ids=args.subnet_ids,
                log_key_arn=args.log_key_arn,
                egress=[
                    Egress(
                        "alb-test",
                        port,
                        f"The ALB's test listener ({port}), through NAT",
                        cidr_ipv4="0.0.0.0/0",
                    )
                ],
                # The ALB's public addresses are not known in advance: the egress is open on the
                # test port only, and said to be intended for the policy pack.
                security_group_tags={EGRESS_TO_INTERNET_TAG: "true"},
                environment={
                    "SMOKE_BASE_URL": f"https://{args.domain}:{port}",
                    "SMOKE_CHECKS": json.dumps(smoke_checks(args.service), sort_keys=True),
                    "SMOKE_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT_SECONDS),
                    "SMOKE_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
                    "SMOKE_RETRY_DELAY": str(RETRY_DELAY_SECONDS),
                },
            ),
            opts=child(self),
        )
        for index, address in enumerate(args.nat_public_ips):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-alb-from-nat-{index}",
                security_group_id=args.alb_security_group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=pulumi.Output.concat(address, "/32"),
                description=f"Smoke tests (through NAT gateway {index}) to the test listener",
                tags={"Name": f"{name}-alb-from-nat-{index}"},
                opts=child(self),
            )
        self.role, policy = ecs_role(
            f"{name}-invoke",
            "ECS invokes the smoke-test hook during blue/green deployments",
            self,
            {
                "Sid": "InvokeSmokeTest",
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": self.function.arn,
            },
        )
        self.hook = LifecycleHook(self.function.arn, self.role.arn, HOOK_STAGE, policy)
        self.register_outputs({"function_arn": self.function.arn, "role_arn": self.role.arn})
