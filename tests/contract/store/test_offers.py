"""FBM offer states (sequence numbers, pending, results), feeds, dirty marks and FBA snapshots:
the semantics the stock flow relies on, on PostgreSQL and on the in-memory twin alike."""

from __future__ import annotations

import pytest

from amazon_odoo_sync.exceptions import ConflictError
from amazon_odoo_sync.mapping.stock import MessageOutcome, Outcome, QuantityUpdate
from amazon_odoo_sync.store.offers import Computation
from amazon_odoo_sync.store.unit import Store

M = "A1PA6795UKMFR9"


def _ok(sku: str, qty: int, seq: int) -> MessageOutcome:
    return MessageOutcome(update=QuantityUpdate(sku=sku, quantity=qty, seq=seq), outcome=Outcome.ACCEPTED)


def _failed(sku: str, qty: int, seq: int, outcome: Outcome = Outcome.RETRYABLE) -> MessageOutcome:
    return MessageOutcome(update=QuantityUpdate(sku=sku, quantity=qty, seq=seq), outcome=outcome,
                          issues=({"code": "4000", "severity": "ERROR", "message": "try later"},))


async def test_a_computation_gets_a_new_seq_only_when_it_changes(store: Store) -> None:
    async with store.transaction() as tx:
        first = await tx.offers.record_computed("acme", M, [Computation(sku="A", quantity=5, odoo_product_id=7),
                                                            Computation(sku="B", quantity=0)])
        assert (first["A"].computed_seq, first["A"].computed_qty, first["B"].computed_seq) == (1, 5, 1)
        same = await tx.offers.record_computed("acme", M, [Computation(sku="A", quantity=5, odoo_product_id=7)])
        assert same["A"].computed_seq == 1
        other = await tx.offers.record_computed("acme", M, [Computation(sku="A", quantity=4, odoo_product_id=7)])
        assert other["A"].computed_seq == 2
        switched = await tx.offers.record_computed("acme", M, [Computation(sku="A", quantity=4, fulfillment="FBA")])
        assert switched["A"].computed_seq == 3 and switched["A"].fulfillment == "FBA"
        assert await tx.offers.record_computed("acme", M, []) == {}
        assert set(await tx.offers.load("acme", M)) == {"A", "B"}
        assert set(await tx.offers.load("acme", M, ["B", "C"])) == {"B"}
        assert await tx.offers.load("acme", "other", None) == {}


async def test_pending_until_submitted_then_accepted(store: Store) -> None:
    async with store.session() as tx:
        await tx.offers.record_computed("acme", M, [Computation(sku=s, quantity=3) for s in ("C", "A", "B")])
        assert [s.sku for s in await tx.offers.pending("acme", M)] == ["A", "B", "C"]
        assert [s.sku for s in await tx.offers.pending("acme", M, limit=2)] == ["A", "B"]
        await tx.offers.mark_submitted("acme", M, [QuantityUpdate(sku="A", quantity=3, seq=1)], via="patch")
        # An older seq never moves a submission back.
        await tx.offers.mark_submitted("acme", M, [QuantityUpdate(sku="A", quantity=9, seq=0)], via="feed")
        state = (await tx.offers.load("acme", M, ["A"]))["A"]
        assert (state.submitted_qty, state.submitted_seq) == (3, 1)
        assert [s.sku for s in await tx.offers.pending("acme", M)] == ["B", "C"]
        assert await tx.offers.record_outcomes("acme", M, [_ok("A", 3, 1)], max_attempts=3) == set()
        state = (await tx.offers.load("acme", M, ["A"]))["A"]
        assert (state.accepted_qty, state.accepted_seq) == (3, 1)
        # Computed again to what Amazon has: nothing to send.
        await tx.offers.record_computed("acme", M, [Computation(sku="A", quantity=3)])
        assert "A" not in [s.sku for s in await tx.offers.pending("acme", M)]
        # A new quantity is pending again.
        await tx.offers.record_computed("acme", M, [Computation(sku="A", quantity=1)])
        assert [s.sku for s in await tx.offers.pending("acme", M)] == ["A", "B", "C"]


async def test_a_stale_result_with_another_quantity_makes_it_unknown_and_pending(store: Store) -> None:
    async with store.session() as tx:
        await tx.offers.record_computed("acme", M, [Computation(sku="A", quantity=10)])  # seq 1 (feed)
        await tx.offers.mark_submitted("acme", M, [QuantityUpdate(sku="A", quantity=10, seq=1)], via="feed")
        await tx.offers.record_computed("acme", M, [Computation(sku="A", quantity=0)])  # seq 2 (patch)
        await tx.offers.mark_submitted("acme", M, [QuantityUpdate(sku="A", quantity=0, seq=2)], via="patch")
        await tx.offers.record_outcomes("acme", M, [_ok("A", 0, 2)], max_attempts=3)
        assert await tx.offers.pending("acme", M) == []
        await tx.offers.record_outcomes("acme", M, [_ok("A", 10, 1)], max_attempts=3)  # the feed's, late
        state = (await tx.offers.load("acme", M))["A"]
        assert (state.accepted_qty, state.accepted_seq, state.submitted_seq) == (None, 2, None)
        assert [(s.sku, s.computed_qty) for s in await tx.offers.pending("acme", M)] == [("A", 0)]


