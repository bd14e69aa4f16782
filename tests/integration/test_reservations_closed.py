"""A reservation exists only for an order not yet in Odoo (issue #14): the write refuses orders
already imported or cancelled, waiting for an import that holds the claim; a sweep releases what
is left for such orders, audited, and marks their SKUs for the stock push."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.config import Schedules
from amazon_odoo_sync.flows.orders import SALE_ORDER, sweep_reservations
from amazon_odoo_sync.jobs.schedule import registered_schedules
from amazon_odoo_sync.store import audit, external_ids, reservations
from amazon_odoo_sync.store.unit import PgStore
from amazon_odoo_sync.tasks import sweep_reservations as sweep_reservations_task

pytestmark = pytest.mark.db

T = datetime(2026, 7, 14, tzinfo=UTC)
R = reservations.Reservation


def _reservation(order_id: str, sku: str = "SKU-1", qty: int = 1) -> reservations.Reservation:
    return R(order_id=order_id, marketplace_id="A1PA6795UKMFR9", status="Unshipped", units={sku: qty})


async def _imported(conn: psycopg.AsyncConnection[Any], order_id: str, odoo_id: int) -> None:
    """What an import records: the claim, then the confirmed sale order's id."""
    await external_ids.claim_many(conn, "acme", SALE_ORDER, [(order_id, None, T)])
    await external_ids.record_many(conn, "acme", SALE_ORDER, [(order_id, odoo_id, T)], state="confirmed")


async def _leak(conn: psycopg.AsyncConnection[Any], *rows: reservations.Reservation) -> None:
    """A reservation the old intake left for an order imported before its notification came."""
    for row in rows:
        for sku, qty in row.units.items():
            await conn.execute(
                "INSERT INTO order_reservations (account, amazon_order_id, sku, marketplace_id, quantity, "
                "amazon_status) VALUES ('acme', %s, %s, %s, %s, %s)",
                (row.order_id, sku, row.marketplace_id, qty, row.status))


async def _dirty(conn: psycopg.AsyncConnection[Any]) -> list[str]:
    cur = await conn.execute("SELECT DISTINCT sku FROM stock_dirty WHERE account = 'acme' ORDER BY sku")
    return [str(row[0]) for row in await cur.fetchall()]


def test_the_reservation_claims_are_the_order_flows() -> None:
    assert reservations.ORDER_KIND == SALE_ORDER


