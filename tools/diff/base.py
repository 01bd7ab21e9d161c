"""The base side of a change: a stack synthesized from another git commit's tree by that
commit's own code, so the base shows what that commit would deploy."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from settings.stack_config import ROOT

EMPTY = {"resources": [], "outputs": {}}


def base_synth(ref: str, stack: str, out: Path) -> str | None:
    """Synthesize `stack` from the tree of git `ref` with that tree's own code into `out`; None
    when it worked, else why not (the base then counts as empty: everything is created)."""
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch)
        archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True)
        if archive.returncode != 0:
            return f"git archive {ref}: {archive.stderr.decode(errors='replace').strip()}"
        archive_file = tree / "base.tar"
        archive_file.write_bytes(archive.stdout)
        with tarfile.open(archive_file) as handle:
            handle.extractall(tree / "src", filter="data")
        command = [sys.executable, "-m", "tools.synth", "--stack", stack, "--out", str(out)]
        result = subprocess.run(command, cwd=tree / "src", capture_output=True, text=True)
        if result.returncode != 0:
            return f"base synth of {stack} at {ref} failed: {(result.stderr or result.stdout).strip()[-500:]}"
    return None
