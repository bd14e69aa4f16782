"""Small builders shared by the contract tests (plain calls through the client)."""

from __future__ import annotations

from typing import Any

from amazon_odoo_sync.odoo import OdooClient


async def make_product(odoo: OdooClient, code: str, *, storable: bool = True, price: float = 10.0,
                       product_type: str = "consu", taxes: list[int] | None = None) -> int:
    vals: dict[str, Any] = {"name": f"Product {code}", "default_code": code, "type": product_type,
                            "list_price": price}
    if product_type == "consu":
        vals["is_storable"] = storable
    if taxes is not None:
        vals["taxes_id"] = [[6, 0, taxes]]
    [product_id] = await odoo.create("product.product", [vals])
    return product_id


async def make_partner(odoo: OdooClient, name: str) -> int:
    [partner_id] = await odoo.create("res.partner", [{"name": name, "street": "1 Main St", "city": "Springfield",
                                                      "zip": "12345"}])
    return partner_id


async def make_tax(odoo: OdooClient, name: str, amount: float, *, included: bool) -> int:
    [tax_id] = await odoo.create("account.tax", [{
        "name": name, "amount": amount, "amount_type": "percent", "type_tax_use": "sale",
        "price_include_override": "tax_included" if included else "tax_excluded"}])
    return tax_id


async def set_stock(odoo: OdooClient, product_id: int, location_id: int, quantity: float) -> int:
    [quant_id] = await odoo.create("stock.quant", [{"product_id": product_id, "location_id": location_id,
                                                    "inventory_quantity": quantity}],
                                   context={"inventory_mode": True})
    await odoo.call_method("stock.quant", "action_apply_inventory", [quant_id])
    return quant_id


async def make_order(odoo: OdooClient, partner_id: int, lines: list[dict[str, Any]], **extra: Any) -> int:
    [order_id] = await odoo.create("sale.order", [{
        "partner_id": partner_id, "order_line": [[0, 0, line] for line in lines], **extra}])
    return order_id
