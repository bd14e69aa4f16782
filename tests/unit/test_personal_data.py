"""Buyer personal data removal (mapping.personal_data): what goes, what the books keep."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amazon_odoo_sync.mapping.amazon_order import parse_order_v2026
from amazon_odoo_sync.mapping.personal_data import PERSONAL_KEYS, personal_values, redact
from amazon_odoo_sync.sandbox.spapi.generator import build_world
from amazon_odoo_sync.sandbox.spapi.orders_json import V2026_DATASETS, v0_order, v2026_order
from amazon_odoo_sync.sandbox.spapi.scenario import load_scenario
from amazon_odoo_sync.sandbox.spapi.world import Order
from tests.factories import orders as factory

# Text PostgreSQL's jsonb can hold (no NUL, no lone surrogate; the store replaces those).
_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(_TEXT, max_size=5),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(sorted(PERSONAL_KEYS)) | st.text(_TEXT, max_size=4), children,
                      max_size=4),
    max_leaves=25,
)


def _personal_strings(order: Order) -> set[str]:
    """Every buyer value of a simulated order that must not survive a redaction."""
    b, a = order.buyer, order.shipping_address
    values = {b.name, b.email, b.company, b.purchase_order_number, b.vat_number,
              a.name, a.company, a.line1, a.line2, a.phone}
    return {v for v in values if v and len(v) > 3}


def _simulated_orders(count: int = 40) -> list[Order]:
    world = build_world(load_scenario("demo"), seed=7, speed=0)
    world.clock.advance(30 * 3600)
    world.sync()
    orders = [o for o in world.orders() if o.status != "Pending"]
    assert len(orders) >= count
    return orders[:count]


def test_simulated_orders_lose_every_personal_value_in_both_api_versions() -> None:
    checked = 0
    for order in _simulated_orders():
        secrets = _personal_strings(order)
        for doc in (v2026_order(order, frozenset(V2026_DATASETS), pii=True), v0_order(order, pii=True)):
            before, after = json.dumps(doc), json.dumps(redact(doc))
            present = {s for s in secrets if s in before}
            checked += len(present)
            assert not {s for s in present if s in after}, order.amazon_order_id
    assert checked > 100  # the documents did carry personal data to remove


def test_redacted_order_still_imports_with_the_same_amounts_and_ids() -> None:
    doc = factory.order(
        items=[factory.order_item(sku="SKU-9", quantity=2, unit_price="19.99", tax="6.38",
                                  gift_message="Happy birthday, Erika!")],
        buyer={"buyerName": "Erika Mustermann", "buyerEmail": "erika@marketplace.amazon.de",
               "buyerCompanyName": "Mustermann GmbH", "buyerPurchaseOrderNumber": "PO-77"},
        address=factory.address() | {"phone": "+49 30 1234567", "addressLine2": "Hinterhaus"},
        tax_registrations=[{"taxRegistrationNumber": "DE123456789", "legalName": "Mustermann GmbH",
                            "taxRegistrationType": "VAT"}],
    )
    redacted = redact(doc)
    text = json.dumps(redacted)
    for value in ("Erika", "erika@", "Mustermann", "PO-77", "+49 30", "Hauptstr", "Hinterhaus", "DE123456789",
                  "Happy birthday"):
        assert value not in text
    before, after = parse_order_v2026(doc), parse_order_v2026(redacted)
    assert after.order_id == before.order_id and after.marketplace_id == before.marketplace_id
    assert after.seller_total() == before.seller_total() == Decimal("39.98")
    assert [(i.sku, i.quantity, i.item_tax) for i in after.items] == [(i.sku, i.quantity, i.item_tax)
                                                                      for i in before.items]
    assert after.shipping_address is not None  # what Amazon gives without the restricted role stays
    assert (after.shipping_address.city, after.shipping_address.zip, after.shipping_address.country_code) == \
        ("Berlin", "10115", "DE")
    assert after.buyer.name is None and after.shipping_address.name is None and after.shipping_address.phone is None


@given(JSON)
@settings(max_examples=300)
def test_redact_removes_exactly_the_restricted_keys(value: Any) -> None:
    redacted = redact(value)
    assert list(personal_values(redacted)) == []
    assert redact(redacted) == redacted  # idempotent

    def keys(v: Any) -> set[str]:
        if isinstance(v, dict):
            return set(v) | {k for x in v.values() for k in keys(x)}
        if isinstance(v, list):
            return {k for x in v for k in keys(x)}
        return set()

    assert not keys(redacted) & PERSONAL_KEYS
    if not list(personal_values(value)):
        assert redacted == value  # nothing personal: nothing changes
