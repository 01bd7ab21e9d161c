"""Where the program creates each resource: the repository file and line of the constructor call.

The synth records it so that a policy finding can point at the code to change (the SARIF output
of tools.policy_check). Resource constructors run the stack's transformations synchronously,
with the creating code still on the call stack, while registrations reach the monitor later and
from the event loop: a stack transformation therefore notes the site of every construction, and
the monitor looks it up by the resource's type and name. Sites are relative to the repository
root, so the synth stays byte-identical across checkouts.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from types import FrameType
from typing import Any

import pulumi

from settings.stack_config import ROOT

# Frames of these files are the synth's own machinery, never the creating code.
_MACHINERY = frozenset({Path(__file__).resolve(), (ROOT / "tools" / "synth.py").resolve()})


class SourceSites:
    """Construction sites, noted by a stack transformation and looked up by type and name."""

    def __init__(self, root: Path = ROOT):
        self.root = root.resolve()
        self._sites: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
        # A code file's place relative to the root (None: not the program's own code), resolved
        # once per file: resolving every frame of every construction was a tenth of a synth.
        self._own: dict[str, str | None] = {}

    def register(self) -> None:
        """Start noting sites; call inside the stack, before the program runs."""
        pulumi.runtime.register_stack_transformation(self._note)

    def _note(self, args: pulumi.ResourceTransformationArgs) -> None:
        site = self.creating_frame(sys._getframe(1))  # noqa: SLF001 (the caller's frame is the point)
        if site is not None:
            self._sites[(args.type_, args.name)].add(site)
        return None  # the resource is left as it is

    def creating_frame(self, frame: FrameType | None) -> tuple[str, int] | None:
        """(file relative to the root, line) of the innermost frame in the repository's own
        code: not the SDKs (any site-packages), not the synth."""
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename not in self._own:
                self._own[filename] = self._relative(filename)
            own = self._own[filename]
            if own is not None:
                return own, frame.f_lineno
            frame = frame.f_back
        return None

    def _relative(self, filename: str) -> str | None:
        path = Path(filename).resolve()
        if path.is_relative_to(self.root) and "site-packages" not in path.parts and path not in _MACHINERY:
            return path.relative_to(self.root).as_posix()
        return None

    def of(self, type_: str, name: str) -> dict[str, Any] | None:
        """{"file", "line"} of the resource, or None when it was not seen or when two
        constructions of the same type and name happened in different places."""
        sites = self._sites.get((type_, name), set())
        if len(sites) != 1:
            return None
        ((file, line),) = sites
        return {"file": file, "line": line}
