"""Notification intake without PostgreSQL: a batch read (pure) into inbox rows per source and account
and quarantine entries, then stored on the in-memory store with what each flow does at once."""

from __future__ import annotations

from typing import Any

import pytest

from amazon_odoo_sync.config import AccountConfig
from amazon_odoo_sync.exceptions import ContentionError, DataError
from amazon_odoo_sync.flows import fba_inventory
from amazon_odoo_sync.flows import notifications as intake
from amazon_odoo_sync.store.job_queue import DeferredJob
from amazon_odoo_sync.store.memory import MemoryStore
from amazon_odoo_sync.store.unit import UnitOfWork
from tests.factories.notifications import SELLERS, fba_change, order_change

BATCH = [
    order_change("A2US", "n-1", "111-1", items=[("SKU-1", 2), ("SKU-2", 1)]),
    order_change("A2EU", "n-2", "028-1", status="Pending"),
    order_change("A2US", "n-1", "111-1"),  # the same notification twice in one batch
    order_change("A2NOBODY", "n-3", "111-3"),  # unknown seller
    {"NotificationType": "ORDER_CHANGE"},  # unreadable
    fba_change("A2EU", "f-1"),
    order_change("A2US", "n-4", "111-4", channel="AFN"),  # FBA: nothing to reserve
]


def jobs(store: MemoryStore) -> list[tuple[str, str]]:
    deferred: list[DeferredJob] = store.state.section("jobs", list)
    return sorted((j.task_name, str(j.args.get("account"))) for j in deferred)


def test_a_batch_is_read_into_inbox_groups_and_quarantine_entries() -> None:
    batch = intake.read_batch(BATCH, SELLERS.get)
    assert [(g.source, g.account, sorted(g.items)) for g in batch.groups] == [
        ("notification", "shop-eu", ["n-2"]),
        ("notification", "shop-us", ["n-1", "n-4"]),
        (fba_inventory.NOTIFICATION_SOURCE, "shop-eu", ["f-1"]),
    ]
    us = batch.groups[1]
    assert us.items["n-1"][0] == 0  # the first of the repeats
    assert us.rows()["n-1"] == BATCH[0]
    assert us.intake is intake.INTAKES["ORDER_CHANGE"]
    assert batch.groups[2].intake is intake.INTAKES[fba_inventory.NOTIFICATION_TYPE]
    assert sorted(batch.refused) == [3, 4] and sorted(batch.quarantine) == [3, 4]
    assert "unknown seller A2NOBODY" in batch.refused[3].message
    entry = batch.quarantine[3]
    assert entry.key == intake.quarantine_key(BATCH[3]) and entry.payload == BATCH[3]
    assert entry.reason == batch.refused[3].message
    outcomes = batch.outcomes({0, 1, 5})
    assert outcomes[:3] == [True, True, False] and outcomes[5:] == [True, False]
    assert outcomes[3] is batch.refused[3] and isinstance(outcomes[4], DataError)


def test_a_notification_that_is_not_an_object_is_refused() -> None:
    batch = intake.read_batch(["text", [1]], SELLERS.get)
    assert batch.groups == () and [e.message for e in batch.refused.values()] == [
        "a notification must be a JSON object"] * 2
    assert batch.quarantine[0].key != batch.quarantine[1].key


async def test_a_mixed_batch_is_stored_once_with_its_reservations_and_jobs() -> None:
    store = MemoryStore()
    outcomes = await intake.store_notifications(store, BATCH, SELLERS.get)
    assert outcomes[:3] == [True, True, False] and outcomes[5:] == [True, True]
    assert isinstance(outcomes[3], DataError) and isinstance(outcomes[4], DataError)
    async with store.session() as tx:
        stored = await tx.inbox.pending(20)
        assert sorted((i.source, i.key, i.account) for i in stored) == [
            ("notification", "n-1", "shop-us"), ("notification", "n-2", "shop-eu"),
            ("notification", "n-4", "shop-us"), (fba_inventory.NOTIFICATION_SOURCE, "f-1", "shop-eu")]
        assert await tx.reservations.reserved_units("shop-us") == {"SKU-1": 2, "SKU-2": 1}
        assert await tx.reservations.reserved_units("shop-eu") == {"SKU-1": 1}
        assert sorted(await tx.offers.take_dirty("shop-us")) == ["SKU-1", "SKU-2"]
    assert jobs(store) == [("fba_inventory.apply_notifications", "shop-eu"), ("orders.fetch_notified", "shop-eu"),
                           ("orders.fetch_notified", "shop-us")]

    again = await intake.store_notifications(store, BATCH, SELLERS.get)
    assert again[:3] == [False, False, False] and again[5:] == [False, False]
    assert len(jobs(store)) == 3  # nothing new: no job asked again


