"""The monthly estimate of a synth document: one line per billed meter of each resource.

`estimate(document, usage, book)` walks the resources the program registered
(`tools.synth`), prices each with the pricer of its type (`tools.cost.pricers`) and returns
an `Estimate`: lines (each `fixed`, always on, or `usage`, from the usage profile), their
totals, and the resources nothing could price. A resource is either priced, free (its type is
in `pricers.FREE`, with the reason) or listed as unpriced: never silently $0.

Monthly figures are kept at full precision (rounded only for display), so the lines sum to
the totals and a doubled quantity doubles its line exactly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from settings.cost import UsageSettings
from tools.cost.prices import PriceBook

Kind = Literal["fixed", "usage"]
STACK_COMPONENT = "(stack)"


@dataclass(frozen=True)
class Line:
    urn: str
    type: str
    component: str
    description: str
    quantity: float
    unit: str
    unit_price: float
    kind: Kind
    price_key: str
    region: str

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "component": self.component,
            "description": self.description,
            "quantity": self.quantity,
            "unit": self.unit,
            "unitPrice": self.unit_price,
            "monthly": self.monthly,
            "kind": self.kind,
            "priceKey": self.price_key,
            "region": self.region,
        }


@dataclass(frozen=True)
class Unpriced:
    """Something billed that the estimate has no price for."""

    urn: str
    type: str
    component: str
    reason: str
    price_key: str | None = None
    region: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "component": self.component, "reason": self.reason}


def total(lines: list[Line], kind: Kind | None = None) -> float:
    return math.fsum(line.monthly for line in lines if kind is None or line.kind == kind)


@dataclass
class Estimate:
    stack: str
    price_date: str
    price_source: str
    lines: list[Line] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)

    @property
    def fixed_monthly(self) -> float:
        return total(self.lines, "fixed")

    @property
    def usage_monthly(self) -> float:
        return total(self.lines, "usage")

    @property
    def monthly_total(self) -> float:
        return total(self.lines)

    def by_component(self) -> dict[str, list[Line]]:
        groups: dict[str, list[Line]] = defaultdict(list)
        for line in self.lines:
            groups[line.component].append(line)
        return dict(sorted(groups.items()))

    def price_keys(self) -> dict[str, set[str]]:
        """Region -> the price keys this estimate looked up (priced or not)."""
        keys: dict[str, set[str]] = defaultdict(set)
        for item in [*self.lines, *self.unpriced]:
            if item.price_key and item.region:
                keys[item.region].add(item.price_key)
        return dict(keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "currency": "USD",
            "priceDate": self.price_date,
            "priceSource": self.price_source,
            "fixedMonthly": self.fixed_monthly,
            "usageMonthly": self.usage_monthly,
            "monthlyTotal": self.monthly_total,
            "lines": [line.to_json() for line in self.lines],
            "unpriced": sorted({item.urn for item in self.unpriced}),
            "unpricedItems": [item.to_json() for item in self.unpriced],
        }


class Context:
    """What a pricer needs: the document's resources, the usage profile and the prices."""

    def __init__(self, document: dict[str, Any], usage: UsageSettings, book: PriceBook, estimate: Estimate):
        self.resources: list[dict[str, Any]] = document["resources"]
        self.by_urn = {r["urn"]: r for r in self.resources}
        self.usage = usage
        self.book = book
        self.estimate = estimate
        self.default_region = next(
            (_plain(r["inputs"].get("region")) for r in self.resources if r["type"] == "pulumi:providers:aws"),
            "us-east-1",
        )

    def region(self, resource: dict[str, Any]) -> str:
        provider = self.by_urn.get((resource.get("provider") or "").rsplit("::", 1)[0])
        return (_plain(provider["inputs"].get("region")) if provider else None) or self.default_region

    def component(self, resource: dict[str, Any]) -> str:
        parent = self.by_urn.get(resource.get("parent") or "")
        if parent is None:
            return STACK_COMPONENT
        return f"{parent['name']} [{parent['type'].rsplit(':', 1)[-1]}]"

    def parent_type(self, resource: dict[str, Any]) -> str:
        parent = self.by_urn.get(resource.get("parent") or "")
        return parent["type"].rsplit(":", 1)[-1] if parent else ""

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_]

    def source(self, resource: dict[str, Any], key: str) -> dict[str, Any] | None:
        """The resource an input of `resource` came from (its first property dependency)."""
        urns = resource.get("propertyDependencies", {}).get(key) or []
        return self.by_urn.get(urns[0]) if urns else None

    def line(
        self,
        resource: dict[str, Any],
        description: str,
        quantity: float,
        unit: str,
        key: str,
        kind: Kind,
        region: str | None = None,
    ) -> None:
        """Add a line priced at `key` in the resource's region (or `region`), or an unpriced
        item naming the missing price."""
        region = region or self.region(resource)
        price = self.book.get(region, key)
        if price is None:
            self.unpriced(resource, f"{description}: no price {key} in {region}", key, region)
            return
        self.estimate.lines.append(
            Line(
                urn=resource["urn"],
                type=resource["type"],
                component=self.component(resource),
                description=description,
                quantity=quantity,
                unit=unit,
                unit_price=price.usd,
                kind=kind,
                price_key=key,
                region=region,
            )
        )

    def unpriced(
        self, resource: dict[str, Any], reason: str, key: str | None = None, region: str | None = None
    ) -> None:
        self.estimate.unpriced.append(
            Unpriced(resource["urn"], resource["type"], self.component(resource), reason, key, region)
        )


def _plain(value: Any) -> Any:
    # Provider inputs are strings on the wire; a secret-wrapped one keeps its value under "value".
    return value.get("value") if isinstance(value, dict) else value


def estimate(document: dict[str, Any], usage: UsageSettings, book: PriceBook) -> Estimate:
    """Price every resource of a synth document."""
    from tools.cost.pricers import FREE, PRICERS

    result = Estimate(stack=document["stack"], price_date=book.price_date, price_source=book.source)
    context = Context(document, usage, book, result)
    for resource in document["resources"]:
        type_ = resource["type"]
        if not resource["custom"] or type_.startswith("pulumi:providers:") or type_ in FREE:
            continue
        pricer = PRICERS.get(type_)
        if pricer is None:
            context.unpriced(resource, "no price model for this resource type")
        else:
            pricer(resource, context)
    return result


def delta(head: Estimate, base: Estimate) -> dict[str, Any]:
    """What changes from `base` to `head`: per line (matched by resource URN and price key: a
    resource bills each meter once) and in total. A line on one side only counts from or to
    zero."""

    def keyed(lines: list[Line]) -> dict[tuple[str, str], Line]:
        return {(line.urn, line.price_key): line for line in lines}

    before, after = keyed(base.lines), keyed(head.lines)
    lines = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        old_monthly = old.monthly if old else 0.0
        new_monthly = new.monthly if new else 0.0
        if old_monthly == new_monthly:
            continue
        line = new or old
        assert line is not None
        lines.append(
            {
                "urn": line.urn,
                "type": line.type,
                "component": line.component,
                "description": line.description,
                "kind": line.kind,
                "baseMonthly": old_monthly,
                "monthly": new_monthly,
                "deltaMonthly": new_monthly - old_monthly,
            }
        )
    return {
        "fixedMonthly": head.fixed_monthly - base.fixed_monthly,
        "usageMonthly": head.usage_monthly - base.usage_monthly,
        "monthlyTotal": head.monthly_total - base.monthly_total,
        "baseFixedMonthly": base.fixed_monthly,
        "baseMonthlyTotal": base.monthly_total,
        "lines": lines,
    }
