"""`python -m ops rollback` against a moto ECS service with task definition revisions.

Thin fake (`ops_support.FakeEcsDeployments`): moto 5.2.5 has no ECS ListServiceDeployments,
DescribeServiceDeployments or StopServiceDeployment, and its UpdateService response names no
currentServiceDeployment; the fake scripts the statuses a deployment goes through. Task
definitions, the service and UpdateService itself are moto's.
"""

from __future__ import annotations

import io

from tests.ops_builders import task_definition, web_stack
from tests.ops_fakes import FakeDeployment, FakeEcsDeployments
from tests.ops_support import FakeClock, client, client_error, run_cli

DEPLOYMENT = "arn:aws:ecs:us-east-1:123456789012:service-deployment/webapp/web/abc123"
POLL_SECONDS = 15  # rollback.run's default interval


def rollback(tmp_path, values, ecs: FakeEcsDeployments, clock: FakeClock | None = None, *extra: str):
    return run_cli(
        ["rollback", "--stack", "prod", "--json", *extra],
        tmp_path,
        values=values,
        wrap={"ecs": ecs.wrap},
        clock=clock or FakeClock(),
    )


def current_task_definition() -> str:
    return client("ecs").describe_services(cluster="webapp", services=["web"])["services"][0]["taskDefinition"]


def test_a_deployment_in_progress_is_stopped_with_rollback(aws, tmp_path):
    ecs = FakeEcsDeployments(
        [FakeDeployment(DEPLOYMENT, ["IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"])]
    )
    result = rollback(tmp_path, web_stack(), ecs)
    assert ecs.stopped == [(DEPLOYMENT, "ROLLBACK")]
    assert result.code == 0, result.stdout
    assert result.json()["status"] == "ROLLBACK_SUCCESSFUL"


def test_the_report_says_how_long_the_rollback_took(aws, tmp_path):
    ecs = FakeEcsDeployments(
        [
            FakeDeployment(
                DEPLOYMENT, ["IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"]
            )
        ]
    )
    # Described once to find it, then polled: in progress twice, then successful.
    assert rollback(tmp_path, web_stack(), ecs).json()["seconds"] == 2 * POLL_SECONDS


def test_a_failed_rollback_exits_1(aws, tmp_path):
    ecs = FakeEcsDeployments([FakeDeployment(DEPLOYMENT, ["IN_PROGRESS", "ROLLBACK_FAILED"])])
    result = rollback(tmp_path, web_stack(), ecs)
    assert result.code == 1
    assert result.json()["ok"] is False


def test_a_rollback_already_under_way_is_waited_for_not_requested_again(aws, tmp_path):
    ecs = FakeEcsDeployments([FakeDeployment(DEPLOYMENT, ["ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"])])
    result = rollback(tmp_path, web_stack(), ecs)
    assert ecs.stopped == []
    assert result.code == 0


def test_without_a_deployment_the_previous_revision_is_deployed(aws, tmp_path):
    values = web_stack(revisions=3)
    result = rollback(tmp_path, values, FakeEcsDeployments())
    assert result.code == 0, result.stdout
    assert current_task_definition().endswith("task-definition/web:2")
    assert (result.json()["from"], result.json()["to"]) == (
        "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2",
    )


def test_a_failed_redeploy_of_the_previous_revision_exits_1(aws, tmp_path):
    ecs = FakeEcsDeployments(next_update=["IN_PROGRESS", "ROLLBACK_SUCCESSFUL"])
    result = rollback(tmp_path, web_stack(), ecs)
    assert result.code == 1
    assert result.json()["status"] == "ROLLBACK_SUCCESSFUL"


def test_deregistered_revisions_and_other_families_are_skipped(aws, tmp_path):
    values = web_stack(revisions=3)
    task_definition("web-worker")  # family "web" is a prefix of it
    client("ecs").deregister_task_definition(taskDefinition="web:2")
    rollback(tmp_path, values, FakeEcsDeployments())
    assert current_task_definition().endswith("task-definition/web:1")


def test_no_older_revision_is_an_error_naming_the_family(aws, tmp_path):
    result = rollback(tmp_path, web_stack(revisions=1), FakeEcsDeployments())
    assert result.code == 2
    assert "no ACTIVE revision of task definition family web older than 1" in result.stderr


