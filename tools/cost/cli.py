"""python -m tools.cost --stack NAME [--config-file F] [--usage F] [--base BASE_SYNTH.json] [--json] [--live]

Prices the offline synth of the stack (`tools.synth`) with the price snapshot
(`tools/cost/prices.json`), or with prices fresh from the AWS Price List API (`--live`, AWS
credentials needed; the snapshot is not rewritten: `make prices` does that). `--base` prices a
synth document of the base branch with the same usage and prices and adds the change per line
and in total. Exit status: 0 estimated, 2 when the stack config, the usage file, the base
document or the Price List API cannot be used (one line per problem, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from settings import ConfigError, StackSettings, load_settings
from settings.stack_config import read_stack_config
from tools import cli_parser
from tools.cost import prices
from tools.cost.estimate import Estimate, delta, estimate
from tools.cost.report import budget_json, render
from tools.cost.usage import resolve
from tools.synth import synthesize

USAGE_ERROR = 2


class CostError(Exception):
    """Something the command cannot use, already phrased as its one-line message(s)."""


def stack_settings(stack: str, config_file: Path | None) -> tuple[dict[str, Any], StackSettings]:
    try:
        config = read_stack_config(stack, config_file)
    except FileNotFoundError as error:
        raise CostError(f"{stack}: no stack config: {error.filename}") from None
    try:
        return config, load_settings(stack, config)
    except ConfigError as error:
        raise CostError("\n".join(error.lines)) from None


def read_base(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise CostError(f"--base {path}: {error.strerror}") from None
    except ValueError as error:
        raise CostError(f"--base {path}: not JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list) or "stack" not in document:
        raise CostError(f"--base {path}: not a synth document (python -m tools.synth --out)")
    return document


def live_book(documents: list[dict[str, Any]], settings: StackSettings, book: prices.PriceBook) -> prices.PriceBook:
    """Fresh prices for exactly the keys these documents look up."""
    from botocore.exceptions import BotoCoreError, ClientError

    wanted: dict[str, set[str]] = {}
    for document in documents:
        for region, keys in estimate(document, settings.usage, book).price_keys().items():
            wanted.setdefault(region, set()).update(keys)
    try:
        return prices.PriceBook(prices.live_document(prices.pricing_client(), wanted))
    except prices.LivePriceError as error:
        raise CostError(f"--live: {error}") from None
    except (BotoCoreError, ClientError) as error:
        raise CostError(f"--live: cannot read the AWS Price List API: {error}") from None


def run(args: argparse.Namespace) -> str:
    config, settings = stack_settings(args.stack, args.config_file)
    try:
        usage = resolve(settings.usage, args.usage)
    except ConfigError as error:
        raise CostError("\n".join(error.lines)) from None
    settings = settings.model_copy(update={"usage": usage})
    base_document = read_base(args.base) if args.base else None
    document = synthesize(args.stack, config=config)
    book = prices.load()
    if args.live:
        book = live_book([d for d in (document, base_document) if d is not None], settings, book)
    head = estimate(document, usage, book)
    base: Estimate | None = estimate(base_document, usage, book) if base_document else None
    change = delta(head, base) if base else None
    if args.json:
        return json.dumps(as_json(head, base, settings), indent=2)
    return render(head, change, settings.budget)


def as_json(head: Estimate, base: Estimate | None, settings: StackSettings) -> dict[str, Any]:
    """`--json`'s document: the estimate, its delta against the base, and the budget."""
    output = head.to_json()
    if base is not None:
        output["delta"] = delta(head, base)
    budget = budget_json(head, settings.budget)
    if budget is not None:
        output["budget"] = budget
    return output


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tools.cost", "Monthly cost estimate of a stack, from its offline synth.")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--config-file", type=Path, help="use this file instead of Pulumi.<stack>.yaml")
    parser.add_argument("--usage", type=Path, help="usage profile (YAML/JSON) over the stack's webapp:usage")
    parser.add_argument("--base", type=Path, help="synth document of the base (tools.synth --out) to compare with")
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON")
    parser.add_argument("--live", action="store_true", help="prices from the AWS Price List API (credentials needed)")
    args = parser.parse_args(argv)
    try:
        print(run(args))
    except CostError as error:
        print(str(error), file=sys.stderr)
        return USAGE_ERROR
    return 0
