"""Reconciliation: what Amazon (the simulator's ground truth) says against what Odoo has.

Which orders belong in Odoo: every order that is not cancelled and has reached the point where
the connector imports it (FBM from Unshipped, FBA when Shipped). Amounts are what the order is
worth to the seller: Amazon's OrderTotal, less the tax Amazon collects as marketplace facilitator
(US/CA), which never reaches the seller. Odoo's side is ``amount_total`` of non-cancelled sale
orders whose ``client_order_ref`` is an Amazon order id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..amazon.marketplaces import by_id

__all__ = ["Difference", "MarketplaceLine", "Reconciliation", "expected_in_odoo", "reconcile", "seller_amount"]

_IMPORTED_FBM = {"Unshipped", "PartiallyShipped", "Shipped"}


def expected_in_odoo(order: Mapping[str, Any]) -> bool:
    status = order["status"]
    if order["fulfillmentChannel"] == "AFN":
        return bool(status == "Shipped")
    return status in _IMPORTED_FBM


def seller_amount(order: Mapping[str, Any]) -> Decimal:
    market = by_id(str(order["marketplaceId"]))
    total = Decimal(str(order["total"]))
    if not market.prices_include_tax and market.region == "NA":
        total -= Decimal(str(order["tax"]))
    return total


@dataclass(frozen=True, kw_only=True)
class Difference:
    amazon_order_id: str
    marketplace: str
    problem: str  # "missing in Odoo", "in Odoo but not expected", "amount differs", "duplicated in Odoo"
    amazon_amount: Decimal | None = None
    odoo_amount: Decimal | None = None


@dataclass(kw_only=True)
class MarketplaceLine:
    marketplace: str
    currency: str
    amazon_orders: int = 0
    amazon_amount: Decimal = Decimal(0)
    odoo_orders: int = 0
    odoo_amount: Decimal = Decimal(0)

    @property
    def matches(self) -> bool:
        return self.amazon_orders == self.odoo_orders and self.amazon_amount == self.odoo_amount


@dataclass(kw_only=True)
class Reconciliation:
    lines: list[MarketplaceLine] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    pending: int = 0  # orders Amazon has that the connector must not import yet

    @property
    def ok(self) -> bool:
        return not self.differences and all(line.matches for line in self.lines)


def reconcile(amazon_orders: Iterable[Mapping[str, Any]], odoo_orders: Iterable[Mapping[str, Any]]) -> Reconciliation:
    """``amazon_orders``: the simulator's ``/_sim/orders`` rows; ``odoo_orders``: sale.order rows
    with ``client_order_ref``, ``amount_total`` and ``state``."""
    result = Reconciliation()
    lines: dict[str, MarketplaceLine] = {}
    odoo_by_ref: dict[str, list[Mapping[str, Any]]] = {}
    for row in odoo_orders:
        if row.get("state") != "cancel" and row.get("client_order_ref"):
            odoo_by_ref.setdefault(str(row["client_order_ref"]), []).append(row)
    seen: set[str] = set()
    for order in amazon_orders:
        order_id = str(order["amazonOrderId"])
        market = by_id(str(order["marketplaceId"]))
        line = lines.setdefault(market.code, MarketplaceLine(marketplace=market.code, currency=market.currency))
        found = odoo_by_ref.get(order_id, [])
        seen.add(order_id)
        expected = expected_in_odoo(order)
        if not expected:
            if order["status"] == "Pending":
                result.pending += 1
            if found:
                result.differences.append(Difference(amazon_order_id=order_id, marketplace=market.code,
                                                     problem="in Odoo but not expected (status "
                                                     f"{order['status']})"))
            continue
        amount = seller_amount(order)
        line.amazon_orders += 1
        line.amazon_amount += amount
        if found:
            line.odoo_orders += len(found)
            odoo_amount = sum((Decimal(str(r["amount_total"])).quantize(Decimal("0.01")) for r in found), Decimal(0))
            line.odoo_amount += odoo_amount
            if len(found) > 1:
                result.differences.append(Difference(amazon_order_id=order_id, marketplace=market.code,
                                                     problem=f"duplicated in Odoo ({len(found)} orders)"))
            elif odoo_amount != amount:
                result.differences.append(Difference(amazon_order_id=order_id, marketplace=market.code,
                                                     problem="amount differs", amazon_amount=amount,
                                                     odoo_amount=odoo_amount))
        else:
            result.differences.append(Difference(amazon_order_id=order_id, marketplace=market.code,
                                                 problem="missing in Odoo", amazon_amount=amount))
    for ref in sorted(set(odoo_by_ref) - seen):
        result.differences.append(Difference(amazon_order_id=ref, marketplace="?",
                                             problem="in Odoo, unknown to Amazon"))
    result.lines = sorted(lines.values(), key=lambda line: line.marketplace)
    return result
