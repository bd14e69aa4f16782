"""The shipments plan without I/O (flows.shipments.plan), and the planning pass on the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from amazon_odoo_sync.config import ShipmentsConfig
from amazon_odoo_sync.flows.shipments.plan import (
    RETRY_CAP,
    Carriers,
    amazon_status,
    decide,
    done_picking,
    overdue,
    retry_delay,
    to_plan,
)
from amazon_odoo_sync.flows.shipments.read import Inputs
from amazon_odoo_sync.flows.shipments.write import ShipmentResult, ShipmentSync
from amazon_odoo_sync.mapping.amazon_order import AmazonOrder, AmazonOrderItem
from amazon_odoo_sync.store import shipments as rows
from amazon_odoo_sync.store.memory import MemoryStore

T0 = datetime(2026, 7, 8, 10, 0, tzinfo=UTC)
DE = "A1PA6795UKMFR9"
PRODUCTS = {"SKU-A": 7, "SKU-B": 8}
CARRIERS = Carriers.from_config(ShipmentsConfig(carriers={"DHL Paket": "DHL"}))


def order(order_id: str = "111-1", *, fba: bool = False, quantities: tuple[int, int] = (2, 1)) -> AmazonOrder:
    items = tuple(AmazonOrderItem(order_item_id=f"{order_id}-{n}", sku=sku, asin=None, title=None, quantity=q,
                                  quantity_shipped=0, unit_price=None, item_amount=Decimal("10.00"))
                  for n, (sku, q) in enumerate(zip(("SKU-A", "SKU-B"), quantities, strict=True)))
    return AmazonOrder(order_id=order_id, marketplace_id=DE, currency="EUR", purchase_date=T0, last_updated=T0,
                       status="UNSHIPPED", fulfilled_by="AMAZON" if fba else "MERCHANT", items=items)


def picking(picking_id: int, moves: list[int], *, sale_id: int = 501, tracking: str | None = "1Z999",
            carrier: str | None = "DHL Paket", state: str = "done") -> dict[str, Any]:
    return {"id": picking_id, "name": f"WH/OUT/{picking_id}", "state": state, "sale_id": [sale_id, "S1"],
            "carrier_id": [3, carrier] if carrier else False, "carrier_tracking_ref": tracking or False,
            "date_done": "2026-07-08 10:00:00", "write_date": "2026-07-08 10:00:00", "move_ids": moves}


MOVES = {1: {"id": 1, "product_id": [7, "A"], "quantity": 2.0, "state": "done"},
         2: {"id": 2, "product_id": [8, "B"], "quantity": 1.0, "state": "done"},
         3: {"id": 3, "product_id": [7, "A"], "quantity": 1.0, "state": "cancel"},
         4: {"id": 4, "product_id": [7, "A"], "quantity": 1.0, "state": "done"}}


def test_a_done_delivery_becomes_a_pending_confirmation_with_its_items_and_carrier() -> None:
    decision = decide(picking(11, [1, 2, 3]), amazon_order_id="111-1", order=order(), moves=MOVES,
                      products=PRODUCTS, committed={}, carriers=CARRIERS)
    assert decision.state == rows.PENDING and decision.marketplace_id == DE and decision.sale_order_id == 501
    assert decision.items == (("111-1-0", 2), ("111-1-1", 1))
    package = decision.body["packageDetail"] if decision.body else {}
    assert package["carrierCode"] == "DHL" and package["trackingNumber"] == "1Z999"
    assert package["packageReferenceId"] == "11"


def test_what_other_deliveries_sent_is_not_sent_again() -> None:
    committed = {12: {"111-1-0": 1}, 11: {"111-1-0": 2}}  # 11's own (replanned) items do not count
    second = decide(picking(11, [4]), amazon_order_id="111-1", order=order(), moves=MOVES, products=PRODUCTS,
                    committed=committed, carriers=CARRIERS)
    assert second.state == rows.PENDING and second.items == (("111-1-0", 1),)
    too_many = decide(picking(11, [1]), amazon_order_id="111-1", order=order(), moves=MOVES, products=PRODUCTS,
                      committed=committed, carriers=CARRIERS)
    assert too_many.state == rows.INVALID and "1 left to ship" in (too_many.last_error or "")
    assert too_many.error_kind == "invalid" and too_many.body is None


def test_deliveries_that_are_not_confirmed_now() -> None:
    fba = decide(picking(11, [1]), amazon_order_id="111-1", order=order(fba=True), moves=MOVES, products=None,
                 committed={}, carriers=CARRIERS)
    assert (fba.state, fba.last_error) == (rows.SKIPPED, "fulfilled by Amazon")
    unread = decide(picking(11, [1]), amazon_order_id="111-1", order=None, moves=MOVES, products=None,
                    committed={}, carriers=CARRIERS)
    assert unread.state == rows.INVALID and unread.marketplace_id is None
    assert unread.last_error == "Amazon order 111-1 could not be read"
    waiting = decide(picking(11, [1], tracking=None), amazon_order_id="111-1", order=order(), moves=MOVES,
                     products=PRODUCTS, committed={}, carriers=CARRIERS)
    assert (waiting.state, waiting.error_kind) == (rows.WAITING_TRACKING, "missing_tracking")
    no_carrier = decide(picking(11, [1], carrier=None), amazon_order_id="111-1", order=order(), moves=MOVES,
                        products=PRODUCTS, committed={}, carriers=CARRIERS)
    assert no_carrier.state == rows.INVALID and "no carrier" in (no_carrier.last_error or "")
    defaulted = decide(picking(11, [1], carrier=None), amazon_order_id="111-1", order=order(), moves=MOVES,
                       products=PRODUCTS, committed={},
                       carriers=Carriers.from_config(ShipmentsConfig(default_carrier={"code": "UPS"})))
    assert defaulted.state == rows.PENDING


def confirmation(picking_id: int, state: str, *, first_seen: datetime = T0,
                 reported: datetime | None = None) -> rows.Confirmation:
    return rows.Confirmation(id=picking_id, account="A", picking_id=picking_id, picking_name=None, sale_order_id=501,
                             amazon_order_id="111-1", marketplace_id=DE, state=state, body=None, items=[],
                             attempts=0, last_error=None, error_kind=None, next_attempt_at=None, request_id=None,
                             first_seen=first_seen, tracking_reported_at=reported, confirmed_at=None,
                             odoo_noted=False, updated_at=first_seen)


def test_which_deliveries_are_planned_again() -> None:
    pickings = [picking(i, [1], sale_id=501 if i != 16 else 999) for i in (15, 11, 12, 13, 14, 16)]
    pickings.append(picking(17, [1], state="assigned"))
    existing = {12: confirmation(12, rows.PENDING), 13: confirmation(13, rows.REJECTED),
                14: confirmation(14, rows.CONFIRMED), 15: confirmation(15, rows.WAITING_TRACKING)}
    assert [p["id"] for p in to_plan(pickings, {501: "111-1"}, existing)] == [11, 13, 15]


def test_tracking_reports_retry_delays_and_status() -> None:
    waiting = [confirmation(1, rows.WAITING_TRACKING), confirmation(2, rows.WAITING_TRACKING, first_seen=T0 +
                                                                    timedelta(minutes=30)),
               confirmation(3, rows.WAITING_TRACKING, reported=T0)]
    assert [r.id for r in overdue(waiting, T0 + timedelta(minutes=60), timedelta(minutes=60))] == [1]
    assert retry_delay(3.0, 5) == 3.0
    assert [retry_delay(None, n) for n in (0, 1, 2)] == [5.0, 10.0, 20.0]
    assert retry_delay(None, 50) == RETRY_CAP
    assert amazon_status(order(), {11: {"111-1-0": 2}}) == "PartiallyShipped"
    assert amazon_status(order(), {11: {"111-1-0": 2}, 12: {"111-1-1": 1}}) == "Shipped"
    assert amazon_status(None, {}) == "shipment confirmed"
    assert done_picking(picking(11, [1, 3, 9]), MOVES).moves[0].quantity == 2.0
    assert len(done_picking(picking(11, [1, 3, 9]), MOVES).moves) == 1


async def test_the_planning_pass_stores_rows_and_counts_on_the_memory_store() -> None:
    store = MemoryStore()
    sync = ShipmentSync(store=store, odoo=None, spapi=None, account="A",  # type: ignore[arg-type]
                        config=ShipmentsConfig(carriers={"DHL Paket": "DHL"}))
    pickings = [picking(11, [1]), picking(12, [4]), picking(13, [2], tracking=None), picking(14, [2], sale_id=502)]
    inputs = Inputs(picking_ids=frozenset({11, 12, 13, 14}), order_of={501: "111-1", 502: "222-2"}, moves=MOVES,
                    orders={"111-1": order(), "222-2": order("222-2", fba=True)}, products={DE: PRODUCTS})
    result = ShipmentResult()
    async with store.transaction() as tx:
        await sync._plan(tx, pickings, inputs, result)
    assert (result.planned, result.invalid, result.waiting, result.skipped) == (1, 1, 1, 1)
    async with store.session() as tx:
        found = await tx.shipments.get_many("A", [11, 12, 13, 14])
        assert {k: r.state for k, r in found.items()} == {11: rows.PENDING, 12: rows.INVALID,
                                                          13: rows.WAITING_TRACKING, 14: rows.SKIPPED}
        # 11 took both units of item 0: 12's unit is one too many, and said so in the quarantine.
        assert await tx.shipments.committed_items("A", ["111-1"]) == {"111-1": {11: {"111-1-0": 2}}}
        item = await tx.quarantine.is_open("shipments", "A:12")
        assert item is not None and item.details["picking_id"] == 12
    again = ShipmentResult()
    async with store.transaction() as tx:  # read again: nothing new, the waiting one not counted twice
        await sync._plan(tx, pickings, inputs, again)
    assert (again.planned, again.waiting, again.invalid) == (0, 0, 1)
