"""Capacity governor: adaptive concurrency per Odoo instance, shared by all workers.

Why: a Prime-Day burst must slow the connector down, not take Odoo down. Odoo has a fixed number
of workers and database connections; past that, more parallel calls only add latency, timeouts
and serialization failures.

How (AIMD, as TCP congestion control):

* every call holds a *slot*; at most ``limit`` calls per instance are in flight, across all
  workers (the count lives in a shared :class:`CapacityStore`: PostgreSQL's
  ``store.odoo_capacity.PgOdooCapacity`` in services, injected);
* after a window of ``limit`` good calls, the limit grows by 1 (additive increase), up to
  ``max_concurrency`` (``settings.odoo.max_concurrency``);
* on an overload signal (timeout, 502/503/504, serialization/lock failure, or a latency above
  ``latency_tolerance`` times the baseline of that kind of call), the limit is multiplied by
  ``decrease_factor``
  (multiplicative decrease), at least 1, at most once per ``cooldown`` seconds across workers, so
  that one burst of failures from calls already in flight counts once;
* the latency baseline is a moving average of good calls that also creeps up slowly on slow
  calls, so a server that is permanently slower becomes the new normal instead of pinning the
  limit at 1. It is kept per kind of call (``model.method``) and per record the call carries:
  confirming 50 orders in one call takes 2-3 s on a healthy Odoo, a search 20 ms; measured
  against one shared baseline, every batch looked like an overload and halved the limit.

Slots are leases with an expiry: a worker that dies while holding one does not leak it; the
next worker to find the instance full reaps expired leases.

Business errors (UserError...) are good calls for capacity: Odoo answered promptly.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..clock import Clock, SystemClock
from ..exceptions import ThrottledError
from ..metrics import ODOO_CONCURRENCY_LIMIT
from ..store.odoo_capacity import Lease
from ..waits import interruptible

__all__ = [
    "AdaptiveGovernor",
    "CallSlot",
    "CapacityStore",
    "Governor",
    "InMemoryCapacityStore",
    "Lease",
]


@dataclass
class CallSlot:
    """Held for the duration of one call; set ``overloaded`` when the call says Odoo is busy."""

    overloaded: bool = False
    #: The kind of call and how many records it carries: its latency is judged per record
    #: against calls of the same kind.
    kind: str = "*"
    records: int = 1


class Governor(Protocol):
    """What :class:`~amazon_odoo_sync.odoo.client.OdooClient` needs from a governor."""

    def slot(self, kind: str = "*", records: int = 1) -> Any:  # an async context manager yielding a CallSlot
        ...


class CapacityStore(Protocol):
    """Where the shared limit and in-flight count of each instance live."""

    async def ensure(self, instance: str, *, initial: int, maximum: int) -> int:
        """Create the instance's row if missing; return the current limit."""

    async def try_acquire(self, instance: str, *, holder: str, ttl: float) -> Lease | None:
        """A lease if fewer than ``limit`` are in flight, else ``None``. Reaps expired leases."""

    async def release(self, lease: Lease) -> None: ...

    async def increase(self, instance: str, *, maximum: int) -> int:
        """Limit + 1 (bounded); returns the new limit."""

    async def decrease(self, instance: str, *, factor: float, cooldown: float) -> int:
        """Limit × factor (at least 1) unless decreased less than ``cooldown`` s ago."""

    async def limit(self, instance: str) -> int: ...

    async def in_flight(self, instance: str) -> int: ...

    async def aclose(self) -> None: ...


# -- in memory (tests, single process) --------------------------------------------------------


@dataclass
class _MemoryInstance:
    limit: int
    maximum: int
    leases: dict[int, float] = field(default_factory=dict)  # id -> expires at (monotonic)
    last_decrease: float | None = None


