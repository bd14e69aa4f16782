"""VAT per order as Amazon computes it (issue #14): one Odoo line per taxed charge of each item,
and correction lines when Odoo's rounding cannot reach Amazon's tax, in both of Odoo's rounding
methods. Odoo's amounts are computed by the emulator's tax engine (floats, Odoo 18's formulas,
checked against a real Odoo by the contract suite), not by the plan's own model."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amazon_odoo_sync.mapping.amazon_order import parse_order_v2026
from amazon_odoo_sync.mapping.money import ROUNDING_METHODS, OdooLine, RoundingMethod, odoo_order_amounts
from amazon_odoo_sync.mapping.sale_order import (
    ROUNDING_LABEL,
    TAX_CORRECTION_LABEL,
    OdooTargets,
    TaxRef,
    plan_sale_order,
)
from amazon_odoo_sync.marketplaces import by_code
from tests.factories.orders import order, order_item
from tests.unit.odoo_taxes import odoo_amounts

VAT_DE = TaxRef(id=7, rate=Decimal("19"), price_include=True)
TARGETS = OdooTargets(company_id=1, warehouse_id=2, fba_warehouse_id=3, pricelist_id=None, team_id=None,
                      tax=VAT_DE, shipping_product_id=101, gift_wrap_product_id=102,
                      discount_product_id=103, rounding_product_id=104)
PRODUCTS = {f"SKU-{i}": 1000 + i for i in range(10)}
CENT = Decimal("0.01")

def vat_in(gross: Decimal, rate: Decimal) -> Decimal:
    """Amazon's VAT contained in one gross charge, rounded half up to the cent."""
    return (gross * rate / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_on(net: Decimal, rate: Decimal) -> Decimal:
    return (net * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def lines_of(plan_values: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for _, _, line in plan_values["order_line"]]


def de_two_items_shipped_at_3_99() -> dict[str, Any]:
    return order(items=[
        order_item(sku=f"SKU-{n}", item_id=str(n), unit_price="10.00", tax=vat_in(Decimal("10.00"), Decimal(19)),
                   shipping="3.99", shipping_tax="0.64") for n in (1, 2)])


def test_de_shipping_per_item_carries_amazons_vat_0_64_plus_0_64() -> None:
    """Amazon taxes each item's 3.99 of shipping: 0.64 + 0.64 = 1.28. A merged 7.98 line
    carried 1.27 in Odoo; one delivery line per item carries 1.28."""
    amazon = parse_order_v2026(de_two_items_shipped_at_3_99())
    assert amazon.seller_tax() == Decimal("1.60") * 2 + Decimal("1.28")
    plan = plan_sale_order(amazon, TARGETS, PRODUCTS, partner_id=9)
    lines = lines_of(plan.values)
    shipping = [line for line in lines if line.get("is_delivery")]
    assert [(line["price_unit"], line["name"]) for line in shipping] == [
        (3.99, "Shipping SKU-1 (STANDARD)"), (3.99, "Shipping SKU-2 (STANDARD)")]
    assert len(lines) == 4  # no correction needed: the lines round as Amazon does
    untaxed, tax = odoo_amounts(plan.values, {7: VAT_DE}, "round_per_line")
    assert tax == Decimal("4.48") == plan.amazon_tax == plan.expected_tax
    assert untaxed == Decimal("23.50") == plan.amazon_untaxed == plan.expected_untaxed
    # The shipping lines alone: 1.28 of VAT per line, where one merged line gave 1.27.
    shipping_only = {"order_line": [(0, 0, line) for line in shipping]}
    assert odoo_amounts(shipping_only, {7: VAT_DE}, "round_per_line")[1] == Decimal("1.28")
    merged = {"order_line": [(0, 0, {**shipping[0], "price_unit": 7.98})]}
    assert odoo_amounts(merged, {7: VAT_DE}, "round_per_line")[1] == Decimal("1.27")


def test_round_globally_gets_a_tax_correction_line_on_the_marketplace_tax() -> None:
    """Rounding globally, Odoo's tax of the same order is round(Σ exact VAT) = 4.47, a cent
    short of Amazon's 4.48: a small line with the marketplace's VAT brings the tax to 4.48 and a
    line without tax gives the untaxed amount back, so both halves and the total are Amazon's."""
    targets = OdooTargets(**{**TARGETS.__dict__, "tax_rounding": "round_globally"})
    amazon = parse_order_v2026(de_two_items_shipped_at_3_99())
    plain = plan_sale_order(amazon, TARGETS, PRODUCTS, partner_id=9)
    assert odoo_amounts(plain.values, {7: VAT_DE}, "round_globally") == (Decimal("23.51"), Decimal("4.47"))

    plan = plan_sale_order(amazon, targets, PRODUCTS, partner_id=9)
    corrections = lines_of(plan.values)[4:]
    assert [(line["name"], line["tax_id"], line["product_id"]) for line in corrections] == [
        (TAX_CORRECTION_LABEL, [(6, 0, [7])], 104), (ROUNDING_LABEL, [(6, 0, [])], 104)]
    assert 0 < corrections[0]["price_unit"] < 0.10  # cents, not a re-pricing of the order
    untaxed, tax = odoo_amounts(plan.values, {7: VAT_DE}, "round_globally")
    assert (untaxed, tax) == (plan.amazon_untaxed, plan.amazon_tax) == (Decimal("23.50"), Decimal("4.48"))
    assert (plan.expected_untaxed, plan.expected_tax) == (untaxed, tax)
    assert plan.expected_total == plan.amazon_total == Decimal("27.98")


def test_gift_wrap_and_promotions_are_lines_per_item() -> None:
    rate = Decimal(19)
    amazon = parse_order_v2026(order(items=[
        order_item(sku=f"SKU-{n}", item_id=str(n), unit_price="5.99", tax=vat_in(Decimal("5.99"), rate),
                   gift_wrap="2.99", gift_wrap_tax=vat_in(Decimal("2.99"), rate), discount="0.60",
                   discount_tax=vat_in(Decimal("0.60"), rate)) for n in (1, 2, 3)]))
    plan = plan_sale_order(amazon, TARGETS, PRODUCTS, partner_id=9)
    names = [line["name"] for line in lines_of(plan.values)]
    assert sum(name.startswith("Gift wrap SKU-") for name in names) == 3
    assert sum(name.startswith("Discount SKU-") for name in names) == 3
    assert odoo_amounts(plan.values, {7: VAT_DE}, "round_per_line") == (plan.amazon_untaxed, plan.amazon_tax)
    assert not any(name in (TAX_CORRECTION_LABEL, ROUNDING_LABEL) for name in names)


def test_a_rate_mismatch_is_not_hidden_behind_a_correction() -> None:
    """Amazon charged 7 % (books) where Odoo's marketplace tax is 19 %: far more than rounding.
    The total is put right, the tax is left to show the mismatch."""
    amazon = parse_order_v2026(order(items=[order_item(unit_price="20.00", tax=vat_in(Decimal(20), Decimal(7)))]))
    plan = plan_sale_order(amazon, TARGETS, PRODUCTS, partner_id=9)
    assert plan.expected_total == plan.amazon_total
    assert plan.expected_tax == Decimal("3.19") != plan.amazon_tax == Decimal("1.31")
    assert TAX_CORRECTION_LABEL not in [line["name"] for line in lines_of(plan.values)]


@pytest.mark.parametrize("method", ROUNDING_METHODS)
def test_the_plans_model_matches_the_emulator_on_odoos_own_example(method: RoundingMethod) -> None:
    lines = [OdooLine(price_unit=Decimal("12.12"), quantity=Decimal("12.12"), tax_rate=Decimal(23))] * 2
    expected = {"round_per_line": (Decimal("293.78"), Decimal("67.56")),
                "round_globally": (Decimal("293.79"), Decimal("67.57"))}[method]
    assert odoo_order_amounts(lines, method) == expected


def test_an_exact_half_cent_in_the_documents_sum_rounds_up_as_in_odoo() -> None:
    """4.77 − 0.14 + 0.01 + 0.01 at 20 % included, rounded globally: untaxed 4.65 / 1.2 = 3.875
    exactly, a sum of repeating decimals; Odoo (and the emulator) round it up to 3.88."""
    lines = [OdooLine(price_unit=Decimal(p), tax_rate=Decimal(20), price_include=True)
             for p in ("4.77", "-0.14", "0.01", "0.01")]
    assert odoo_order_amounts(lines, "round_globally") == (Decimal("3.88"), Decimal("0.78"))
    values = {"order_line": [(0, 0, {"price_unit": float(line.price_unit), "product_uom_qty": 1.0,
                                     "tax_id": [(6, 0, [20])]}) for line in lines]}
    assert odoo_amounts(values, {20: TaxRef(id=20, rate=Decimal(20), price_include=True)},
                        "round_globally") == (Decimal("3.88"), Decimal("0.78"))


cents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2)
charge = st.one_of(st.just(Decimal(0)), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("15"), places=2))


