"""The clients' shared state in memory: rate buckets, LWA tokens, SP-API and Odoo circuits.

Twins of :mod:`..rate_buckets`, :mod:`..lwa_tokens`, :mod:`..spapi_circuits` and
:class:`..odoo_circuit.PgOdooCircuits`, passing the same tests (``tests/contract/store``). One
instance stands for one database: share it between clients to model several workers. A lock
per row stands for ``FOR UPDATE`` and the advisory lock; what a locked block writes is applied
when it ends without raising (its transaction commits) and dropped when it raises. Times come
from the clock (epoch seconds of ``clock.now()`` where PostgreSQL reads ``clock_timestamp()``).
(The Odoo capacity store's twin is ``odoo.governor.InMemoryCapacityStore``, older than this.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from ...circuit import CLOSED, CircuitState
from ...clock import Clock, SystemClock
from ..lwa_tokens import StoredToken
from ..rate_buckets import BucketRow

__all__ = ["MemoryLockedBucket", "MemoryLockedToken", "MemoryLwaTokens", "MemoryOdooCircuits",
           "MemoryRateBuckets", "MemorySpapiCircuits", "MemorySpapiState"]

_Key = tuple[str, str, str]


@dataclass(frozen=True, kw_only=True)
class _Waiter:
    key: _Key
    priority: int
    expires: float


class MemoryLockedBucket:
    def __init__(self, owner: MemoryRateBuckets, key: _Key, row: BucketRow) -> None:
        self._owner = owner
        self._key = key
        self.row = row
        #: What the block wrote, applied when it ends well.
        self.staged_row: BucketRow | None = None
        self.staged_waiters: dict[uuid.UUID, _Waiter | None] = {}
        self.throttled = 0

    async def clock(self) -> float:
        return self._owner.epoch()

    async def clock_and_waiters(self, *, priority: int, waiter: uuid.UUID) -> tuple[float, list[int]]:
        now = self._owner.epoch()
        return now, [w.priority for wid, w in self._owner.waiters.items()
                     if w.key == self._key and wid != waiter and w.expires > now and w.priority > priority]

    async def write(self, *, tokens: float, rate: float, at: float) -> None:
        self.staged_row = replace(self.staged_row or self.row, tokens=tokens, rate=rate, updated_at=at)

    async def write_throttled(self, *, tokens: float, at: float) -> None:
        self.staged_row = replace(self.staged_row or self.row, tokens=tokens, updated_at=at)
        self.throttled += 1

    async def remove_waiter(self, waiter: uuid.UUID) -> None:
        self.staged_waiters[waiter] = None

    async def register_waiter(self, waiter: uuid.UUID, *, priority: int, expires: float) -> None:
        known = self._owner.waiters.get(waiter)
        if known is not None:  # ON CONFLICT (waiter_id) DO UPDATE SET expires_at
            self.staged_waiters[waiter] = replace(known, expires=expires)
        else:
            self.staged_waiters[waiter] = _Waiter(key=self._key, priority=priority, expires=expires)


class MemoryRateBuckets:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self.buckets: dict[_Key, BucketRow] = {}
        self.waiters: dict[uuid.UUID, _Waiter] = {}
        #: 429s recorded per bucket (``throttled_count``).
        self.throttled: dict[_Key, int] = {}
        self._locks: dict[_Key, asyncio.Lock] = {}

    def epoch(self) -> float:
        return self._clock.now().timestamp()

    @asynccontextmanager
    async def locked(self, account: str, region: str, operation: str, *, rate: float,
                     burst: float) -> AsyncIterator[MemoryLockedBucket]:
        key = (account, region, operation)
        async with self._locks.setdefault(key, asyncio.Lock()):
            row = self.buckets.get(key) or BucketRow(tokens=burst, updated_at=self.epoch(), rate=rate, burst=burst)
            created = key not in self.buckets
            self.buckets[key] = row  # inserted in the transaction: undone below if it rolls back
            bucket = MemoryLockedBucket(self, key, row)
            try:
                yield bucket
            except BaseException:
                if created:
                    del self.buckets[key]
                raise
            if bucket.staged_row is not None:
                self.buckets[key] = bucket.staged_row
            self.throttled[key] = self.throttled.get(key, 0) + bucket.throttled
            for waiter, value in bucket.staged_waiters.items():
                if value is None:
                    self.waiters.pop(waiter, None)
                else:
                    self.waiters[waiter] = value

    async def forget_waiter(self, account: str, region: str, operation: str, waiter: uuid.UUID) -> None:
        self.waiters.pop(waiter, None)
        stale = self.epoch() - 60.0
        for other in [w for w, v in self.waiters.items()
                      if v.key == (account, region, operation) and v.expires < stale]:
            del self.waiters[other]


class MemoryLockedToken:
    def __init__(self, owner: MemoryLwaTokens, key: str) -> None:
        self._owner = owner
        self._key = key
        self.staged: StoredToken | None = None

    async def read(self) -> StoredToken | None:
        return self._owner.tokens.get(self._key)

    async def write(self, sealed: bytes, *, expires_at: datetime, refreshed_at: datetime) -> None:
        self.staged = StoredToken(sealed=sealed, expires_at=expires_at)


class MemoryLwaTokens:
    def __init__(self) -> None:
        self.tokens: dict[str, StoredToken] = {}
        #: Refreshes stored per key (``refresh_count``).
        self.refreshes: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def locked(self, key: str, *, account: str) -> AsyncIterator[MemoryLockedToken]:
        async with self._locks.setdefault(key, asyncio.Lock()):
            slot = MemoryLockedToken(self, key)
            yield slot
            if slot.staged is not None:
                self.tokens[key] = slot.staged
                self.refreshes[key] = self.refreshes.get(key, 0) + 1


class _MemoryCircuits:
    """Rows keyed by the circuit's name; a lock per row stands for ``FOR UPDATE``."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, ...], CircuitState] = {}
        self.last_errors: dict[tuple[str, ...], str] = {}
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}

    async def _change(self, key: tuple[str, ...], transition: Callable[[CircuitState], CircuitState],
                      error: str | None) -> tuple[CircuitState, CircuitState]:
        async with self._locks.setdefault(key, asyncio.Lock()):
            before = self.rows.get(key, CircuitState())
            after = transition(before)
            if after != before or error is not None:
                self.rows[key] = after
                if error is not None:
                    self.last_errors[key] = error[:500]
            return before, after


