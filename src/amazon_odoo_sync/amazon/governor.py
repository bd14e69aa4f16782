"""Rate governor: one token bucket per (account, region, operation), shared by every worker.

:class:`SharedRateGovernor` keeps buckets in a store every worker shares (:class:`RateBuckets`,
declared here and implemented on PostgreSQL by ``store.rate_buckets.PgRateBuckets``, injected). A
take locks the bucket row, reads the store's clock *after* the lock is held, applies the pure math
of :mod:`.bucket` and writes back, all in one transaction: takers on any number of machines are
serialised on the row and see one time line, so together they never exceed ``rate * t + burst``.

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
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from ..clock import Clock, SystemClock
from ..exceptions import ThrottledError, TransientError
from ..metrics import TOKEN_WAIT
from ..store.rate_buckets import BucketRow
from ..waits import wait as wait_for
from .bucket import BucketState, decide, set_rate, throttled
from .usage_plans import OPERATIONS

__all__ = ["DEFAULT_PLANS", "BucketKey", "Grant", "InMemoryRateGovernor", "LockedBucket", "RateBuckets",
           "RateGovernor", "SharedRateGovernor", "parse_rate_limit_header"]

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
    """Same behaviour as :class:`SharedRateGovernor` inside one process; time from the clock."""

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


class LockedBucket(Protocol):
    """One bucket row held for one take (a transaction on it); times on the store's time line."""

    @property
    def row(self) -> BucketRow: ...

    async def clock(self) -> float: ...

    async def clock_and_waiters(self, *, priority: int, waiter: uuid.UUID) -> tuple[float, list[int]]:
        """Now, and the priorities above ``priority`` of the other live waiters of the bucket."""

    async def write(self, *, tokens: float, rate: float, at: float) -> None: ...

    async def write_throttled(self, *, tokens: float, at: float) -> None: ...

    async def remove_waiter(self, waiter: uuid.UUID) -> None: ...

    async def register_waiter(self, waiter: uuid.UUID, *, priority: int, expires: float) -> None: ...


class RateBuckets(Protocol):
    """Where the buckets every worker shares live (``store.rate_buckets.PgRateBuckets``)."""

    def locked(self, account: str, region: str, operation: str, *, rate: float,
               burst: float) -> AbstractAsyncContextManager[LockedBucket]:
        """The bucket locked until the block ends (created full from the plan when missing)."""

    async def forget_waiter(self, account: str, region: str, operation: str, waiter: uuid.UUID) -> None: ...


def _state(row: BucketRow) -> BucketState:
    return BucketState(tokens=row.tokens, updated_at=row.updated_at, rate=row.rate, burst=row.burst)


class SharedRateGovernor:
    """Token buckets in a shared store (PostgreSQL in services), shared by every worker process
    on every machine. Store errors reach the caller as our ``TransientError``."""

    def __init__(self, buckets: RateBuckets, *, clock: Clock | None = None,
                 plans: Mapping[str, tuple[float, float]] | None = None) -> None:
        self._buckets = buckets
        self._clock = clock or SystemClock()
        self._plans = dict(plans) if plans is not None else dict(DEFAULT_PLANS)
        self._known_rates: dict[BucketKey, float] = {}

    def _locked(self, key: BucketKey) -> AbstractAsyncContextManager[LockedBucket]:
        rate, burst = _plan(self._plans, key.operation)
        return self._buckets.locked(key.account, key.region, key.operation, rate=rate, burst=burst)

    async def _attempt(self, key: BucketKey, priority: int, waiter: uuid.UUID
                       ) -> tuple[bool, float, float]:
        """One transaction: (granted, wait seconds, store time)."""
        async with self._locked(key) as bucket:
            now, higher = await bucket.clock_and_waiters(priority=priority, waiter=waiter)
            decision = decide(_state(bucket.row), now, priority=priority, waiting_priorities=higher)
            if decision.granted:
                await bucket.write(tokens=decision.state.tokens, rate=decision.state.rate,
                                   at=decision.state.updated_at)
                await bucket.remove_waiter(waiter)
                return True, 0.0, now
            wait = max(decision.wait, MIN_POLL_SECONDS)
            if math.isfinite(wait):
                await bucket.register_waiter(waiter, priority=priority,
                                             expires=now + wait + WAITER_GRACE_SECONDS)
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
        finally:
            if registered:
                await self._forget_waiter(key, waiter)

    async def _forget_waiter(self, key: BucketKey, waiter: uuid.UUID) -> None:
        try:
            await self._buckets.forget_waiter(key.account, key.region, key.operation, waiter)
        except TransientError:
            pass  # the row expires on its own within WAITER_GRACE_SECONDS

    async def observe_rate_limit_header(self, key: BucketKey, value: str) -> None:
        rate = parse_rate_limit_header(value)
        if rate is None or self._known_rates.get(key) == rate:
            return  # unchanged: no database write on the hot path
        async with self._locked(key) as bucket:
            state = _state(bucket.row)
            if state.rate != rate:
                new = set_rate(state, await bucket.clock(), rate)
                await bucket.write(tokens=new.tokens, rate=new.rate, at=new.updated_at)
        self._known_rates[key] = rate

    async def on_throttled(self, key: BucketKey, retry_after: float | None = None) -> None:
        async with self._locked(key) as bucket:
            new = throttled(_state(bucket.row), await bucket.clock(), retry_after)
            await bucket.write_throttled(tokens=new.tokens, at=new.updated_at)
