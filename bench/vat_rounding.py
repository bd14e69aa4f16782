"""How many simulated orders would carry a tax other than Amazon's in Odoo (issue #14).

Orders of a simulated day (scenario and days as arguments), each as the connector reads it
(Orders API v2026 JSON → AmazonOrder), on tax-included marketplaces with the VAT that ``odoo
setup`` configures. For both of Odoo's rounding methods it prints, per way of building the
lines, how many orders' tax differs from Amazon's and by how much at most:

* merged: one shipping, one shipping-discount and one gift-wrap line per order (before #14);
* per item: one line per charge and item, as Amazon taxes them;
* planned: per item plus the plan's correction lines (what the connector sends).

Odoo's amounts come from the plan's model of Odoo 18's rounding (checked against the Odoo
emulator by tests/unit/test_mapping_vat.py and the emulator against a real Odoo by the contract
suite). Usage: ``python bench/vat_rounding.py [scenario] [days]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from amazon_odoo_sync.mapping.amazon_order import AmazonOrder, parse_order_v2026
from amazon_odoo_sync.mapping.money import ROUNDING_METHODS, OdooLine, RoundingMethod, odoo_order_amounts
from amazon_odoo_sync.mapping.sale_order import (
    ROUNDING_LABEL,
    TAX_CORRECTION_LABEL,
    OdooTargets,
    TaxRef,
    plan_sale_order,
)
from amazon_odoo_sync.odoo.setup import STANDARD_VAT_RATES
from amazon_odoo_sync.sandbox.spapi import make_simulator
from amazon_odoo_sync.sandbox.spapi.orders_json import V2026_DATASETS, v2026_order

CORRECTIONS = (TAX_CORRECTION_LABEL, ROUNDING_LABEL)


def targets(order: AmazonOrder, method: RoundingMethod) -> OdooTargets:
    tax = TaxRef(id=1, rate=STANDARD_VAT_RATES[order.marketplace.code], price_include=True)
    return OdooTargets(company_id=1, warehouse_id=1, fba_warehouse_id=None, pricelist_id=None, team_id=None,
                       tax=tax, shipping_product_id=2, gift_wrap_product_id=3, discount_product_id=4,
                       rounding_product_id=5, tax_rounding=method)


def merged_lines(order: AmazonOrder, rate: Decimal) -> list[OdooLine]:
    """The lines as the connector built them before #14."""
    def taxed(amount: Decimal, quantity: Decimal = Decimal(1)) -> OdooLine:
        return OdooLine(price_unit=amount, quantity=quantity, tax_rate=rate, price_include=True)

    items = [i for i in order.items if i.quantity > 0 and not i.cancelled]
    lines = []
    for item in items:
        quantity = Decimal(item.quantity)
        lines.append(taxed((item.item_amount / quantity).quantize(Decimal("0.01")), quantity))
        if item.item_discount:
            lines.append(taxed(-item.item_discount))
    for amount in (sum(i.shipping_amount for i in items), -sum(i.shipping_discount for i in items),
                   sum(i.gift_wrap_amount - i.gift_wrap_discount for i in items)):
        if amount:
            lines.append(taxed(Decimal(amount)))
    return lines


def planned_lines(order: AmazonOrder, method: RoundingMethod, *, corrections: bool) -> list[OdooLine]:
    plan = plan_sale_order(order, targets(order, method), {i.sku: 1 for i in order.items}, partner_id=1)
    rate = STANDARD_VAT_RATES[order.marketplace.code]
    return [OdooLine(price_unit=Decimal(str(line["price_unit"])), quantity=Decimal(str(line["product_uom_qty"])),
                     tax_rate=rate if line["tax_id"][0][2] else None, price_include=True)
            for _, _, line in plan.values["order_line"] if corrections or line["name"] not in CORRECTIONS]


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "demo"
    days = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    _app, world = make_simulator(scenario, seed=11, speed=0, faults=False)
    world.clock.advance_to(world.clock.now() + timedelta(days=days))
    world.advance_to(world.clock.now())
    orders = []
    for raw in world.orders():
        if not raw.priced or not raw.prices_include_tax or raw.status == "Canceled":
            continue
        order = parse_order_v2026(v2026_order(raw, frozenset(V2026_DATASETS), True))
        if STANDARD_VAT_RATES.get(order.marketplace.code):
            orders.append(order)
    multi = sum(1 for o in orders if len(o.items) > 1)
    print(f"{scenario}, {days:g} day(s): {len(orders)} priced orders on tax-included marketplaces, "
          f"{multi} with several items")
    ways: dict[str, Callable[[AmazonOrder, RoundingMethod], list[OdooLine]]] = {
        "merged (before #14)": lambda o, m: merged_lines(o, STANDARD_VAT_RATES[o.marketplace.code]),
        "per item": lambda o, m: planned_lines(o, m, corrections=False),
        "planned (per item + corrections)": lambda o, m: planned_lines(o, m, corrections=True),
    }
    for method in ROUNDING_METHODS:
        for name, lines_of in ways.items():
            wrong, worst = 0, Decimal(0)
            for order in orders:
                _untaxed, tax = odoo_order_amounts(lines_of(order, method), method)
                gap = abs(tax - order.seller_tax())
                wrong += gap > 0
                worst = max(worst, gap)
            print(f"  {method:<15} {name:<34} tax differs on {wrong:>4} of {len(orders)} orders"
                  f" (at most {worst})")


if __name__ == "__main__":
    main()
