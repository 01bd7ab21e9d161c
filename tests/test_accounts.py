"""One account per environment: stack files of different profiles allowing a common account fail
the check (in these tests and in `make plan` of every stack) unless both say it is intended."""

from __future__ import annotations

from settings import load_settings
from settings.accounts import INTENTIONAL_KEY, shared_account_problems, stack_file_problems
from tests.support import config_with
from tools import plan

PROD = {"webapp:profile": "prod", "aws:allowedAccountIds": ["123456789012"]}
STAGING = {"webapp:profile": "staging", "aws:allowedAccountIds": ["111122223333"]}
SHARED = {**STAGING, "aws:allowedAccountIds": ["111122223333", "123456789012"]}
SHARED_LINE = (
    "Pulumi.prod.yaml (prod) and Pulumi.staging.yaml (staging) both allow account 123456789012 in "
    "aws:allowedAccountIds: give each environment its own account, or set webapp:sharedAccountIntentional: "
    "true in both files"
)


def test_the_example_stacks_deploy_to_different_accounts():
    assert stack_file_problems() == []


def test_each_example_stack_synthesizes_in_its_own_account(prod, staging):
    assert prod.named("key-admin-role")["outputs"]["arn"].startswith("arn:aws:iam::123456789012:role/")
    assert staging.named("key-admin-role")["outputs"]["arn"].startswith("arn:aws:iam::111122223333:role/")


def test_stacks_of_different_profiles_sharing_an_account_fail():
    assert shared_account_problems({"prod": PROD, "staging": SHARED}) == [SHARED_LINE]


def test_a_profile_written_as_tier_is_read_too():
    staging = {"webapp:tier": "staging", "aws:allowedAccountIds": ["123456789012"]}
    assert shared_account_problems({"prod": PROD, "staging": staging}) == [SHARED_LINE]


def test_sharing_is_accepted_only_when_both_files_say_it_is_intended():
    prod, staging = {**PROD, INTENTIONAL_KEY: True}, {**SHARED, INTENTIONAL_KEY: True}
    assert shared_account_problems({"prod": prod, "staging": staging}) == []
    assert shared_account_problems({"prod": prod, "staging": SHARED}) == [SHARED_LINE]


def test_stacks_of_one_profile_may_share_an_account():
    canary = {**PROD, "aws:allowedAccountIds": ["123456789012"]}
    assert shared_account_problems({"prod": PROD, "prod-eu": canary}) == []


def test_stacks_without_allowed_accounts_are_not_compared():
    assert shared_account_problems({"prod": PROD, "staging": {"webapp:profile": "staging"}}) == []


def test_the_intent_is_a_setting_of_the_stack():
    settings = load_settings("staging", config_with("staging", {INTENTIONAL_KEY: True}))
    assert settings.shared_account_intentional is True


def test_make_plan_of_every_stack_stops_on_a_shared_account(monkeypatch, capsys):
    monkeypatch.setattr(plan, "stack_file_problems", lambda: [SHARED_LINE])
    monkeypatch.setattr(plan, "plan_stacks", lambda *args: (_ for _ in ()).throw(AssertionError("planned")))
    assert plan.main([]) == plan.CANNOT_PLAN
    assert capsys.readouterr().err == SHARED_LINE + "\n"


def test_make_plan_of_one_stack_does_not_compare_accounts(monkeypatch):
    monkeypatch.setattr(plan, "stack_file_problems", lambda: (_ for _ in ()).throw(AssertionError("compared")))
    monkeypatch.setattr(plan, "plan_stacks", lambda *args: [plan.StackPlan("prod", out="planned\n")])
    assert plan.main(["--stack", "prod"]) == 0


def test_every_pair_of_stacks_is_compared_past_the_pairs_that_pass():
    # Sorted: prod, prod-eu (one profile), qa (no common account), staging (prod's account).
    canary = {**PROD, "aws:allowedAccountIds": ["123456789012"]}
    configs = {"prod": PROD, "prod-eu": canary, "qa": STAGING, "staging": SHARED}
    assert shared_account_problems(configs) == [
        SHARED_LINE,
        SHARED_LINE.replace("Pulumi.prod.yaml", "Pulumi.prod-eu.yaml"),
    ]


def test_allowed_accounts_that_are_not_a_list_are_left_to_the_settings_check():
    # `aws:allowedAccountIds: 123456789012` (a YAML number, no list) or a string is not compared;
    # the stack's own validation names it.
    for malformed in (123456789012, "123456789012"):
        staging = {**STAGING, "aws:allowedAccountIds": malformed}
        assert shared_account_problems({"prod": PROD, "staging": staging}) == []


def test_the_stack_files_of_another_project_root_are_compared(tmp_path):
    (tmp_path / "Pulumi.prod.yaml").write_text(
        "config:\n  webapp:profile: prod\n  aws:allowedAccountIds: ['123456789012']\n"
    )
    (tmp_path / "Pulumi.staging.yaml").write_text(
        "config:\n  webapp:profile: staging\n  aws:allowedAccountIds: ['111122223333', '123456789012']\n"
    )
    assert stack_file_problems(tmp_path) == [SHARED_LINE]


def test_every_shared_account_is_named():
    prod = {**PROD, "aws:allowedAccountIds": ["123456789012", "444455556666"]}
    staging = {**STAGING, "aws:allowedAccountIds": ["444455556666", "123456789012"]}
    assert shared_account_problems({"prod": prod, "staging": staging}) == [
        SHARED_LINE.replace("account 123456789012", "account 123456789012, 444455556666")
    ]
