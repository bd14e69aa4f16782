"""The SP-API rate buckets and their waiters (``spapi_rate_buckets``, ``spapi_rate_waiters``).

Store side of :class:`~amazon_odoo_sync.amazon.governor.SharedRateGovernor`, which declares what
it needs (:class:`~amazon_odoo_sync.amazon.governor.RateBuckets`) and keeps the arithmetic (pure,
in ``amazon.bucket``). A take is one transaction on one bucket row: :meth:`PgRateBuckets.locked`
locks the row (``SELECT ... FOR UPDATE``, created from the plan when missing) and hands out the
statements the governor runs under that lock. The database clock is read *after* the lock is
held, so the time line follows the serialisation order and takers on any number of machines
never exceed ``rate * t + burst`` together.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from .shared_state import translated

__all__ = ["BucketRow", "PgLockedBucket", "PgRateBuckets"]

_ENSURE_BUCKET = """
INSERT INTO spapi_rate_buckets (account, region, operation, tokens, rate, burst, updated_at)
VALUES (%(account)s, %(region)s, %(operation)s, %(burst)s, %(rate)s, %(burst)s, clock_timestamp())
ON CONFLICT DO NOTHING
"""
_LOCK_BUCKET = """
SELECT tokens, extract(epoch FROM updated_at)::float8, rate, burst
FROM spapi_rate_buckets
WHERE account = %(account)s AND region = %(region)s AND operation = %(operation)s
FOR UPDATE
"""
_NOW = "SELECT extract(epoch FROM clock_timestamp())::float8"
_NOW_AND_WAITERS = """
SELECT extract(epoch FROM clock_timestamp())::float8,
       coalesce(array_agg(priority) FILTER (WHERE priority > %(priority)s), '{}')
FROM spapi_rate_waiters
WHERE account = %(account)s AND region = %(region)s AND operation = %(operation)s
  AND waiter_id <> %(waiter)s AND expires_at > clock_timestamp()
"""
_STORE_BUCKET = """
UPDATE spapi_rate_buckets SET tokens = %(tokens)s, rate = %(rate)s, updated_at = to_timestamp(%(at)s)
WHERE account = %(account)s AND region = %(region)s AND operation = %(operation)s
"""
_STORE_THROTTLED = """
UPDATE spapi_rate_buckets SET tokens = %(tokens)s, updated_at = to_timestamp(%(at)s),
       last_throttled_at = to_timestamp(%(at)s), throttled_count = throttled_count + 1
WHERE account = %(account)s AND region = %(region)s AND operation = %(operation)s
"""
_UPSERT_WAITER = """
INSERT INTO spapi_rate_waiters (waiter_id, account, region, operation, priority, expires_at)
VALUES (%(waiter)s, %(account)s, %(region)s, %(operation)s, %(priority)s, to_timestamp(%(expires)s))
ON CONFLICT (waiter_id) DO UPDATE SET expires_at = excluded.expires_at
"""
_DELETE_WAITER = "DELETE FROM spapi_rate_waiters WHERE waiter_id = %(waiter)s"
_DELETE_STALE_WAITERS = """
DELETE FROM spapi_rate_waiters
WHERE account = %(account)s AND region = %(region)s AND operation = %(operation)s
  AND expires_at < clock_timestamp() - interval '1 minute'
"""

_WHAT = "rate governor"


@dataclass(frozen=True, kw_only=True)
class BucketRow:
    """A bucket as stored: tokens at ``updated_at`` (epoch seconds on the database clock)."""

    tokens: float
    updated_at: float
    rate: float
    burst: float


class PgLockedBucket:
    """One bucket row locked for the rest of its transaction; times are database epoch seconds."""

    def __init__(self, conn: AsyncConnection[Any], key: dict[str, object], row: BucketRow) -> None:
        self._conn = conn
        self._key = key
        self.row = row

    async def clock(self) -> float:
        row = await (await self._conn.execute(_NOW)).fetchone()
        assert row is not None
        return float(row[0])

    async def clock_and_waiters(self, *, priority: int, waiter: uuid.UUID) -> tuple[float, list[int]]:
        """The database time now and the priorities above ``priority`` of the other live waiters."""
        row = await (await self._conn.execute(
            _NOW_AND_WAITERS, {**self._key, "priority": priority, "waiter": waiter})).fetchone()
        assert row is not None
        return float(row[0]), [int(p) for p in row[1]]

    async def write(self, *, tokens: float, rate: float, at: float) -> None:
        await self._conn.execute(_STORE_BUCKET, {**self._key, "tokens": tokens, "rate": rate, "at": at})

    async def write_throttled(self, *, tokens: float, at: float) -> None:
        """The bucket after a 429 (counted, with its time, for ``status``)."""
        await self._conn.execute(_STORE_THROTTLED, {**self._key, "tokens": tokens, "at": at})

    async def remove_waiter(self, waiter: uuid.UUID) -> None:
        await self._conn.execute(_DELETE_WAITER, {"waiter": waiter})

    async def register_waiter(self, waiter: uuid.UUID, *, priority: int, expires: float) -> None:
        """``waiter`` waits at ``priority`` until ``expires`` (epoch seconds; renewed on each call)."""
        await self._conn.execute(_UPSERT_WAITER, {**self._key, "waiter": waiter, "priority": priority,
                                                  "expires": expires})


class PgRateBuckets:
    """Rate buckets in PostgreSQL, shared by every worker process on every machine."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    @asynccontextmanager
    async def locked(self, account: str, region: str, operation: str, *, rate: float,
                     burst: float) -> AsyncIterator[PgLockedBucket]:
        """The bucket locked in one transaction (created full from ``rate``/``burst`` if missing);
        committed when the block ends."""
        key: dict[str, object] = {"account": account, "region": region, "operation": operation}
        async with translated(_WHAT, operation=operation, account=account), \
                self._pool.connection() as conn, conn.transaction():
            found = await (await conn.execute(_LOCK_BUCKET, key)).fetchone()
            if found is None:
                await conn.execute(_ENSURE_BUCKET, {**key, "rate": rate, "burst": burst})
                found = await (await conn.execute(_LOCK_BUCKET, key)).fetchone()
                assert found is not None
            tokens, updated_at, rate_, burst_ = found
            yield PgLockedBucket(conn, key, BucketRow(tokens=float(tokens), updated_at=float(updated_at),
                                                      rate=float(rate_), burst=float(burst_)))

    async def forget_waiter(self, account: str, region: str, operation: str, waiter: uuid.UUID) -> None:
        """``waiter`` gave up; waiters of the bucket expired over a minute ago go too."""
        async with translated(_WHAT, operation=operation, account=account), self._pool.connection() as conn:
            await conn.execute(_DELETE_WAITER, {"waiter": waiter})
            await conn.execute(_DELETE_STALE_WAITERS,
                               {"account": account, "region": region, "operation": operation})
