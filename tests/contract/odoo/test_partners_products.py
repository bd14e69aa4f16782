"""Contract: partners with order addresses, products by default_code, stock by warehouse."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from amazon_odoo_sync.exceptions import InvalidInputError
from amazon_odoo_sync.odoo import OdooClient

from .conftest import Basics
from .helpers import make_product, set_stock


async def test_partner_with_delivery_and_invoice_children(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    name = unique("Buyer")
    [us] = await odoo.search("res.country", [["code", "=", "US"]])
    [ca_state] = await odoo.search("res.country.state", [["country_id.code", "=", "US"], ["code", "=", "CA"]])
    [parent] = await odoo.create("res.partner", [{"name": name, "email": "buyer@example.com"}])
    [delivery] = await odoo.create("res.partner", [
        {"parent_id": parent, "type": "delivery", "name": "Ship To", "street": "1 Ocean Ave", "city": "Santa Monica",
         "zip": "90401", "country_id": us, "state_id": ca_state}])
    invoice, contact = await odoo.create("res.partner", [
        {"parent_id": parent, "type": "invoice", "street": "2 Bill St", "city": "Austin", "zip": "73301",
         "country_id": us},
        {"parent_id": parent, "name": "Contact Person"},
    ])
    rows = {r["id"]: r for r in await odoo.read("res.partner", [parent, delivery, invoice, contact],
                                                 ["display_name", "type", "street", "city", "country_id",
                                                  "state_id", "child_ids", "commercial_partner_id"])}
    assert sorted(rows[parent]["child_ids"]) == sorted([delivery, invoice, contact])
    assert rows[delivery]["type"] == "delivery" and rows[invoice]["type"] == "invoice"
    assert rows[delivery]["display_name"] == f"{name}, Ship To"
    assert rows[invoice]["display_name"] == f"{name}, Invoice Address"
    assert rows[delivery]["state_id"][0] == ca_state and rows[delivery]["country_id"][0] == us
    assert rows[delivery]["commercial_partner_id"][0] == parent
    # The first child with an address fills the address-less parent; contacts then copy it.
    assert rows[parent]["street"] == "1 Ocean Ave"
    assert rows[contact]["street"] == rows[parent]["street"]
    addresses = await odoo.call_method("res.partner", "address_get", [parent], adr_pref=["delivery", "invoice"])
    assert addresses == {"delivery": delivery, "invoice": invoice, "contact": parent}


async def test_product_search_by_default_code(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    code = unique("SKU")
    first = await make_product(odoo, code, price=12.5)
    second = await make_product(odoo, code, price=13.0)  # default_code is not unique
    found = await odoo.search("product.product", [["default_code", "=", code]], order="id")
    assert found == [first, second]
    [row] = await odoo.read("product.product", [first], ["display_name", "type", "is_storable", "list_price",
                                                         "product_tmpl_id", "free_qty"])
    assert row["display_name"] == f"[{code}] Product {code}"
    assert (row["type"], row["is_storable"], row["list_price"], row["free_qty"]) == ("consu", True, 12.5, 0.0)
    templates = await odoo.search("product.template", [["default_code", "=", code]])
    assert row["product_tmpl_id"][0] in templates
    with pytest.raises(InvalidInputError, match="free_qty"):
        await odoo.read("product.template", [row["product_tmpl_id"][0]], ["free_qty"])


async def test_free_qty_follows_the_warehouse_context(odoo: OdooClient, basics: Basics,
                                                      unique: Callable[[str], str]) -> None:
    product = await make_product(odoo, unique("QTY"))
    quant = await set_stock(odoo, product, basics.stock_location_id, 7)
    [row] = await odoo.read("product.product", [product], ["qty_available", "free_qty", "virtual_available"],
                            context={"warehouse_id": basics.warehouse_id})
    assert (row["qty_available"], row["free_qty"], row["virtual_available"]) == (7.0, 7.0, 7.0)
    [q] = await odoo.read("stock.quant", [quant], ["quantity", "inventory_quantity_set", "location_id"])
    assert q["quantity"] == 7.0 and q["inventory_quantity_set"] is False
    # A location outside the warehouse sees nothing.
    [customers] = await odoo.search("stock.location", [["usage", "=", "customer"]], limit=1)
    [elsewhere] = await odoo.read("product.product", [product], ["qty_available"], context={"location": customers})
    assert elsewhere["qty_available"] == 0.0
    # Searchable computed field.
    assert product in await odoo.search("product.product", [["default_code", "=like", "QTY-%"], ["free_qty", ">", 6]],
                                        context={"warehouse_id": basics.warehouse_id})


async def test_quants_only_for_storable_products(odoo: OdooClient, basics: Basics,
                                                 unique: Callable[[str], str]) -> None:
    product = await make_product(odoo, unique("CONSU"), storable=False)
    with pytest.raises(InvalidInputError, match="Quants cannot be created for consumables or services"):
        await set_stock(odoo, product, basics.stock_location_id, 1)
