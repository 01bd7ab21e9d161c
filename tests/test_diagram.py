"""tools.diagram: the architecture drawing of each stack, deterministic, portable and current."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from settings.stack_config import ROOT
from tests.diff_support import edited, resource, without_component
from tests.process_support import another_hash_seed
from tests.support import Synth, primary_region
from tools.diagram.__main__ import build
from tools.diagram.draw import recorded_hash, render_svg, source_hash
from tools.diagram.model import read

DIAGRAMS = ROOT / "docs" / "diagrams"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed (make graphviz)")


def _cidrs(document) -> list[str]:
    """The subnets of the stack's own region (the recovery site's are summed up in its VPC's box)."""
    primary = primary_region(Synth(document)).document
    return [r["inputs"]["cidrBlock"] for r in primary["resources"] if r["type"] == "aws:ec2/subnet:Subnet"]


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_committed_diagram_is_current(request, stack):
    document = request.getfixturevalue(stack).document
    committed = (DIAGRAMS / f"{stack}.svg").read_text()
    assert recorded_hash(committed) == source_hash(build(document)), f"stale: run `make diagrams` ({stack})"


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_diagram_shows_every_subnet_with_its_cidr(request, stack):
    document = request.getfixturevalue(stack).document
    committed = (DIAGRAMS / f"{stack}.svg").read_text()
    assert len(_cidrs(document)) >= 6
    for cidr in _cidrs(document):
        assert re.search(rf"<text[^>]*>(public|private|isolated) subnet {re.escape(cidr)}</text>", committed), cidr


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_committed_diagram_is_portable(stack):
    svg = (DIAGRAMS / f"{stack}.svg").read_text()
    assert "site-packages" not in svg and 'xlink:href="/' not in svg and "resources/aws" not in svg
    icons = re.findall(r'<image id="(icon\d+)" xlink:href="data:image/png;base64,', svg)
    assert icons and len(svg.split("<image ")) - 1 == len(icons)  # each icon embedded once
    assert set(re.findall(r'<use xlink:href="#(icon\d+)"', svg)) == set(icons)


@pytest.mark.spawns
@needs_dot
def test_same_synth_gives_byte_identical_svg_from_two_processes(tmp_path, staging):
    """`python -m tools.diagram` in a fresh interpreter with another hash seed draws the SVG this
    process draws: nothing may depend on set or dict iteration order. One child is enough beside
    this process (a second one cost 1 CPU-s more)."""
    synth_file = tmp_path / "staging.json"
    synth_file.write_text(json.dumps(staging.document))
    out = tmp_path / "staging.svg"
    command = [sys.executable, "-m", "tools.diagram", "--stack", "staging", "--synth", str(synth_file)]
    subprocess.run([*command, "--out", str(out)], cwd=ROOT, check=True, env=another_hash_seed())
    assert out.read_bytes() == render_svg(build(staging.document)).encode()


def test_node_ids_are_resource_names_not_random(prod):
    source = build(prod.document)
    assert not re.search(r"\b[0-9a-f]{32}\b", source)
    assert '"loadbalancer.alb-lb"' in source and '"instance.database-instance"' in source


def test_traffic_path_runs_from_waf_to_the_services(prod):
    edges = {(a, b) for a, b, _, style in read(prod.document).edges if style != "security"}
    assert ("webacl.waf-acl", "loadbalancer.alb-lb") in edges
    assert ("loadbalancer.alb-lb", "listener.alb-https") in edges
    assert {("listener.alb-https", "targetgroup.web-blue"), ("listener.alb-https", "targetgroup.web-green")} <= edges
    assert {("targetgroup.web-blue", "service.web-service"), ("targetgroup.web-green", "service.web-service")} <= edges


def test_security_group_edges_name_who_reaches_whom_on_which_port(prod):
    security = {(a, b): label for a, b, label, style in read(prod.document).edges if style == "security"}
    assert security[("internet", "webacl.waf-acl")] == "tcp 80, tcp 443"
    assert security[("loadbalancer.alb-lb", "service.web-service")] == "tcp 8080"
    assert security[("service.web-service", "instance.database-instance")] == "tcp 5432"
    assert security[("service.web-service", "replicationgroup.cache-group")] == "tcp 6379"


def test_database_and_cache_sit_in_the_isolated_subnets(prod):
    arch = read(prod.document)
    placed = {b.id: s.tier for zone in arch.zones.values() for s in zone for b in s.boxes}
    assert placed["instance.database-instance"] == placed["replicationgroup.cache-group"] == "isolated"
    assert placed["instance.database-instance-1"] == "isolated"  # the Multi-AZ standby
    assert {placed[f"natgateway.network-nat-{i}"] for i in range(3)} == {"public"}


def test_prod_shows_its_backup_region(prod, staging):
    assert list(read(prod.document).backup) == ["us-west-2"]
    assert "Backup region us-west-2" in build(prod.document)


def test_a_base_highlights_created_changed_and_deleted_resources(prod):
    def change(document):
        without_component(document, "webapp:components:Cache")
        resource(document, "network-public-0")["inputs"]["cidrBlock"] = "10.20.48.0/20"
        resource(document, "database-instance")["inputs"]["instanceClass"] = "db.r7g.2xlarge"

    source = build(edited(prod.document, change), prod.document)
    assert re.search(r"public subnet 10\.20\.48\.0/20\n\[replace\]", source)
    assert re.search(r"primary\n\[update\]", source)
    assert re.search(r"cache\.r7g\.xlarge\nprimary\n\[delete\]", source)  # drawn from the base
    assert "label=Changes" in source or 'label="Changes"' in source
