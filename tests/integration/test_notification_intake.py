"""Notification intake in batches (what an SQS receive brings): one transaction, one inbox statement
per flow and account, each notification's own outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.exceptions import DataError, TransientError
from amazon_odoo_sync.flows import fba_inventory
from amazon_odoo_sync.flows import notifications as intake
from amazon_odoo_sync.store import external_ids, inbox, reservations
from amazon_odoo_sync.store.unit import PgStore, UnitOfWork
from tests.factories.notifications import SELLERS, fba_change, order_change

pytestmark = pytest.mark.db

@pytest.fixture
async def store(db_url: str) -> AsyncIterator[PgStore]:
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(db_url, min_size=1, max_size=2, open=False,
                                                         kwargs={"autocommit": True})
    await pool.open(wait=True, timeout=10)
    try:
        yield PgStore(pool)
    finally:
        await pool.close()


async def waiting_jobs(conn: psycopg.AsyncConnection[Any]) -> list[tuple[str, str]]:
    cur = await conn.execute("SELECT task_name, args->>'account' FROM procrastinate_jobs "
                             "WHERE status = 'todo' ORDER BY 1, 2")
    return [(str(a), str(b)) for a, b in await cur.fetchall()]


async def test_a_mixed_batch_gets_one_outcome_per_notification(db_url: str, store: PgStore) -> None:
    batch = [
        order_change("A2US", "n-1", "111-1", items=[("SKU-1", 2), ("SKU-2", 1)]),
        order_change("A2EU", "n-2", "028-1", status="Pending"),
        order_change("A2US", "n-1", "111-1"),  # the same notification twice in one batch
        order_change("A2NOBODY", "n-3", "111-3"),  # unknown seller
        {"NotificationType": "ORDER_CHANGE"},  # unreadable
        fba_change("A2EU", "f-1"),
        order_change("A2US", "n-4", "111-4", channel="AFN"),  # FBA: nothing to reserve
    ]
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        outcomes = await intake.store_notifications(store, batch, SELLERS.get)
        assert outcomes[:3] == [True, True, False] and outcomes[5:] == [True, True]
        assert isinstance(outcomes[3], DataError) and "unknown seller A2NOBODY" in outcomes[3].message
        assert isinstance(outcomes[4], DataError)

        stored = await inbox.pending(conn, 20)
        assert sorted((i.source, i.key, i.account) for i in stored) == [
            ("notification", "n-1", "shop-us"), ("notification", "n-2", "shop-eu"),
            ("notification", "n-4", "shop-us"), (fba_inventory.NOTIFICATION_SOURCE, "f-1", "shop-eu")]
        assert await reservations.reserved_units(conn, "shop-us") == {"SKU-1": 2, "SKU-2": 1}
        assert await reservations.reserved_units(conn, "shop-eu") == {"SKU-1": 1}
        assert await waiting_jobs(conn) == [("fba_inventory.apply_notifications", "shop-eu"),
                                            ("orders.fetch_notified", "shop-eu"),
                                            ("orders.fetch_notified", "shop-us")]

        # Delivered again (SQS redelivers after a lost delete): all duplicates, nothing new.
        again = await intake.store_notifications(store, batch, SELLERS.get)
        assert again[:3] == [False, False, False] and again[5:] == [False, False]
        assert len(await inbox.pending(conn, 20)) == 4


async def test_a_database_failure_stores_nothing_of_the_batch(db_url: str, store: PgStore,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(tx: UnitOfWork, account: str, read: list[Any]) -> None:
        raise psycopg.OperationalError("connection lost")  # translated by the store: TransientError

    monkeypatch.setitem(intake.INTAKES, fba_inventory.NOTIFICATION_TYPE,
                        intake.Intake(fba_inventory.read_notification, broken))
    batch = [order_change("A2US", "n-1", "111-1"), fba_change("A2EU", "f-1")]
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        with pytest.raises(TransientError):
            await intake.store_notifications(store, batch, SELLERS.get)
        assert await inbox.pending(conn, 20) == []
        assert await reservations.reserved_units(conn, "shop-us") == {}
        assert await waiting_jobs(conn) == []


async def test_a_notification_after_its_order_was_imported_reserves_nothing(db_url: str, store: PgStore) -> None:
    """Issue #14: notifications arrive seconds to minutes after the order's import; the order they
    fetch is a duplicate in the inbox, so no import would ever release what they reserved."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await external_ids.claim_many(conn, "shop-us", "sale.order", [("111-1", None, None)])
        await external_ids.record_many(conn, "shop-us", "sale.order", [("111-1", 501, None)], state="confirmed")
        late = [order_change("A2US", "n-1", "111-1", status="Pending", items=[("SKU-1", 2)]),
                order_change("A2US", "n-2", "111-1", items=[("SKU-1", 2)]),
                order_change("A2US", "n-3", "111-2", items=[("SKU-2", 1)])]  # not imported yet
        assert await intake.store_notifications(store, late, SELLERS.get) == [True, True, True]
        assert await reservations.reserved_units(conn, "shop-us") == {"SKU-2": 1}
        cur = await conn.execute("SELECT sku FROM stock_dirty WHERE account = 'shop-us'")
        assert {str(row[0]) for row in await cur.fetchall()} == {"SKU-2"}
        assert await waiting_jobs(conn) == [("orders.fetch_notified", "shop-us")]  # stored all the same
