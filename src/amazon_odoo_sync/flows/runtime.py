"""What flows run with in a process: settings, the database pool and long-lived clients.

A worker builds one :class:`FlowRuntime` and keeps it: one pooled Odoo client, one SP-API client
per seller account (its rate governor, circuit breaker and token cache shared with every other
process through PostgreSQL), and cached Odoo references. Tests and the demo install a runtime
whose clients talk to the in-process simulator and emulator (``transport=``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx
from psycopg_pool import AsyncConnectionPool

from ..amazon.client import CallRetry, SpApiClient
from ..amazon.lwa import LwaCredentials
from ..clock import Clock, SystemClock
from ..config import Settings
from ..mapping.sale_order import OdooTargets
from ..odoo.client import OdooClient
from ..odoo.factory import choose_login, client_from_settings, shared_circuit, shared_governor
from ..store import credentials
from ..store.odoo_capacity import PgOdooCapacity
from ..store.odoo_circuit import PgOdooCircuits
from ..store.secrets import Cipher, load_cipher
from ..store.spapi_state import PgSpapiState
from ..store.unit import PgStore, Store
from .odoo_refs import CachedOdooReferences

__all__ = ["FlowRuntime", "open_runtime"]

TargetsLoader = Callable[[OdooClient, Settings], Awaitable[Mapping[str, OdooTargets]]]


class FlowRuntime:
    """``pool`` serves the flows' own transactions (a job holds one connection of it while it
    works). Shared client state (rate buckets, circuits, LWA tokens) and cached look-ups use a
    separate, small auxiliary pool: borrowing them from ``pool`` while a job holds a connection
    can starve it when every job does the same at once."""

    def __init__(self, settings: Settings, pool: AsyncConnectionPool[Any], *,
                 spapi_transport: httpx.AsyncBaseTransport | None = None,
                 odoo_transport: httpx.AsyncBaseTransport | None = None,
                 sqs_transport: httpx.AsyncBaseTransport | None = None,
                 clock: Clock | None = None, cipher: Cipher | None = None,
                 targets_loader: TargetsLoader | None = None, call_retry: CallRetry | None = None) -> None:
        self.settings = settings
        self.pool = pool
        #: The flows' door to PostgreSQL (units of work on ``pool``).
        self.store: Store = PgStore(pool)
        self.clock = clock or SystemClock()
        self._spapi_transport = spapi_transport
        self._odoo_transport = odoo_transport
        #: Where the SQS poll job's requests go: None, the network; the simulator in tests and the demo.
        self.sqs_transport = sqs_transport
        self._cipher = cipher
        self._targets_loader = targets_loader
        #: Commands run in the foreground retry each SP-API call (``flows.retrying``); workers
        #: retry whole jobs.
        self._call_retry = call_retry
        self._odoo: OdooClient | None = None
        self._odoo_governor: Any = None
        self._spapi: dict[str, SpApiClient] = {}
        self._refs: CachedOdooReferences | None = None
        self._aux: AsyncConnectionPool[Any] | None = None

    async def aux_pool(self) -> AsyncConnectionPool[Any]:
        if self._aux is None:
            aux: AsyncConnectionPool[Any] = AsyncConnectionPool(
                self.pool.conninfo, min_size=1, max_size=max(4, self.settings.jobs.concurrency + 2),
                open=False, name="aos-flows-aux", kwargs={"autocommit": True})
            await aux.open(wait=True, timeout=30)
            self._aux = aux
        return self._aux

    @property
    def cipher(self) -> Cipher:
        if self._cipher is None:
            self._cipher = load_cipher(self.settings.secrets)
        return self._cipher

    async def odoo(self) -> OdooClient:
        if self._odoo is None:
            async with self.pool.connection() as conn:
                stored = await credentials.get_odoo_credentials(conn, self.cipher)
            login = choose_login(self.settings, stored)  # the stored key first, as every command
            shared = await self.aux_pool()
            self._odoo_governor = shared_governor(self.settings, login, PgOdooCapacity(shared))
            self._odoo = client_from_settings(
                self.settings, login, transport=self._odoo_transport, governor=self._odoo_governor,
                circuit=shared_circuit(self.settings, login, PgOdooCircuits(shared), clock=self.clock))
        return self._odoo

    async def spapi(self, account: str, *, priority: int | None = None) -> SpApiClient:
        client = self._spapi.get(account)
        if client is None:
            async with self.pool.connection() as conn:
                creds = await credentials.get_account_credentials(conn, self.cipher, account)
            client = SpApiClient.shared(
                PgSpapiState(await self.aux_pool()), account=account,
                region=creds.region,  # type: ignore[arg-type]
                credentials=LwaCredentials(client_id=creds.lwa_client_id,
                                           client_secret=creds.lwa_client_secret.reveal(),
                                           refresh_token=creds.refresh_token.reveal()),
                settings=self.settings.spapi, seller_id=creds.seller_id, transport=self._spapi_transport,
                clock=self.clock, cipher=self.cipher, retry=self._call_retry)
            self._spapi[account] = client
        return client if priority is None else client.with_options(priority=priority)

    async def odoo_capacity(self) -> int:
        """Calls Odoo takes at once now: the capacity governor's shared limit (AIMD)."""
        await self.odoo()
        governor = self._odoo_governor
        if governor is None:
            return self.settings.odoo.max_concurrency
        return int(await governor.current_limit())

    async def refs(self) -> CachedOdooReferences:
        if self._refs is None:
            odoo = await self.odoo()
            if self._targets_loader is None:
                from .odoo_targets import load_targets

                targets = await load_targets(odoo, self.settings)
            else:
                targets = await self._targets_loader(odoo, self.settings)
            self._refs = CachedOdooReferences(odoo, self.settings, targets=targets,
                                             store=PgStore(await self.aux_pool()))
        return self._refs

    async def aclose(self) -> None:
        for client in self._spapi.values():
            await client.aclose()
        self._spapi.clear()
        if self._odoo is not None:
            await self._odoo.aclose()
            self._odoo = None
        if self._odoo_governor is not None:
            await self._odoo_governor.aclose()
            self._odoo_governor = None
        if self._aux is not None:
            await self._aux.close()
            self._aux = None


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings, **options: Any) -> AsyncIterator[FlowRuntime]:
    """A runtime with its own pool, for commands run outside a worker (``sync ...``, demo)."""
    from ..store.database import database_url

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        database_url(settings), min_size=1, max_size=settings.database.pool_size, open=False,
        kwargs={"autocommit": True})
    await pool.open()
    runtime = FlowRuntime(settings, pool, **options)
    try:
        yield runtime
    finally:
        await runtime.aclose()
        await pool.close()
