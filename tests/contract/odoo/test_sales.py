"""Contract: sale orders (batch create, taxes, confirmation, cancellation, delivery, invoicing)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from amazon_odoo_sync.exceptions import InvalidInputError, RemoteRuleError
from amazon_odoo_sync.odoo import OdooClient

from .conftest import Basics, RawJsonRpc
from .helpers import make_order, make_partner, make_product, make_tax, set_stock


async def test_batch_create_with_lines_taxes_and_delivery_line(odoo: OdooClient,
                                                               unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("Batch"))
    tax = await make_tax(odoo, unique("Tax 10"), 10.0, included=False)
    product = await make_product(odoo, unique("B"))
    ship = await make_product(odoo, unique("SHIP"), product_type="service", price=0.0)
    [carrier] = await odoo.create("delivery.carrier", [{"name": unique("Carrier"), "product_id": ship}])
    ref = unique("AMZ")
    orders = [{
        "partner_id": partner, "client_order_ref": ref, "origin": ref, "carrier_id": carrier,
        "order_line": [
            [0, 0, {"product_id": product, "product_uom_qty": 2, "price_unit": 10.0, "tax_id": [[6, 0, [tax]]]}],
            [0, 0, {"product_id": ship, "product_uom_qty": 1, "price_unit": 4.99, "is_delivery": True,
                    "name": "Shipping", "tax_id": [[6, 0, [tax]]]}],
        ]} for _ in range(3)]  # the same client_order_ref three times: Odoo does not prevent it
    ids = await odoo.create("sale.order", orders)
    assert len(ids) == 3 and len(set(ids)) == 3
    rows = await odoo.read("sale.order", ids, ["name", "state", "client_order_ref", "order_line", "amount_untaxed",
                                               "amount_tax", "amount_total", "partner_shipping_id",
                                               "partner_invoice_id", "currency_id", "date_order"])
    assert len({r["name"] for r in rows}) == 3
    for row in rows:
        assert row["name"].startswith("S") and row["state"] == "draft" and row["client_order_ref"] == ref
        assert len(row["order_line"]) == 2
        assert (row["amount_untaxed"], row["amount_tax"], row["amount_total"]) == (24.99, 2.5, 27.49)
        assert row["partner_shipping_id"][0] == partner and row["partner_invoice_id"][0] == partner
    assert sorted(await odoo.search("sale.order", [["client_order_ref", "=", ref]])) == sorted(ids)
    lines = await odoo.search_read("sale.order.line", [["order_id", "=", ids[0]]],
                                   ["is_delivery", "price_subtotal", "price_total", "tax_id", "name"])
    by_delivery = {line["is_delivery"]: line for line in lines}
    assert by_delivery[True]["price_subtotal"] == 4.99 and by_delivery[True]["price_total"] == 5.49
    assert by_delivery[False]["tax_id"] == [tax]
    assert by_delivery[False]["name"].startswith("[B-")


@pytest.mark.parametrize(("included", "price", "qty", "expected"), [
    (False, 100.0, 2, (200.0, 38.0, 238.0)),
    (True, 119.0, 1, (100.0, 19.0, 119.0)),
    (True, 19.99, 3, (50.39, 9.58, 59.97)),
])
async def test_totals_with_included_and_excluded_taxes(odoo: OdooClient, unique: Callable[[str], str],
                                                       included: bool, price: float, qty: int,
                                                       expected: tuple[float, float, float]) -> None:
    tax = await make_tax(odoo, unique(f"VAT19 {'incl' if included else 'excl'}"), 19.0, included=included)
    [row] = await odoo.read("account.tax", [tax], ["price_include"])
    assert row["price_include"] is included
    partner = await make_partner(odoo, unique("Tax"))
    product = await make_product(odoo, unique("T"))
    order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": qty, "price_unit": price,
                                              "tax_id": [[6, 0, [tax]]]}])
    [row] = await odoo.read("sale.order", [order], ["amount_untaxed", "amount_tax", "amount_total"])
    assert (row["amount_untaxed"], row["amount_tax"], row["amount_total"]) == expected


@pytest.mark.parametrize(("method", "lines", "expected"), [
    # Two items shipped at 3.99 each, German VAT included: Amazon's 0.64 + 0.64 per line...
    ("round_per_line", [(3.99, 1.0), (3.99, 1.0)], (6.70, 1.28, 7.98)),
    # ...the document's round(2 × 0.63706) = 1.27 when rounding globally.
    ("round_globally", [(3.99, 1.0), (3.99, 1.0)], (6.71, 1.27, 7.98)),
])
async def test_order_tax_follows_the_company_rounding_method(
        odoo: OdooClient, unique: Callable[[str], str], method: str, lines: list[tuple[float, float]],
        expected: tuple[float, float, float]) -> None:
    tax = await make_tax(odoo, unique("VAT19 incl"), 19.0, included=True)
    partner = await make_partner(odoo, unique("Rounding"))
    product = await make_product(odoo, unique("R"), product_type="service", price=0.0)
    [user] = await odoo.read("res.users", [await odoo.authenticate()], ["company_id"])
    company = user["company_id"][0]
    [before] = await odoo.read("res.company", [company], ["tax_calculation_rounding_method"])
    await odoo.write("res.company", [company], {"tax_calculation_rounding_method": method})
    try:
        order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": qty, "price_unit": price,
                                                  "tax_id": [[6, 0, [tax]]]} for price, qty in lines])
        [row] = await odoo.read("sale.order", [order], ["amount_untaxed", "amount_tax", "amount_total"])
    finally:
        await odoo.write("res.company", [company],
                         {"tax_calculation_rounding_method": before["tax_calculation_rounding_method"]})
    assert (row["amount_untaxed"], row["amount_tax"], row["amount_total"]) == expected


@pytest.mark.parametrize(("method", "expected"), [
    # Odoo's own example (_round_base_lines_tax_details): two lines of 12.12 × 12.12 at 23 %.
    ("round_per_line", (293.78, 67.56)),  # each line: round(146.89 × 0.23)
    ("round_globally", (293.79, 67.57)),
])
async def test_round_globally_rounds_the_documents_sums(odoo: OdooClient, unique: Callable[[str], str],
                                                        method: str, expected: tuple[float, float]) -> None:
    tax = await make_tax(odoo, unique("VAT23 excl"), 23.0, included=False)
    partner = await make_partner(odoo, unique("Globally"))
    product = await make_product(odoo, unique("G"), product_type="service", price=0.0)
    [user] = await odoo.read("res.users", [await odoo.authenticate()], ["company_id"])
    company = user["company_id"][0]
    [before] = await odoo.read("res.company", [company], ["tax_calculation_rounding_method"])
    await odoo.write("res.company", [company], {"tax_calculation_rounding_method": method})
    try:
        order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 12.12,
                                                  "price_unit": 12.12, "tax_id": [[6, 0, [tax]]]}] * 2)
        [row] = await odoo.read("sale.order", [order], ["amount_untaxed", "amount_tax"])
    finally:
        await odoo.write("res.company", [company],
                         {"tax_calculation_rounding_method": before["tax_calculation_rounding_method"]})
    assert (row["amount_untaxed"], row["amount_tax"]) == expected


async def test_confirm_overwrites_date_order_and_creates_the_delivery(
        odoo: OdooClient, basics: Basics, unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("Confirm"))
    product = await make_product(odoo, unique("C"))
    await set_stock(odoo, product, basics.stock_location_id, 5)
    amazon_date = "2024-05-01 10:00:00"
    order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 2, "price_unit": 9.0}],
                             date_order=amazon_date, warehouse_id=basics.warehouse_id)
    assert await odoo.call_method("sale.order", "action_confirm", [order]) is True
    [row] = await odoo.read("sale.order", [order], ["state", "date_order", "picking_ids", "delivery_status"])
    assert row["state"] == "sale"
    assert row["date_order"] != amazon_date  # action_confirm sets it to now
    assert len(row["picking_ids"]) == 1
    await odoo.write("sale.order", [order], {"date_order": amazon_date})  # write the Amazon date back
    [row] = await odoo.read("sale.order", [order], ["date_order"])
    assert row["date_order"] == amazon_date
    [picking] = await odoo.read("stock.picking", row_ids(row_picking := await odoo.search(
        "stock.picking", [["sale_id", "=", order]])), ["state", "origin", "picking_type_code", "move_ids"])
    assert row_picking and picking["state"] == "assigned" and picking["picking_type_code"] == "outgoing"
    [product_row] = await odoo.read("product.product", [product], ["free_qty", "qty_available"],
                                    context={"warehouse_id": basics.warehouse_id})
    assert (product_row["qty_available"], product_row["free_qty"]) == (5.0, 3.0)  # 2 reserved
    with pytest.raises(RemoteRuleError, match="Some orders are not in a state requiring confirmation."):
        await odoo.call_method("sale.order", "action_confirm", [order])


def row_ids(ids: list[int]) -> list[int]:
    return ids


async def test_cancel_asks_for_the_wizard_unless_disabled(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("Cancel"))
    product = await make_product(odoo, unique("X"), product_type="service", price=5.0)
    order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 1}])
    await odoo.call_method("sale.order", "action_confirm", [order])
    action = await odoo.call_method("sale.order", "action_cancel", [order])
    assert isinstance(action, dict) and action["res_model"] == "sale.order.cancel"
    [row] = await odoo.read("sale.order", [order], ["state"])
    assert row["state"] == "sale"
    assert await odoo.call_method("sale.order", "action_cancel", [order],
                                  context={"disable_cancel_warning": True}) is True
    [row] = await odoo.read("sale.order", [order], ["state"])
    assert row["state"] == "cancel"


async def test_validate_picking_with_tracking_ref(odoo: OdooClient, basics: Basics,
                                                  unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("Ship"))
    product = await make_product(odoo, unique("V"))
    await set_stock(odoo, product, basics.stock_location_id, 5)
    order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 2, "price_unit": 3.0}])
    await odoo.call_method("sale.order", "action_confirm", [order])
    [picking] = await odoo.search("stock.picking", [["sale_id", "=", order]])
    await odoo.write("stock.picking", [picking], {"carrier_tracking_ref": "1Z999AA10123456784"})
    assert await odoo.call_method("stock.picking", "button_validate", [picking]) is True
    [row] = await odoo.read("stock.picking", [picking], ["state", "carrier_tracking_ref", "date_done"])
    assert row["state"] == "done" and row["carrier_tracking_ref"] == "1Z999AA10123456784" and row["date_done"]
    [line] = await odoo.search_read("sale.order.line", [["order_id", "=", order]], ["qty_delivered"])
    assert line["qty_delivered"] == 2.0
    [order_row] = await odoo.read("sale.order", [order], ["delivery_status"])
    assert order_row["delivery_status"] == "full"
    [stock] = await odoo.read("product.product", [product], ["qty_available"],
                              context={"warehouse_id": basics.warehouse_id})
    assert stock["qty_available"] == 3.0


async def test_validating_a_delivery_to_a_phone_asks_about_sms_unless_skip_sms(
        odoo: OdooClient, basics: Basics, unique: Callable[[str], str]) -> None:
    """With stock_sms installed, the first delivery to a partner with a phone returns a wizard instead of validating;
    the connector passes ``skip_sms`` wherever it validates (and so never texts Amazon's buyers)."""
    sms_fields = ["stock_move_sms_validation", "has_received_warning_stock_sms"]
    [company] = await odoo.search_read("res.company", [], sms_fields, limit=1)
    await odoo.write("res.company", [company["id"]], {"stock_move_sms_validation": True,
                                                      "has_received_warning_stock_sms": False})
    try:
        [partner] = await odoo.create("res.partner", [{"name": unique("Sms"), "phone": "+49 30 1234567"}])
        product = await make_product(odoo, unique("S"))
        await set_stock(odoo, product, basics.stock_location_id, 5)
        pickings = []
        for _ in range(2):
            order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 1, "price_unit": 3.0}])
            await odoo.call_method("sale.order", "action_confirm", [order])
            pickings += await odoo.search("stock.picking", [["sale_id", "=", order]])
        first, second = pickings
        action = await odoo.call_method("stock.picking", "button_validate", [first])
        assert isinstance(action, dict) and action["res_model"] == "confirm.stock.sms"
        [row] = await odoo.read("stock.picking", [first], ["state"])
        assert row["state"] == "assigned"
        assert await odoo.call_method("stock.picking", "button_validate", [first], context={"skip_sms": True}) is True
        [row] = await odoo.read("stock.picking", [first], ["state"])
        assert row["state"] == "done"
        # Answering the wizard records the company's choice and validates; it is not asked again.
        action = await odoo.call_method("stock.picking", "button_validate", [second])
        assert action["res_model"] == "confirm.stock.sms"
        assert await odoo.call_method("confirm.stock.sms", "dont_send_sms", [action["res_id"]],
                                      context={"button_validate_picking_ids": [second]}) is True
        [row] = await odoo.read("stock.picking", [second], ["state"])
        assert row["state"] == "done"
        [after] = await odoo.read("res.company", [company["id"]], sms_fields)
        assert after["has_received_warning_stock_sms"] is True and after["stock_move_sms_validation"] is False
    finally:
        await odoo.write("res.company", [company["id"]], {
            "stock_move_sms_validation": company["stock_move_sms_validation"],
            "has_received_warning_stock_sms": company["has_received_warning_stock_sms"]})