@settings(max_examples=400, deadline=None)
@given(
    items=st.lists(st.tuples(st.integers(1, 5), cents, charge, charge, st.integers(0, 30), charge,
                             st.sampled_from([Decimal(0), Decimal(0), CENT, -CENT]), st.booleans()),
                   min_size=1, max_size=6),
    market=st.sampled_from([("DE", True), ("FR", True), ("UK", True), ("IT", True), ("US", False),
                            ("US", True)]),
    rate=st.sampled_from([Decimal(19), Decimal(20), Decimal(22), Decimal(21), Decimal(7), Decimal("5.5"),
                          Decimal("2.1"), Decimal("8.25")]),
    method=st.sampled_from(ROUNDING_METHODS),
)
def test_odoo_untaxed_and_tax_equal_amazons_to_the_cent(
    items: list[tuple[int, Decimal, Decimal, Decimal, int, Decimal, Decimal, bool]], market: tuple[str, bool],
    rate: Decimal, method: RoundingMethod,
) -> None:
    """Random orders, prices, rates and both rounding methods: what Odoo computes for the
    planned lines is Amazon's untaxed amount and Amazon's tax, to the cent."""
    code, facilitator = market
    marketplace = by_code(code)
    include = marketplace.prices_include_tax
    tax_of = vat_in if include else vat_on
    tax = TaxRef(id=7, rate=rate, price_include=include)
    targets = OdooTargets(**{**TARGETS.__dict__, "tax": tax, "tax_rounding": method})
    docs = []
    amazon_tax = amazon_net = Decimal(0)
    for n, (quantity, price, shipping, gift_wrap, promo_percent, ship_discount, noise, odd) in enumerate(items):
        amount = price * quantity + (CENT if odd and quantity > 1 else 0)  # not a multiple of the quantity
        discount = (amount * promo_percent / 100).quantize(CENT)
        ship_discount = min(ship_discount, shipping)
        item_tax = tax_of(amount, rate) + noise  # Amazon's own rounding may differ by a cent
        docs.append(order_item(
            sku=f"SKU-{n}", item_id=str(n), quantity=quantity, unit_price=price, currency=marketplace.currency,
            tax=item_tax, shipping=shipping, shipping_tax=tax_of(shipping, rate), gift_wrap=gift_wrap,
            gift_wrap_tax=tax_of(gift_wrap, rate), discount=discount, shipping_discount=ship_discount,
            discount_tax=tax_of(discount, rate) + tax_of(ship_discount, rate), facilitator=facilitator))
        docs[-1]["proceeds"]["breakdowns"][0]["subtotal"]["amount"] = str(amount)
        charges = amount + shipping + gift_wrap - discount - ship_discount
        charged_tax = (item_tax + tax_of(shipping, rate) + tax_of(gift_wrap, rate) - tax_of(discount, rate)
                       - tax_of(ship_discount, rate))
        if include:
            amazon_tax += charged_tax
            amazon_net += charges - charged_tax
        elif not facilitator:
            amazon_tax += charged_tax
            amazon_net += charges
        else:
            amazon_net += charges  # Amazon's facilitator tax is not the seller's
    plan = plan_sale_order(parse_order_v2026(order(marketplace=code, items=docs)), targets, PRODUCTS,
                           partner_id=1)
    assert (plan.amazon_untaxed, plan.amazon_tax) == (amazon_net, amazon_tax)
    assert odoo_amounts(plan.values, {7: tax}, method) == (amazon_net, amazon_tax)
    assert (plan.expected_untaxed, plan.expected_tax) == (amazon_net, amazon_tax)
    assert plan.expected_total == plan.amazon_total
