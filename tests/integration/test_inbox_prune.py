"""Processed inbox rows past their retention are deleted, and nothing else: the table stays the
size of a few days of traffic (#19, soak) while every row still to do, and each order's newest
document, stays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from amazon_odoo_sync.store import inbox

pytestmark = pytest.mark.db

HOUR = 3600.0


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


async def add(conn: psycopg.AsyncConnection[Any], source: str, key: str, state: str, hours_ago: float) -> None:
    await inbox.put(conn, source=source, key=key, account="acme", payload={"k": key})
    await conn.execute("UPDATE inbox SET state = %s, processed_at = now() - make_interval(secs => %s) "
                       "WHERE source = %s AND key = %s", (state, hours_ago * HOUR, source, key))


async def keys(conn: psycopg.AsyncConnection[Any]) -> set[str]:
    return {row[0] for row in await (await conn.execute("SELECT key FROM inbox")).fetchall()}


async def test_prune_deletes_old_processed_rows_but_keeps_work_to_do_recent_rows_and_newest_order_documents(
        conn: psycopg.AsyncConnection[Any]) -> None:
    await add(conn, "notification", "old-note", "processed", 100)
    await add(conn, "notification", "recent-note", "processed", 1)
    for state in ("pending", "failed", "quarantined"):
        await add(conn, "notification", f"old-{state}", state, 100)
    # Two documents of one order, the newer arriving first (lower id): the newer by key stays.
    await add(conn, "orders/acme", "111-1@2026-07-08T10:05:00Z", "processed", 100)
    await add(conn, "orders/acme", "111-1@2026-07-08T10:00:00Z", "processed", 100)
    await add(conn, "orders/acme", "111-10@2026-07-08T09:00:00Z", "processed", 100)  # another order, one doc
    await add(conn, "orders/acme", "222-2@2026-07-08T10:00:00Z", "processed", 100)
    await add(conn, "orders/acme", "222-2@2026-07-08T11:00:00Z", "pending", 0)

    assert await inbox.prune_processed(conn, older_than_seconds=72 * HOUR, batch=1) == 1
    assert await inbox.prune_processed(conn, older_than_seconds=72 * HOUR) == 2
    assert await inbox.prune_processed(conn, older_than_seconds=72 * HOUR) == 0
    assert await keys(conn) == {"recent-note", "old-pending", "old-failed", "old-quarantined",
                                "111-1@2026-07-08T10:05:00Z", "111-10@2026-07-08T09:00:00Z",
                                "222-2@2026-07-08T11:00:00Z"}


def test_inbox_prune_runs_on_its_configured_schedule() -> None:
    from amazon_odoo_sync.config import Schedules, Settings
    from amazon_odoo_sync.jobs import builtin
    from amazon_odoo_sync.jobs.schedule import entries

    [entry] = [e for e in entries(Settings(schedules=Schedules(inbox_prune=120))) if e.name == "inbox.prune"]
    assert entry.interval == 120 and entry.task is builtin.prune_inbox
