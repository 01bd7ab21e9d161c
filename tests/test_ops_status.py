"""`python -m ops status` against a moto ALB, ECS service and alarms.

Thin fakes (`ops_support.FakeEcsDeployments`, `composite_alarm`, `Patched`): moto 5.2.5 has no
ECS ListServiceDeployments/DescribeServiceDeployments and no composite alarms, and reports every
registered IP target healthy, so unhealthy targets come from a patched DescribeTargetHealth.
"""

from __future__ import annotations

from typing import Any

from tests.ops_builders import web_stack
from tests.ops_fakes import FakeDeployment, FakeEcsDeployments, Patched, composite_alarm
from tests.ops_support import access_denied, client, run_cli

WEB_DEPLOYMENT = "arn:aws:ecs:us-east-1:123456789012:service-deployment/webapp/web/abc123"


def status(
    tmp_path, values: dict[str, Any], ecs: FakeEcsDeployments | None = None, wrap: dict | None = None, json: bool = True
):
    fake = ecs or FakeEcsDeployments()
    argv = ["status", "--stack", "prod"] + (["--json"] if json else [])
    wrap = {"ecs": fake.wrap, "cloudwatch": composite_alarm("webapp-prod-deployment"), **(wrap or {})}
    return run_cli(argv, tmp_path, values=values, wrap=wrap)


def unhealthy_blue(values: dict[str, Any]):
    """DescribeTargetHealth reporting one of blue's targets failing its health check."""

    def wrap(real):
        def describe_target_health(TargetGroupArn: str):
            response = real.describe_target_health(TargetGroupArn=TargetGroupArn)
            if TargetGroupArn == values["blueTargetGroupArn"]:
                response["TargetHealthDescriptions"][0]["TargetHealth"] = {
                    "State": "unhealthy",
                    "Reason": "Target.ResponseCodeMismatch",
                    "Description": "Health checks failed with these codes: [502]",
                }
            return response

        return Patched(real, describe_target_health=describe_target_health)

    return wrap


def test_a_healthy_stack_reports_blue_serving_and_exits_0(aws, tmp_path):
    result = status(tmp_path, web_stack())
    assert result.code == 0, result.stdout
    report = result.json()
    assert report["production"] == {"serving": "blue", "weights": {"blue": 100.0, "green": 0.0}}
    assert report["attention"] == []


def test_the_test_listener_rule_shows_where_test_traffic_goes(aws, tmp_path):
    assert status(tmp_path, web_stack()).json()["test"]["serving"] == "green"


def test_split_weights_show_a_traffic_shift(aws, tmp_path):
    report = status(tmp_path, web_stack(weights=(80, 20))).json()
    assert report["production"]["serving"] == "shifting: blue 80% / green 20%"


def test_running_and_desired_tasks_per_service(aws, tmp_path):
    report = status(tmp_path, web_stack()).json()
    assert [(s["name"], s["running"], s["desired"]) for s in report["services"]] == [("web", 2, 2)]


def test_target_health_is_counted_per_target_group(aws, tmp_path):
    report = status(tmp_path, web_stack()).json()
    assert report["targetGroups"]["blue"]["states"] == {"healthy": 2}
    assert report["targetGroups"]["green"]["states"] == {}


def test_the_deployment_in_progress_and_its_stage(aws, tmp_path):
    ecs = FakeEcsDeployments([FakeDeployment(WEB_DEPLOYMENT, ["IN_PROGRESS"], stage="TEST_TRAFFIC_SHIFT")])
    deployment = status(tmp_path, web_stack(), ecs).json()["deployment"]
    assert (deployment["arn"], deployment["status"], deployment["stage"]) == (
        WEB_DEPLOYMENT,
        "IN_PROGRESS",
        "TEST_TRAFFIC_SHIFT",
    )


def test_no_deployment_in_progress_is_reported_as_none(aws, tmp_path):
    result = status(tmp_path, web_stack(), json=False)
    assert "deployment:         none in progress" in result.stdout


def test_unhealthy_targets_need_attention_and_exit_1(aws, tmp_path):
    values = web_stack()
    result = status(tmp_path, values, wrap={"elbv2": unhealthy_blue(values)})
    assert result.code == 1
    report = result.json()
    assert report["attention"] == ["blue target group has 1 unhealthy target(s)"]
    assert report["targetGroups"]["blue"]["unhealthy"][0]["reason"] == "Target.ResponseCodeMismatch"


def test_production_on_a_colour_without_healthy_targets_needs_attention(aws, tmp_path):
    report = status(tmp_path, web_stack(weights=(0, 100))).json()
    assert report["attention"] == ["green serves 100% of production traffic but has no healthy target"]


def test_an_alarm_in_alarm_needs_attention_and_exits_1(aws, tmp_path):
    values = web_stack()
    client("cloudwatch").set_alarm_state(
        AlarmName="webapp-prod-alb-5xx", StateValue="ALARM", StateReason="5xx above 10"
    )
    result = status(tmp_path, values)
    assert result.code == 1
    assert result.json()["attention"] == ["alarm webapp-prod-alb-5xx is in ALARM: 5xx above 10"]


def test_the_composite_deployment_alarm_is_reported(aws, tmp_path):
    alarms = status(tmp_path, web_stack()).json()["alarms"]
    assert {"name": "webapp-prod-deployment", "type": "composite"}.items() <= next(
        a for a in alarms if a["name"] == "webapp-prod-deployment"
    ).items()


def test_an_alarm_named_in_the_outputs_but_missing_needs_attention(aws, tmp_path):
    values = web_stack()
    values["alarmNames"] = values["alarmNames"] + ["webapp-prod-gone"]
    assert status(tmp_path, values).json()["attention"] == ["alarm webapp-prod-gone does not exist"]


def test_a_rollback_in_progress_needs_attention(aws, tmp_path):
    ecs = FakeEcsDeployments(
        [FakeDeployment(WEB_DEPLOYMENT, ["ROLLBACK_IN_PROGRESS"], stage="PRODUCTION_TRAFFIC_SHIFT")]
    )
    assert status(tmp_path, web_stack(), ecs).json()["attention"][0].startswith("the deployment is rolling back")


def test_the_human_report_names_the_serving_colour(aws, tmp_path):
    result = status(tmp_path, web_stack(), json=False)
    assert "production traffic: blue  [blue 100%, green 0%]" in result.stdout


def test_a_missing_output_is_an_error_naming_it(aws, tmp_path):
    values = web_stack()
    del values["productionListenerRuleArn"]
    result = status(tmp_path, values, json=False)
    assert result.code == 2
    assert "stack prod lacks what `status` needs, output(s) `productionListenerRuleArn` (" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_permission_is_an_error_naming_the_call(aws, tmp_path):
    def denied(**_):
        raise access_denied("DescribeRules")

    result = status(
        tmp_path, web_stack(), wrap={"elbv2": lambda real: Patched(real, describe_rules=denied)}, json=False
    )
    assert result.code == 2
    assert result.stderr.startswith("error: access denied calling DescribeRules")
