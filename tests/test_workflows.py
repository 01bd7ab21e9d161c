"""Each workflow's contract: what triggers it, its jobs and their order, what each job runs.

The pull request's checks and preview, the deploy (staging, prod's preview, the approval, prod,
each with its operations commands), the drift check, the restore drills, the weekly mutation run
and the change review with its sticky comment. The helpers are in tests/workflows_support.py;
what holds for every job (guards, permissions, pins) is in the other tests/test_workflows_*.py.
actionlint checks the syntax, expressions and action inputs; these tests check what it cannot know.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from settings.stack_config import ROOT
from tests.workflows_support import (
    AWS,
    MAIN_GUARD,
    PULUMI,
    SETUP,
    STACKS,
    WORKFLOW_FILES,
    all_jobs,
    index_of,
    job_for,
    load,
    makefile_variable,
    pulumi_calls,
    pulumi_step,
    stacks_of,
    step_using,
    the_pulumi_action,
    workflow,
)

# --- triggers and job order -------------------------------------------------------------------


def test_there_are_the_six_workflows():
    expected = {"pull-request", "pr-comment", "deploy", "drift", "restore-drill", "mutation"}
    assert {p.stem for p in WORKFLOW_FILES} == expected


def test_pull_request_workflow_runs_for_pull_requests_to_main():
    assert workflow("pull-request")["on"] == {"pull_request": {"branches": ["main"]}}


def test_no_workflow_runs_untrusted_code_with_the_base_repository_token():
    for path in WORKFLOW_FILES:
        assert "pull_request_target" not in load(path)["on"], path.name


def test_offline_plan_covers_every_stack():
    plan = workflow("pull-request")["jobs"]["plan"]
    assert sorted(plan["strategy"]["matrix"]["stack"]) == STACKS
    step = next(s for s in plan["steps"] if "run" in s)
    assert step["run"] == 'make ci-plan STACK="$STACK"'
    assert step["env"] == {"STACK": "${{ matrix.stack }}"}


def test_offline_plan_is_published_as_an_artifact_even_when_it_fails():
    upload = step_using(workflow("pull-request")["jobs"]["plan"]["steps"], "actions/upload-artifact")
    assert upload["if"] == "${{ always() }}"
    assert upload["with"]["path"] == f"{makefile_variable('CI_OUT')}/${{{{ matrix.stack }}}}/"
    assert upload["with"]["if-no-files-found"] == "error"


def test_preview_runs_after_the_tests_and_the_offline_plan():
    job_id, job = job_for("pull-request", "preview", "prod")
    assert set(job["needs"]) == {"test", "plan"}


def test_preview_runs_on_every_stack_and_writes_the_job_summary_not_a_comment():
    # The pull request has one sticky comment (pr-comment); the real preview goes to the summary.
    for stack in STACKS:
        _, job = job_for("pull-request", "preview", stack)
        assert pulumi_step(job)["with"]["comment-on-pr"] == "false"
        assert "pull-requests" not in job["permissions"]
    assert the_pulumi_action()["comment-on-summary"] == "true"


def test_pull_request_comment_is_edited_in_place():
    assert the_pulumi_action()["edit-pr-comment"] == "true"


def test_deploy_runs_on_every_push_to_main():
    assert workflow("deploy")["on"]["push"] == {"branches": ["main"]}


def test_deploy_order_is_tests_then_staging_then_prod_preview_then_prod():
    staging_id, staging = job_for("deploy", "up", "staging")
    preview_id, preview = job_for("deploy", "preview", "prod")
    _, prod = job_for("deploy", "up", "prod")
    assert (staging["needs"], preview["needs"], prod["needs"]) == ("test", staging_id, preview_id)


def steps_of(job: dict[str, Any]) -> list[str]:
    """The job's steps as `make <target> STACK=<stack>` commands and `pulumi <command>` calls."""
    found = []
    for step in job["steps"]:
        if step.get("uses") == PULUMI:
            found.append(f"pulumi {step['with']['command']}")
        elif "run" in step:
            found.append(step["run"])
    return found


def test_staging_is_preflighted_deployed_and_verified_in_that_order():
    _, staging = job_for("deploy", "up", "staging")
    assert steps_of(staging) == ["make preflight STACK=staging", "pulumi up", "make verify STACK=staging"]


def test_prod_is_preflighted_snapshotted_deployed_and_verified_after_the_approval():
    _, prod = job_for("deploy", "up", "prod")
    assert prod["environment"]["name"] == "production"
    assert steps_of(prod) == [
        "make preflight STACK=prod",
        "make snapshot STACK=prod",
        "pulumi up",
        "make verify STACK=prod",
    ]


