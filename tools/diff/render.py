"""The diff as text for a terminal and as Markdown for a pull request: blocking changes first,
then replacements, deletions, creations and updates; unchanged resources only counted."""

from __future__ import annotations

import json
from typing import Any

from tools.diff.engine import ACTIONS, Change, Report

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
MAX_VALUE = 120


def summary_line(report: Report) -> str:
    counts = report.summary()
    parts = [f"{counts[a]} to {a}" for a in ACTIONS] + [f"{counts['same']} unchanged"]
    blocking = len(report.blocking)
    return ", ".join(parts) + (f"; {blocking} blocking" if blocking else "")


def value(item: Any) -> str:
    """One old or new value on one line, cut to MAX_VALUE characters."""
    if item is None:
        return "(absent)"
    text = item if isinstance(item, str) else json.dumps(item, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def label(change: Change) -> str:
    return f"{change.type.rsplit(':', 1)[-1]} {change.name}"


def text(report: Report, title: str = "") -> str:
    lines = [f"{title}: {summary_line(report)}" if title else summary_line(report)]
    for change in report.changes:
        flag = "BLOCKING " if change.blocking else ""
        lines.append(f"{SYMBOLS[change.action]:>2} {flag}{change.action} {label(change)}  [{change.type}]")
        if change.reason:
            lines.append(f"      {change.reason}")
        for prop in change.properties:
            lines.append(f"      {prop['path']}: {value(prop['old'])} => {value(prop['new'])}")
    return "\n".join(lines) + "\n"


def _cell(item: Any) -> str:
    return "`" + value(item).replace("`", "'").replace("|", "\\|") + "`"


def markdown(report: Report, title: str = "") -> str:
    """Markdown: a summary table, the blocking changes, then every change with its properties folded."""
    counts = report.summary()
    lines = [f"#### {title}" if title else "#### Changes", ""]
    lines += ["| create | update | replace | delete | unchanged |", "|---:|---:|---:|---:|---:|"]
    lines += [f"| {' | '.join(str(counts[k]) for k in (*ACTIONS, 'same'))} |", ""]
    if report.blocking:
        lines.append(f"**:no_entry: {len(report.blocking)} blocking change(s)**")
        lines += [f"- **{c.action}** `{label(c)}`: {c.reason}" for c in report.blocking]
        lines.append("")
    for change in report.changes:
        lines += _details(change)
    return "\n".join(lines) + "\n"


def _details(change: Change) -> list[str]:
    flag = ":no_entry: " if change.blocking else ""
    lines = [f"<details><summary>{flag}<b>{change.action}</b> <code>{label(change)}</code></summary>", ""]
    lines.append(f"`{change.urn}`" + (f"<br>{change.reason}" if change.reason else ""))
    if change.properties:
        lines += ["", "| property | old | new |", "|---|---|---|"]
        lines += [f"| `{p['path']}` | {_cell(p['old'])} | {_cell(p['new'])} |" for p in change.properties]
    return [*lines, "", "</details>", ""]
