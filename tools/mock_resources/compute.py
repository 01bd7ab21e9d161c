"""What AWS returns for what runs the code: the ECS cluster, services and task definitions, their
scaling, the functions in the VPC and their invocations, and the IAM roles and policies."""

from __future__ import annotations

from tools.mock_resources.context import PARTITION, Generator, MockContext, State


def _iam(path: str) -> Generator:
    def generate(ctx: MockContext) -> State:
        name = ctx.physical_name(max_length=64)
        return {
            "id": name,
            "name": name,
            "arn": ctx.arn("iam", f"{path}/{name}", region=False),
            "uniqueId": f"AROA{ctx.hex(17).upper()}",
            "createDate": "2026-01-01T00:00:00Z",
        }

    return generate


def _ecs_cluster(ctx: MockContext) -> State:
    name = ctx.physical_name()
    arn = ctx.arn("ecs", f"cluster/{name}")
    return {"id": arn, "arn": arn, "name": name}


def _ecs_service(ctx: MockContext) -> State:
    name = ctx.physical_name()
    cluster = str(ctx.inputs.get("cluster", "")).split("/")[-1]
    arn = ctx.arn("ecs", f"service/{cluster}/{name}")
    return {"id": arn, "arn": arn, "name": name}


def _task_definition(ctx: MockContext) -> State:
    family = ctx.inputs.get("family") or ctx.name
    base = ctx.arn("ecs", f"task-definition/{family}")
    return {"id": f"{family}", "arn": f"{base}:1", "arnWithoutRevision": base, "revision": 1}


def _scaling_target(ctx: MockContext) -> State:
    resource_id = ctx.inputs.get("resourceId", "")
    return {"id": resource_id, "arn": ctx.arn("application-autoscaling", f"scalable-target/{ctx.hex(36)}")}


def _scaling_policy(ctx: MockContext) -> State:
    name = ctx.physical_name()
    return {
        "id": name,
        "name": name,
        "arn": ctx.arn(
            "autoscaling",
            f"scalingPolicy:{ctx.uuid()}:resource/{ctx.inputs.get('resourceId', '')}:policyName/{name}",
        ),
        "alarmArns": [],
    }


def _lambda_function(ctx: MockContext) -> State:
    name = ctx.physical_name(max_length=64)
    arn = ctx.arn("lambda", f"function:{name}")
    return {
        "id": name,
        "name": name,
        "arn": arn,
        "qualifiedArn": f"{arn}:$LATEST",
        "invokeArn": f"arn:{PARTITION}:apigateway:{ctx.region}:lambda:path/2015-03-31/functions/{arn}/invocations",
        "version": "$LATEST",
        # Lambda reports the digest of the zip it received, which is what source_code_hash states.
        "codeSha256": ctx.inputs.get("sourceCodeHash") or ctx.hex(43),
        "lastModified": "2026-01-01T00:00:00.000+0000",
        "sourceCodeSize": 1_048_576,
    }


def _lambda_invocation(ctx: MockContext) -> State:
    function = ctx.inputs.get("functionName")
    return {"id": f"{function}_$LATEST_{ctx.hex(32)}", "result": '{"status": "ok"}'}


COMPUTE: dict[str, Generator] = {
    "aws:iam/role:Role": _iam("role"),
    "aws:iam/policy:Policy": _iam("policy"),
    "aws:iam/rolePolicy:RolePolicy": lambda c: {
        "id": f"{c.inputs.get('role')}:{c.physical_name()}",
        "name": c.physical_name(),
    },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda c: {"id": f"{c.inputs.get('role')}-{c.hex(8)}"},
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:ecs/service:Service": _ecs_service,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:lambda/function:Function": _lambda_function,
    "aws:lambda/invocation:Invocation": _lambda_invocation,
    "aws:appautoscaling/target:Target": _scaling_target,
    "aws:appautoscaling/policy:Policy": _scaling_policy,
}