def test_the_operations_commands_get_credentials_and_the_cli_before_they_run():
    for stack in STACKS:
        _, job = job_for("deploy", "up", stack)
        assert index_of(job["steps"], AWS) < next(i for i, s in enumerate(job["steps"]) if "run" in s)
        assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"


def test_the_operations_commands_write_the_job_summary():
    recipe = (ROOT / "Makefile").read_text()
    assert 'OPS_SUMMARY = $(if $(GITHUB_STEP_SUMMARY),--summary "$(GITHUB_STEP_SUMMARY)",)' in recipe
    for target in ("preflight", "verify", "snapshot", "restore-drill"):
        body = re.search(rf"^{target}: venv\n\t(.+)$", recipe, re.MULTILINE)
        assert body and body.group(1).endswith("$(OPS_SUMMARY)"), target


def test_the_restore_drill_runs_monthly_on_prod_and_fails_with_the_drill():
    drill = workflow("restore-drill")
    (schedule,) = drill["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month, weekday) == ("1", "*", "*")
    job = drill["jobs"]["drill"]
    assert MAIN_GUARD in job["if"]
    assert steps_of(job) == ["make restore-drill STACK=prod"]
    assert "continue-on-error" not in job and all("continue-on-error" not in s for s in job["steps"])


def test_the_cross_region_drill_follows_the_drill_into_the_recovery_site():
    drill = workflow("restore-drill")
    assert set(drill["jobs"]) == {"drill", "drill-recovery-site"}
    job = drill["jobs"]["drill-recovery-site"]
    assert (job["needs"], MAIN_GUARD in job["if"]) == ("drill", True)
    assert steps_of(job) == ["make restore-drill STACK=prod DRILL_SITE=recovery"]
    recipe = (ROOT / "Makefile").read_text()
    assert "DRILL_ARGS = $(if $(filter recovery,$(DRILL_SITE)),--recovery-site --check none," in recipe


def aws_calls() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    for name, job_id, job in all_jobs():
        for step in job["steps"]:
            if step.get("uses") == AWS:
                yield name, job_id, job, step["with"]


def test_credentialed_operations_run_only_on_main_with_a_session_that_outlives_the_job():
    calls = list(aws_calls())
    assert {(name, job_id) for name, job_id, _, _ in calls} == {
        ("deploy", "staging"),
        ("deploy", "prod"),
        ("restore-drill", "drill"),
        ("restore-drill", "drill-recovery-site"),
    }
    for name, job_id, job, inputs in calls:
        assert MAIN_GUARD in job["if"], f"{name}.{job_id}"
        assert int(inputs["role-duration-seconds"]) > job["timeout-minutes"] * 60, f"{name}.{job_id}"


def test_approver_sees_the_prod_preview_before_approving():
    _, preview = job_for("deploy", "preview", "prod")
    # Before the approval, in prod's preview environment (no reviewers), with the read-only role.
    assert preview["environment"]["name"] == "prod-preview"
    assert the_pulumi_action()["comment-on-summary"] == "true"


def test_prod_deploy_waits_for_the_production_environment():
    _, prod = job_for("deploy", "up", "prod")
    assert prod["environment"]["name"] == "production"


def test_only_the_prod_deploy_uses_the_production_environment():
    users = [(n, j) for n, j, job in all_jobs() if (job.get("environment") or {}).get("name") == "production"]
    assert users == [("deploy", job_for("deploy", "up", "prod")[0])]


def test_every_preview_runs_in_its_stacks_preview_environment():
    # Each environment holds its own account's AWS_PREVIEW_ROLE_ARN: one account per environment.
    previews = [(w, job, inputs) for w, _, job, inputs in pulumi_calls() if inputs["command"] == "preview"]
    assert {w for w, _, _ in previews} == {"pull-request", "deploy", "drift"}
    for _, job, inputs in previews:
        assert job["environment"]["name"] == f"{inputs['stack']}-preview"
        assert all(stack in ("staging", "prod") for stack in stacks_of(job, inputs))


def test_drift_check_runs_on_a_schedule():
    schedule = workflow("drift")["on"]["schedule"]
    assert len(schedule) == 1 and len(schedule[0]["cron"].split()) == 5


def test_drift_check_covers_every_stack_and_fails_on_any_change():
    for stack in STACKS:
        _, job = job_for("drift", "preview", stack)
        assert pulumi_step(job)["with"]["expect-no-changes"] == "true"


# --- mutation testing: weekly or on demand, never on a push -----------------------------------


def test_mutation_testing_runs_weekly_and_on_demand_only():
    triggers = workflow("mutation")["on"]
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    assert cron.split()[2:] == ["*", "*", "1"]  # any month and day of the month, on Mondays


def test_mutation_testing_runs_make_mutate_and_uploads_the_survivors_even_when_it_fails():
    steps = workflow("mutation")["jobs"]["mutate"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert any(run.startswith("make mutate ") for run in runs)
    assert runs[-2:] == ["make mutate-score", "make mutate-report"]
    upload = step_using(steps, "actions/upload-artifact")
    assert upload["with"]["path"] == "mutants/survivors.txt" and "always()" in upload["if"]
    assert index_of(steps, "actions/upload-artifact") == len(steps) - 1


def test_mutation_testing_goes_on_from_the_last_run_and_stops_before_the_job_limit():
    job = workflow("mutation")["jobs"]["mutate"]
    cache = step_using(job["steps"], "actions/cache")["with"]
    assert (cache["path"], cache["restore-keys"]) == ("mutants/", "mutants-")
    runs = [s.get("run", "") for s in job["steps"]]
    mutating = [run for run in runs if re.match(r"make mutate(-survivors)? ", run)]
    minutes = sum(int(re.search(r"MUTATE_TIME=(\d+)m", run).group(1)) for run in mutating)
    assert minutes + 30 <= job["timeout-minutes"]
    assert index_of(job["steps"], "actions/cache") < runs.index(mutating[0])


def test_the_weekly_run_measures_the_survivors_again_before_the_new_mutants():
    runs = [s.get("run", "") for s in workflow("mutation")["jobs"]["mutate"]["steps"]]
    survivors = next(i for i, run in enumerate(runs) if run.startswith("make mutate-survivors "))
    assert survivors < next(i for i, run in enumerate(runs) if run.startswith("make mutate "))


def test_mutation_testing_only_reads_the_repository():
    assert workflow("mutation")["jobs"]["mutate"]["permissions"] == {"contents": "read"}


# --- the change review: report without credentials, comment from the default branch ----------


def test_change_review_runs_for_every_stack_without_credentials():
    job = workflow("pull-request")["jobs"]["report"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == STACKS
    assert job["permissions"] == {"contents": "read"}
    assert "if" not in job  # forks included
    assert pulumi_step(job) is None and not any("aws-actions" in s.get("uses", "") for s in job["steps"])


def test_change_review_compares_the_pull_request_with_its_base_commit():
    job = workflow("pull-request")["jobs"]["report"]
    checkout = step_using(job["steps"], "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0  # the base commit is in the clone
    step = next(s for s in job["steps"] if "run" in s)
    assert step["run"] == 'make pr-report STACK="$STACK" BASE_REF="$BASE_REF" PR_NUMBER="$PR_NUMBER"'
    assert step["env"]["BASE_REF"] == "${{ github.event.pull_request.base.sha }}"
    assert step["env"]["PR_NUMBER"] == "${{ github.event.pull_request.number }}"


def test_change_review_is_uploaded_per_stack_even_when_it_blocks():
    upload = step_using(workflow("pull-request")["jobs"]["report"]["steps"], "actions/upload-artifact")
    assert upload["if"] == "${{ always() }}"
    assert upload["with"]["name"] == "pr-report-${{ matrix.stack }}"
    assert upload["with"]["path"] == f"{makefile_variable('CI_OUT')}/pr-report/"


def test_comment_workflow_follows_the_pull_request_workflow_by_name():
    trigger = workflow("pr-comment")["on"]["workflow_run"]
    assert trigger == {"workflows": [workflow("pull-request")["name"]], "types": ["completed"]}
    assert "pull_request" in workflow("pull-request")["on"]


def test_comment_job_never_checks_out_or_runs_the_pull_request_code():
    job = workflow("pr-comment")["jobs"]["comment"]
    checkout = step_using(job["steps"], "actions/checkout")
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert not any(s.get("uses") in (SETUP, PULUMI) for s in job["steps"])  # no virtualenv, no Pulumi
    assert [s["run"] for s in job["steps"] if "run" in s] == ["make pr-comment"]
    assert "python3 -m tools.pr_comment" in (ROOT / "Makefile").read_text()  # the system Python


def test_comment_job_reads_only_the_triggering_runs_reports():
    job = workflow("pr-comment")["jobs"]["comment"]
    download = step_using(job["steps"], "actions/download-artifact")["with"]
    assert download["run-id"] == "${{ github.event.workflow_run.id }}"
    assert download["pattern"] == "pr-report-*"
    assert download["path"] == f"{makefile_variable('CI_OUT')}/pr-reports"
    assert job["permissions"] == {"contents": "read", "actions": "read", "pull-requests": "write"}


def test_comment_job_takes_the_pull_request_and_commit_from_the_event():
    job = workflow("pr-comment")["jobs"]["comment"]
    env = next(s for s in job["steps"] if "run" in s)["env"]
    assert env["GITHUB_EVENT_PR"] == "${{ github.event.workflow_run.pull_requests[0].number }}"
    assert env["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
