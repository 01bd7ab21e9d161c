"""Command line of tools.diff (see its package docstring)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tools import exit_now
from tools.diff import __doc__ as DOC
from tools.diff.engine import compare
from tools.diff.render import markdown, text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.diff", description=(DOC or "").strip().splitlines()[0])
    parser.add_argument("base", type=Path, help="synth of the base (e.g. main)")
    parser.add_argument("head", type=Path, help="synth of the head (the change)")
    parser.add_argument("--json", action="store_true", help="the machine-readable report")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    args = parser.parse_args(argv)
    try:
        base, head = (json.loads(path.read_text()) for path in (args.base, args.head))
    except (OSError, ValueError) as error:
        print(f"diff: cannot read a synth: {error}", file=sys.stderr)
        return 2
    report = compare(base, head)
    title = f"{head.get('project', '')}/{head.get('stack', '')}".strip("/")
    if args.json:
        sys.stdout.write(json.dumps(report.as_json(), indent=2, sort_keys=True) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(markdown(report, title))
    else:
        sys.stdout.write(text(report, title))
    return 1 if report.blocking else 0


if __name__ == "__main__":
    exit_now(main())
