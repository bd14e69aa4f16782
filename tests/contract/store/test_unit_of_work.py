"""Transactions, and the two repositories every flow writes to: quarantine and audit."""

from __future__ import annotations

import pytest

from amazon_odoo_sync.store.unit import Store


class Boom(Exception):
    pass


async def test_a_transaction_that_raises_leaves_nothing(store: Store) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.quarantine.put(flow="orders", key="A:1", account="A", reason="unknown SKU")
            raise Boom
    async with store.session() as tx:
        assert await tx.quarantine.is_open("orders", "A:1") is None


async def test_a_committed_transaction_is_seen_by_the_next(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.quarantine.put(flow="orders", key="A:1", account="A", reason="unknown SKU")
        await tx.audit.record(actor="flow:orders", action="order.quarantined", object_key="A:1")
    async with store.session() as tx:
        item = await tx.quarantine.is_open("orders", "A:1")
        assert item is not None and item.reason == "unknown SKU"
        assert [e.action for e in await tx.audit.recent(object_type=None)] == ["order.quarantined"]


async def test_put_twice_bumps_one_open_item_and_keeps_the_payload(store: Store) -> None:
    async with store.session() as tx:
        first = await tx.quarantine.put(flow="orders", key="A:1", account="A", reason="r1",
                                        payload={"orderId": "1"})
        second = await tx.quarantine.put(flow="orders", key="A:1", account=None, reason="r2",
                                         details={"sku": "X"})
        assert second.id == first.id and second.attempts == 2
        assert second.reason == "r2" and second.details == {"sku": "X"}
        assert second.account == "A" and second.payload == {"orderId": "1"}


async def test_resolved_items_stay_and_a_new_put_opens_a_fresh_one(store: Store) -> None:
    async with store.session() as tx:
        first = await tx.quarantine.put(flow="orders", key="A:1", account="A", reason="r")
        resolved = await tx.quarantine.resolve("orders", "A:1", "imported")
        assert resolved is not None and resolved.resolution == "imported" and resolved.resolved_at is not None
        assert await tx.quarantine.resolve("orders", "A:1", "imported") is None
        again = await tx.quarantine.put(flow="orders", key="A:1", account="A", reason="r")
        assert again.id != first.id and again.attempts == 1
        old = await tx.quarantine.get(first.id)
        assert old is not None and old.resolution == "imported"


async def test_open_items_filter_order_and_limit(store: Store) -> None:
    async with store.session() as tx:
        for key, account in (("A:1", "A"), ("B:1", "B"), ("A:2", "A")):
            await tx.quarantine.put(flow="orders", key=key, account=account, reason="r")
        await tx.quarantine.put(flow="stock", key="A:SKU", account="A", reason="r")
        assert [i.key for i in await tx.quarantine.open_items("orders", account="A")] == ["A:1", "A:2"]
        assert len(await tx.quarantine.open_items(limit=2)) == 2
        assert await tx.quarantine.resolve_many("orders", ["A:1", "A:2", "A:9"], "imported") == 2
        assert await tx.quarantine.resolve_many("orders", [], "imported") == 0
        assert [i.key for i in await tx.quarantine.open_items()] == ["B:1", "A:SKU"]


async def test_audit_masks_secrets_and_lists_newest_first(store: Store) -> None:
    async with store.session() as tx:
        await tx.audit.record(actor="cli:x", action="account.added", object_type="account", object_key="A",
                              details={"refresh_token": "Atzr|secret", "region": "eu"})
        await tx.audit.record(actor="cli:x", action="odoo.key_set", object_type="odoo")
        entries = await tx.audit.recent()
        assert [e.action for e in entries] == ["odoo.key_set", "account.added"]
        assert entries[1].details == {"refresh_token": "***", "region": "eu"}
        assert [e.action for e in await tx.audit.recent(object_type="account")] == ["account.added"]
