"""The order import's plan (flows.orders.plan): what happens to each order of a batch, decided
on values alone: no database, no Odoo."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amazon_odoo_sync.exceptions import ConfigurationError
from amazon_odoo_sync.flows.orders.plan import (
    Batch,
    Claim,
    ImportPlan,
    References,
    plan_import,
    read_batch,
    to_create,
)
from amazon_odoo_sync.mapping.sale_order import OdooTargets, TaxRef
from amazon_odoo_sync.marketplaces import by_code
from tests.factories.orders import address, order, order_item
from tests.unit.odoo_taxes import odoo_amounts

DE = by_code("DE").id
VAT_DE = TaxRef(id=7, rate=Decimal("19"), price_include=True)
TARGETS = OdooTargets(company_id=1, warehouse_id=2, fba_warehouse_id=3, pricelist_id=4, team_id=5,
                      tax=VAT_DE, shipping_product_id=101, gift_wrap_product_id=102,
                      discount_product_id=103, rounding_product_id=104)
PRODUCTS = {f"SKU-{i}": 1000 + i for i in range(6)}
REFS = References(targets={DE: TARGETS}, products={DE: PRODUCTS}, countries={"DE": 57}, states={},
                  anonymous_names={DE: "Amazon DE"})
NEW = Claim(is_new=True, state="claimed")
T1, T2 = "2026-07-08T10:05:00Z", "2026-07-08T11:00:00Z"


def _new_claims(batch: Batch) -> dict[str, Claim]:
    return {o.order_id: NEW for o, _ in batch.orders}


def _plan(docs: list[Any], claims: dict[str, Claim] | None = None, refs: References = REFS) -> ImportPlan:
    batch = read_batch("acme", docs)
    return plan_import("acme", batch, {**_new_claims(batch), **(claims or {})}, refs)


def test_the_newest_document_of_an_order_wins_and_unreadable_ones_are_named() -> None:
    batch = read_batch("acme", [order(order_id="B", updated=T2, status="SHIPPED"), order(order_id="B", updated=T1),
                                order(order_id="A"), {"orderId": "X-1", "nonsense": True}, ["not an order"]])
    assert [(o.order_id, o.status) for o, _ in batch.orders] == [("A", "UNSHIPPED"), ("B", "SHIPPED")]
    assert [u.key for u in batch.unreadable][0] == "acme:X-1" and batch.unreadable[1].key == "acme:?"
    assert all(u.reason for u in batch.unreadable) and batch.unreadable[0].payload == {"orderId": "X-1",
                                                                                      "nonsense": True}


def test_a_new_unshipped_order_becomes_one_sale_order_planned_once() -> None:
    plan = _plan([order(order_id="A", items=[order_item(sku="SKU-1", quantity=2, unit_price="19.99", tax="6.38")],
                        address=address())])
    [sale] = plan.sale_orders
    assert sale.order_id == "A" and sale.sale.amazon_total == Decimal("39.98")
    assert (plan.quarantines, plan.holds, plan.states, plan.cancellations) == ((), {}, (), {})
    assert plan.dirty == {"SKU-1"}
    # The partners' ids go in where the plan left placeholders; nothing else changes.
    partners = sale.partners
    ids = {partners.customer.key: 11} | ({partners.delivery.key: 12} if partners.delivery else {})
    values = sale.values(ids)
    assert values["partner_id"] == values["partner_invoice_id"] == 11
    assert values["partner_shipping_id"] == (12 if partners.delivery else 11)
    assert {k: v for k, v in values.items() if not k.startswith("partner")} == \
        {k: v for k, v in sale.sale.values.items() if not k.startswith("partner")}


def test_statuses_and_what_the_store_knows_decide_each_order() -> None:
    docs = [order(order_id="pending", status="PENDING", items=[order_item(sku="SKU-1", quantity=3, shipped=1)]),
            order(order_id="gone", status="CANCELLED", items=[order_item(sku="SKU-2")]),
            order(order_id="cancel", status="CANCELLED", items=[order_item(sku="SKU-3")]),
            order(order_id="review", status="CANCELLED", fulfilled_by="AMAZON", items=[order_item(sku="SKU-4")]),
            order(order_id="same", status="SHIPPED"),
            order(order_id="old", updated=T1)]
    plan = _plan(docs, {
        "cancel": Claim(is_new=False, state="confirmed", odoo_id=31),
        "review": Claim(is_new=False, state="confirmed", odoo_id=32),
        "same": Claim(is_new=False, state="confirmed", odoo_id=33),
        "old": Claim(is_new=False, state="confirmed", odoo_id=34,
                     amazon_updated_at=datetime(2026, 7, 8, 11, tzinfo=UTC))})
    assert plan.stale == 1 and plan.sale_orders == () and plan.quarantines == ()
    assert [(s.order_id, s.state) for s in plan.states] == [("gone", "cancelled"), ("pending", "reserved"),
                                                            ("same", "confirmed")]
    assert (plan.reserved, plan.recorded_cancelled, plan.unchanged) == (1, 1, 1)
    assert dict(plan.cancellations) == {"cancel": 31}
    assert [(r.order_id, r.odoo_id, r.state) for r in plan.reviews] == [("review", 32, "confirmed")]
    assert {k: dict(h.units) for k, h in plan.holds.items()} == {"pending": {"SKU-1": 2}}
    assert plan.releases == {"gone", "cancel", "same"}
    assert plan.dirty == {"SKU-1", "SKU-2"}


def test_an_order_that_cannot_be_a_sale_order_is_quarantined_and_keeps_its_units() -> None:
    unknown = order(order_id="unknown", items=[order_item(sku="SKU-9", quantity=2)])
    fba = order(order_id="fba", status="SHIPPED", fulfilled_by="AMAZON", items=[order_item(sku="NEW", shipped=1)])
    plan = _plan([unknown, fba, order(order_id="fine")])
    assert [s.order_id for s in plan.sale_orders] == ["fine"]
    by_id = {q.order_id: q for q in plan.quarantines}
    assert by_id["unknown"].unknown_skus == ("SKU-9",) and "SKU-9" in by_id["unknown"].reason
    assert by_id["unknown"].payload == unknown and by_id["unknown"].details["details"] == {"skus": ["SKU-9"]}
    # FBM keeps its open units; FBA the units Amazon shipped already.
    assert {k: dict(h.units) for k, h in plan.holds.items()} == {"unknown": {"SKU-9": 2}, "fba": {"NEW": 1}}
    assert plan.dirty == {"SKU-9", "NEW", "SKU-1"}


def test_a_marketplace_without_targets_quarantines_its_orders_with_the_reason() -> None:
    missing = ConfigurationError("marketplace A1PA6795UKMFR9 has no Odoo targets: run `amazon-odoo-sync odoo setup`",
                                 field="marketplaces")
    plan = _plan([order(order_id="A")], refs=References(targets={DE: missing}, products={DE: PRODUCTS}))
    [item] = plan.quarantines
    assert item.reason == missing.message and item.details == missing.context() and plan.sale_orders == ()


def test_to_create_names_exactly_the_orders_that_need_references() -> None:
    batch = read_batch("acme", [order(order_id="A"), order(order_id="B", status="PENDING"),
                                order(order_id="C")])
    claims = _new_claims(batch) | {"C": Claim(is_new=False, state="confirmed", odoo_id=5)}
    assert [o.order_id for o in to_create(batch, claims)] == ["A"]
    nothing_new = claims | {"A": Claim(is_new=False, state="confirmed", odoo_id=4)}
    assert to_create(batch, nothing_new) == []
    plan = plan_import("acme", batch, nothing_new, References())  # no look-up needed
    assert plan.sale_orders == () and plan.unchanged == 2 and plan.reserved == 1


def test_reservations_once_the_sale_orders_are_in_odoo() -> None:
    plan = _plan([order(order_id="A"), order(order_id="P", status="PENDING"), order(order_id="X", status="CANCELLED")])
    holds, releases = plan.reservations(done=["A"])
    assert [h.order_id for h in holds] == ["P"] and releases == {"A", "X"}
    holds, releases = plan.reservations()  # Odoo refused A: its reservation is not released
    assert releases == {"X"}


# -- money, for any batch -------------------------------------------------------------------------

CENT = Decimal("0.01")
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("250"), places=2)
charges = st.one_of(st.just(Decimal(0)), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("12"), places=2))
statuses = st.sampled_from(["UNSHIPPED", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "PENDING", "CANCELLED"])
known = st.sampled_from(["new", "new", "claimed", "reserved", "quarantined", "confirmed", "cancelled"])


def _vat(gross: Decimal) -> Decimal:
    return (gross * 19 / 119).quantize(CENT)


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Order documents (some orders twice, with other updates) and what the store knows of each."""
    docs, store = [], {}
    for n in range(draw(st.integers(1, 6))):
        order_id = f"028-0000000-{n:07d}"
        store[order_id] = draw(known)
        for version in range(draw(st.integers(1, 2))):
            items = []
            for i in range(draw(st.integers(1, 3))):
                quantity, price, shipping = draw(st.integers(1, 4)), draw(prices), draw(charges)
                sku = draw(st.sampled_from([f"SKU-{i}", f"SKU-{i + 3}", "UNMAPPED"]))
                items.append(order_item(sku=sku, item_id=f"{n}-{i}", quantity=quantity, unit_price=price,
                                        tax=_vat(price * quantity), shipping=shipping, shipping_tax=_vat(shipping)))
            docs.append(order(order_id=order_id, status=draw(statuses), items=items,
                              updated=f"2026-07-08T1{version}:0{n}:00Z"))
    return draw(st.permutations(docs)), store