async def test_validate_without_stock_is_refused(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("NoStock"))
    product = await make_product(odoo, unique("N"))
    order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 1, "price_unit": 3.0}])
    await odoo.call_method("sale.order", "action_confirm", [order])
    [picking] = await odoo.search("stock.picking", [["sale_id", "=", order]])
    [row] = await odoo.read("stock.picking", [picking], ["state"])
    assert row["state"] == "confirmed"
    with pytest.raises(RemoteRuleError, match="no quantities are reserved"):
        await odoo.call_method("stock.picking", "button_validate", [picking])


async def test_invoice_a_confirmed_order_through_the_wizard(odoo: OdooClient,
                                                            unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("Invoice"))
    product = await make_product(odoo, unique("I"), product_type="service", price=50.0)
    tax = await make_tax(odoo, unique("Tax 20"), 20.0, included=False)
    order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 2, "price_unit": 50.0,
                                              "tax_id": [[6, 0, [tax]]]}])
    await odoo.call_method("sale.order", "action_confirm", [order])
    context = {"active_model": "sale.order", "active_ids": [order]}
    [wizard] = await odoo.create("sale.advance.payment.inv", [{"advance_payment_method": "delivered"}],
                                 context=context)
    action = await odoo.call_method("sale.advance.payment.inv", "create_invoices", [wizard], context=context)
    invoice = action["res_id"]
    [move] = await odoo.read("account.move", [invoice], ["state", "move_type", "amount_total", "amount_untaxed",
                                                         "invoice_origin", "partner_id"])
    assert (move["state"], move["move_type"], move["amount_untaxed"], move["amount_total"]) == (
        "draft", "out_invoice", 100.0, 120.0)
    [order_row] = await odoo.read("sale.order", [order], ["invoice_ids", "name", "invoice_status"])
    assert order_row["invoice_ids"] == [invoice] and move["invoice_origin"] == order_row["name"]
    assert order_row["invoice_status"] == "invoiced"
    assert await odoo.call_method("account.move", "action_post", [invoice]) is False
    [move] = await odoo.read("account.move", [invoice], ["state", "name", "payment_state"])
    assert move["state"] == "posted" and move["name"] != "/" and move["payment_state"] == "not_paid"
    [wizard] = await odoo.create("sale.advance.payment.inv", [{"advance_payment_method": "delivered"}],
                                 context=context)
    with pytest.raises(RemoteRuleError, match="No items are available to invoice"):
        await odoo.call_method("sale.advance.payment.inv", "create_invoices", [wizard], context=context)


