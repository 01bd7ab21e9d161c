"""Architecture diagram of one stack's real synth, as a portable, deterministic SVG.

    python -m tools.diagram --stack NAME --out FILE.svg [--synth HEAD.json] [--base BASE.json]

Without --synth the stack is synthesized offline (tools.synth). With --base, resources the change
creates, updates, replaces or deletes (tools.diff) are outlined in green, orange, red and dashed
red, deleted ones drawn from the base. Needs Graphviz's `dot` (Debian: apt-get install graphviz).
Exit status: 0, or 2 when the stack config is invalid or a synth cannot be read.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from settings import ConfigError
from tools import exit_now
from tools.diagram.draw import dot_source, render_svg
from tools.diagram.model import read
from tools.diff import compare
from tools.synth import synthesize
from tools.urns import takeovers


def with_deleted(base: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    """The head synth plus the base resources it no longer has (so they can be drawn as deleted)."""
    kept = set(takeovers([r["urn"] for r in base["resources"]], head).values())
    gone = [r for r in base["resources"] if r["urn"] not in kept]
    return {**head, "resources": [*head["resources"], *gone]}


def build(head: dict[str, Any], base: dict[str, Any] | None = None) -> str:
    """The DOT source of a synth's diagram, with the changes from `base` highlighted."""
    if base is None:
        return dot_source(read(head))
    status = {change.urn: change.action for change in compare(base, head).changes}
    return dot_source(read(with_deleted(base, head)), status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.diagram", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--out", type=Path, required=True, help="the SVG to write")
    parser.add_argument("--synth", type=Path, help="use this synth instead of synthesizing the stack")
    parser.add_argument("--base", type=Path, help="synth to compare with: changed resources are highlighted")
    args = parser.parse_args(argv)
    if shutil.which("dot") is None:
        print("diagram: Graphviz's `dot` is missing (apt-get install graphviz)", file=sys.stderr)
        return 2
    try:
        head = json.loads(args.synth.read_text()) if args.synth else synthesize(args.stack)
        base = json.loads(args.base.read_text()) if args.base else None
    except ConfigError as error:
        print("\n".join(error.lines), file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print(f"diagram: cannot read a synth: {error}", file=sys.stderr)
        return 2
    args.out.write_text(render_svg(build(head, base)))
    return 0


if __name__ == "__main__":
    exit_now(main())
