"""What each operations command tells its user in `--help`, and the stack outputs it reads.

Every command module defines one `Command`. The command line builds each subcommand's help from
it (description, the stack outputs it needs, exit statuses, an example), and checks the outputs
it needs all at once before the command starts, so a stack deployed with an older program gets
the whole list of what is missing in one run.
"""

from __future__ import annotations

import argparse
import textwrap
from dataclasses import dataclass

from .aws import OpsError
from .outputs import Outputs

EXIT_STATUSES = (
    "exit status:\n"
    "  0    all good\n"
    "  1    the command ran and found a problem: {failed}\n"
    "  2    it could not run: usage, stack config, missing outputs or permissions, AWS errors{extra}\n"
    "  130  interrupted (Ctrl-C)"
)


@dataclass(frozen=True)
class Command:
    name: str
    summary: str  # one line, shown in `python -m ops --help`
    description: str  # what it does, shown in `python -m ops <name> --help`
    failed: str  # what exit status 1 means for this command
    examples: tuple[str, ...]
    outputs: tuple[str, ...] = ()  # stack outputs the command cannot run without
    optional_outputs: tuple[str, ...] = ()  # stack outputs used when present
    exit_2_also: str = ""  # command-specific reasons for exit status 2

    def add_to(
        self, commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
    ) -> argparse.ArgumentParser:
        return commands.add_parser(
            self.name,
            parents=parents,
            help=self.summary,
            description=_fill(f"{self.summary[0].upper()}{self.summary[1:]}.\n\n{self.description}"),
            epilog=self.epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    def epilog(self) -> str:
        needed = ", ".join(self.outputs) or "none"
        lines = [f"stack outputs needed: {needed}"]
        if self.optional_outputs:
            lines.append(f"stack outputs used when present: {', '.join(self.optional_outputs)}")
        lines += ["", EXIT_STATUSES.format(failed=self.failed, extra=self.exit_2_also), "", "example:"]
        lines += [f"  {example}" for example in self.examples]
        return "\n".join(lines)

    def check_outputs(self, outputs: Outputs) -> None:
        """Raise one OpsError naming every needed output the stack lacks (or keeps secret)."""
        missing = {name: outputs.problem(name) for name in self.outputs if outputs.problem(name)}
        if missing:
            listed = ", ".join(f"`{name}`" + ("" if why == "missing" else f" ({why})") for name, why in missing.items())
            raise OpsError(
                f"stack {outputs.stack} lacks what `{self.name}` needs, output(s) {listed} "
                f"({outputs.source}); is the stack deployed with the version of the program that exports them?"
            )


def _fill(text: str, width: int = 88) -> str:
    """Paragraphs (separated by blank lines) wrapped to `width`; argparse keeps them as they are."""
    return "\n\n".join(textwrap.fill(" ".join(part.split()), width) for part in text.split("\n\n"))
