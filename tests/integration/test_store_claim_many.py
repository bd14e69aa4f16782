"""Set-based claims: one row per key, locked in one order, so overlapping batches never deadlock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg
import pytest

from amazon_odoo_sync.store import external_ids, quarantine

pytestmark = pytest.mark.db

T = datetime(2026, 7, 14, tzinfo=UTC)


async def test_overlapping_batches_claim_each_key_once_without_deadlock(db_url: str) -> None:
    keys_a = [f"o-{i:03d}" for i in range(0, 60)]
    keys_b = [f"o-{i:03d}" for i in reversed(range(30, 90))]  # overlap, opposite order

    async def batch(keys: list[str], hold: float) -> dict[str, external_ids.ExternalId]:
        async with await psycopg.AsyncConnection.connect(db_url) as conn, conn.transaction():
            rows = await external_ids.claim_many(conn, "acme", "sale.order", [(k, None, T) for k in keys])
            await asyncio.sleep(hold)  # hold the locks while the other batch runs
            return rows

    first, second = await asyncio.gather(batch(keys_a, 0.2), batch(keys_b, 0.0))
    assert set(first) == set(keys_a) and set(second) == set(keys_b)
    overlap = set(keys_a) & set(keys_b)
    assert all(first[k].is_new != second[k].is_new for k in overlap)  # exactly one created each
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        count = await (await conn.execute("SELECT count(*) FROM external_ids")).fetchone()
    assert count is not None and count[0] == 90


async def test_record_many_and_resolve_many(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await external_ids.claim_many(conn, "acme", "sale.order", [("a", None, T), ("b", None, T)])
        assert await external_ids.record_many(conn, "acme", "sale.order", [("a", 11, None), ("b", 12, T)],
                                              state="confirmed") == 2
        rows = await external_ids.get_many(conn, "acme", "sale.order", ["a", "b"])
        assert (rows["a"].odoo_id, rows["a"].state, rows["a"].amazon_updated_at) == (11, "confirmed", T)
        assert rows["b"].odoo_id == 12
        for key in ("acme:a", "acme:b", "acme:c"):
            await quarantine.put(conn, flow="orders", key=key, account="acme", reason="unknown SKU")
        assert await quarantine.resolve_many(conn, "orders", ["acme:a", "acme:b"], "imported") == 2
        assert [i.key for i in await quarantine.open_items(conn, "orders")] == ["acme:c"]
