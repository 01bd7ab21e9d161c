"""Draw an Architecture with the `diagrams` package (AWS icons, Graphviz layout) as a portable SVG.

The same synth gives the same bytes: node ids are the resources' types and names (diagrams would
use random UUIDs), icon paths in the DOT source are relative to the package's install directory
(Graphviz runs there), and every icon is embedded once as a data URI in the SVG's <defs>, so the
file shows anywhere (a browser, GitHub) without site-packages. The SVG records the SHA-256 of its
DOT source, which is how tests tell a committed diagram is stale without running Graphviz.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any

import diagrams
from diagrams import Cluster, Diagram, Edge, Node
from diagrams.aws.compute import ElasticContainerServiceService
from diagrams.aws.database import Elasticache, RDSPostgresqlInstance
from diagrams.aws.network import (
    ElbApplicationLoadBalancer,
    Endpoint,
    InternetGateway,
    NATGateway,
    PrivateSubnet,
    PublicSubnet,
    Route53,
)
from diagrams.aws.security import KMS, WAF
from diagrams.aws.storage import Backup
from diagrams.onprem.network import Internet

from tools.diagram.model import Architecture, Box

# Graphviz resolves the icons' relative paths from here (the directory holding `resources/`).
ICON_ROOT = Path(diagrams.__file__).resolve().parent.parent
ICONS: dict[str, type[Node]] = {
    "nat": NATGateway,
    "igw": InternetGateway,
    "endpoint": Endpoint,
    "alb": ElbApplicationLoadBalancer,
    "dns": Route53,
    "waf": WAF,
    "ecs": ElasticContainerServiceService,
    "rds": RDSPostgresqlInstance,
    "cache": Elasticache,
    "kms": KMS,
    "backup": Backup,
    "internet": Internet,
    "public": PublicSubnet,
    "private": PrivateSubnet,
    "isolated": PrivateSubnet,
}
FILLS = {"tg-blue": "#D6E4FF", "tg-green": "#D7F5DD", "tg": "#EEEEEE", "listener": "#FFFFFF", "cidr": "#FFFFFF"}
STATUS_COLOURS = {"create": "#2E7D32", "update": "#EF6C00", "replace": "#C62828", "delete": "#C62828"}
SECURITY_EDGE = {"color": "#C62828", "fontcolor": "#C62828", "style": "dashed"}
HASH_MARK = "<!-- dot source sha256: "


class _Drawing(Diagram):
    """A Diagram that only builds the graph: rendering is done here, deterministically."""

    def __exit__(self, exc_type, exc_value, traceback):
        diagrams.setdiagram(None)  # pyright: ignore[reportArgumentType] (the package's own reset)


def dot_source(arch: Architecture, status: dict[str, str] | None = None) -> str:
    """The portable DOT source of the drawing (icon paths relative to ICON_ROOT)."""
    status = status or {}
    graph = {"splines": "spline", "nodesep": "0.5", "ranksep": "0.9", "pad": "0.5", "fontsize": "20"}
    with _Drawing(arch.title, direction="LR", show=False, graph_attr=graph) as drawing:
        nodes = _nodes(arch, status)
        for source, target, label, style in arch.edges:
            if source not in nodes or target not in nodes:
                continue
            attrs: dict[str, Any] = dict(SECURITY_EDGE) if style == "security" else {"style": style}
            drawing.connect(nodes[source], nodes[target], Edge(forward=True, label=label, **attrs))
        if status:
            _legend()
    source = drawing.dot.source
    return source.replace(f'"{ICON_ROOT}/', '"')


def _nodes(arch: Architecture, status: dict[str, str]) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    sources = {s for s, _, _, _ in arch.edges}
    if "internet" in sources:
        nodes["internet"] = Internet("Internet", nodeid="internet")
    for cidr in sorted(s for s in sources if s.startswith("cidr ")):
        nodes[cidr] = Node(cidr.removeprefix("cidr "), nodeid=cidr, **_plain("cidr"))
    with Cluster(f"Region {arch.region}"):
        _add(nodes, arch.edge_boxes, status)
        with Cluster(_label(arch.vpc_label, arch.vpc_urns, status), graph_attr=_cluster_style(arch.vpc_urns, status)):
            _add(nodes, arch.vpc_boxes, status)
            with Cluster("Load balancer"):
                _add(nodes, arch.load_balancer, status)
            with Cluster("ECS services (private subnets)"):
                _add(nodes, arch.services, status)
            with Cluster("VPC endpoints"):
                _add(nodes, arch.endpoints, status)
            for zone, subnets in sorted(arch.zones.items()):
                with Cluster(f"AZ {zone}"):
                    for subnet in subnets:
                        title = _label(f"{subnet.tier} subnet {subnet.cidr}", (subnet.urn,), status)
                        with Cluster(title, graph_attr=_cluster_style((subnet.urn,), status)):
                            if subnet.boxes:
                                _add(nodes, subnet.boxes, status)
                            else:
                                icon = ICONS.get(subnet.tier, PrivateSubnet)
                                icon(subnet.tier, nodeid=f"subnet.{subnet.cidr}", **_small())
    for region, boxes in sorted(arch.backup.items()):
        with Cluster(f"Backup region {region}"):
            _add(nodes, boxes, status)
    return nodes


def _add(nodes: dict[str, Node], boxes: list[Box], status: dict[str, str]) -> None:
    for box in boxes:
        action = _status(box.urns, status)
        label = _label(box.label, box.urns, status)
        attrs = _status_style(action)
        icon = ICONS.get(box.kind)
        if icon is None:
            nodes[box.id] = Node(label, nodeid=box.id, **{**_plain(box.kind), **attrs})
        else:
            nodes[box.id] = icon(label, nodeid=box.id, **attrs)


def _plain(kind: str) -> dict[str, Any]:
    fill = FILLS.get(kind, "#FFFFFF")
    return {"shape": "box", "style": "rounded,filled", "fillcolor": fill, "fixedsize": "false", "height": "0.6"}


def _small() -> dict[str, Any]:
    return {"width": "0.7", "height": "1.0", "fontsize": "11"}


def _status(urns: tuple[str, ...], status: dict[str, str]) -> str:
    """The most severe action among the resources a box stands for ('' when unchanged)."""
    actions = [status[u] for u in urns if u in status]
    for action in ("delete", "replace", "create", "update"):
        if action in actions:
            return action
    return ""


def _label(text: str, urns: tuple[str, ...], status: dict[str, str]) -> str:
    action = _status(urns, status)
    return f"{text}\n[{action}]" if action else text


def _status_style(action: str) -> dict[str, Any]:
    if not action:
        return {}
    style = "rounded,dashed" if action == "delete" else "rounded,bold"
    colour = STATUS_COLOURS[action]
    return {"shape": "box", "style": style, "color": colour, "fontcolor": colour, "penwidth": "3"}


def _cluster_style(urns: tuple[str, ...], status: dict[str, str]) -> dict[str, Any]:
    action = _status(urns, status)
    if not action:
        return {}
    return {"pencolor": STATUS_COLOURS[action], "fontcolor": STATUS_COLOURS[action], "penwidth": "3"}


def _legend() -> None:
    with Cluster("Changes"):
        for action in ("create", "update", "replace", "delete"):
            Node(action, nodeid=f"legend.{action}", **{**_plain("listener"), **_status_style(action)})


def render_svg(source: str) -> str:
    """Graphviz's SVG of `source`, made portable: icons embedded once, the source's hash recorded."""
    result = subprocess.run(["dot", "-Tsvg"], input=source, capture_output=True, text=True, cwd=ICON_ROOT, check=True)
    return _embed_icons(result.stdout, source)


_IMAGE = re.compile(r'<image xlink:href="([^"]+)" width="([^"]+)" height="([^"]+)" ([^/]*?)x="([^"]+)" y="([^"]+)"/>')


def _embed_icons(svg: str, source: str) -> str:
    icons: dict[tuple[str, str, str, str], str] = {}

    def use(match: re.Match[str]) -> str:
        path, width, height, rest, x, y = match.groups()
        key = (path, width, height, rest)
        icon_id = icons.setdefault(key, f"icon{len(icons)}")
        return f'<use xlink:href="#{icon_id}" x="{x}" y="{y}"/>'

    body = _IMAGE.sub(use, svg)
    defs = ["<defs>"]
    for (path, width, height, rest), icon_id in icons.items():
        data = base64.b64encode((ICON_ROOT / path).read_bytes()).decode()
        defs.append(
            f'<image id="{icon_id}" xlink:href="data:image/png;base64,{data}" width="{width}" height="{height}" {rest.strip()}/>'
        )
    defs.append("</defs>")
    digest = hashlib.sha256(source.encode()).hexdigest()
    opening = re.search(r"<svg[^>]*>", body)
    assert opening is not None, "Graphviz wrote no <svg> element"
    head, tail = body[: opening.end()], body[opening.end() :]
    return f"{head}\n{HASH_MARK}{digest} -->\n" + "\n".join(defs) + tail


def recorded_hash(svg: str) -> str | None:
    """The DOT source hash an SVG made by render_svg records."""
    match = re.search(re.escape(HASH_MARK) + r"([0-9a-f]{64})", svg)
    return match.group(1) if match else None


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()
