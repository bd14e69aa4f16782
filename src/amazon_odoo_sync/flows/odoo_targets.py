"""Resolve, once per process, the Odoo records each marketplace's orders go to.

``odoo setup`` creates them; here the same checks run read-only and the ids become the pure
mapping's :class:`~amazon_odoo_sync.mapping.sale_order.OdooTargets`. A marketplace whose records
are missing gets no targets: its orders fail with a ConfigurationError that says to run setup.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ..config import Settings
from ..mapping.money import RoundingMethod
from ..mapping.sale_order import OdooTargets, TaxRef
from ..marketplaces import by_code
from ..odoo.client import OdooClient
from ..odoo.setup import ensure_odoo_setup

__all__ = ["load_targets"]


async def load_targets(odoo: OdooClient, settings: Settings) -> Mapping[str, OdooTargets]:
    """OdooTargets per Amazon marketplace id."""
    setup = await ensure_odoo_setup(odoo, settings, check_only=True)
    products = setup.products
    tax_ids = [t.tax_id for t in setup.marketplaces.values() if t.tax_id]
    taxes = {int(row["id"]): row for row in await odoo.read("account.tax", tax_ids, ["amount", "price_include"])}
    # The plan predicts Odoo's tax amounts, which depend on how the company rounds them.
    company_ids = sorted({t.company_id for t in setup.marketplaces.values() if t.company_id})
    rounding_methods: dict[int, RoundingMethod] = {
        int(row["id"]): "round_globally" if row.get("tax_calculation_rounding_method") == "round_globally"
        else "round_per_line"
        for row in await odoo.read("res.company", company_ids, ["tax_calculation_rounding_method"])}
    result: dict[str, OdooTargets] = {}
    for code, found in setup.marketplaces.items():
        service = [products.get(c) for c in ("AMZ-SHIP", "AMZ-GIFT", "AMZ-PROMO", "AMZ-ROUND")]
        if found.company_id is None or found.warehouse_id is None or not all(service):
            continue
        tax = None
        if found.tax_id and found.tax_id in taxes:
            row = taxes[found.tax_id]
            tax = TaxRef(id=found.tax_id, rate=Decimal(str(row["amount"])), price_include=bool(row["price_include"]))
        ship, gift, promo, rounding = (int(p) for p in service if p)
        result[by_code(code).id] = OdooTargets(
            company_id=found.company_id, warehouse_id=found.warehouse_id, fba_warehouse_id=found.fba_warehouse_id,
            pricelist_id=found.pricelist_id, team_id=found.team_id, tax=tax, shipping_product_id=ship,
            gift_wrap_product_id=gift, discount_product_id=promo, rounding_product_id=rounding,
            tax_rounding=rounding_methods.get(found.company_id, "round_per_line"))
    return result