async def test_a_notification_after_its_order_was_imported_reserves_nothing() -> None:
    store = MemoryStore()
    async with store.transaction() as tx:
        await tx.external_ids.claim_many("shop-us", "sale.order", [("111-1", None, None)])
        await tx.external_ids.record_many("shop-us", "sale.order", [("111-1", 501, None)], state="confirmed")
    late = [order_change("A2US", "n-1", "111-1", status="Pending", items=[("SKU-1", 2)]),
            order_change("A2US", "n-3", "111-2", items=[("SKU-2", 1)])]
    assert await intake.store_notifications(store, late, SELLERS.get) == [True, True]
    async with store.session() as tx:
        assert await tx.reservations.reserved_units("shop-us") == {"SKU-2": 1}
        assert await tx.offers.take_dirty("shop-us") == ["SKU-2"]


def _failing_fba_intake(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[int]:
    calls: list[int] = []
    real = intake.INTAKES[fba_inventory.NOTIFICATION_TYPE]

    async def contended(tx: UnitOfWork, account: str, read: list[Any]) -> None:
        calls.append(len(read))
        if len(calls) <= failures:
            raise ContentionError("deadlock detected", system="store")
        await real.stored(tx, account, read)

    monkeypatch.setitem(intake.INTAKES, fba_inventory.NOTIFICATION_TYPE,
                        intake.Intake(fba_inventory.read_notification, contended))
    return calls


async def test_a_deadlock_victim_batch_is_stored_again_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _failing_fba_intake(monkeypatch, failures=intake.DEADLOCK_ATTEMPTS - 1)
    store = MemoryStore()
    batch = [order_change("A2US", "n-1", "111-1"), fba_change("A2EU", "f-1")]
    assert await intake.store_notifications(store, batch, SELLERS.get) == [True, True]
    assert calls == [1] * intake.DEADLOCK_ATTEMPTS
    assert [j for j, _ in jobs(store)] == ["fba_inventory.apply_notifications", "orders.fetch_notified"]


async def test_a_batch_that_keeps_losing_is_rolled_back_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _failing_fba_intake(monkeypatch, failures=intake.DEADLOCK_ATTEMPTS)
    store = MemoryStore()
    batch = [order_change("A2US", "n-1", "111-1"), fba_change("A2EU", "f-1")]
    with pytest.raises(ContentionError):
        await intake.store_notifications(store, batch, SELLERS.get)
    assert len(calls) == intake.DEADLOCK_ATTEMPTS
    async with store.session() as tx:
        assert await tx.inbox.pending() == []
        assert await tx.reservations.reserved_units("shop-us") == {}
    assert jobs(store) == []


async def test_the_seller_directory_reads_accounts_again_for_a_seller_it_does_not_know() -> None:
    store = MemoryStore()
    now = [0.0]
    sellers = intake.SellerDirectory(store, max_age=30, clock=lambda: now[0])
    async with store.transaction() as tx:
        await tx.accounts.import_declared([AccountConfig(name="shop-us", region="NA", seller_id="A2US",
                                                         marketplaces=["US"])])
    assert await sellers.store_one(order_change("A2US", "n-1", "111-1"))
    async with store.transaction() as tx:  # added after the directory read the accounts
        await tx.accounts.import_declared([AccountConfig(name="shop-eu", region="EU", seller_id="A2EU",
                                                         marketplaces=["DE"])])
    now[0] = 5.0  # within max_age: the cached map does not know A2EU, so it is read again
    assert await sellers.store_many([order_change("A2EU", "n-2", "028-1"), order_change("A2US", "n-1", "111-1")]
                                    ) == [True, False]
    with pytest.raises(DataError, match="unknown seller A2XX"):
        await sellers.store_one(order_change("A2XX", "n-3", "111-3"))
