"""Text of an estimate: a table per component (each line with its quantity and unit price,
fixed and usage columns, a subtotal), the component summary with the totals, what is unpriced,
the change against a base, and the budget verdict."""

from __future__ import annotations

from typing import Any

from settings.cost import BudgetSettings
from tools.cost.estimate import Estimate, Line, total


def usd(value: float, signed: bool = False) -> str:
    text = f"{abs(value):,.2f}"
    if signed:
        return ("+" if value >= 0 else "-") + text
    return ("-" if value < 0 else "") + text


def _price(value: float) -> str:
    # Unit prices run from $0.0000006 a request to $5 a month: every digit, not cents.
    return "$" + f"{value:,.10f}".rstrip("0").rstrip(".")


def _quantity(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def _amounts(lines: list[Line]) -> list[str]:
    fixed, used = total(lines, "fixed"), total(lines, "usage")
    return [usd(fixed) if fixed else "", usd(used) if used else "", usd(fixed + used)]


def component_tables(estimate: Estimate) -> list[str]:
    out: list[str] = []
    for component, lines in estimate.by_component().items():
        rows = [[component, "quantity", "unit price", "fixed", "usage", "total"]]
        for line in lines:
            amount = usd(line.monthly)
            rows.append(
                [
                    "  " + line.description,
                    f"{_quantity(line.quantity)} {line.unit}",
                    _price(line.unit_price),
                    amount if line.kind == "fixed" else "",
                    amount if line.kind == "usage" else "",
                    "",
                ]
            )
        rows.append(["  subtotal", "", "", *_amounts(lines)])
        out += [*_table(rows, {1, 2, 3, 4, 5}), ""]
    return out


def summary(estimate: Estimate) -> list[str]:
    """The per-component totals, the stack total and what is not in it."""
    rows = [["component", "fixed", "usage", "total"]]
    for component, lines in estimate.by_component().items():
        rows.append([component, *_amounts(lines)])
    rows.append(
        ["Total (USD per month)", usd(estimate.fixed_monthly), usd(estimate.usage_monthly), usd(estimate.monthly_total)]
    )
    out = _table(rows, {1, 2, 3})
    if estimate.unpriced:
        out += ["", f"Unpriced, not in the totals ({len(estimate.unpriced)}):"]
        out += [
            f"  {item.component}  {item.urn.rsplit('::', 1)[-1]} ({item.type}): {item.reason}"
            for item in estimate.unpriced
        ]
    out += ["", f"Prices of {estimate.price_date}: {estimate.price_source}."]
    return out


def delta_text(change: dict[str, Any]) -> list[str]:
    out = ["Change against the base (USD per month):"]
    rows = [
        [
            usd(line["deltaMonthly"], signed=True),
            line["component"],
            line["description"],
            f"{usd(line['baseMonthly'])} -> {usd(line['monthly'])}",
        ]
        for line in change["lines"]
    ]
    out += ["  " + row for row in _table(rows, {0})] if rows else ["  no line changes"]
    base_fixed, base_total = change["baseFixedMonthly"], change["baseMonthlyTotal"]
    out.append(
        f"  fixed {usd(change['fixedMonthly'], signed=True)} ({usd(base_fixed)} -> "
        f"{usd(base_fixed + change['fixedMonthly'])}), total {usd(change['monthlyTotal'], signed=True)} "
        f"({usd(base_total)} -> {usd(base_total + change['monthlyTotal'])})"
    )
    return out


def budget_verdict(estimate: Estimate, budget: BudgetSettings | None) -> tuple[str, bool]:
    """The budget line and whether the fixed estimate is over the budget."""
    fixed = estimate.fixed_monthly
    if budget is None:
        return f"Budget: none set (webapp:budget.monthlyUsd); fixed estimate ${usd(fixed)}/month.", False
    limit = budget.monthly_usd
    if fixed > limit:
        return (
            f"Budget exceeded: the fixed estimate ${usd(fixed)}/month is over the budget "
            f"webapp:budget.monthlyUsd = ${usd(limit)} by ${usd(fixed - limit)}.",
            True,
        )
    return (
        f"Budget: fixed estimate ${usd(fixed)}/month is within webapp:budget.monthlyUsd = ${usd(limit)} "
        f"({fixed / limit:.0%}).",
        False,
    )


def budget_json(estimate: Estimate, budget: BudgetSettings | None) -> dict[str, Any] | None:
    if budget is None:
        return None
    return {"monthlyUsd": budget.monthly_usd, "over": estimate.fixed_monthly > budget.monthly_usd}


def render(estimate: Estimate, change: dict[str, Any] | None = None, budget: BudgetSettings | None = None) -> str:
    lines = [f"Estimated monthly cost of stack {estimate.stack} (USD, on-demand list prices)", ""]
    lines += component_tables(estimate)
    lines += summary(estimate)
    if change is not None:
        lines += ["", *delta_text(change)]
    lines += ["", budget_verdict(estimate, budget)[0]]
    return "\n".join(lines)
