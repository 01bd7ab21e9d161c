"""The documentation pages: generated blocks fresh (tools.docs), and every fact a reader acts on
(links, paths, commands, examples, required checks, state key) true of the repository."""

from __future__ import annotations

import importlib.util
import re
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from settings import StackSettings, load_settings
from settings.stack_config import ROOT, read_stack_config
from tests.docs_support import DOCS, PAGES, broken_links, code_blocks, prose
from tools import config_docs
from tools.docs import BLOCKS, LayoutError, Sources, all_blocks, main, stale_blocks

DOC_TEXT = {page: page.read_text() for page in PAGES}


@pytest.fixture
def sources(prod, staging, policy_pack) -> Sources:
    """What the generators read, from the session's synth and pack instead of new ones."""
    return Sources(documents={"prod": prod.document, "staging": staging.document}, pack=policy_pack)


@pytest.fixture
def copy_root(tmp_path: Path) -> Path:
    """README.md and docs/ copied, for tests that break or rewrite a page."""
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    return tmp_path


def replace_block(root: Path, page: str, name: str, content: str) -> None:
    path = root / page
    text = path.read_text()
    block = all_blocks(root)[name]
    path.write_text(text[: block.start] + "\n" + content + "\n" + text[block.end :])


# Generated blocks


def test_every_generated_block_is_fresh(sources):
    assert stale_blocks(sources) == [], "run: make docs"


def test_check_names_the_stale_block_and_exits_1(copy_root, sources, capsys):
    replace_block(copy_root, "docs/observability.md", "alarm-settings", "| key | default | meaning |")
    assert main(["--check"], root=copy_root, sources=sources) == 1
    assert capsys.readouterr().err.splitlines() == [
        "docs/observability.md: generated block alarm-settings is stale: run make docs"
    ]


def test_write_renders_a_stale_block_again_and_touches_nothing_else(copy_root, sources):
    original = {path: path.read_text() for path in copy_root.rglob("*.md")}
    replace_block(copy_root, "docs/configuration.md", "config-network", "stale")
    assert main(["--write"], root=copy_root, sources=sources) == 0
    assert {path: path.read_text() for path in copy_root.rglob("*.md")} == original


def test_a_marker_naming_an_unknown_block_is_an_error(copy_root):
    page = copy_root / "docs" / "development.md"
    page.write_text(page.read_text() + "\n<!-- BEGIN GENERATED: nosuch -->\n<!-- END GENERATED: nosuch -->\n")
    with pytest.raises(LayoutError, match="docs/development.md: unknown generated block nosuch"):
        all_blocks(copy_root)


def test_a_block_without_its_end_marker_is_an_error(copy_root):
    page = copy_root / "docs" / "observability.md"
    page.write_text(page.read_text().replace("<!-- END GENERATED: alarm-table -->", ""))
    with pytest.raises(LayoutError, match="alarm-table: no <!-- END GENERATED: alarm-table -->"):
        all_blocks(copy_root)


def test_a_block_no_page_holds_is_an_error(copy_root):
    page = copy_root / "docs" / "policies.md"
    page.write_text(page.read_text().replace("BEGIN GENERATED: policy-reference", "BEGIN: policy-reference"))
    with pytest.raises(LayoutError, match="no page holds the generated block.s. policy-reference"):
        all_blocks(copy_root)


def test_every_block_the_generator_knows_is_in_the_pages():
    assert set(all_blocks()) == set(BLOCKS)


def test_every_meaning_documents_a_key_the_settings_accept():
    assert sorted(set(config_docs.MEANINGS) - set(config_docs.setting_paths())) == []


def test_a_settings_key_without_a_meaning_stops_the_generator(monkeypatch):
    monkeypatch.delitem(config_docs.MEANINGS, "network.azCount")
    with pytest.raises(config_docs.UndocumentedKey, match="network.azCount: add what it means"):
        config_docs.section_table("config-network")


@pytest.mark.parametrize(
    ("annotation_of", "label"),
    [
        (("ServiceSettings", "port"), "int 1-65535"),
        (("ServiceSettings", "cpuTargetPercent"), "number > 0, <= 100"),
        (("ServiceSettings", "secrets"), "map name -> secret ARN"),
        (("DatabaseSettings", "backupWindow"), "`hh:mm-hh:mm` UTC"),
        (("CacheSettings", "engine"), "`redis` | `valkey`"),
        (("LoadBalancerSettings", "testListenerCidrs"), "list[CIDR]"),
    ],
)
def test_the_type_column_says_what_a_user_may_write(annotation_of, label):
    model_name, key = annotation_of
    model = next(m for _, m in config_docs.SECTIONS.values() if m.__name__ == model_name)
    field = next(f for name, f in model.model_fields.items() if (f.alias or name) == key)
    assert config_docs.type_label(field.annotation, field.metadata) == label


def test_the_services_table_shows_the_per_kind_profile_defaults():
    row = next(line for line in config_docs.section_table("config-services").splitlines() if "`cpu`" in line)
    assert "| web `2048`, worker `1024` | web `512`, worker `256` |" in row


# What the pages tell a reader


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_every_link_and_anchor_resolves(page):
    assert broken_links(page) == []


