"""What every job of every workflow is held to: credentialed jobs guarded (no forks on pull
requests, main only elsewhere), nothing granted by default and each write permission only where it
is used, one deploy at a time per stack, and a timeout on every job (helpers:
tests/workflows_support.py)."""

from __future__ import annotations

from tests.workflows_support import (
    AWS,
    FORK_GUARD,
    MAIN_GUARD,
    STACKS,
    WORKFLOW_FILES,
    all_jobs,
    job_for,
    load,
    pulumi_calls,
    pulumi_step,
    step_using,
    workflow,
)

# --- guards, permissions, concurrency, timeouts -----------------------------------------------


def test_credentialed_pull_request_jobs_skip_forks():
    for name, job_id, job, _ in pulumi_calls():
        if "pull_request" in workflow(name)["on"]:
            assert FORK_GUARD in job["if"], f"{name}.{job_id}"


def test_credentialed_jobs_of_other_workflows_run_only_on_main():
    for name, job_id, job, _ in pulumi_calls():
        if "pull_request" not in workflow(name)["on"]:
            assert MAIN_GUARD in job["if"], f"{name}.{job_id}"


def test_workflows_grant_nothing_by_default():
    for path in WORKFLOW_FILES:
        assert load(path)["permissions"] == {}, path.name


def test_every_job_declares_read_only_permissions_except_oidc_comments_and_code_scanning():
    for name, job_id, job in all_jobs():
        writes = {k for k, v in job["permissions"].items() if v != "read"}
        assert writes <= {"id-token", "pull-requests", "security-events"}, f"{name}.{job_id}"


def test_security_events_write_only_for_the_job_that_uploads_sarif():
    for name, job_id, job in all_jobs():
        uploads = any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in job["steps"])
        assert (job["permissions"].get("security-events") == "write") == uploads, f"{name}.{job_id}"


def test_policy_findings_reach_code_scanning_from_the_offline_check_of_every_stack():
    job = workflow("pull-request")["jobs"]["plan"]
    upload = step_using(job["steps"], "github/codeql-action/upload-sarif")
    assert upload["with"]["sarif_file"] == "ci-out/${{ matrix.stack }}/policy.sarif"
    assert "always()" in upload["if"] and FORK_GUARD in upload["if"]


def test_id_token_write_only_where_oidc_is_used():
    for name, job_id, job in all_jobs():
        oidc = pulumi_step(job) is not None or any(s.get("uses") == AWS for s in job["steps"])
        assert (job["permissions"].get("id-token") == "write") == oidc, f"{name}.{job_id}"


def test_pull_requests_write_only_for_the_sticky_comment_job():
    writers = [(n, j) for n, j, job in all_jobs() if job["permissions"].get("pull-requests") == "write"]
    assert writers == [("pr-comment", "comment")]


def test_each_stack_deploys_one_at_a_time_and_never_cancelled():
    groups = set()
    for stack in STACKS:
        _, job = job_for("deploy", "up", stack)
        assert stack in job["concurrency"]["group"]
        assert job["concurrency"]["cancel-in-progress"] is False
        groups.add(job["concurrency"]["group"])
    assert len(groups) == len(STACKS)


def test_drift_checks_never_queue_in_a_deploy_group():
    deploy_groups = {job_for("deploy", "up", stack)[1]["concurrency"]["group"] for stack in STACKS}
    for stack in STACKS:
        _, job = job_for("drift", "preview", stack)
        group = job["concurrency"]["group"].replace("${{ matrix.stack }}", stack)
        assert group not in deploy_groups


def test_every_job_has_a_timeout():
    for name, job_id, job in all_jobs():
        assert isinstance(job.get("timeout-minutes"), int) and job["timeout-minutes"] > 0, f"{name}.{job_id}"