@settings(max_examples=150, deadline=None)
@given(batches())
def test_every_order_ends_in_one_place_and_every_sale_order_carries_amazons_amounts(
        drawn: tuple[list[dict[str, Any]], dict[str, str]]) -> None:
    docs, store = drawn
    batch = read_batch("acme", docs)
    claims = {o.order_id: NEW if store[o.order_id] == "new" else Claim(
        is_new=False, state=store[o.order_id], odoo_id=9 if store[o.order_id] == "confirmed" else None)
        for o, _ in batch.orders}
    plan = plan_import("acme", batch, claims, REFS)

    # Each order once, in one bucket; the newest document of each is the one planned.
    places = ([s.order_id for s in plan.states] + [r.order_id for r in plan.reviews] + list(plan.cancellations)
              + [q.order_id for q in plan.quarantines] + [s.order_id for s in plan.sale_orders])
    assert sorted(places) == sorted(claims) and len(set(places)) == len(places)
    newest = {o.order_id: o.last_updated for o, _ in batch.orders}
    assert all(s.order.last_updated == newest[s.order_id] for s in plan.sale_orders)
    assert {o.order_id for o in to_create(batch, claims)} == \
        {s.order_id for s in plan.sale_orders} | {q.order_id for q in plan.quarantines}
    # What goes to Odoo: exactly Amazon's amounts, whatever partners the writer finds, and
    # only for orders whose every SKU has a product.
    for sale in plan.sale_orders:
        keys = [p.key for p in (sale.partners.customer, sale.partners.delivery, sale.partners.invoice) if p]
        values = sale.values({key: 500 + n for n, key in enumerate(keys)})
        untaxed, tax = odoo_amounts(values, {7: VAT_DE}, "round_per_line")
        assert untaxed + tax == sale.sale.amazon_total == sale.order.seller_total()
        assert (untaxed, tax) == (sale.sale.amazon_untaxed, sale.sale.amazon_tax)
        assert all(i.sku in PRODUCTS for i in sale.order.items if i.quantity and not i.cancelled)
    # Units stay reserved only for orders Odoo does not get, and are never both kept and released.
    holds, releases = plan.reservations(done=[s.order_id for s in plan.sale_orders])
    assert not {h.order_id for h in holds} & ({s.order_id for s in plan.sale_orders} | releases)
    assert all(q.order_id in plan.holds for q in plan.quarantines)
