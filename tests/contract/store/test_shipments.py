"""Shipment confirmations: one row per delivery, replanned only while nothing was sent, sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from amazon_odoo_sync.store import shipments as rows
from amazon_odoo_sync.store.unit import Store, UnitOfWork

T0 = datetime(2026, 7, 8, 10, 0, tzinfo=UTC)
BODY = {"marketplaceId": "A1PA6795UKMFR9", "packageDetail": {"packageReferenceId": "11", "trackingNumber": "1Z"}}


async def save(tx: UnitOfWork, picking_id: int, state: str, *, order: str = "111-1", account: str = "A",
               body: dict[str, Any] | None = None, items: list[list[Any]] | None = None,
               last_error: str | None = None, force: bool = False, now: datetime = T0) -> rows.Confirmation | None:
    return await tx.shipments.save(account=account, picking_id=picking_id, picking_name=f"WH/OUT/{picking_id}",
                                   sale_order_id=500 + picking_id, amazon_order_id=order,
                                   marketplace_id="A1PA6795UKMFR9", state=state, now=now, body=body,
                                   items=items or [], last_error=last_error,
                                   error_kind=None if last_error is None else "invalid", force=force)


async def test_a_delivery_has_one_row_replanned_only_while_nothing_was_sent(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.shipments.lock_account("A")
        waiting = await save(tx, 11, rows.WAITING_TRACKING, last_error="no tracking")
        assert waiting is not None and waiting.state == rows.WAITING_TRACKING and waiting.first_seen == T0
        assert waiting.items == [] and waiting.body is None and waiting.attempts == 0 and not waiting.odoo_noted
        pending = await save(tx, 11, rows.PENDING, body=BODY, items=[["item-1", 2]], now=T0 + timedelta(hours=1))
        assert pending is not None and pending.id == waiting.id and pending.state == rows.PENDING
        assert pending.body == BODY and pending.items == [["item-1", 2]] and pending.first_seen == T0
        assert pending.last_error is None
        # Pending (maybe in flight), confirmed and skipped rows stay as they are.
        assert await save(tx, 11, rows.PENDING, body={**BODY, "x": 1}, force=True) is None
        assert await tx.shipments.mark_confirmed(pending.id, now=T0, request_id="r-1") is not None
        assert await save(tx, 11, rows.PENDING, body=BODY, force=True) is None
        skipped = await save(tx, 12, rows.SKIPPED, last_error="fulfilled by Amazon")
        assert skipped is not None and await save(tx, 12, rows.PENDING, body=BODY, force=True) is None
        assert (await tx.shipments.get_many("A", [11, 12, 13])).keys() == {11, 12}
        assert await tx.shipments.get_many("B", [11]) == {}
        got = await tx.shipments.get(pending.id)
        assert got is not None and got.state == rows.CONFIRMED and got.request_id == "r-1" and got.attempts == 1


async def test_rejected_and_invalid_rows_are_replanned_when_forced_or_changed(store: Store) -> None:
    async with store.transaction() as tx:
        sent = await save(tx, 21, rows.PENDING, body=BODY, items=[["item-1", 1]])
        assert sent is not None
        rejected = await tx.shipments.mark_rejected(sent.id, error="bad carrier", kind="invalid_carrier")
        assert rejected is not None and rejected.state == rows.REJECTED and rejected.attempts == 1
        assert await save(tx, 21, rows.PENDING, body=BODY, items=[["item-1", 1]]) is None  # the same plan
        changed = {**BODY, "packageDetail": {**BODY["packageDetail"], "carrierCode": "UPS"}}
        again = await save(tx, 21, rows.PENDING, body=changed, items=[["item-1", 1]])
        assert again is not None and again.state == rows.PENDING and again.body == changed
        await tx.shipments.mark_rejected(sent.id, error="bad carrier", kind="invalid_carrier")
        assert await save(tx, 21, rows.PENDING, body=changed, items=[["item-1", 1]], force=True) is not None

        invalid = await save(tx, 22, rows.INVALID, last_error="no carrier")
        assert invalid is not None
        assert await save(tx, 22, rows.INVALID, last_error="no carrier") is None
        assert await save(tx, 22, rows.INVALID, last_error="fractional quantity") is not None


async def test_committed_items_count_pending_and_confirmed_rows_only(store: Store) -> None:
    async with store.transaction() as tx:
        a = await save(tx, 31, rows.PENDING, body=BODY, items=[["item-1", 1], ["item-1", 1], ["item-2", 3]])
        b = await save(tx, 32, rows.PENDING, body=BODY, items=[["item-1", 1]])
        await save(tx, 33, rows.WAITING_TRACKING, last_error="no tracking")
        c = await save(tx, 34, rows.PENDING, body=BODY, items=[["item-3", 1]], order="222-2")
        await save(tx, 35, rows.PENDING, body=BODY, items=[["item-9", 1]], account="B")
        assert a is not None and b is not None and c is not None
        await tx.shipments.mark_confirmed(b.id, now=T0)
        await tx.shipments.mark_rejected(c.id, error="cancelled", kind="order_cancelled")
        assert await tx.shipments.committed_items("A", ["111-1", "222-2", "333-3"]) == {
            "111-1": {31: {"item-1": 2, "item-2": 3}, 32: {"item-1": 1}}}
        assert await tx.shipments.committed_items("A", []) == {}


async def test_pending_rows_are_sent_when_due_and_locked_one_at_a_time(store: Store) -> None:
    async with store.session() as tx:
        ids = []
        for picking_id in (41, 42, 43):
            row = await save(tx, picking_id, rows.PENDING, body=BODY, items=[["item-1", 1]])
            assert row is not None
            ids.append(row.id)
        retried = await tx.shipments.mark_retry(ids[0], error="throttled", kind="ThrottledError",
                                                next_attempt_at=T0 + timedelta(minutes=5))
        assert retried is not None and retried.attempts == 1 and retried.state == rows.PENDING
        assert retried.error_kind == "ThrottledError"
        assert await tx.shipments.pending_ids("A", T0, 10) == ids[1:]
        assert await tx.shipments.pending_ids("A", T0 + timedelta(minutes=5), 10) == ids
        assert await tx.shipments.pending_ids("A", T0 + timedelta(minutes=5), 2) == ids[:2]
        assert await tx.shipments.pending_ids("B", T0, 10) == []
    async with store.transaction() as tx:
        locked = await tx.shipments.lock_pending(ids[1])
        assert locked is not None and locked.id == ids[1]
        await tx.shipments.mark_confirmed(ids[1], now=T0)
    async with store.transaction() as tx:
        assert await tx.shipments.lock_pending(ids[1]) is None  # confirmed meanwhile
        assert await tx.shipments.lock_pending(10_000) is None
        assert await tx.shipments.mark_confirmed(10_000, now=T0) is None
        assert await tx.shipments.mark_retry(10_000, error="x", kind="x", next_attempt_at=None) is None
        assert await tx.shipments.mark_rejected(10_000, error="x", kind="x") is None


async def test_waiting_tracking_notes_and_problems(store: Store) -> None:
    async with store.session() as tx:
        w1 = await save(tx, 51, rows.WAITING_TRACKING, last_error="no tracking")
        w2 = await save(tx, 52, rows.WAITING_TRACKING, last_error="no tracking", now=T0 + timedelta(days=1))
        done = await save(tx, 53, rows.PENDING, body=BODY, items=[["item-1", 1]])
        retried = await save(tx, 54, rows.PENDING, body=BODY, items=[["item-1", 1]])
        bad = await save(tx, 55, rows.INVALID, last_error="no carrier")
        assert w1 is not None and w2 is not None and done is not None and retried is not None and bad is not None
        assert [r.picking_id for r in await tx.shipments.waiting("A")] == [51, 52]
        assert [r.picking_id for r in await tx.shipments.waiting("A", limit=1)] == [51]
        await tx.shipments.mark_tracking_reported([w1.id], T0 + timedelta(hours=2))
        reported = await tx.shipments.get(w1.id)
        assert reported is not None and reported.tracking_reported_at == T0 + timedelta(hours=2)
        await tx.shipments.mark_tracking_reported([], T0)

        await tx.shipments.mark_confirmed(done.id, now=T0)
        await tx.shipments.mark_retry(retried.id, error="5xx", kind="TransientError", next_attempt_at=None)
        assert [r.picking_id for r in await tx.shipments.unnoted("A")] == [53]
        await tx.shipments.mark_noted([done.id])
        await tx.shipments.mark_noted([])
        assert await tx.shipments.unnoted("A") == []

        assert [r.picking_id for r in await tx.shipments.problems("A")] == [51, 54, 55]
        assert [r.picking_id for r in await tx.shipments.problems("A", T0 + timedelta(hours=1))] == []
        assert await tx.shipments.problems("B") == []


async def test_sale_orders_of_reads_the_orders_the_orders_flow_imported(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.external_ids.claim_many("A", "sale.order", [("111-1", None, None), ("222-2", None, None)])
        await tx.external_ids.record_many("A", "sale.order", [("111-1", 501, None), ("222-2", 502, None)],
                                          state="confirmed")
        await tx.external_ids.claim_many("B", "sale.order", [("333-3", None, None)])
        await tx.external_ids.record_many("B", "sale.order", [("333-3", 503, None)], state="confirmed")
        assert await tx.shipments.sale_orders_of("A", [501, 502, 503, 504]) == {501: "111-1", 502: "222-2"}
        assert await tx.shipments.sale_orders_of("A", []) == {}