async def test_no_reservation_is_written_for_an_order_in_odoo_or_cancelled(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await _imported(conn, "in-odoo", 41)
        await external_ids.claim_many(conn, "acme", SALE_ORDER, [("cancelled", None, T), ("pending", None, T)])
        await external_ids.set_state(conn, "acme", SALE_ORDER, "cancelled", "cancelled")
        await external_ids.set_state(conn, "acme", SALE_ORDER, "pending", "reserved")
        written = await reservations.reserve_many(conn, "acme", [
            _reservation("in-odoo", qty=3), _reservation("cancelled", qty=5), _reservation("pending", qty=2),
            _reservation("unknown", "SKU-2", qty=1)])
        assert written == {"pending", "unknown"}
        assert await reservations.reserved_units(conn, "acme") == {"SKU-1": 2, "SKU-2": 1}
        # The same account's claim only: another account's order of that id is still open.
        await reservations.reserve_many(conn, "other", [_reservation("in-odoo", qty=3)])
        assert await reservations.reserved_units(conn, "other") == {"SKU-1": 3}


async def test_a_write_waits_for_the_import_holding_the_claim_then_writes_nothing(db_url: str) -> None:
    """The race: an import holds the order's claim (claimed by an earlier attempt) while its
    notification is stored. Without the lock the insert checks the claim as it was before the
    import committed, and the import's release cannot see the uncommitted row: a reservation
    nobody releases."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as setup:
        await external_ids.claim_many(setup, "acme", SALE_ORDER, [("o-1", None, T)])
    async with await psycopg.AsyncConnection.connect(db_url) as importer, \
            await psycopg.AsyncConnection.connect(db_url) as intake:
        await intake.execute("SET lock_timeout = '5s'")
        await external_ids.claim_many(importer, "acme", SALE_ORDER, [("o-1", None, T)])  # FOR UPDATE
        writing = asyncio.create_task(reservations.reserve_many(intake, "acme", [_reservation("o-1", qty=2)]))
        await asyncio.sleep(0.3)  # the write waits for the import's claim
        await external_ids.record_many(importer, "acme", SALE_ORDER, [("o-1", 77, T)], state="confirmed")
        await reservations.apply(importer, "acme", release=["o-1"])
        await importer.commit()
        assert await asyncio.wait_for(writing, 5) == set()
        await intake.commit()
        assert await reservations.reserved_units(intake, "acme") == {}


async def test_an_import_claiming_after_the_write_releases_it(db_url: str) -> None:
    """The other order of events: the write holds the claim first; the import waits for it, then
    its release (at the end of its batch) sees the reservation and deletes it."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as setup:
        await external_ids.claim_many(setup, "acme", SALE_ORDER, [("o-1", None, T)])
    async with await psycopg.AsyncConnection.connect(db_url) as importer, \
            await psycopg.AsyncConnection.connect(db_url) as intake:
        await importer.execute("SET lock_timeout = '5s'")
        assert await reservations.reserve_many(intake, "acme", [_reservation("o-1", qty=2)]) == {"o-1"}

        async def import_batch() -> None:
            await external_ids.claim_many(importer, "acme", SALE_ORDER, [("o-1", None, T)])
            await external_ids.record_many(importer, "acme", SALE_ORDER, [("o-1", 77, T)], state="confirmed")
            await reservations.apply(importer, "acme", release=["o-1"])
            await importer.commit()

        importing = asyncio.create_task(import_batch())
        await asyncio.sleep(0.3)  # the import's claim waits for the write
        await intake.commit()
        await asyncio.wait_for(importing, 5)
        assert await reservations.reserved_units(intake, "acme") == {}


async def test_the_sweep_releases_what_closed_orders_hold_audits_and_marks_dirty(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await _imported(conn, "in-odoo", 41)
        await external_ids.claim_many(conn, "acme", SALE_ORDER, [("cancelled", None, T), ("quarantined", None, T)])
        await external_ids.set_state(conn, "acme", SALE_ORDER, "cancelled", "cancelled")
        await external_ids.set_state(conn, "acme", SALE_ORDER, "quarantined", "quarantined")
        await _leak(conn, R(order_id="in-odoo", marketplace_id="A1PA6795UKMFR9", status="Unshipped",
                            units={"SKU-1": 3, "SKU-2": 1}),
                    _reservation("cancelled", "SKU-3", qty=5))
        # Still open: no claim yet, or waiting in quarantine (an unknown SKU).
        await reservations.reserve_many(conn, "acme", [_reservation("queued", "SKU-1", 2),
                                                       _reservation("quarantined", "SKU-4", 4)])
        await conn.execute("DELETE FROM stock_dirty")
        assert await reservations.held_by_closed(conn, "acme") == (2, 9)

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(db_url, min_size=1, max_size=2, open=False,
                                                         kwargs={"autocommit": True})
    await pool.open()
    try:
        rt = SimpleNamespace(store=PgStore(pool))
        assert await sweep_reservations(rt, "acme") == 2
        assert await sweep_reservations(rt, "acme") == 0
    finally:
        await pool.close()

    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        assert await reservations.reserved_units(conn, "acme") == {"SKU-1": 2, "SKU-4": 4}
        assert await reservations.held_by_closed(conn, "acme") == (0, 0)
        assert await _dirty(conn) == ["SKU-1", "SKU-2", "SKU-3"]
        entries = {e.object_key: e for e in await audit.recent(conn, object_type=SALE_ORDER)
                   if e.action == "reservation.released"}
        assert set(entries) == {"in-odoo", "cancelled"}
        assert entries["in-odoo"].actor == "flow:orders"
        assert entries["in-odoo"].details == {
            "account": "acme", "marketplace_id": "A1PA6795UKMFR9", "amazon_status": "Unshipped",
            "units": {"SKU-1": 3, "SKU-2": 1}, "reason": "in Odoo", "odoo_id": 41}
        assert (entries["cancelled"].details["reason"], entries["cancelled"].details["units"]) == \
            ("cancelled", {"SKU-3": 5})


def test_the_sweep_runs_per_account_on_its_own_schedule() -> None:
    schedule = registered_schedules()["orders.sweep_reservations"]
    assert schedule.task is sweep_reservations_task and schedule.per_account
    assert schedule.every == "reservations_sweep" and Schedules().reservations_sweep == 300
