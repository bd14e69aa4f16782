"""The capacity governor's PostgreSQL store: shared limit and in-flight count across workers."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.odoo import AdaptiveGovernor
from amazon_odoo_sync.store.odoo_capacity import PgOdooCapacity

pytestmark = pytest.mark.db

INSTANCE = "http://odoo.test/db"


async def test_two_workers_never_exceed_the_shared_limit(pool: AsyncConnectionPool[Any]) -> None:
    stores = [PgOdooCapacity(pool), PgOdooCapacity(pool)]
    workers = [AdaptiveGovernor(INSTANCE, store=s, max_concurrency=3, poll_interval=0.002,
                                max_poll_interval=0.01) for s in stores]
    active = 0
    peak = 0

    async def one_call(gov: AdaptiveGovernor) -> None:
        nonlocal active, peak
        async with gov.slot():
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.005)
            active -= 1

    try:
        await asyncio.gather(*(one_call(workers[n % 2]) for n in range(30)))
        assert 2 <= peak <= 3
        assert await workers[0].in_flight() == 0
    finally:
        for gov in workers:
            await gov.aclose()


async def test_decrease_is_shared_and_once_per_cooldown(pool: AsyncConnectionPool[Any]) -> None:
    a = AdaptiveGovernor(INSTANCE, store=PgOdooCapacity(pool), max_concurrency=10,
                         cooldown=60.0)
    b = AdaptiveGovernor(INSTANCE, store=PgOdooCapacity(pool), max_concurrency=10,
                         cooldown=60.0)
    try:
        assert await a.current_limit() == 10
        await a.record(0.1, overloaded=True)
        await b.record(0.1, overloaded=True)  # same burst, other worker: no second cut
        assert await b.current_limit() == 6
        for _ in range(6):
            await b.record(0.01)
        assert await a.current_limit() == 7  # additive increase seen by the other worker
    finally:
        await a.aclose()
        await b.aclose()


async def test_expired_leases_are_reaped(db_url: str, pool: AsyncConnectionPool[Any]) -> None:
    store = PgOdooCapacity(pool)
    gov = AdaptiveGovernor(INSTANCE, store=store, max_concurrency=1, acquire_timeout=5.0,
                           poll_interval=0.01)
    try:
        await gov.current_limit()
        dead = await store.try_acquire(INSTANCE, holder="crashed-worker", ttl=300)
        assert dead is not None
        assert await store.try_acquire(INSTANCE, holder="x", ttl=300) is None
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("UPDATE odoo_capacity_lease SET expires_at = now() - interval '1 second'")
        async with gov.slot():
            assert await gov.in_flight() == 1
        assert await gov.in_flight() == 0
    finally:
        await gov.aclose()
