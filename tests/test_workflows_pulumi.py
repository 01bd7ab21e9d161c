"""The Pulumi command every workflow runs through the `pulumi` composite action: the policy pack
and its stack config, refresh and diff, the CLI version, the virtualenvs, the state backend and
secrets provider, and the OIDC role each command assumes (helpers: tests/workflows_support.py)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from settings.stack_config import ROOT
from tests.workflows_support import (
    ACTION_FILES,
    PULUMI,
    SETUP,
    WORKFLOW_FILES,
    all_jobs,
    composite,
    index_of,
    makefile_variable,
    pulumi_calls,
    stacks_of,
    step_using,
    the_pulumi_action,
)


def with_defaults(inputs: dict[str, Any]) -> dict[str, Any]:
    """The composite's inputs with their defaults, as a call passes them."""
    defaults = {k: v.get("default") for k, v in composite("pulumi")["inputs"].items()}
    return {**defaults, **inputs}


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
