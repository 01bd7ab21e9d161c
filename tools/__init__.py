"""Offline developer tooling: synth, plan, policy check, bench and docs, without AWS or the
Pulumi CLI. The operations commands that call AWS are the top-level `ops` package."""

from __future__ import annotations

import argparse


def cli_parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """The argument parser of a command, described by the first line of its module docstring
    (`doc` is None when Python runs with -OO, which strips docstrings)."""
    return argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0] if doc else None)
