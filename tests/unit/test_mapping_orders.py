from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from amazon_odoo_sync.exceptions import DataError
from amazon_odoo_sync.mapping.amazon_order import parse_order_v2026
from amazon_odoo_sync.mapping.sale_order import (
    OdooTargets,
    TaxRef,
    UnknownSkuError,
    plan_sale_order,
)
from tests.factories.orders import order, order_item
from tests.unit.odoo_taxes import odoo_amounts

VAT_DE = TaxRef(id=7, rate=Decimal("19"), price_include=True)
TARGETS = OdooTargets(company_id=1, warehouse_id=2, fba_warehouse_id=3, pricelist_id=4, team_id=5,
                      tax=VAT_DE, shipping_product_id=101, gift_wrap_product_id=102,
                      discount_product_id=103, rounding_product_id=104)
PRODUCTS = {f"SKU-{i}": 1000 + i for i in range(10)}


def odoo_total(values: dict[str, Any], taxes: dict[int, TaxRef]) -> Decimal:
    """Odoo's amount_total for the create values (default rounding), independently of the plan."""
    return sum(odoo_amounts(values, taxes, "round_per_line"), Decimal(0))


def test_eu_order_lines_shipping_gift_wrap_and_discount() -> None:
    doc = order(items=[
        order_item(sku="SKU-1", quantity=2, unit_price="19.99", tax="6.38", shipping="4.99", shipping_tax="0.80",
                   gift_wrap="2.50", gift_wrap_tax="0.40", discount="3.00", discount_tax="0.48",
                   gift_message="Happy birthday"),
    ])
    plan = plan_sale_order(parse_order_v2026(doc), TARGETS, PRODUCTS, partner_id=9)
    lines = [line for _, _, line in plan.values["order_line"]]
    products = [line["product_id"] for line in lines]
    assert products == [1001, 103, 101, 102]
    assert lines[0]["product_uom_qty"] == 2 and lines[0]["price_unit"] == 19.99
    assert lines[1]["price_unit"] == -3.0
    assert lines[2]["is_delivery"] is True and lines[2]["price_unit"] == 4.99
    assert all(line["tax_id"] == [(6, 0, [7])] for line in lines)
    # Tax-included marketplace: buyer paid 2*19.99 + 4.99 + 2.50 - 3.00 = 44.47, VAT inside.
    assert plan.amazon_total == Decimal("44.47")
    assert plan.expected_total == plan.amazon_total == odoo_total(plan.values, {7: VAT_DE})
    assert odoo_amounts(plan.values, {7: VAT_DE}, "round_per_line") == (Decimal("37.37"), Decimal("7.10"))
    assert (plan.amazon_untaxed, plan.amazon_tax) == (Decimal("37.37"), Decimal("7.10"))
    assert plan.rounding == 0 and len(lines) == 4
    assert "Happy birthday" in plan.values["note"]
    assert plan.values["client_order_ref"] == plan.values["origin"] == "028-1234567-1234567"
    assert plan.values["date_order"] == "2026-07-08 10:00:00"


def test_us_marketplace_facilitator_tax_is_not_revenue() -> None:
    doc = order(marketplace="US", items=[
        order_item(sku="SKU-2", quantity=1, unit_price="50.00", currency="USD", tax="4.50",
                   facilitator=True, shipping="5.00"),
    ])
    targets = OdooTargets(**{**TARGETS.__dict__, "tax": TaxRef(id=8, rate=Decimal(0), price_include=False)})
    plan = plan_sale_order(parse_order_v2026(doc), targets, PRODUCTS, partner_id=9)
    assert plan.amazon_total == Decimal("55.00")
    assert all(line["tax_id"] == [(6, 0, [])] for _, _, line in plan.values["order_line"])
    assert plan.expected_total == Decimal("55.00")


def test_rounding_line_when_unit_price_cannot_reach_amazons_subtotal() -> None:
    doc = order(items=[order_item(sku="SKU-3", quantity=3, unit_price="10.00", tax="4.79")])
    doc["orderItems"][0]["proceeds"]["breakdowns"][0]["subtotal"]["amount"] = "29.99"
    plan = plan_sale_order(parse_order_v2026(doc), TARGETS, PRODUCTS, partner_id=9)
    assert plan.amazon_total == Decimal("29.99")
    assert plan.rounding == Decimal("-0.01")
    last = plan.values["order_line"][-1][2]
    assert last["product_id"] == TARGETS.rounding_product_id and last["tax_id"] == [(6, 0, [])]
    assert plan.rounding_product_id == TARGETS.rounding_product_id
    assert odoo_total(plan.values, {7: VAT_DE}) == Decimal("29.99")
    # 30.00 carries 4.79 of VAT as 29.99 does: the cent is the untaxed amount's.
    assert odoo_amounts(plan.values, {7: VAT_DE}, "round_per_line") == (Decimal("25.20"), Decimal("4.79"))


def test_unknown_sku_is_reported_never_guessed() -> None:
    doc = order(items=[order_item(sku="SKU-1"), order_item(sku="NOPE-9", item_id="x")])
    with pytest.raises(UnknownSkuError) as info:
        plan_sale_order(parse_order_v2026(doc), TARGETS, PRODUCTS, partner_id=9)
    assert info.value.skus == ["NOPE-9"]
    assert not info.value.retryable


def test_pending_order_has_no_sale_order() -> None:
    with pytest.raises(DataError, match="no prices"):
        plan_sale_order(parse_order_v2026(order(status="PENDING")), TARGETS, PRODUCTS, partner_id=9)


def test_fba_order_goes_to_the_fba_warehouse() -> None:
    doc = order(status="SHIPPED", fulfilled_by="AMAZON", items=[order_item(sku="SKU-1")])
    plan = plan_sale_order(parse_order_v2026(doc), TARGETS, PRODUCTS, partner_id=9)
    assert plan.values["warehouse_id"] == TARGETS.fba_warehouse_id


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["orderItems"][0]["product"].pop("sellerSku"), "sellerSku is missing"),
    (lambda d: d["orderItems"][0]["product"]["price"]["unitPrice"].update(amount="abc"), "not a number"),
    (lambda d: d["orderItems"][0].update(quantityOrdered=-1), "quantityOrdered"),
    (lambda d: d["salesChannel"].update(marketplaceId="XX"), "unknown Amazon marketplace"),
    (lambda d: d.update(createdTime="yesterday"), "createdTime"),
    (lambda d: d["orderItems"][0]["product"]["price"]["unitPrice"].update(currencyCode="USD"), "currency"),
])
def test_malformed_documents_name_the_field(mutate: Any, message: str) -> None:
    doc = order()
    mutate(doc)
    with pytest.raises(DataError, match=message):
        parse_order_v2026(doc)


def test_open_units_sum_lines_of_one_sku_less_what_shipped() -> None:
    from amazon_odoo_sync.flows.orders import open_units

    doc = order(items=[order_item(sku="SKU-1", quantity=3, item_id="a", shipped=1),
                       order_item(sku="SKU-1", quantity=2, item_id="b"),
                       order_item(sku="SKU-2", quantity=1, item_id="c", shipped=1)])
    assert open_units(parse_order_v2026(doc)) == {"SKU-1": 4, "SKU-2": 0}
