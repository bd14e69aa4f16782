"""Amazon order → the values of one Odoo ``sale.order`` create call (pure; no I/O).

Lines: one per Amazon item (quantity and unit price as Amazon charged), a delivery line for
shipping (and one for a shipping discount), a gift-wrap line, discount lines for promotions, and
a rounding line when Odoo's own rounding cannot reach Amazon's total to the cent. Taxes: the
marketplace's tax, price-included on tax-included marketplaces; marketplace-facilitator tax
(collected by Amazon, US/CA) is not the seller's revenue and is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any

from ..exceptions import DataError
from .amazon_order import AmazonOrder
from .money import ZERO, line_amounts, round_money

__all__ = ["OdooTargets", "SaleOrderPlan", "TaxRef", "UnknownSkuError", "odoo_datetime",
           "plan_sale_order"]


class UnknownSkuError(DataError):
    """An Amazon SKU has no Odoo product yet: quarantine, retry once the mapping exists."""

    def __init__(self, order_id: str, skus: list[str]) -> None:
        super().__init__(f"order {order_id}: no Odoo product for SKU(s) {', '.join(skus)}",
                         details={"skus": skus})
        self.skus = skus


@dataclass(frozen=True, kw_only=True)
class TaxRef:
    id: int
    rate: Decimal  # percent
    price_include: bool


@dataclass(frozen=True, kw_only=True)
class OdooTargets:
    """Odoo records one marketplace's orders go to (resolved from config by ``odoo setup``)."""

    company_id: int
    warehouse_id: int
    fba_warehouse_id: int | None
    pricelist_id: int | None
    team_id: int | None
    tax: TaxRef | None
    shipping_product_id: int
    gift_wrap_product_id: int
    discount_product_id: int
    rounding_product_id: int


@dataclass(frozen=True, kw_only=True)
class SaleOrderPlan:
    amazon_order_id: str
    values: dict[str, Any]
    #: What Odoo will compute as ``amount_total`` for ``values`` (rounding line included).
    expected_total: Decimal
    #: Amazon's total for the seller (see ``AmazonOrder.seller_total``).
    amazon_total: Decimal
    #: The Amazon purchase date in Odoo's format, to write back after ``action_confirm``.
    date_order: str
    rounding: Decimal
    #: The service product for a rounding line (one more is added if this Odoo rounds otherwise).
    rounding_product_id: int


def odoo_datetime(value: Any) -> str:
    """Aware datetime → Odoo's naive-UTC ``YYYY-MM-DD HH:MM:SS``."""
    return str(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))


def _line(product_id: int, name: str, quantity: Decimal, price_unit: Decimal, tax: TaxRef | None,
          **extra: Any) -> dict[str, Any]:
    values = {
        "product_id": product_id,
        "name": name,
        "product_uom_qty": float(quantity),
        "price_unit": float(price_unit),
        "tax_id": [(6, 0, [tax.id] if tax else [])],
    }
    values.update(extra)
    return values


def plan_sale_order(
    order: AmazonOrder,
    targets: OdooTargets,
    products: Mapping[str, int],
    *,
    partner_id: int,
    invoice_partner_id: int | None = None,
    shipping_partner_id: int | None = None,
) -> SaleOrderPlan:
    """Values for ``sale.order.create`` from an Amazon order that carries prices.

    Raises :class:`UnknownSkuError` when a SKU has no product (never guesses a product), and
    DataError when the order cannot become a sale order (no prices yet, nothing to sell)."""
    if not order.has_prices:
        raise DataError(f"order {order.order_id} is {order.status}: Amazon gives no prices yet")
    items = [item for item in order.items if item.quantity > 0 and not item.cancelled]
    if not items:
        raise DataError(f"order {order.order_id}: no item left to sell")
    missing = sorted({item.sku for item in items if item.sku not in products})
    if missing:
        raise UnknownSkuError(order.order_id, missing)

    include = order.marketplace.prices_include_tax
    # On tax-excluded marketplaces Amazon's facilitator tax is not ours: no tax on the lines then.
    tax = targets.tax if include or not all(i.marketplace_facilitator_tax for i in items) else None
    lines: list[dict[str, Any]] = []
    computed = ZERO

    def add(product_id: int, name: str, quantity: Decimal, price_unit: Decimal,
            line_tax: TaxRef | None, **extra: Any) -> None:
        nonlocal computed
        lines.append(_line(product_id, name, quantity, price_unit, line_tax, **extra))
        rate = line_tax.rate if line_tax else ZERO
        included = bool(line_tax and line_tax.price_include)
        subtotal, amount_tax = line_amounts(price_unit, quantity, rate, included)
        computed += subtotal + amount_tax

    for item in items:
        quantity = Decimal(item.quantity)
        price_unit = round_money(item.item_amount / quantity)
        name = f"[{item.sku}] {item.title}" if item.title else item.sku
        add(products[item.sku], name, quantity, price_unit, tax)
        if item.item_discount:
            promos = ", ".join(item.promotion_ids) or "Amazon promotion"
            add(targets.discount_product_id, f"Discount {item.sku} ({promos})", Decimal(1),
                -item.item_discount, tax)

    shipping = sum((i.shipping_amount for i in items), ZERO)
    shipping_discount = sum((i.shipping_discount for i in items), ZERO)
    gift_wrap = sum((i.gift_wrap_amount - i.gift_wrap_discount for i in items), ZERO)
    if shipping:
        add(targets.shipping_product_id, f"Shipping ({order.service_level or 'Standard'})", Decimal(1),
            shipping, tax, is_delivery=True)
    if shipping_discount:
        add(targets.shipping_product_id, "Shipping discount", Decimal(1), -shipping_discount, tax,
            is_delivery=True)
    if gift_wrap:
        add(targets.gift_wrap_product_id, "Gift wrap", Decimal(1), gift_wrap, tax)

    amazon_total = order.seller_total()
    rounding = amazon_total - computed
    if rounding:
        add(targets.rounding_product_id, "Rounding difference with Amazon's total", Decimal(1),
            rounding, None)

    gift_messages = [f"{i.sku}: {i.gift_message}" for i in items if i.gift_message]
    note = "Gift message — " + " | ".join(gift_messages) if gift_messages else False
    warehouse = targets.warehouse_id
    if order.is_fba and targets.fba_warehouse_id:
        warehouse = targets.fba_warehouse_id
    values: dict[str, Any] = {
        "partner_id": partner_id,
        "partner_invoice_id": invoice_partner_id or partner_id,
        "partner_shipping_id": shipping_partner_id or partner_id,
        "client_order_ref": order.order_id,
        "origin": order.order_id,
        "date_order": odoo_datetime(order.purchase_date),
        "company_id": targets.company_id,
        "warehouse_id": warehouse,
        "order_line": [(0, 0, line) for line in lines],
    }
    if targets.pricelist_id:
        values["pricelist_id"] = targets.pricelist_id
    if targets.team_id:
        values["team_id"] = targets.team_id
    if note:
        values["note"] = note
    return SaleOrderPlan(
        amazon_order_id=order.order_id,
        values=values,
        expected_total=computed,
        amazon_total=amazon_total,
        date_order=odoo_datetime(order.purchase_date),
        rounding=rounding,
        rounding_product_id=targets.rounding_product_id,
    )
