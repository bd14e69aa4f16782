"""Reconciliation: what Amazon (the simulator's ground truth) says against what Odoo has.

Which orders belong in Odoo: every order that is not cancelled and has reached the point where
the connector imports it (FBM from Unshipped, FBA when Shipped). Amounts are what the order is
worth to the seller: Amazon's OrderTotal, less the tax Amazon collects as marketplace facilitator
(US/CA), which never reaches the seller; split, per order, into the seller's tax and the untaxed
rest. Odoo's side is ``amount_untaxed`` and ``amount_tax`` of non-cancelled sale orders whose
``client_order_ref`` is an Amazon order id. A total can match while its halves do not (a cent of
VAT moved into the untaxed amount): both halves are compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..marketplaces import by_id

__all__ = ["ODOO_FIELDS", "Difference", "MarketplaceLine", "Reconciliation", "expected_in_odoo", "reconcile",
           "seller_amount", "seller_tax"]

_IMPORTED_FBM = {"Unshipped", "PartiallyShipped", "Shipped"}
_CENT = Decimal("0.01")

#: The sale.order fields :func:`reconcile` reads.
ODOO_FIELDS = ("client_order_ref", "amount_untaxed", "amount_tax", "state")


def expected_in_odoo(order: Mapping[str, Any]) -> bool:
    status = order["status"]
    if order["fulfillmentChannel"] == "AFN":
        return bool(status == "Shipped")
    return status in _IMPORTED_FBM


def _facilitated(order: Mapping[str, Any]) -> bool:
    """Amazon collects the tax as marketplace facilitator (tax-excluded North America)."""
    market = by_id(str(order["marketplaceId"]))
    return not market.prices_include_tax and market.region == "NA"


def seller_amount(order: Mapping[str, Any]) -> Decimal:
    total = Decimal(str(order["total"]))
    if _facilitated(order):
        total -= Decimal(str(order["tax"]))
    return total


def seller_tax(order: Mapping[str, Any]) -> Decimal:
    """The tax in :func:`seller_amount`: none of what Amazon collects as facilitator."""
    return Decimal(0) if _facilitated(order) else Decimal(str(order["tax"]))


def _odoo(row: Mapping[str, Any], field: str) -> Decimal:
    return Decimal(str(row[field])).quantize(_CENT)


@dataclass(frozen=True, kw_only=True)
class Difference:
    amazon_order_id: str
    marketplace: str
    #: "missing in Odoo", "in Odoo but not expected", "amount differs", "tax differs", "duplicated in Odoo"
    problem: str
    amazon_amount: Decimal | None = None
    odoo_amount: Decimal | None = None
    #: The order's tax, when it differs (its untaxed amount is the amount less the tax).
    amazon_tax: Decimal | None = None
    odoo_tax: Decimal | None = None


@dataclass(kw_only=True)
class MarketplaceLine:
    marketplace: str
    currency: str
    amazon_orders: int = 0
    amazon_amount: Decimal = Decimal(0)
    amazon_tax: Decimal = Decimal(0)
    odoo_orders: int = 0
    odoo_amount: Decimal = Decimal(0)
    odoo_tax: Decimal = Decimal(0)
    #: Orders whose untaxed amount or tax differs, even when the sums agree (cents both ways).
    tax_differences: int = 0

    @property
    def amazon_untaxed(self) -> Decimal:
        return self.amazon_amount - self.amazon_tax

    @property
    def odoo_untaxed(self) -> Decimal:
        return self.odoo_amount - self.odoo_tax

    @property
    def matches(self) -> bool:
        return (self.amazon_orders == self.odoo_orders and self.amazon_amount == self.odoo_amount
                and self.amazon_tax == self.odoo_tax and not self.tax_differences)


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
    with :data:`ODOO_FIELDS`."""
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
        amount, tax = seller_amount(order), seller_tax(order)
        line.amazon_orders += 1
        line.amazon_amount += amount
        line.amazon_tax += tax
        if found:
            line.odoo_orders += len(found)
            odoo_untaxed = sum((_odoo(r, "amount_untaxed") for r in found), Decimal(0))
            odoo_tax = sum((_odoo(r, "amount_tax") for r in found), Decimal(0))
            odoo_amount = odoo_untaxed + odoo_tax
            line.odoo_amount += odoo_amount
            line.odoo_tax += odoo_tax
            if len(found) > 1:
                result.differences.append(Difference(amazon_order_id=order_id, marketplace=market.code,
                                                     problem=f"duplicated in Odoo ({len(found)} orders)"))
            elif odoo_amount != amount:
                result.differences.append(Difference(amazon_order_id=order_id, marketplace=market.code,
                                                     problem="amount differs", amazon_amount=amount,
                                                     odoo_amount=odoo_amount, amazon_tax=tax, odoo_tax=odoo_tax))
            elif odoo_tax != tax:
                line.tax_differences += 1
                result.differences.append(Difference(amazon_order_id=order_id, marketplace=market.code,
                                                     problem="tax differs", amazon_amount=amount,
                                                     odoo_amount=odoo_amount, amazon_tax=tax, odoo_tax=odoo_tax))
        else:
            result.differences.append(Difference(amazon_order_id=order_id, marketplace=market.code,
                                                 problem="missing in Odoo", amazon_amount=amount))
    for ref in sorted(set(odoo_by_ref) - seen):
        result.differences.append(Difference(amazon_order_id=ref, marketplace="?",
                                             problem="in Odoo, unknown to Amazon"))
    result.lines = sorted(lines.values(), key=lambda line: line.marketplace)
    return result