class MemorySpapiCircuits(_MemoryCircuits):
    async def read(self, account: str, api: str) -> CircuitState:
        return self.rows.get((account, api), CircuitState())

    async def change(self, account: str, api: str, now: datetime,
                     transition: Callable[[CircuitState], CircuitState], *,
                     error: str | None = None) -> tuple[CircuitState, CircuitState]:
        return await self._change((account, api), transition, error)

    async def close(self, account: str, api: str, now: datetime) -> bool:
        current = self.rows.get((account, api))
        if current is None or (current.state == CLOSED and current.failures == 0):
            return False
        self.rows[(account, api)] = CircuitState()
        return True


class MemoryOdooCircuits(_MemoryCircuits):
    async def read(self, instance: str) -> CircuitState:
        return self.rows.get((instance,), CircuitState())

    async def change(self, instance: str, now: datetime, transition: Callable[[CircuitState], CircuitState], *,
                     error: str | None = None) -> tuple[CircuitState, CircuitState]:
        return await self._change((instance,), transition, error)


class MemorySpapiState:
    """The twin of :class:`..spapi_state.PgSpapiState`, for ``SpApiClient.shared`` in tests."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.rate_buckets = MemoryRateBuckets(clock)
        self.lwa_tokens = MemoryLwaTokens()
        self.circuits = MemorySpapiCircuits()
