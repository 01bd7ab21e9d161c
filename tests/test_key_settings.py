"""The plan's key-settings block: each value and whether the stack file sets it."""

from __future__ import annotations

from settings import load_settings
from tests.support import config_with
from tools import key_settings
from tools.plan import render


def rows(stack: str, overrides: dict | None = None) -> dict[str, tuple[str, str]]:
    config = config_with(stack, overrides or {})
    return {row.key: (row.source, row.value) for row in key_settings.key_settings(load_settings(stack, config), config)}


# The placeholder digests of Pulumi.prod.yaml.
WEB_DIGEST = "3fa996850b6d6489298c9e7877588859972a024455c43c3f3d0ef201e69e6ff8"
XRAY_DIGEST = "9c397721f00c735b775adaa89291145bbe90a17489a89b04a72134e9d22f8c04"


def test_prod_shows_where_it_runs_and_marks_the_stack_files_values():
    found = rows("prod")
    assert found["aws:region"] == ("set", "us-east-1")
    assert found["network.azCount"] == ("default", "3")
    assert found["database.instanceClass"] == ("default", "db.r7g.xlarge (Multi-AZ)")
    assert found["cache.nodeType"] == ("default", "cache.r7g.xlarge x 2")
    assert found["services.web.size"] == ("default", "2048 CPU / 4096 MiB, 4 tasks (4-20)")
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert found["services.web.image"] == ("set", f"{registry}/webapp:1.4.2@sha256:{WEB_DIGEST}")
    assert found["services.web.tracingImage"] == ("set", f"{registry}/aws-xray-daemon:3.3.14@sha256:{XRAY_DIGEST}")


def test_a_row_of_several_keys_names_the_ones_the_stack_file_sets():
    web = {**config_with("prod", {})["webapp:services"][0], "maxCount": 30}
    found = rows("prod", {"webapp:services": [web], "webapp:database": {"instanceClass": "db.r6gd.xlarge"}})
    assert found["services.web.size"] == ("set: maxCount", "2048 CPU / 4096 MiB, 4 tasks (4-30)")
    assert found["database.instanceClass"] == ("set: instanceClass", "db.r6gd.xlarge (Multi-AZ)")


def test_every_service_gets_its_rows_and_no_tracing_image_without_tracing():
    services = config_with("staging", {})["webapp:services"]
    services = [services[0], {**services[1], "tracing": False}]
    found = rows("staging", {"webapp:services": services})
    assert "services.worker.size" in found and "services.worker.tracingImage" not in found
    assert found["services.worker.size"][1] == "256 CPU / 512 MiB, 1 task (1-2)"


def test_the_block_sits_under_the_plans_first_line(prod):
    config = config_with("prod", {})
    block = key_settings.render(load_settings("prod", config), config)
    lines = render(prod.document, block).splitlines()
    assert lines[0].startswith("Stack webapp/prod: ") and lines[2].startswith("Key settings (set: in the stack file")
    assert lines[3].split() == ["aws:region", "set", "us-east-1"]
