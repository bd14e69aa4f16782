"""The SP-API rate buckets (``RateBuckets`` of ``amazon.governor``), on PostgreSQL and in memory."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from amazon_odoo_sync.amazon.governor import RateBuckets
from amazon_odoo_sync.store.memory.shared_state import MemoryRateBuckets
from amazon_odoo_sync.store.rate_buckets import PgRateBuckets

from ._pools import pg_pool

KEY = ("acme", "EU", "orders.getOrders")


@pytest.fixture(params=["postgresql", "memory"])
async def buckets(request: pytest.FixtureRequest) -> AsyncIterator[RateBuckets]:
    if request.param == "memory":
        yield MemoryRateBuckets()
        return
    async with pg_pool(request) as pool:
        yield PgRateBuckets(pool)


class Boom(Exception):
    pass


async def test_a_missing_bucket_is_created_full_from_the_plan_and_kept(buckets: RateBuckets) -> None:
    async with buckets.locked(*KEY, rate=0.5, burst=10) as bucket:
        row = bucket.row
        assert (row.tokens, row.rate, row.burst) == (10, 0.5, 10)
        assert abs(await bucket.clock() - row.updated_at) < 5
        await bucket.write(tokens=3.5, rate=0.25, at=row.updated_at + 1)
    async with buckets.locked(*KEY, rate=9, burst=99) as bucket:  # an existing bucket keeps its plan
        assert (bucket.row.tokens, bucket.row.rate, bucket.row.burst) == (3.5, 0.25, 10)
        assert bucket.row.updated_at == pytest.approx(row.updated_at + 1, abs=1e-3)
        await bucket.write_throttled(tokens=-2.0, at=row.updated_at + 2)
    async with buckets.locked(*KEY, rate=9, burst=99) as bucket:
        assert (bucket.row.tokens, bucket.row.rate) == (-2.0, 0.25)
    async with buckets.locked("acme", "NA", "orders.getOrders", rate=1, burst=2) as other:
        assert other.row.tokens == 2  # one bucket per (account, region, operation)


async def test_what_a_block_that_raises_wrote_is_undone(buckets: RateBuckets) -> None:
    async with buckets.locked(*KEY, rate=1, burst=5) as bucket:
        await bucket.write(tokens=4, rate=1, at=bucket.row.updated_at)
    waiter = uuid.uuid4()
    with pytest.raises(Boom):
        async with buckets.locked(*KEY, rate=1, burst=5) as bucket:
            await bucket.write(tokens=0, rate=1, at=bucket.row.updated_at)
            await bucket.register_waiter(waiter, priority=90, expires=await bucket.clock() + 60)
            raise Boom
    async with buckets.locked(*KEY, rate=1, burst=5) as bucket:
        assert bucket.row.tokens == 4
        assert (await bucket.clock_and_waiters(priority=0, waiter=uuid.uuid4()))[1] == []


async def test_live_waiters_of_higher_priority_but_not_the_caller_itself(buckets: RateBuckets) -> None:
    me, high, low, gone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with buckets.locked(*KEY, rate=1, burst=1) as bucket:
        now = await bucket.clock()
        await bucket.register_waiter(me, priority=100, expires=now + 60)
        await bucket.register_waiter(high, priority=80, expires=now + 60)
        await bucket.register_waiter(low, priority=20, expires=now + 60)
        await bucket.register_waiter(gone, priority=90, expires=now - 1)  # expired: counts for nobody
    async with buckets.locked("acme", "EU", "other.op", rate=1, burst=1) as elsewhere:
        assert (await elsewhere.clock_and_waiters(priority=0, waiter=me))[1] == []
    async with buckets.locked(*KEY, rate=1, burst=1) as bucket:
        _, ahead = await bucket.clock_and_waiters(priority=50, waiter=me)
        assert ahead == [80]  # strictly higher only; the caller's own row never counts
        _, ahead = await bucket.clock_and_waiters(priority=50, waiter=uuid.uuid4())
        assert sorted(ahead) == [80, 100]
        # Registering again renews the expiry (one row per waiter).
        await bucket.register_waiter(high, priority=80, expires=await bucket.clock() - 1)
        await bucket.remove_waiter(me)
    async with buckets.locked(*KEY, rate=1, burst=1) as bucket:
        assert (await bucket.clock_and_waiters(priority=0, waiter=uuid.uuid4()))[1] == [20]
    await buckets.forget_waiter(*KEY, low)
    async with buckets.locked(*KEY, rate=1, burst=1) as bucket:
        assert (await bucket.clock_and_waiters(priority=0, waiter=uuid.uuid4()))[1] == []


async def test_one_holder_of_a_bucket_at_a_time(buckets: RateBuckets) -> None:
    entered = asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with buckets.locked(*KEY, rate=1, burst=5) as bucket:
            entered.set()
            await asyncio.sleep(0.2)
            await bucket.write(tokens=1, rate=1, at=bucket.row.updated_at)
            order.append("first done")

    async def second() -> None:
        await entered.wait()
        async with buckets.locked(*KEY, rate=1, burst=5) as bucket:
            order.append(f"second sees {bucket.row.tokens:g}")

    async with buckets.locked(*KEY, rate=1, burst=5):
        pass  # the row exists: both below lock the same one
    await asyncio.gather(first(), second())
    assert order == ["first done", "second sees 1"]