class InMemoryCapacityStore:
    """The store in plain structures; share one between governors to model several workers."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._instances: dict[str, _MemoryInstance] = {}
        self._ids = itertools.count(1)

    async def ensure(self, instance: str, *, initial: int, maximum: int) -> int:
        state = self._instances.setdefault(instance, _MemoryInstance(limit=initial, maximum=maximum))
        state.maximum = maximum
        state.limit = min(state.limit, maximum)
        return state.limit

    async def try_acquire(self, instance: str, *, holder: str, ttl: float) -> Lease | None:
        state = self._instances[instance]
        now = self._clock.monotonic()
        for lease_id in [i for i, expiry in state.leases.items() if expiry <= now]:
            del state.leases[lease_id]
        if len(state.leases) >= state.limit:
            return None
        lease_id = next(self._ids)
        state.leases[lease_id] = now + ttl
        return Lease(instance=instance, id=lease_id)

    async def release(self, lease: Lease) -> None:
        self._instances[lease.instance].leases.pop(lease.id, None)

    async def increase(self, instance: str, *, maximum: int) -> int:
        state = self._instances[instance]
        state.limit = min(maximum, state.limit + 1)
        return state.limit

    async def decrease(self, instance: str, *, factor: float, cooldown: float) -> int:
        state = self._instances[instance]
        now = self._clock.monotonic()
        if state.last_decrease is None or now - state.last_decrease >= cooldown:
            state.limit = max(1, math.floor(state.limit * factor))
            state.last_decrease = now
        return state.limit

    async def limit(self, instance: str) -> int:
        return self._instances[instance].limit

    async def in_flight(self, instance: str) -> int:
        return len(self._instances[instance].leases)

    async def aclose(self) -> None:
        return None


# -- the governor -------------------------------------------------------------------------------


class AdaptiveGovernor:
    """AIMD concurrency limit for one Odoo instance; ``async with governor.slot() as slot:``.

    ``store`` defaults to a private :class:`InMemoryCapacityStore` (one process); production
    passes ``store.odoo_capacity.PgOdooCapacity`` so all workers share the limit. Waiting for a slot
    polls the store (``poll_interval``, doubling to ``max_poll_interval``) and wakes early when
    a slot of this process is released; after ``acquire_timeout`` seconds it raises
    :class:`ThrottledError` (retryable), which is the back-pressure the job queue sees.
    """

    def __init__(
        self,
        instance: str,
        *,
        store: CapacityStore | None = None,
        max_concurrency: int = 8,
        initial: int | None = None,
        clock: Clock | None = None,
        decrease_factor: float = 0.6,
        latency_tolerance: float = 2.5,
        min_samples: int = 5,
        cooldown: float = 1.0,
        acquire_timeout: float = 60.0,
        lease_ttl: float = 300.0,
        poll_interval: float = 0.01,
        max_poll_interval: float = 0.25,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if not 0 < decrease_factor < 1:
            raise ValueError("decrease_factor must be between 0 and 1")
        self.instance = instance
        self.max_concurrency = max_concurrency
        self._initial = max(1, min(initial if initial is not None else max_concurrency,
                                   max_concurrency))
        self._clock = clock or SystemClock()
        self._store = store if store is not None else InMemoryCapacityStore(self._clock)
        self._decrease_factor = decrease_factor
        self._latency_tolerance = latency_tolerance
        self._min_samples = min_samples
        self._cooldown = cooldown
        self._acquire_timeout = acquire_timeout
        self._lease_ttl = lease_ttl
        self._poll_interval = poll_interval
        self._max_poll_interval = max_poll_interval
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._ready = False
        self._limit = self._initial
        self._good_in_window = 0
        #: kind of call → (latency per record, good samples)
        self._baselines: dict[str, tuple[float, int]] = {}
        self._released = asyncio.Event()

    @property
    def baseline(self) -> float | None:
        """Latency per record of calls of the default kind (``*``)."""
        return self.baseline_of("*")

    def baseline_of(self, kind: str) -> float | None:
        known = self._baselines.get(kind)
        return None if known is None else known[0]

    @property
    def limit(self) -> int:
        """The limit as last seen by this governor (the shared one may have moved since)."""
        return self._limit

    async def current_limit(self) -> int:
        await self._ensure()
        self._set_limit(await self._store.limit(self.instance))
        return self._limit

    async def in_flight(self) -> int:
        await self._ensure()
        return await self._store.in_flight(self.instance)

    async def aclose(self) -> None:
        await self._store.aclose()

    @asynccontextmanager
    async def slot(self, kind: str = "*", records: int = 1) -> AsyncIterator[CallSlot]:
        lease = await self._acquire()
        started = self._clock.monotonic()
        slot = CallSlot(kind=kind, records=max(1, records))
        try:
            yield slot
        except BaseException:
            await self._finish(lease, started, slot)
            raise
        await self._finish(lease, started, slot)

    async def _finish(self, lease: Lease, started: float, slot: CallSlot) -> None:
        latency = self._clock.monotonic() - started
        try:
            await asyncio.shield(self._store.release(lease))
        finally:
            self._released.set()
        await self.record(latency, overloaded=slot.overloaded, kind=slot.kind, records=slot.records)

    async def record(self, latency: float, *, overloaded: bool = False, kind: str = "*",
                     records: int = 1) -> None:
        """Feed one call's outcome into the AIMD rule (the slot does this itself)."""
        await self._ensure()
        each = latency / max(1, records)
        baseline, samples = self._baselines.get(kind, (None, 0))
        slow = baseline is not None and samples >= self._min_samples and each > self._latency_tolerance * baseline
        if overloaded or slow:
            self._good_in_window = 0
            if slow and baseline is not None:
                # Creep towards the slower latency so a slower normal is accepted eventually.
                self._baselines[kind] = (baseline + 0.05 * (each - baseline), samples)
            self._set_limit(await self._store.decrease(
                self.instance, factor=self._decrease_factor, cooldown=self._cooldown))
            return
        self._baselines[kind] = (each if baseline is None else 0.9 * baseline + 0.1 * each, samples + 1)
        self._good_in_window += 1
        if self._good_in_window >= self._limit:
            self._good_in_window = 0
            if self._limit < self.max_concurrency:
                self._set_limit(await self._store.increase(self.instance,
                                                           maximum=self.max_concurrency))

    async def _ensure(self) -> None:
        if not self._ready:
            self._set_limit(await self._store.ensure(self.instance, initial=self._initial,
                                                     maximum=self.max_concurrency))
            self._ready = True

    def _set_limit(self, value: int) -> None:
        self._limit = value
        ODOO_CONCURRENCY_LIMIT.labels(instance=self.instance).set(value)

    async def _acquire(self) -> Lease:
        await self._ensure()
        deadline = self._clock.monotonic() + self._acquire_timeout
        delay = self._poll_interval
        while True:
            lease = await self._store.try_acquire(self.instance, holder=self._holder,
                                                  ttl=self._lease_ttl)
            if lease is not None:
                return lease
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                raise ThrottledError(
                    f"Odoo capacity governor: no free slot for {self.instance} within "
                    f"{self._acquire_timeout:g}s (limit {self._limit})",
                    system="odoo", operation="governor.acquire", retry_after=5.0)
            self._released.clear()
            wait = min(delay, remaining)
            sleeper = asyncio.ensure_future(self._clock.sleep(wait))
            waker = asyncio.ensure_future(self._released.wait())
            try:
                with interruptible():  # holds no slot: a stopping worker may give the job back
                    await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (sleeper, waker):
                    if not task.done():
                        task.cancel()
                await asyncio.gather(sleeper, waker, return_exceptions=True)
            delay = min(delay * 2, self._max_poll_interval)
