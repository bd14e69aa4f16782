"""The in-memory twin of the store: the same repositories on plain Python structures.

Flows are unit-tested on it without PostgreSQL; ``tests/contract/store`` runs the same
repository tests on it and on :class:`~amazon_odoo_sync.store.unit.PgStore`, so the twin
cannot drift from what the SQL does.

Transactions are serialised (one at a time, as if every transaction locked everything) and
rolled back by restoring a snapshot taken when they began. ``session()`` calls apply at once.
A transaction opened inside another one in the same task is an error here (on PostgreSQL it
would be a second connection waiting on the first's locks: a deadlock in the making).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from ...clock import Clock, SystemClock
from .accounts import MemoryAccounts
from .audit import MemoryAudit
from .cursors import MemoryCursors
from .external_ids import MemoryExternalIds
from .fba_drift import MemoryFbaDrift
from .inbox import MemoryInbox
from .job_queue import MemoryJobQueue
from .offers import MemoryOffers
from .personal_data import MemoryPersonalData
from .product_map import MemoryProductMap
from .quarantine import MemoryQuarantine
from .reservations import MemoryReservations
from .schedules import MemorySchedules
from .settlements import MemorySettlements
from .shipments import MemoryShipments

__all__ = ["MemoryState", "MemoryStore", "MemoryUnitOfWork"]

T = TypeVar("T")


class MemoryState:
    """Every table of the twin: each repository keeps its rows in a section of its own."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._sections: dict[str, Any] = {}
        self._ids: dict[str, itertools.count[int]] = {}

    def section(self, name: str, factory: Callable[[], T]) -> T:
        """The section ``name`` (created by ``factory`` the first time)."""
        if name not in self._sections:
            self._sections[name] = factory()
        value: T = self._sections[name]
        return value

    def next_id(self, name: str) -> int:
        """The next id of a serial column (1, 2, ...; never reused, as a sequence)."""
        return next(self._ids.setdefault(name, itertools.count(1)))

    def now(self) -> datetime:
        return self.clock.now()

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self._sections)

    def restore(self, snapshot: dict[str, Any]) -> None:
        # Sequences are not rolled back (as on PostgreSQL): only the rows are.
        self._sections = snapshot


class MemoryUnitOfWork:
    def __init__(self, state: MemoryState) -> None:
        self.quarantine = MemoryQuarantine(state)
        self.audit = MemoryAudit(state)
        self.jobs = MemoryJobQueue(state)
        self.external_ids = MemoryExternalIds(state)
        self.reservations = MemoryReservations(state)
        self.cursors = MemoryCursors(state)
        self.offers = MemoryOffers(state)
        self.product_map = MemoryProductMap(state)
        self.fba_drift = MemoryFbaDrift(state)
        self.inbox = MemoryInbox(state)
        self.personal_data = MemoryPersonalData(state)
        self.accounts = MemoryAccounts(state)
        self.shipments = MemoryShipments(state)
        self.schedules = MemorySchedules(state)
        self.settlements = MemorySettlements(state)


class MemoryStore:
    """:class:`~amazon_odoo_sync.store.unit.Store` in memory. ``state`` is open to tests."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.state = MemoryState(clock or SystemClock())
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryUnitOfWork]:
        task = asyncio.current_task()
        if self._holder is not None and self._holder is task:
            raise RuntimeError("a transaction was opened inside another one of the same task")
        async with self._lock:
            self._holder = task
            snapshot = self.state.snapshot()
            try:
                yield MemoryUnitOfWork(self.state)
            except BaseException:
                self.state.restore(snapshot)
                raise
            finally:
                self._holder = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[MemoryUnitOfWork]:
        yield MemoryUnitOfWork(self.state)