async def test_failures_retry_then_reject_and_rejected_is_not_pending(store: Store) -> None:
    async with store.session() as tx:
        await tx.offers.record_computed("acme", M, [Computation(sku="A", quantity=2), Computation(sku="B", quantity=2)])
        updates = [QuantityUpdate(sku="A", quantity=2, seq=1), QuantityUpdate(sku="B", quantity=2, seq=1)]
        await tx.offers.mark_submitted("acme", M, updates, via="feed", submission_id=1)
        rejected = await tx.offers.record_outcomes(
            "acme", M, [_failed("A", 2, 1), _failed("B", 2, 1, Outcome.REJECTED), _failed("ZZ", 1, 1)],
            max_attempts=2)
        assert rejected == {"B"}
        states = await tx.offers.load("acme", M)
        assert states["A"].submitted_seq is None and states["A"].submitted_qty is None
        assert [s.sku for s in await tx.offers.pending("acme", M)] == ["A"]  # retryable: pending again
        await tx.offers.mark_submitted("acme", M, [updates[0]], via="patch")
        assert await tx.offers.record_outcomes("acme", M, [_failed("A", 2, 1)], max_attempts=2) == {"A"}
        assert await tx.offers.pending("acme", M) == []
        # A newer computation of a rejected SKU goes out again.
        await tx.offers.record_computed("acme", M, [Computation(sku="B", quantity=1)])
        assert [s.sku for s in await tx.offers.pending("acme", M)] == ["B"]
        # An acceptance resets the attempts: the next failure is a retry again.
        await tx.offers.record_outcomes("acme", M, [_ok("B", 1, 2)], max_attempts=2)
        await tx.offers.record_computed("acme", M, [Computation(sku="B", quantity=4)])
        assert await tx.offers.record_outcomes("acme", M, [_failed("B", 4, 3)], max_attempts=2) == set()


async def test_feeds_open_submitted_and_closed_once(store: Store) -> None:
    messages = {1: QuantityUpdate(sku="A", quantity=2, seq=1),
                2: QuantityUpdate(sku="B", quantity=0, seq=4, closing=True)}
    async with store.session() as tx:
        first = await tx.offers.create_feed("acme", M, messages)
        second = await tx.offers.create_feed("acme", M, {1: QuantityUpdate(sku="C", quantity=1, seq=1)})
        await tx.offers.create_feed("other", M, {1: QuantityUpdate(sku="C", quantity=1, seq=1)})
        assert second > first
        feeds = await tx.offers.open_feeds("acme")
        assert [(f.id, f.state, f.feed_id, f.message_count) for f in feeds] == [(first, "building", None, 2),
                                                                                (second, "building", None, 1)]
        assert feeds[0].messages == messages and feeds[0].marketplace_id == M
        await tx.offers.feed_submitted(first, "F-1")
    with pytest.raises(ConflictError):  # translated at the store's edge
        async with store.session() as tx:
            await tx.offers.feed_submitted(second, "F-1")
    async with store.session() as tx:
        opened = await tx.offers.open_feeds("acme")
        assert [(f.state, f.feed_id) for f in opened] == [("submitted", "F-1"), ("building", None)]
        assert opened[0].submitted_at is not None
        assert await tx.offers.finish_feed(first, state="done", processing_status="DONE", summary={"errors": 0})
        assert not await tx.offers.finish_feed(first, state="failed", processing_status="FATAL", summary=None)
        assert await tx.offers.finish_feed(second, state="failed", processing_status=None, summary=None)
        assert await tx.offers.open_feeds("acme") == []


async def test_dirty_marks_are_taken_once(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.offers.mark_dirty("acme", ["B", "A", "B"])
        await tx.offers.mark_dirty("acme", ["A"])
        await tx.offers.mark_dirty("acme", [])
        await tx.offers.mark_dirty("other", ["X"])
    async with store.transaction() as tx:
        assert sorted(await tx.offers.take_dirty("acme")) == ["A", "A", "B"]
        assert await tx.offers.take_dirty("acme") == []
    async with store.session() as tx:
        assert await tx.offers.take_dirty("other") == ["X"]


async def test_a_rolled_back_take_leaves_the_marks(store: Store) -> None:
    async with store.session() as tx:
        await tx.offers.mark_dirty("acme", ["A"])
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            assert await tx.offers.take_dirty("acme") == ["A"]
            raise RuntimeError("the cycle failed")
    async with store.session() as tx:
        assert await tx.offers.take_dirty("acme") == ["A"]


async def test_fba_snapshots_upsert(store: Store) -> None:
    async with store.session() as tx:
        await tx.offers.save_fba_snapshots("acme", M, {}, source="pull")
        await tx.offers.save_fba_snapshots("acme", M, {"A": {"fulfillable": 3}, "B": {"fulfillable": 0}},
                                           source="pull")
        await tx.offers.save_fba_snapshots("acme", M, {"A": {"fulfillable": 1, "reserved": 2}},
                                           source="notification")
        snaps = await tx.offers.fba_snapshots("acme", M)
        assert {s: (v.quantities, v.source) for s, v in snaps.items()} == {
            "A": ({"fulfillable": 1, "reserved": 2}, "notification"), "B": ({"fulfillable": 0}, "pull")}
        assert await tx.offers.fba_snapshots("acme", "other") == {}