def test_throttling_while_waiting_backs_off_and_keeps_waiting(aws, tmp_path):
    throttles = iter([None, client_error("ThrottlingException", "DescribeServiceDeployments"), None])
    ecs = FakeEcsDeployments(
        [FakeDeployment(DEPLOYMENT, ["IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"])],
        describe_error=lambda: next(throttles, None),
    )
    clock = FakeClock()
    result = rollback(tmp_path, web_stack(), ecs, clock)
    assert result.code == 0, result.stderr
    assert clock.sleeps == [2 * POLL_SECONDS, POLL_SECONDS]  # backed off after the throttled call


def test_a_rollback_that_does_not_finish_in_time_is_an_error(aws, tmp_path):
    ecs = FakeEcsDeployments([FakeDeployment(DEPLOYMENT, ["IN_PROGRESS", "ROLLBACK_IN_PROGRESS"])])
    result = rollback(tmp_path, web_stack(), ecs, None, "--timeout", "1")
    assert result.code == 2
    assert "gave up waiting for deployment abc123 after 1m00s" in result.stderr


def test_waits_show_progress_lines_without_a_terminal(aws, tmp_path):
    ecs = FakeEcsDeployments(
        [FakeDeployment(DEPLOYMENT, ["IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"])]
    )
    lines = rollback(tmp_path, web_stack(), ecs).stderr.splitlines()
    assert lines[-2:] == [
        "[     0s] deployment abc123: ROLLBACK_IN_PROGRESS (0s)",
        "[    15s] deployment abc123: ROLLBACK_SUCCESSFUL (15s)",
    ]


class Terminal(io.StringIO):
    """Someone at a terminal typing `answer`."""

    def __init__(self, answer: str):
        super().__init__(answer + "\n")

    def isatty(self) -> bool:
        return True


def test_a_dry_run_changes_nothing_and_says_what_it_would_do(aws, tmp_path):
    ecs = FakeEcsDeployments([FakeDeployment(DEPLOYMENT, ["IN_PROGRESS", "ROLLBACK_SUCCESSFUL"])])
    result = rollback(tmp_path, web_stack(), ecs, None, "--dry-run")
    assert ecs.stopped == []
    assert result.code == 0
    assert result.json()["dryRun"] is True and result.json()["action"].startswith("stop the deployment in progress")


def test_a_dry_run_without_a_deployment_names_the_revision_it_would_deploy(aws, tmp_path):
    result = rollback(tmp_path, web_stack(revisions=3), FakeEcsDeployments(), None, "--dry-run")
    assert result.json()["to"].endswith("task-definition/web:2")
    assert current_task_definition().endswith("task-definition/web:3")


def test_on_a_terminal_a_declined_confirmation_changes_nothing(aws, tmp_path):
    ecs = FakeEcsDeployments([FakeDeployment(DEPLOYMENT, ["IN_PROGRESS", "ROLLBACK_SUCCESSFUL"])])
    result = run_cli(
        ["rollback", "--stack", "prod"], tmp_path, values=web_stack(), wrap={"ecs": ecs.wrap}, stdin=Terminal("no")
    )
    assert ecs.stopped == []
    assert result.code == 2
    assert "Proceed?" in result.stderr and "rollback not confirmed; nothing changed" in result.stderr


def test_on_a_terminal_yes_goes_ahead(aws, tmp_path):
    ecs = FakeEcsDeployments([FakeDeployment(DEPLOYMENT, ["IN_PROGRESS", "ROLLBACK_SUCCESSFUL"])])
    result = run_cli(
        ["rollback", "--stack", "prod"], tmp_path, values=web_stack(), wrap={"ecs": ecs.wrap}, stdin=Terminal("yes")
    )
    assert ecs.stopped == [(DEPLOYMENT, "ROLLBACK")]
    assert result.code == 0


def test_yes_on_the_command_line_asks_nothing(aws, tmp_path):
    ecs = FakeEcsDeployments([FakeDeployment(DEPLOYMENT, ["IN_PROGRESS", "ROLLBACK_SUCCESSFUL"])])
    result = run_cli(
        ["rollback", "--stack", "prod", "--yes"],
        tmp_path,
        values=web_stack(),
        wrap={"ecs": ecs.wrap},
        stdin=Terminal("no"),
    )
    assert ecs.stopped == [(DEPLOYMENT, "ROLLBACK")] and "Proceed?" not in result.stderr
