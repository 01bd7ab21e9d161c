"""What a policy check found, and how a reviewer reads it: text grouped by enforcement, JSON.

Violations come grouped, mandatory first (they block the deployment), each with its policy's
category and severity. Advisory violations that a stack accepts on purpose are waived by
`policies/waivers/<stack>.json`, each for a written reason: the text marks them `waived: <reason>`
and lists them after the new advisories, so a new one stands out. A waiver never touches a
mandatory violation, nor the exit status.

Waivers file: `{"<policy>": {"resources": ["<resource name>", ...], "reason": "<why>"}}`, naming
resources by their logical name (the last part of the URN), so the same policy on a new resource
is not waived without a new reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from settings.stack_config import ROOT

WAIVERS_DIR = ROOT / "policies" / "waivers"


class UsageError(Exception):
    """Something the user must fix before a check can run (exit status 2)."""


@dataclass(frozen=True)
class Source:
    """The repository file and line that created a resource (tools.sources)."""

    file: str
    line: int


@dataclass(frozen=True)
class Violation:
    enforcement: str
    policy: str
    urn: str
    message: str
    severity: str = ""
    category: str = ""
    waived: str | None = None  # the waiver's reason
    source: Source | None = None

    @property
    def name(self) -> str:
        """The resource's logical name (the stack's name for a stack-wide violation)."""
        return self.urn.rsplit("::", 1)[-1]

    @property
    def type(self) -> str:
        return self.urn.split("::")[2].rsplit("$", 1)[-1] if self.urn.count("::") >= 3 else ""

    def line(self) -> str:
        return f"{self.enforcement} {self.policy} ({self.category}, {self.severity}) {self.urn}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "type": self.type, "name": self.name}


@dataclass(frozen=True)
class Waiver:
    stack: str
    policy: str
    resources: tuple[str, ...]
    reason: str

    def covers(self, violation: Violation) -> bool:
        return violation.policy == self.policy and violation.name in self.resources


def waivers_path(stack: str) -> Path:
    """Where the stack's waivers live: policies/waivers/<stack>.json."""
    return WAIVERS_DIR / f"{stack}.json"


def read_waivers(path: Path, stack: str) -> list[Waiver]:
    """The waivers of `path` (none when the file does not exist); raises UsageError naming
    every malformed entry."""
    try:
        document = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return []
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: not valid JSON: {error.msg} (line {error.lineno})") from None
    if not isinstance(document, dict):
        raise UsageError(f"{path}: must be a JSON object of policy names")
    waivers, problems = [], []
    for policy, entry in document.items():
        resources = entry.get("resources") if isinstance(entry, dict) else None
        reason = entry.get("reason") if isinstance(entry, dict) else None
        if not (isinstance(resources, list) and resources and all(isinstance(r, str) and r for r in resources)):
            problems.append(f"{policy}: resources must be a non-empty list of resource names")
        elif not (isinstance(reason, str) and reason.strip()):
            problems.append(f"{policy}: reason must say why the advisory is accepted")
        elif set(entry) - {"resources", "reason"}:
            problems.append(f"{policy}: unknown keys {', '.join(sorted(set(entry) - {'resources', 'reason'}))}")
        else:
            waivers.append(Waiver(stack=stack, policy=policy, resources=tuple(resources), reason=reason.strip()))
    if problems:
        raise UsageError(f"{path}: invalid waivers:\n" + "\n".join(problems))
    return waivers


@dataclass
class Report:
    project: str
    stack: str
    violations: list[Violation] = field(default_factory=list)
    # policy -> its enforcement in this check ("mandatory", "advisory", "disabled")
    levels: dict[str, str] = field(default_factory=dict)
    # Waivers that matched no advisory violation: stale, or naming the wrong resource.
    unused_waivers: list[Waiver] = field(default_factory=list)

    @property
    def mandatory(self) -> int:
        return sum(1 for v in self.violations if v.enforcement == "mandatory")

    @property
    def advisory(self) -> int:
        return sum(1 for v in self.violations if v.enforcement == "advisory")

    @property
    def waived(self) -> int:
        return sum(1 for v in self.violations if v.waived is not None)

    @property
    def resources(self) -> int:
        return len({v.urn for v in self.violations})

    @property
    def exit_code(self) -> int:
        return 1 if self.mandatory else 0

    def apply(self, waivers: Iterable[Waiver]) -> None:
        """Mark the advisory violations each waiver covers, and keep the waivers that covered none."""
        waivers = list(waivers)
        used: set[Waiver] = set()
        for index, violation in enumerate(self.violations):
            if violation.enforcement != "advisory":
                continue
            waiver = next((w for w in waivers if w.covers(violation)), None)
            if waiver is not None:
                used.add(waiver)
                self.violations[index] = replace(violation, waived=waiver.reason)
        self.unused_waivers = [w for w in waivers if w not in used]

    def ordered(self) -> list[Violation]:
        """Mandatory first, then new advisories, then waived ones; the check's order within."""
        rank = {"mandatory": 0, "advisory": 1}
        return sorted(self.violations, key=lambda v: (rank.get(v.enforcement, 2), v.waived is not None))

    def summary(self) -> str:
        waived = f" ({self.waived} waived)" if self.waived else ""
        return f"{self.mandatory} mandatory, {self.advisory} advisory violations{waived} in {self.resources} resources"

    def text(self) -> str:
        lines = []
        mandatory = [v for v in self.ordered() if v.enforcement == "mandatory"]
        advisory = [v for v in self.ordered() if v.enforcement == "advisory"]
        if mandatory:
            lines.append(f"Mandatory (blocks the deployment): {len(mandatory)}")
            lines += [f"  {v.line()}" for v in mandatory]
        if advisory:
            new = len(advisory) - self.waived
            lines.append(f"Advisory: {len(advisory)} ({new} new, {self.waived} waived)")
            for violation, following in zip(advisory, [*advisory[1:], None], strict=True):
                lines.append(f"  {violation.line()}")
                # One reason under the last of a resource's messages for the same policy.
                same = following is not None and (following.policy, following.urn) == (violation.policy, violation.urn)
                if violation.waived is not None and not same:
                    lines.append(f"    waived: {violation.waived}")
        if self.unused_waivers:
            lines.append(f"Waivers that matched nothing (remove them): {len(self.unused_waivers)}")
            lines += [f"  {w.policy}: {', '.join(w.resources)}" for w in self.unused_waivers]
        return "\n".join([*lines, self.summary()])

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "violations": [v.as_json() for v in self.ordered()],
            "mandatory": self.mandatory,
            "advisory": self.advisory,
            "waived": self.waived,
            "resources": self.resources,
            "unusedWaivers": [{"policy": w.policy, "resources": list(w.resources)} for w in self.unused_waivers],
        }

    def by_policy(self, policy: str) -> list[Violation]:
        return [v for v in self.violations if v.policy == policy]