def test_a_link_to_a_missing_anchor_is_reported(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\n[b](b.md#nowhere) [a](#a) [c](c.md)\n")
    (tmp_path / "b.md").write_text("# B\n\n```sh\n# nowhere\n```\n")
    assert [line.split(":")[0] for line in broken_links(tmp_path / "a.md")] == ["b.md#nowhere", "c.md"]


def _ignored_prefixes() -> tuple[str, ...]:
    lines = (ROOT / ".gitignore").read_text().splitlines()
    return tuple(line.strip().rstrip("/") for line in lines if line.strip().endswith("/"))


def test_every_repository_path_the_pages_name_exists():
    top = {p.name for p in ROOT.iterdir()}
    named = {
        token
        for text in DOC_TEXT.values()
        for token in re.findall(r"`([A-Za-z0-9_.\-/]+)`", text)
        if "/" in token and token.split("/")[0] in top and not token.rstrip("/").startswith(_ignored_prefixes())
    }
    assert named, "no repository path found in the pages"
    assert sorted(path for path in named if not (ROOT / path).exists()) == []


def test_every_python_module_the_pages_run_exists():
    modules = {m for text in DOC_TEXT.values() for m in re.findall(r"python -m ([A-Za-z_][\w.]*)", text)}
    assert {"tools.docs", "tools.synth", "tools.policy_check"} <= modules
    assert sorted(m for m in modules if importlib.util.find_spec(m) is None) == []


def _yaml_examples() -> list[tuple[str, dict]]:
    examples = []
    for page in DOCS:
        for index, body in enumerate(code_blocks(page.read_text(), "yaml")):
            examples.append((f"{page.name}[{index}]", yaml.safe_load(textwrap.dedent(body))))
    return examples


@pytest.mark.parametrize(("where", "example"), _yaml_examples(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_yaml_example_is_a_valid_stack_config(where, example):
    if "config" in example:  # a whole stack file
        load_settings("example", example["config"])
    else:  # a fragment, laid over the prod stack file
        load_settings("prod", {**read_stack_config("prod"), **example})


def _config_keys(model: type[BaseModel]) -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        keys.add(field.alias or name)
        for inner in (*getattr(field.annotation, "__args__", ()), field.annotation):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                keys |= _config_keys(inner)
    return keys


def test_every_config_key_is_documented():
    documented = set(re.findall(r"[A-Za-z0-9]+", "".join(DOC_TEXT.values())))
    assert sorted(_config_keys(StackSettings) - {"stack"} - documented) == []


def test_every_stack_output_is_documented(prod, staging):
    documented = set(re.findall(r"`(\w+)`", "".join(DOC_TEXT.values())))
    outputs = set(prod.outputs) | set(staging.outputs)
    assert sorted(outputs - documented) == []


def _check_names(workflow: dict) -> set[str]:
    """The status check names GitHub reports for a workflow's jobs (matrix values filled in)."""
    names = set()
    for job_id, job in workflow["jobs"].items():
        name = job.get("name", job_id)
        matrix = {k: v for k, v in job.get("strategy", {}).get("matrix", {}).items() if isinstance(v, list)}
        if not matrix:
            names.add(name)
            continue
        key, values = next(iter(matrix.items()))
        for value in values:
            filled = re.sub(r"\$\{\{\s*matrix\." + key + r"\s*\}\}", str(value), name)
            names.add(filled if filled != name else f"{name} ({value})")
    return names


def test_every_required_check_the_docs_list_is_a_pull_request_job():
    text = DOC_TEXT[ROOT / "docs" / "delivery.md"]
    listed = re.findall(
        r"- `([^`]+)`", text[text.index("<!-- required-checks:begin -->") : text.index("<!-- required-checks:end -->")]
    )
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pull-request.yml").read_text())
    assert listed, "no required checks listed"
    assert sorted(set(listed) - _check_names(workflow)) == []


def test_check_names_fill_in_the_matrix():
    job = {"name": "Plan (${{ matrix.stack }})", "strategy": {"matrix": {"stack": ["staging", "prod"]}}}
    assert _check_names({"jobs": {"plan": job, "test": {"name": "Tests"}}}) == {
        "Plan (staging)",
        "Plan (prod)",
        "Tests",
    }


def test_the_state_key_alias_is_the_one_the_workflows_use():
    action = (ROOT / ".github" / "actions" / "pulumi" / "action.yml").read_text()
    used = set(re.findall(r"awskms://alias/([\w-]+)", action))
    named = set(re.findall(r"alias/([\w-]*pulumi-state)", "".join(DOC_TEXT.values())))
    assert len(used) == 1 and named == used


def test_backend_urls_with_a_query_are_quoted_in_shell_examples():
    unquoted = [
        line.strip()
        for text in DOC_TEXT.values()
        for block in code_blocks(text, "sh")
        for line in block.splitlines()
        if re.search(r"(?<!['\"])\b(s3|awskms)://[^\s'\"]*\?", line)
    ]
    assert unquoted == []


def test_the_pulumi_cli_steps_install_the_policy_virtualenv_first():
    for text in DOC_TEXT.values():
        for block in code_blocks(text, "sh"):
            if "--policy-pack policies" in block:
                assert "make policy-venv" in block.split("--policy-pack policies")[0], block


def test_no_page_points_outside_the_repository():
    assert [
        page.name
        for page, text in DOC_TEXT.items()
        if re.search(r"/work/|\.\./shared|\bseed \d+|\bthe issue\b", prose(text))
    ] == []
