"""What a pull or a notification changes in Odoo's FBA locations, as pure functions.

Amazon's figures per SKU (mapped to Odoo products), Odoo's quantities per (product, kind) in the
account's FBA locations, and the units of shipped orders Odoo has not imported yet, in; the
inventory adjustments (differences only), the quantity each (product, kind) location ends at,
and for a complete pull the drift (what Odoo expected Amazon to hold against what it holds) out.
A complete pull also brings to 0 what Odoo holds of products Amazon no longer reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ...inventory import DriftLine
from ...mapping.fba_inventory import (
    Adjustment,
    FbaQuantities,
    Kind,
    adjustments,
    drift,
    expected_totals,
    with_unimported_shipments,
)

__all__ = ["FbaPlan", "gone_products", "plan_fba", "unmapped"]


def unmapped(items: Sequence[FbaQuantities], products: Mapping[str, int]) -> list[FbaQuantities]:
    """Amazon's SKUs without an Odoo product (quarantined until mapped)."""
    return [i for i in items if i.sku not in products]


def gone_products(current: Mapping[tuple[int, Kind], Decimal], products: Mapping[str, int]) -> list[int]:
    """Products Odoo holds in the account's FBA locations that no reported SKU maps to."""
    return sorted({p for p, _ in current} - set(products.values()))


@dataclass(frozen=True, kw_only=True)
class FbaPlan:
    #: Amazon's figures of the mapped SKUs, plus a 0 for each product gone (complete pulls).
    reported: tuple[FbaQuantities, ...]
    #: Units of shipped orders not in Odoo yet, kept in Odoo's Fulfillable (SKU → units).
    unimported_shipped: Mapping[str, int]
    drift: tuple[DriftLine, ...]
    adjustments: tuple[Adjustment, ...]
    #: The quantity each (product, kind) location ends at.
    targets: Mapping[tuple[int, Kind], Decimal]


def plan_fba(*, items: Sequence[FbaQuantities], products: Mapping[str, int],
             current: Mapping[tuple[int, Kind], Decimal], shipped: Mapping[str, int], complete: bool,
             gone_named: Mapping[int, str] | None = None, check_drift: bool = False,
             tolerance: Decimal | int = 0, at: datetime | None = None) -> FbaPlan:
    """``items``: Amazon's figures; ``products``: SKU → Odoo product of those mapped;
    ``current``: Odoo's quantities per (product, kind) (every product of the locations for a
    complete pull); ``shipped``: units per SKU of shipped orders Odoo has not imported;
    ``gone_named``: the SKU each gone product is mapped from (complete pulls); ``check_drift``:
    compare before applying (a complete pull after an earlier one)."""
    sku_of = {p: s for s, p in products.items()}
    reported = [i for i in items if i.sku in products]
    if complete:
        # Products in the account's FBA locations that no reported SKU maps to: Amazon has none
        # of them any more (named by their mapped SKU, else by Odoo id; a SKU now mapped to
        # another product names that one).
        named = gone_named or {}
        for product in gone_products(current, products):
            sku = named.get(product)
            if not sku or sku in set(sku_of.values()):
                sku = f"#{product}"
            sku_of[product] = sku
            reported.append(FbaQuantities(sku=sku, asin=None, fnsku=None, quantities={}))
    by_sku: dict[tuple[str, Kind], Decimal] = {}
    for (product, kind), qty in current.items():
        if product in sku_of:
            by_sku[(sku_of[product], kind)] = by_sku.get((sku_of[product], kind), Decimal(0)) + qty
    skus = {i.sku for i in reported}
    unimported = {sku: units for sku, units in shipped.items() if sku in skus}
    lines: list[DriftLine] = []
    if complete and check_drift:
        # Before anything is applied: what Odoo expects Amazon to hold against what it holds.
        lines = drift(expected_totals(by_sku, unimported, skus), reported, tolerance=tolerance, at=at)
    changes = adjustments(with_unimported_shipments(reported, unimported), by_sku)
    product_of = {sku: product for product, sku in sku_of.items()}
    targets = {(product_of[c.sku], c.kind): Decimal(c.amazon_quantity) for c in changes}
    return FbaPlan(reported=tuple(reported), unimported_shipped=unimported, drift=tuple(lines),
                   adjustments=tuple(changes), targets=targets)
