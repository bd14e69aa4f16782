"""The one door to PostgreSQL: a :class:`Store` hands out units of work, each one transaction
carrying the repositories that work on it.

    async with store.transaction() as tx:   # one transaction: committed on exit, rolled back on error
        await tx.quarantine.put(flow=..., key=..., account=..., reason=...)
        await tx.audit.record(actor=..., action=...)

    async with store.session() as tx:       # autocommit: every call is its own transaction
        items = await tx.quarantine.open_items("orders")

Flows, jobs, the web and the CLI see only this interface and the repositories' Protocols;
every SQL statement lives in ``store``. Two implementations pass the same repository tests
(``tests/contract/store``): :class:`PgStore` here, on a psycopg pool, and the in-memory twin
:class:`~amazon_odoo_sync.store.memory.MemoryStore`, on which flows are unit-tested without a
database (as procrastinate's ``InMemoryConnector`` stands in for its PostgreSQL connector).

Driver errors never leave: :class:`PgStore` translates them at its edge
(:func:`~amazon_odoo_sync.store.database.translate_driver_error`) into our tree: a lost
connection is a ``TransientError``, a deadlock a ``ContentionError`` (run the transaction
again), a unique key a ``ConflictError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from .accounts import AccountsRepository, PgAccounts
from .audit import AuditRepository, PgAudit
from .cursors import CursorsRepository, PgCursors
from .database import translate_driver_error
from .external_ids import ExternalIdsRepository, PgExternalIds
from .fba_drift import FbaDriftRepository, PgFbaDrift
from .inbox import InboxRepository, PgInbox
from .job_queue import JobQueueRepository, PgJobQueue
from .offers import OffersRepository, PgOffers
from .personal_data import PersonalDataRepository, PgPersonalData
from .product_map import PgProductMap, ProductMapRepository
from .quarantine import PgQuarantine, QuarantineRepository
from .reservations import PgReservations, ReservationsRepository
from .schedules import PgSchedules, SchedulesRepository
from .settlements import PgSettlements, SettlementsRepository
from .shipments import PgShipments, ShipmentsRepository
from .users import PgUsers

__all__ = ["PgStore", "PgUnitOfWork", "Store", "UnitOfWork"]


class UnitOfWork(Protocol):
    """The repositories of one transaction (or of one autocommit session)."""

    @property
    def quarantine(self) -> QuarantineRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def jobs(self) -> JobQueueRepository: ...

    @property
    def external_ids(self) -> ExternalIdsRepository: ...

    @property
    def reservations(self) -> ReservationsRepository: ...

    @property
    def cursors(self) -> CursorsRepository: ...

    @property
    def offers(self) -> OffersRepository: ...

    @property
    def product_map(self) -> ProductMapRepository: ...

    @property
    def fba_drift(self) -> FbaDriftRepository: ...

    @property
    def inbox(self) -> InboxRepository: ...

    @property
    def personal_data(self) -> PersonalDataRepository: ...

    @property
    def accounts(self) -> AccountsRepository: ...

    @property
    def shipments(self) -> ShipmentsRepository: ...

    @property
    def schedules(self) -> SchedulesRepository: ...

    @property
    def settlements(self) -> SettlementsRepository: ...


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """One transaction: committed when the block ends, rolled back when it raises."""

    def session(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Autocommit: each repository call is its own transaction (reads, single writes)."""


class PgUnitOfWork:
    """The repositories on one psycopg connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        # Store-internal: repositories and the job queue's deferral (jobs defer in the same
        # transaction as the work that asks for them) use it; flows never do.
        self.connection = conn
        self.quarantine = PgQuarantine(conn)
        self.audit = PgAudit(conn)
        self.jobs = PgJobQueue(conn)
        self.external_ids = PgExternalIds(conn)
        self.reservations = PgReservations(conn)
        self.cursors = PgCursors(conn)
        self.offers = PgOffers(conn)
        self.product_map = PgProductMap(conn)
        self.fba_drift = PgFbaDrift(conn)
        self.inbox = PgInbox(conn)
        self.personal_data = PgPersonalData(conn)
        self.accounts = PgAccounts(conn)
        self.shipments = PgShipments(conn)
        self.schedules = PgSchedules(conn)
        self.settlements = PgSettlements(conn)
        # PostgreSQL only (the web's sign-in), not in UnitOfWork until it has its in-memory twin.
        self.users = PgUsers(conn)


class PgStore:
    """:class:`Store` on a psycopg pool whose connections are autocommit (as the workers', the
    web's and the commands' pools are): a transaction is opened explicitly."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgUnitOfWork]:
        async with _translated(), self.pool.connection() as conn, conn.transaction():
            yield PgUnitOfWork(conn)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[PgUnitOfWork]:
        async with _translated(), self.pool.connection() as conn:
            if conn.autocommit:
                yield PgUnitOfWork(conn)
                return
            # The job queue's pool (procrastinate's) is not in autocommit mode: without the switch
            # a session's writes would be rolled back when the connection goes back to the pool.
            await conn.set_autocommit(True)
            try:
                yield PgUnitOfWork(conn)
            finally:
                if not conn.closed:
                    await conn.set_autocommit(False)

    @asynccontextmanager
    async def on_connection(self, conn: AsyncConnection[Any]) -> AsyncIterator[PgUnitOfWork]:
        """The repositories on a connection someone else owns (a job's, procrastinate's): no
        commit, no rollback here; driver errors translated all the same."""
        async with _translated():
            yield PgUnitOfWork(conn)


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        ours = translate_driver_error(exc)
        if ours is None:  # pragma: no cover - translate_driver_error maps every psycopg.Error
            raise
        raise ours from exc
