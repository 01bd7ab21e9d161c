"""The cost section of `python -m tools.plan`: the estimate per component and the budget gate."""

from __future__ import annotations

from typing import Any

from settings import StackSettings
from tools.cost.estimate import estimate
from tools.cost.prices import load
from tools.cost.report import budget_verdict, summary

OVER_BUDGET = 1


def plan_section(document: dict[str, Any], settings: StackSettings) -> tuple[str, int]:
    """The text printed after the policy result, and the exit status it asks for: 1 when the
    fixed monthly estimate is over `webapp:budget.monthlyUsd`, else 0."""
    result = estimate(document, settings.usage, load())
    verdict, over = budget_verdict(result, settings.budget)
    lines = ["Cost estimate (USD per month; lines: python -m tools.cost --stack " + result.stack + "):"]
    lines += ["    " + line if line else "" for line in summary(result)]
    lines += ["", verdict]
    return "\n".join(lines), OVER_BUDGET if over else 0
