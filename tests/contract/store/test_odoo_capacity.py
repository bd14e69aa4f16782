"""The Odoo capacity governor's store (``CapacityStore`` of ``odoo.governor``), on PostgreSQL and in
memory (``InMemoryCapacityStore``, the governor's one-process default)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from amazon_odoo_sync.odoo.governor import CapacityStore, InMemoryCapacityStore
from amazon_odoo_sync.store.odoo_capacity import PgOdooCapacity

from ._pools import pg_pool

ODOO = "http://odoo.test/db"


@pytest.fixture(params=["postgresql", "memory"])
async def capacity(request: pytest.FixtureRequest) -> AsyncIterator[CapacityStore]:
    if request.param == "memory":
        yield InMemoryCapacityStore()
        return
    async with pg_pool(request) as pool:
        store = PgOdooCapacity(pool)
        yield store
        await store.aclose()  # the pool is the caller's: still usable afterwards
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")


async def test_leases_up_to_the_limit_then_none_until_one_is_released(capacity: CapacityStore) -> None:
    assert await capacity.ensure(ODOO, initial=2, maximum=4) == 2
    first = await capacity.try_acquire(ODOO, holder="w1", ttl=300)
    second = await capacity.try_acquire(ODOO, holder="w2", ttl=300)
    assert first is not None and second is not None and first.id != second.id
    assert await capacity.try_acquire(ODOO, holder="w3", ttl=300) is None
    assert await capacity.in_flight(ODOO) == 2
    await capacity.release(first)
    assert await capacity.in_flight(ODOO) == 1
    assert await capacity.try_acquire(ODOO, holder="w3", ttl=300) is not None


async def test_increase_is_bounded_and_decrease_once_per_cooldown(capacity: CapacityStore) -> None:
    await capacity.ensure(ODOO, initial=3, maximum=4)
    assert await capacity.increase(ODOO, maximum=4) == 4
    assert await capacity.increase(ODOO, maximum=4) == 4
    assert await capacity.decrease(ODOO, factor=0.5, cooldown=60) == 2
    assert await capacity.decrease(ODOO, factor=0.5, cooldown=60) == 2  # within the cooldown
    assert await capacity.limit(ODOO) == 2


async def test_ensure_lowers_the_limit_to_a_new_maximum_and_keeps_it_otherwise(capacity: CapacityStore) -> None:
    await capacity.ensure(ODOO, initial=8, maximum=8)
    assert await capacity.ensure(ODOO, initial=8, maximum=3) == 3
    assert await capacity.ensure(ODOO, initial=1, maximum=10) == 3  # an existing row keeps its limit


async def test_a_decrease_never_goes_below_one(capacity: CapacityStore) -> None:
    await capacity.ensure(ODOO, initial=1, maximum=4)
    assert await capacity.decrease(ODOO, factor=0.1, cooldown=0) == 1
