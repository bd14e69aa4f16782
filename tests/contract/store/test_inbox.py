"""The inbox: stored once per (source, key), read oldest first, marked, replayed, pruned."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.store.unit import PgStore, Store


class Boom(Exception):
    pass


async def test_put_is_idempotent_on_source_and_key(store: Store) -> None:
    async with store.session() as tx:
        first = await tx.inbox.put(source="notification", key="n-1", account="A", payload={"a": 1})
        again = await tx.inbox.put(source="notification", key="n-1", account="A", payload={"a": 2})
        other = await tx.inbox.put(source="orders/A", key="n-1", account="A", payload={"a": 3})
        assert first.is_new and not again.is_new and other.is_new
        assert again.id == first.id and again.payload == {"a": 1}
        assert first.state == "pending" and first.attempts == 0 and first.processed_at is None
        assert other.id != first.id
        fetched = await tx.inbox.get(first.id)
        assert fetched is not None and fetched.payload == {"a": 1} and not fetched.is_new
        assert await tx.inbox.get(first.id + 1000) is None


async def test_payloads_are_kept_as_jsonb_keeps_them(store: Store) -> None:
    async with store.session() as tx:
        item = await tx.inbox.put(source="s", key="k\x00", account=None,
                                  payload={"amount": Decimal("1.10"), "text": "a\x00b", "list": (1, 2)})
        assert item.key == "k\ufffd" and item.account is None
        assert item.payload == {"amount": "1.10", "text": "a\ufffdb", "list": [1, 2]}
        assert (await tx.inbox.put(source="s", key="k\x00", account=None, payload={})).id == item.id


async def test_put_many_returns_only_the_new_keys(store: Store) -> None:
    async with store.session() as tx:
        await tx.inbox.put(source="notification", key="n-1", account="A", payload={"n": 1})
        new = await tx.inbox.put_many(source="notification", account="A",
                                      items={"n-1": {"n": 1}, "n-2": {"n": 2}, "n-3": {"n": 3}})
        assert new == {"n-2", "n-3"}
        assert await tx.inbox.put_many(source="notification", account="A", items={"n-2": {"n": 2}}) == set()
        assert await tx.inbox.put_many(source="notification", account="A", items={}) == set()
        items = await tx.inbox.pending(source="notification")
        assert [(i.key, i.payload, i.account) for i in items] == [
            ("n-1", {"n": 1}, "A"), ("n-2", {"n": 2}, "A"), ("n-3", {"n": 3}, "A")]


async def test_a_put_in_a_rolled_back_transaction_is_gone(store: Store) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.inbox.put_many(source="notification", account="A", items={"n-1": {}})
            raise Boom
    async with store.transaction() as tx:
        assert await tx.inbox.put_many(source="notification", account="A", items={"n-1": {}}) == {"n-1"}


async def test_marks_and_requeue(store: Store) -> None:
    async with store.session() as tx:
        a = await tx.inbox.put(source="s", key="a", account="A", payload={})
        b = await tx.inbox.put(source="s", key="b", account="A", payload={})
        c = await tx.inbox.put(source="s", key="c", account="A", payload={})
        failed = await tx.inbox.mark_failed(a.id, "Odoo down")
        assert failed.state == "failed" and failed.attempts == 1 and failed.last_error == "Odoo down"
        quarantined = await tx.inbox.mark_quarantined(b.id, "unknown SKU")
        assert quarantined.state == "quarantined" and quarantined.attempts == 1
        processed = await tx.inbox.mark_processed(a.id)
        assert processed.state == "processed" and processed.attempts == 2 and processed.last_error is None
        assert processed.processed_at is not None
        requeued = await tx.inbox.requeue(b.id)
        assert requeued.state == "pending" and requeued.last_error == "unknown SKU"
        assert await tx.inbox.mark_processed_many([b.id, c.id, c.id, 10_000]) == 2
        assert await tx.inbox.mark_processed_many([]) == 0
        again = await tx.inbox.get(c.id)
        assert again is not None and again.state == "processed" and again.attempts == 1
        for mark in (tx.inbox.mark_processed, tx.inbox.requeue):
            with pytest.raises(LookupError):
                await mark(10_000)
        with pytest.raises(LookupError):
            await tx.inbox.mark_failed(10_000, "x")


async def test_pending_filters_orders_and_limits(store: Store) -> None:
    async with store.session() as tx:
        ids = {}
        for key, source, account in (("1", "s", "A"), ("2", "s", "B"), ("3", "t", "A"), ("4", "s", "A"),
                                     ("5", "s", "A")):
            ids[key] = (await tx.inbox.put(source=source, key=key, account=account, payload={})).id
        await tx.inbox.mark_failed(ids["4"], "x")
        await tx.inbox.mark_processed(ids["5"])
        assert [i.key for i in await tx.inbox.pending()] == ["1", "2", "3", "4"]
        assert [i.key for i in await tx.inbox.pending(source="s", account="A")] == ["1", "4"]
        assert [i.key for i in await tx.inbox.pending(source="s", include_failed=False)] == ["1", "2"]
        assert [i.key for i in await tx.inbox.pending(2, lock=True)] == ["1", "2"]
        assert await tx.inbox.any_pending(source="s")
        assert await tx.inbox.any_pending(source="s", account="B")
        assert not await tx.inbox.any_pending(source="s", account="C")
        assert not await tx.inbox.any_pending(source="u")
        assert await tx.inbox.count_pending(source="s", up_to=10) == 3
        assert await tx.inbox.count_pending(source="s", up_to=2) == 2


async def test_pending_with_lock_inside_a_transaction(store: Store) -> None:
    async with store.session() as tx:
        await tx.inbox.put_many(source="s", account="A", items={"1": {}, "2": {}})
    async with store.transaction() as tx:
        taken = await tx.inbox.pending(10, source="s", account="A", lock=True)
        assert [i.key for i in taken] == ["1", "2"]
        assert await tx.inbox.mark_processed_many(i.id for i in taken) == 2
    async with store.session() as tx:
        assert await tx.inbox.pending(source="s") == []


async def test_prune_keeps_work_to_do_and_each_orders_newest_document(store: Store) -> None:
    async with store.session() as tx:
        keys = [("notification", "old-note"), ("orders/A", "111-1@2026-07-08T10:05:00Z"),
                ("orders/A", "111-1@2026-07-08T10:00:00Z"), ("orders/A", "111-10@2026-07-08T09:00:00Z"),
                ("orders/A", "222-2@2026-07-08T10:00:00Z")]
        for source, key in keys:
            item = await tx.inbox.put(source=source, key=key, account="A", payload={})
            await tx.inbox.mark_processed(item.id)
        await tx.inbox.put(source="orders/A", key="222-2@2026-07-08T11:00:00Z", account="A", payload={})
        waiting = await tx.inbox.put(source="notification", key="failed-note", account="A", payload={})
        await tx.inbox.mark_failed(waiting.id, "x")
        assert await tx.inbox.prune_processed(older_than_seconds=3600) == 0  # nothing that old
    await asyncio.sleep(0.01)
    async with store.session() as tx:
        assert await tx.inbox.prune_processed(older_than_seconds=0, batch=1) == 1
        assert await tx.inbox.prune_processed(older_than_seconds=0) == 2
        assert await tx.inbox.prune_processed(older_than_seconds=0) == 0
        left = {i.key for i in await tx.inbox.pending()}
        assert left == {"222-2@2026-07-08T11:00:00Z", "failed-note"}
        # The processed ones left: an order's newest document, and an order with one document.
        assert (await tx.inbox.put(source="orders/A", key="111-1@2026-07-08T10:05:00Z", account="A",
                                   payload={})).is_new is False
        assert (await tx.inbox.put(source="orders/A", key="111-10@2026-07-08T09:00:00Z", account="A",
                                   payload={})).is_new is False
        assert (await tx.inbox.put(source="notification", key="old-note", account="A", payload={})).is_new


async def test_latest_documents_by_last_updated_time_then_arrival(store: Store) -> None:
    async with store.session() as tx:
        docs = [("111-1", "2026-07-08T10:05:00Z", "newest"), ("111-1", "2026-07-08T10:00:00Z", "older"),
                ("222-2", "2026-07-08T10:00:00Z", "first"), ("222-2", "2026-07-08T10:00:00Z", "second")]
        for n, (order_id, updated, tag) in enumerate(docs):
            await tx.inbox.put(source="orders/A", key=f"{order_id}@{updated}#{n}", account="A",
                               payload={"orderId": order_id, "lastUpdatedTime": updated, "tag": tag})
        await tx.inbox.put(source="orders/B", key="333-3@x", account="B",
                           payload={"orderId": "333-3", "lastUpdatedTime": "2026-07-09T00:00:00Z", "tag": "B"})
        found = await tx.inbox.latest_documents(source="orders/A", order_ids=["111-1", "222-2", "333-3"])
        assert {k: v["tag"] for k, v in found.items()} == {"111-1": "newest", "222-2": "second"}
        assert await tx.inbox.latest_documents(source="orders/A", order_ids=[]) == {}


async def test_a_session_on_a_pool_not_in_autocommit_commits_each_call(db_url: str) -> None:
    # The job queue's pool (procrastinate's) is not in autocommit mode, and flows get a store on
    # it: a session's write stays even when the session ends in an error (as in autocommit).
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(db_url, min_size=1, max_size=1, open=False)
    await pool.open(wait=True, timeout=10)
    try:
        store = PgStore(pool)
        with pytest.raises(Boom):
            async with store.session() as tx:
                await tx.inbox.put(source="s", key="k", account=None, payload={})
                raise Boom
        async with pool.connection() as conn:
            assert not conn.autocommit  # given back as it was lent
        async with store.session() as tx:
            assert [i.key for i in await tx.inbox.pending()] == ["k"]
    finally:
        await pool.close()
