"""Change review: what deploying one synth over another creates, updates, replaces and deletes.

    python -m tools.diff BASE_SYNTH.json HEAD_SYNTH.json [--json] [--format text|markdown]

Exit status: 0 when nothing is blocking, 1 when a change is blocking (a protected or stateful
resource would be replaced or deleted), 2 when a file cannot be read.
"""

from tools.diff.engine import Change, Report, compare

__all__ = ["Change", "Report", "compare"]
