"""Rate governor: one token bucket per (account, region, operation), shared by every worker.

:class:`PgRateGovernor` keeps buckets in PostgreSQL. A take locks the bucket row
(``SELECT ... FOR UPDATE``), reads the database clock *after* the lock is held, applies the pure
math of :mod:`.bucket` and writes back, all in one transaction: takers on any number of machines
are serialised on the row and see one time line, so together they never exceed
``rate * t + burst``.

Priority: a caller that cannot take registers in ``spapi_rate_waiters`` (priority, expiry).
Every live waiter of strictly higher priority on the same bucket has one token reserved: a
caller takes only if a token is left beyond those (see :func:`.bucket.decide`). So when stock
(100) and reports (40) compete, stock gets the next token, and reports only get tokens nobody
more urgent is waiting for. Waiter rows expire shortly after their owner's next planned retry,
so a crashed worker blocks nobody for long.

:class:`InMemoryRateGovernor` implements the same interface in one process (unit tests, fakes).

Rates: defaults from :mod:`.usage_plans`; ``x-amzn-RateLimit-Limit`` replaces the rate of a bucket
(:meth:`observe_rate_limit_header`); a 429 empties it and backs off (:meth:`on_throttled`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool

from ..clock import Clock, SystemClock
from ..exceptions import ThrottledError, TransientError
from ..metrics import TOKEN_WAIT
from ..waits import wait as wait_for
from .bucket import BucketState, decide, set_rate, throttled
from .usage_plans import OPERATIONS

__all__ = ["DEFAULT_PLANS", "BucketKey", "Grant", "InMemoryRateGovernor", "PgRateGovernor",
           "RateGovernor", "parse_rate_limit_header"]

#: Operation key → (rate per second, burst): Amazon's defaults.
DEFAULT_PLANS: dict[str, tuple[float, float]] = {k: (s.rate, s.burst) for k, s in OPERATIONS.items()}

#: A waiter row lives this long past its owner's next planned attempt.
WAITER_GRACE_SECONDS = 2.0
#: Never sleep less than this between attempts (no busy loops on a shared row).
MIN_POLL_SECONDS = 0.005


@dataclass(frozen=True, kw_only=True)
class BucketKey:
    account: str
    region: str
    operation: str


@dataclass(frozen=True, kw_only=True)
class Grant:
    key: BucketKey
    #: Seconds spent waiting for the token.
    waited: float
    #: When the token was taken, on the governor's time line (database epoch seconds in PG).
    granted_at: float


def parse_rate_limit_header(value: str) -> float | None:
    """``x-amzn-RateLimit-Limit`` ("0.0167") as a positive rate, or None when unusable."""
    try:
        rate = float(value.strip())
    except (ValueError, AttributeError):
        return None
    return rate if rate > 0 and math.isfinite(rate) else None


class RateGovernor(Protocol):
    async def acquire(self, account: str, region: str, operation: str, priority: int,
                      max_wait: float) -> Grant:
        """Wait until a token is granted; ThrottledError(retry_after) if that takes > max_wait."""

    async def observe_rate_limit_header(self, key: BucketKey, value: str) -> None:
        """Use the rate Amazon reported for this bucket from now on."""

    async def on_throttled(self, key: BucketKey, retry_after: float | None = None) -> None:
        """Amazon answered 429: empty the bucket and back off."""


def _plan(plans: Mapping[str, tuple[float, float]], operation: str) -> tuple[float, float]:
    try:
        return plans[operation]
    except KeyError:
        raise KeyError(f"no usage plan for SP-API operation {operation!r}") from None


def _throttled_error(key: BucketKey, wait: float, max_wait: float) -> ThrottledError:
    return ThrottledError(
        f"rate governor: no token for {key.operation} within {max_wait:g}s "
        f"(next in ~{wait:.1f}s)", system="amazon", operation=key.operation, account=key.account,
        retry_after=wait if math.isfinite(wait) else None)


@dataclass
class _MemBucket:
    state: BucketState
    waiters: dict[uuid.UUID, int] = field(default_factory=dict)
    last_throttled_at: float | None = None


class InMemoryRateGovernor:
    """Same behaviour as :class:`PgRateGovernor` inside one process; time from the clock."""

    def __init__(self, *, clock: Clock | None = None,
                 plans: Mapping[str, tuple[float, float]] | None = None) -> None:
        self._clock = clock or SystemClock()
        self._plans = dict(plans) if plans is not None else dict(DEFAULT_PLANS)
        self.buckets: dict[BucketKey, _MemBucket] = {}
        self.grants: list[Grant] = []

    def _bucket(self, key: BucketKey) -> _MemBucket:
        if key not in self.buckets:
            rate, burst = _plan(self._plans, key.operation)
            self.buckets[key] = _MemBucket(state=BucketState(
                tokens=burst, updated_at=self._clock.monotonic(), rate=rate, burst=burst))
        return self.buckets[key]

    async def acquire(self, account: str, region: str, operation: str, priority: int,
                      max_wait: float) -> Grant:
        key = BucketKey(account=account, region=region, operation=operation)
        bucket = self._bucket(key)
        start = self._clock.monotonic()
        me = uuid.uuid4()
        try:
            while True:
                now = self._clock.monotonic()
                others = [p for w, p in bucket.waiters.items() if w != me]
                decision = decide(bucket.state, now, priority=priority, waiting_priorities=others)
                bucket.state = decision.state
                if decision.granted:
                    grant = Grant(key=key, waited=now - start, granted_at=now)
                    self.grants.append(grant)
                    TOKEN_WAIT.labels(operation).observe(grant.waited)
                    return grant
                wait = max(decision.wait, MIN_POLL_SECONDS)
                if now + wait - start > max_wait:
                    raise _throttled_error(key, wait, max_wait)
                bucket.waiters[me] = priority
                await wait_for(self._clock, wait, reason="quota", operation=operation)
        finally:
            bucket.waiters.pop(me, None)

    async def observe_rate_limit_header(self, key: BucketKey, value: str) -> None:
        rate = parse_rate_limit_header(value)
        if rate is not None:
            bucket = self._bucket(key)
            bucket.state = set_rate(bucket.state, self._clock.monotonic(), rate)

    async def on_throttled(self, key: BucketKey, retry_after: float | None = None) -> None:
        bucket = self._bucket(key)
        now = self._clock.monotonic()
        bucket.state = throttled(bucket.state, now, retry_after)
        bucket.last_throttled_at = now


# Named SQL of the PostgreSQL governor.
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
# Read after the row lock is held, so the time line follows the serialisation order.
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


def _params(key: BucketKey, **extra: object) -> dict[str, object]:
    return {"account": key.account, "region": key.region, "operation": key.operation, **extra}


def _store_error(exc: psycopg.Error, key: BucketKey) -> TransientError:
    return TransientError(f"rate governor storage failed: {type(exc).__name__}", system="store",
                          operation=key.operation, account=key.account)


class PgRateGovernor:
    """Token buckets in PostgreSQL, shared by every worker process on every machine."""

    def __init__(self, pool: AsyncConnectionPool[Any], *, clock: Clock | None = None,
                 plans: Mapping[str, tuple[float, float]] | None = None) -> None:
        self._pool = pool
        self._clock = clock or SystemClock()
        self._plans = dict(plans) if plans is not None else dict(DEFAULT_PLANS)
        self._known_rates: dict[BucketKey, float] = {}

    async def _locked_state(self, conn: psycopg.AsyncConnection[Any],
                            key: BucketKey) -> BucketState:
        row = await (await conn.execute(_LOCK_BUCKET, _params(key))).fetchone()
        if row is None:
            rate, burst = _plan(self._plans, key.operation)
            await conn.execute(_ENSURE_BUCKET, _params(key, rate=rate, burst=burst))
            row = await (await conn.execute(_LOCK_BUCKET, _params(key))).fetchone()
            assert row is not None
        tokens, updated_at, rate_, burst_ = row
        return BucketState(tokens=float(tokens), updated_at=float(updated_at),
                           rate=float(rate_), burst=float(burst_))

    async def _attempt(self, key: BucketKey, priority: int, waiter: uuid.UUID
                       ) -> tuple[bool, float, float]:
        """One transaction: (granted, wait seconds, database time)."""
        async with self._pool.connection() as conn, conn.transaction():
            state = await self._locked_state(conn, key)
            row = await (await conn.execute(
                _NOW_AND_WAITERS, _params(key, priority=priority, waiter=waiter))).fetchone()
            assert row is not None
            now, higher = float(row[0]), list(row[1])
            decision = decide(state, now, priority=priority, waiting_priorities=higher)
            if decision.granted:
                await conn.execute(_STORE_BUCKET, _params(
                    key, tokens=decision.state.tokens, rate=decision.state.rate,
                    at=decision.state.updated_at))
                await conn.execute(_DELETE_WAITER, {"waiter": waiter})
                return True, 0.0, now
            wait = max(decision.wait, MIN_POLL_SECONDS)
            if math.isfinite(wait):
                await conn.execute(_UPSERT_WAITER, _params(
                    key, waiter=waiter, priority=priority, expires=now + wait + WAITER_GRACE_SECONDS))
            return False, wait, now

    async def acquire(self, account: str, region: str, operation: str, priority: int,
                      max_wait: float) -> Grant:
        key = BucketKey(account=account, region=region, operation=operation)
        start = self._clock.monotonic()
        waiter = uuid.uuid4()
        registered = False
        try:
            while True:
                granted, wait, db_now = await self._attempt(key, priority, waiter)
                if granted:
                    registered = False  # the granting transaction removed the waiter row
                    waited = self._clock.monotonic() - start
                    TOKEN_WAIT.labels(operation).observe(waited)
                    return Grant(key=key, waited=waited, granted_at=db_now)
                registered = True
                if self._clock.monotonic() + wait - start > max_wait:
                    raise _throttled_error(key, wait, max_wait)
                await wait_for(self._clock, wait, reason="quota", operation=operation)
        except psycopg.Error as exc:
            raise _store_error(exc, key) from exc
        finally:
            if registered:
                await self._forget_waiter(key, waiter)

    async def _forget_waiter(self, key: BucketKey, waiter: uuid.UUID) -> None:
        try:
            async with self._pool.connection() as conn:
                await conn.execute(_DELETE_WAITER, {"waiter": waiter})
                await conn.execute(_DELETE_STALE_WAITERS, _params(key))
        except psycopg.Error:
            pass  # the row expires on its own within WAITER_GRACE_SECONDS

    async def observe_rate_limit_header(self, key: BucketKey, value: str) -> None:
        rate = parse_rate_limit_header(value)
        if rate is None or self._known_rates.get(key) == rate:
            return  # unchanged: no database write on the hot path
        try:
            async with self._pool.connection() as conn, conn.transaction():
                state = await self._locked_state(conn, key)
                if state.rate != rate:
                    now = await self._db_now(conn)
                    new = set_rate(state, now, rate)
                    await conn.execute(_STORE_BUCKET, _params(
                        key, tokens=new.tokens, rate=new.rate, at=new.updated_at))
        except psycopg.Error as exc:
            raise _store_error(exc, key) from exc
        self._known_rates[key] = rate

    async def on_throttled(self, key: BucketKey, retry_after: float | None = None) -> None:
        try:
            async with self._pool.connection() as conn, conn.transaction():
                state = await self._locked_state(conn, key)
                now = await self._db_now(conn)
                new = throttled(state, now, retry_after)
                await conn.execute(_STORE_THROTTLED, _params(key, tokens=new.tokens, at=new.updated_at))
        except psycopg.Error as exc:
            raise _store_error(exc, key) from exc

    @staticmethod
    async def _db_now(conn: psycopg.AsyncConnection[Any]) -> float:
        row = await (await conn.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
                     ).fetchone()
        assert row is not None
        return float(row[0])

