"""Amazon order → the values of one Odoo ``sale.order`` create call (pure; no I/O).

Lines: one per Amazon item (quantity and unit price as Amazon charged), and, per item that
carries them, a delivery line for its shipping (and one for its shipping discount), a gift-wrap
line (and its discount), a discount line for its promotions. Amazon computes the tax of each of
these charges separately and rounds it; one Odoo line per charge lets Odoo round the same
amounts (two items shipped at 3.99 each in Germany: Amazon's VAT is 0.64 + 0.64; a merged
shipping line of 7.98 carries 1.27).

Taxes: the marketplace's tax, price-included on tax-included marketplaces; marketplace-facilitator
tax (collected by Amazon, US/CA) is not the seller's revenue and is left out. The plan predicts
Odoo's ``amount_untaxed`` and ``amount_tax`` in the company's rounding method
(:class:`~amazon_odoo_sync.mapping.money.OdooTotals`) and, when they are not Amazon's,
adds correction lines so that both are (see :func:`_corrections`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any

from ..exceptions import DataError
from .amazon_order import AmazonOrder
from .money import CENT, ZERO, OdooLine, OdooTotals, RoundingMethod, round_money

__all__ = ["ROUNDING_LABEL", "TAX_CORRECTION_LABEL", "OdooTargets", "SaleOrderPlan", "TaxRef", "UnknownSkuError",
           "odoo_datetime", "plan_sale_order"]


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
    #: The company's ``tax_calculation_rounding_method``.
    tax_rounding: RoundingMethod = "round_per_line"


@dataclass(frozen=True, kw_only=True)
class SaleOrderPlan:
    amazon_order_id: str
    values: dict[str, Any]
    #: What Odoo will compute as ``amount_total`` for ``values`` (correction lines included).
    expected_total: Decimal
    #: Amazon's total for the seller (see ``AmazonOrder.seller_total``).
    amazon_total: Decimal
    #: What Odoo will compute as ``amount_untaxed`` and ``amount_tax``.
    expected_untaxed: Decimal
    expected_tax: Decimal
    #: Amazon's tax for the seller (``AmazonOrder.seller_tax``) and the rest of its total.
    amazon_untaxed: Decimal
    amazon_tax: Decimal
    #: The Amazon purchase date in Odoo's format, to write back after ``action_confirm``.
    date_order: str
    #: Amazon's total less what the lines without correction come to in Odoo.
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


def _odoo_line(price_unit: Decimal, quantity: Decimal, tax: TaxRef | None) -> OdooLine:
    return OdooLine(price_unit=price_unit, quantity=quantity, tax_rate=tax.rate if tax else None,
                    price_include=bool(tax and tax.price_include))


#: Search for a taxed correction line at most this many cents past the first estimate.
_SEARCH_CENTS = 500

ROUNDING_LABEL = "Rounding difference with Amazon's total"
TAX_CORRECTION_LABEL = "Tax rounding difference with Amazon's tax"


def _corrections(totals: OdooTotals, tax: TaxRef | None, amazon_untaxed: Decimal, amazon_tax: Decimal
                 ) -> list[tuple[Decimal, TaxRef | None, str]]:
    """(price, tax, name) of the lines that make Odoo's untaxed amount and tax Amazon's, given
    the ``totals`` of the order's lines.

    Odoo has no tax-only line, and changing one line's price moves its untaxed amount and its tax
    together (by the tax rate, give or take a cent of rounding): it can put the total right but
    not both halves. Two lines can reach any pair: a line *with the marketplace's tax* whose
    rounded tax is exactly the missing tax (0.04 at 19 % included carries 0.01 of VAT), then a
    line *without tax* for what remains of the untaxed difference. The tax stays on the
    marketplace's tax record, so the VAT report shows it where it belongs. Found by trying
    prices cent by cent from the estimate, against the same model of Odoo's rounding (with
    ``round_globally`` a line's tax moves the rounded sum of the document, not its own).

    A tax difference larger than rounding can explain (a wrong rate in Odoo, a reduced rate
    Amazon applied) is not "corrected": only the total is put right, and the plan's
    ``expected_tax`` then says how far Odoo is from Amazon."""
    untaxed, amount_tax = totals.amounts()
    amazon_total = amazon_untaxed + amazon_tax
    tax_gap = amazon_tax - amount_tax
    options: list[OdooLine | None] = []
    if tax_gap and tax is not None and tax.rate > 0 and abs(tax_gap) <= CENT * (totals.taxed_lines + 1):
        factor = tax.rate / (100 + tax.rate) if tax.price_include else tax.rate / 100
        estimate = int(abs(tax_gap) / factor / CENT)
        sign = 1 if tax_gap > 0 else -1
        for cents in range(max(1, estimate - 3), estimate + _SEARCH_CENTS):
            line = _odoo_line(sign * cents * CENT, Decimal(1), tax)
            if totals.amounts(line)[1] == amazon_tax:
                options.append(line)
            elif options:
                break  # past the prices that carry exactly the missing tax
    options.append(None)  # no taxed line: the tax stays as it is, only the total is put right
    for taxed in options:
        extras = [taxed] if taxed else []
        reached_untaxed, reached_tax = totals.amounts(*extras)
        # The rest of the total's difference is the untaxed amount's.
        price = _untaxed_price(totals, extras, amazon_total - reached_tax)
        if price is None:
            continue
        result: list[tuple[Decimal, TaxRef | None, str]] = []
        if taxed:
            result.append((taxed.price_unit, tax, TAX_CORRECTION_LABEL))
        if price:
            result.append((price, None, ROUNDING_LABEL))
        return result
    return [(amazon_total - untaxed - amount_tax, None, ROUNDING_LABEL)]  # an exact tie no cent can cross


def _untaxed_price(totals: OdooTotals, extras: list[OdooLine], target: Decimal) -> Decimal | None:
    """The price of a line without tax that brings the untaxed amount to ``target`` (0: none
    needed), or None. Such a line adds its price to the untaxed sum; rounded globally, a sum
    that is an exact half cent rounds away from zero, so the plain difference can land a cent
    off (0.025 − 0.03 → −0.01) and no cent at all may reach the target."""
    untaxed, _tax = totals.amounts(*extras)
    if untaxed == target:
        return ZERO
    plain = target - untaxed
    for price in (plain, plain + CENT, plain - CENT):
        if price and totals.amounts(*extras, _odoo_line(price, Decimal(1), None))[0] == target:
            return price
    return None


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
    totals = OdooTotals(targets.tax_rounding)  # what Odoo will compute for ``lines``

    def add(product_id: int, name: str, quantity: Decimal, price_unit: Decimal,
            line_tax: TaxRef | None, **extra: Any) -> None:
        lines.append(_line(product_id, name, quantity, price_unit, line_tax, **extra))
        totals.add(_odoo_line(price_unit, quantity, line_tax))

    level = order.service_level or "Standard"
    for item in items:
        quantity = Decimal(item.quantity)
        price_unit = round_money(item.item_amount / quantity)
        name = f"[{item.sku}] {item.title}" if item.title else item.sku
        add(products[item.sku], name, quantity, price_unit, tax)
        # Amazon taxes each charge of each item on its own: one line per charge and item.
        charges: list[tuple[int, str, Decimal, dict[str, Any]]] = [
            (targets.discount_product_id,
             f"Discount {item.sku} ({', '.join(item.promotion_ids) or 'Amazon promotion'})",
             -item.item_discount, {}),
            (targets.shipping_product_id, f"Shipping {item.sku} ({level})", item.shipping_amount,
             {"is_delivery": True}),
            (targets.shipping_product_id, f"Shipping discount {item.sku}", -item.shipping_discount,
             {"is_delivery": True}),
            (targets.gift_wrap_product_id, f"Gift wrap {item.sku}", item.gift_wrap_amount, {}),
            (targets.gift_wrap_product_id, f"Gift wrap discount {item.sku}", -item.gift_wrap_discount, {}),
        ]
        for product_id, charge_name, amount, extra in charges:
            if amount:
                add(product_id, charge_name, Decimal(1), amount, tax, **extra)

    amazon_total = order.seller_total()
    amazon_tax = order.seller_tax()
    amazon_untaxed = amazon_total - amazon_tax
    untaxed, amount_tax = totals.amounts()
    rounding = amazon_total - untaxed - amount_tax
    for price, line_tax, label in _corrections(totals, tax, amazon_untaxed, amazon_tax):
        add(targets.rounding_product_id, label, Decimal(1), price, line_tax)
    untaxed, amount_tax = totals.amounts()

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
        expected_total=untaxed + amount_tax,
        amazon_total=amazon_total,
        expected_untaxed=untaxed,
        expected_tax=amount_tax,
        amazon_untaxed=amazon_untaxed,
        amazon_tax=amazon_tax,
        date_order=odoo_datetime(order.purchase_date),
        rounding=rounding,
        rounding_product_id=targets.rounding_product_id,
    )
