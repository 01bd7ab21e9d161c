"""Reading stack files: every unreadable one is one line naming the file and, for YAML, the position."""

from __future__ import annotations

import pytest

from settings import ConfigError
from settings.stack_config import ROOT, StackFileError, read_stack_config, stack_names


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
