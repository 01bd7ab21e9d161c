"""The generated blocks of the documentation: rendered from the code, checked for staleness.

    python -m tools.docs --write    (make docs) render every block into its page
    python -m tools.docs --check    exit 1 and name each stale block

A block sits in README.md or a page of docs/ between two markers:

    <!-- BEGIN GENERATED: alarm-table -->
    ...
    <!-- END GENERATED: alarm-table -->

and holds exactly what `BLOCKS[name]` renders: the policy reference (from the running pack), the
alarm catalogue and the alarm settings, the configuration tables (from the settings models and
the profile defaults) and the resources each stack deploys (from the offline synth). Everything
outside the markers is written by hand. Every block in BLOCKS appears exactly once in the pages,
and every marker names a block in BLOCKS.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.alarm_catalogue import alarm_table
from settings.alarms import settings_table
from settings.stack_config import ROOT, stack_names
from tools import config_docs, exit_now, policy_docs
from tools.plan import by_component
from tools.policy_check import PolicyPack

BEGIN = re.compile(r"^<!-- BEGIN GENERATED: ([a-z0-9-]+) -->$", re.MULTILINE)
END = "<!-- END GENERATED: {name} -->"
DOCS = "docs"


class Sources:
    """What the renderers read, built on first use: each stack's synth and the policy pack.

    Tests hand in the session's synth documents and pack; the command line builds its own."""

    def __init__(self, documents: dict[str, dict[str, Any]] | None = None, pack: PolicyPack | None = None):
        self._documents = dict(documents or {})
        self._pack = pack
        self._cleanup = ExitStack()

    def document(self, stack: str) -> dict[str, Any]:
        if stack not in self._documents:
            from tools.synth import synthesize  # imports pulumi-aws: only when a block needs a synth

            self._documents[stack] = synthesize(stack)
        return self._documents[stack]

    @property
    def pack(self) -> PolicyPack:
        if self._pack is None:
            self._pack = self._cleanup.enter_context(PolicyPack())
        return self._pack

    def __enter__(self) -> Sources:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._cleanup.close()


def resource_table(sources: Sources) -> str:
    """Resources per component in each stack, as the offline plan counts them."""
    stacks = stack_names()
    counted = {stack: by_component(sources.document(stack)) for stack in stacks}
    components = sorted({c for groups, _ in counted.values() for c in groups}, key=lambda c: (c == "(stack)", c))
    rows = [
        "| component | " + " | ".join(stacks) + " |",
        "|---|" + "---|" * len(stacks),
    ]
    for component in components:
        cells = []
        for stack in stacks:
            groups, protected = counted[stack]
            count = sum(groups[component].values()) if component in groups else 0
            cells.append(f"{count} ({protected[component]} protected)" if protected[component] else str(count or "—"))
        name, _, kind = component.partition(" ")
        label = "stack level (providers)" if component == "(stack)" else f"`{name}` ({kind.strip('[]')})"
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    totals = []
    for stack in stacks:
        groups, protected = counted[stack]
        total = sum(sum(counts.values()) for counts in groups.values())
        totals.append(f"**{total}** ({sum(protected.values())} protected)")
    rows.append("| total | " + " | ".join(totals) + " |")
    return "\n".join(rows)


BLOCKS: dict[str, Callable[[Sources], str]] = {
    "stack-resources": resource_table,
    "config-stack": lambda _: config_docs.stack_table(),
    **{name: lambda _, name=name: config_docs.section_table(name) for name in config_docs.SECTIONS},
    "alarm-table": lambda _: alarm_table(),
    "alarm-settings": lambda _: settings_table(),
    "policy-reference": lambda sources: policy_docs.render(sources.pack, stack_names()),
    "policy-waivers": lambda _: policy_docs.render_waivers(stack_names()),
}


@dataclass(frozen=True)
class Block:
    """One generated block found in a page: its name and the span of its content."""

    page: Path
    name: str
    start: int
    end: int

    def content(self, text: str) -> str:
        return text[self.start : self.end].strip("\n")


class LayoutError(Exception):
    """Markers that do not pair up, or blocks that are unknown, missing or repeated."""


def pages(root: Path = ROOT) -> list[Path]:
    """Every page that may hold generated blocks: the README and docs/*.md."""
    return [root / "README.md", *sorted((root / DOCS).glob("*.md"))]


def find_blocks(page: Path, text: str) -> list[Block]:
    blocks = []
    for match in BEGIN.finditer(text):
        name = match.group(1)
        end = text.find(END.format(name=name), match.end())
        if end < 0:
            raise LayoutError(f"{page.name}: {name}: no {END.format(name=name)} after its BEGIN marker")
        blocks.append(Block(page, name, match.end(), end))
    return blocks


def all_blocks(root: Path = ROOT) -> dict[str, Block]:
    """Every generated block of the pages, by name; raises LayoutError on any inconsistency."""
    found: dict[str, Block] = {}
    for page in pages(root):
        for block in find_blocks(page, page.read_text()):
            where = page.relative_to(root)
            if block.name not in BLOCKS:
                raise LayoutError(f"{where}: unknown generated block {block.name} (known: {', '.join(BLOCKS)})")
            if block.name in found:
                raise LayoutError(f"{where}: block {block.name} is also in {found[block.name].page.relative_to(root)}")
            found[block.name] = block
    missing = [name for name in BLOCKS if name not in found]
    if missing:
        raise LayoutError(f"no page holds the generated block(s) {', '.join(missing)}")
    return found


def stale_blocks(sources: Sources, root: Path = ROOT) -> list[str]:
    """One line per block whose content is not what its renderer produces now."""
    lines = []
    for name, block in all_blocks(root).items():
        if block.content(block.page.read_text()) != BLOCKS[name](sources):
            lines.append(f"{block.page.relative_to(root)}: generated block {name} is stale")
    return lines


def write_blocks(sources: Sources, root: Path = ROOT) -> list[Path]:
    """Render every block into its page; returns the pages that changed."""
    rendered = {name: BLOCKS[name](sources) for name in all_blocks(root)}
    changed = []
    for page in pages(root):
        text = page.read_text()
        new = text
        # From the last block back, so earlier offsets stay valid.
        for block in reversed(find_blocks(page, text)):
            new = new[: block.start] + "\n" + rendered[block.name] + "\n" + new[block.end :]
        if new != text:
            page.write_text(new)
            changed.append(page)
    return changed


def main(argv: list[str] | None = None, root: Path = ROOT, sources: Sources | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.docs", description="Render or check the generated blocks of README.md and docs/."
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="render every generated block into its page")
    mode.add_argument("--check", action="store_true", help="exit 1 when a generated block is stale")
    args = parser.parse_args(argv)
    with sources or Sources() as inputs:
        try:
            if args.write:
                for page in write_blocks(inputs, root):
                    print(f"updated {page.relative_to(root)}")
                return 0
            stale = stale_blocks(inputs, root)
        except (LayoutError, config_docs.UndocumentedKey) as error:
            print(f"tools.docs: {error}", file=sys.stderr)
            return 1
    for line in stale:
        print(f"{line}: run make docs", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    exit_now(main())