async def test_message_post_on_one_order_stores_an_escaped_note(odoo: OdooClient,
                                                                 unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("Chatter"))
    product = await make_product(odoo, unique("N"), product_type="service", price=5.0)
    order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 1}])
    message = await odoo.call_method("sale.order", "message_post", [order], body="Amazon: Shipped <1/2>",
                                     message_type="comment", subtype_xmlid="mail.mt_note")
    assert isinstance(message, int)
    [row] = await odoo.read("mail.message", [message], ["model", "res_id", "body"])
    assert (row["model"], row["res_id"]) == ("sale.order", order)
    assert "Amazon: Shipped &lt;1/2&gt;" in row["body"]
    other = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 1}])
    with pytest.raises(InvalidInputError, match="singleton"):
        await odoo.call_method("sale.order", "message_post", [order, other], body="x")


async def test_load_writes_each_orders_own_date_in_one_call(
        odoo: OdooClient, raw: RawJsonRpc, basics: Basics, unique: Callable[[str], str]) -> None:
    """Confirmed orders get their own Amazon dates back in one ``load`` call (what the order
    flow does after ``action_confirm``); the import reads datetimes in the context's tz."""
    partner = await make_partner(odoo, unique("Load"))
    product = await make_product(odoo, unique("L"), storable=False)
    orders = [await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 1, "price_unit": 5.0}],
                               warehouse_id=basics.warehouse_id) for _ in range(3)]
    await odoo.call_method("sale.order", "action_confirm", orders)
    dates = {orders[0]: "2024-05-01 10:00:00", orders[1]: "2024-05-02 23:30:05", orders[2]: "2024-12-31 00:00:01"}
    assert await odoo.write_each("sale.order", {o: {"date_order": d} for o, d in dates.items()}) == 1
    rows = await odoo.read("sale.order", orders, ["date_order", "state"])
    assert {r["id"]: (r["date_order"], r["state"]) for r in rows} == {o: (d, "sale") for o, d in dates.items()}

    # An unknown id: Odoo names it and keeps nothing of the import.
    uid = await odoo.authenticate()
    answer = await raw.execute_kw(uid, "sale.order", "load", [[".id", "date_order"], [
        [str(orders[0]), "2020-01-01 00:00:00"], ["999999999", "2020-01-01 00:00:00"]]], {"context": {"tz": "UTC"}})
    result = answer["result"]
    assert result["ids"] is False
    assert any("999999999" in m["message"] and m["type"] == "error" for m in result["messages"])
    [row] = await odoo.read("sale.order", [orders[0]], ["date_order"])
    assert row["date_order"] == dates[orders[0]]

    # A malformed datetime is refused with Odoo's message, through the client too.
    with pytest.raises(InvalidInputError, match="datetime"):
        await odoo.write_each("sale.order", {orders[0]: {"date_order": "01/05/2024"},
                                             orders[1]: {"date_order": "2024-05-01 10:00:00"}})
    rows = await odoo.read("sale.order", orders[:2], ["date_order"])
    assert [r["date_order"] for r in rows] == [dates[orders[0]], dates[orders[1]]]
