"""Reading stack files: every unreadable one is one line naming the file and, for YAML, the position."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from settings import ConfigError
from settings.stack_config import (
    ROOT,
    SecureValue,
    StackFileError,
    _yaml_line,
    project_name,
    read_stack_config,
    runtime_config,
    stack_names,
    unknown_stack,
)


def _error(tmp_path, text: str) -> list[str]:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(text)
    with pytest.raises(StackFileError) as caught:
        read_stack_config("dev", config_file=path)
    return [line.replace(str(path), "FILE") for line in caught.value.lines]


def test_a_yaml_syntax_error_is_file_line_column_and_message(tmp_path):
    text = "config:\n  aws:region: us-east-1\n  webapp:tags:\n   owner: team\n    costCenter: cc-1\n"
    assert _error(tmp_path, text) == ["FILE:5:15: mapping values are not allowed here"]


def test_an_unclosed_quote_names_where_the_scalar_started(tmp_path):
    assert _error(tmp_path, 'config:\n  aws:region: "us-east-1\n') == [
        "FILE:3:1: found unexpected end of stream (while scanning a quoted scalar at line 2)"
    ]


def test_a_duplicate_key_is_refused_as_the_pulumi_cli_does(tmp_path):
    text = "config:\n  webapp:network:\n    azCount: 2\n  webapp:network:\n    natMode: single\n"
    assert _error(tmp_path, text) == ["FILE:4:3: duplicate key webapp:network (first at line 2)"]


def test_a_key_without_namespace_says_which_to_write(tmp_path):
    assert _error(tmp_path, "config:\n  tier: staging\n") == [
        "FILE: config key tier has no namespace (write webapp:tier)"
    ]


def test_a_config_section_that_is_not_a_mapping_is_refused(tmp_path):
    assert _error(tmp_path, "config:\n  - aws:region\n") == [
        "FILE: config: must be a mapping of namespace:key to value"
    ]


def test_an_unknown_stack_lists_the_stacks_that_exist():
    with pytest.raises(ConfigError) as caught:
        read_stack_config("nosuch")
    assert caught.value.lines == ["stack nosuch does not exist: no Pulumi.nosuch.yaml (stacks: prod, staging)"]


def test_a_missing_config_file_is_named(tmp_path):
    with pytest.raises(StackFileError) as caught:
        read_stack_config("prod", config_file=tmp_path / "absent.yaml")
    assert caught.value.lines == [f"{tmp_path / 'absent.yaml'}: no such file"]


@pytest.mark.parametrize("stack", stack_names())
def test_the_real_stack_files_read_cleanly(stack):
    assert read_stack_config(stack)["webapp:profile"] == stack
    assert (ROOT / f"Pulumi.{stack}.yaml").exists()


def test_a_character_yaml_does_not_allow_is_one_line_with_its_position(tmp_path):
    assert _error(tmp_path, "config:\n  aws:region: us\x07east-1\n") == [
        'FILE: unacceptable character #x0007: special characters are not allowed in "<unicode string>", position 24'
    ]


def test_a_document_that_is_not_a_mapping_is_refused(tmp_path):
    assert _error(tmp_path, "- aws:region\n- webapp:profile\n") == [
        "FILE: must be a YAML mapping with a config: section"
    ]


@pytest.mark.parametrize("key", ["aws:region:extra", "webapp:network:azCount:x"])
def test_a_key_with_more_than_one_namespace_separator_is_refused(tmp_path, key):
    assert _error(tmp_path, f"config:\n  {key}: 1\n") == [f"FILE: config key {key} must have the form namespace:name"]


def test_a_key_that_is_not_a_string_is_refused(tmp_path):
    assert _error(tmp_path, "config:\n  1: x\n") == ["FILE: config key 1 has no namespace (write webapp:1)"]


def test_a_stack_file_that_cannot_be_read_is_named_with_the_reason(tmp_path):
    with pytest.raises(StackFileError) as caught:
        read_stack_config("prod", config_file=tmp_path)
    assert caught.value.lines == [f"{tmp_path}: Is a directory"]


def test_a_file_in_the_working_directory_is_named_as_the_user_would_type_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _error(tmp_path, "config:\n  tier: staging\n") == [
        "Pulumi.dev.yaml: config key tier has no namespace (write webapp:tier)"
    ]


def test_the_error_message_is_its_line():
    # What a caller that prints the exception itself (not its lines) shows.
    error = unknown_stack("nosuch", root=ROOT)
    assert str(error) == error.lines[0]


def test_an_unknown_stack_of_a_project_without_stack_files_says_none(tmp_path):
    assert unknown_stack("prod", root=tmp_path).lines == [
        "stack prod does not exist: no Pulumi.prod.yaml (stacks: none)"
    ]


def test_nested_lists_and_mappings_read_in_full(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(
        "config:\n  webapp:services:\n    - name: web\n      environment: {MODE: fast}\n"
        "      containerHealthCommand: [CMD, /bin/check, --quick]\n  aws:allowedAccountIds: ['123456789012']\n"
    )
    assert read_stack_config("dev", config_file=path) == {
        "webapp:services": [
            {"name": "web", "environment": {"MODE": "fast"}, "containerHealthCommand": ["CMD", "/bin/check", "--quick"]}
        ],
        "aws:allowedAccountIds": ["123456789012"],
    }


@pytest.mark.parametrize(
    "error, line",
    [
        (yaml.MarkedYAMLError(problem="broken"), "FILE: broken"),
        (yaml.MarkedYAMLError(context="while reading"), "FILE: while reading"),
        (yaml.MarkedYAMLError(), "FILE: not valid YAML"),
        (yaml.MarkedYAMLError(context="while reading", problem="broken"), "FILE: broken (while reading)"),
    ],
)
def test_a_yaml_error_without_a_position_names_the_file_and_what_it_says(error, line):
    assert _yaml_line(Path("/elsewhere/FILE"), error).replace("/elsewhere/", "") == line


def test_the_project_name_comes_from_pulumi_yaml(tmp_path):
    assert project_name() == "webapp"
    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    assert project_name(tmp_path) == "other"


def test_an_unknown_stack_of_another_root_lists_that_roots_stacks(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(StackFileError) as caught:
        read_stack_config("nosuch", root=tmp_path)
    assert caught.value.lines == ["stack nosuch does not exist: no Pulumi.nosuch.yaml (stacks: dev)"]


def test_a_secure_value_is_kept_as_its_ciphertext_and_passed_to_the_program_as_a_secret(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(
        "config:\n  webapp:token:\n    secure: v1:abc\n  webapp:notSecret:\n    secure: v1:abc\n    other: 1\n"
        "  webapp:network: {azCount: 2}\n  aws:region: us-east-1\n"
    )
    config = read_stack_config("dev", config_file=path)
    assert isinstance(config["webapp:token"], SecureValue) and config["webapp:token"] == "v1:abc"
    assert config["webapp:notSecret"] == {"secure": "v1:abc", "other": 1}
    # As the language host passes config: every value a string, objects as JSON, secrets by name.
    assert runtime_config(config) == (
        {
            "webapp:token": "[secret]",
            "webapp:notSecret": '{"secure": "v1:abc", "other": 1}',
            "webapp:network": '{"azCount": 2}',
            "aws:region": "us-east-1",
        },
        ["webapp:token"],
    )
