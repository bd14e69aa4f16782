"""What the operator sees: the read-only queries of the dashboard, ``status`` and ``/metrics``.

PostgreSQL only, read-only: these are views over many tables (procrastinate's jobs, the SP-API
quota buckets and circuits, the inbox, external ids), for a person or a scraper, not state a flow
decides on; the in-memory store has no twin of them. Every query is bounded (``LIMIT`` or a
``GROUP BY`` over few groups) so pages stay fast with many rows; the columns they filter on are
indexed (inbox state, quarantine open items, external ids by id). No query reads a secret column
(account credentials, Odoo API key, LWA tokens): accounts come as
:class:`~amazon_odoo_sync.store.accounts.Account` (whether credentials are set, never their values).

:class:`PgDashboard` on a pool: ``async with dashboard.reading() as reads:`` gives
:class:`DashboardReads` on one connection; driver errors come out translated into our tree (the
database away: a ``TransientError``), so the web says "the database could not be read".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from . import accounts, audit, fba_drift, job_admin, odoo_circuit, quarantine, spapi_status, users
from ._sql import cursor
from .accounts import Account
from .audit import AuditEntry
from .job_admin import FailedJob, JobRow, QueueDepth
from .odoo_circuit import OdooCircuitRow
from .quarantine import QuarantineItem
from .unit import PgStore
from .users import User

__all__ = [
    "DashboardReads",
    "InboxBacklog",
    "OrderCount",
    "OrderRow",
    "PgDashboard",
    "QuarantineCount",
    "inbox_backlog",
    "latest_orders",
    "open_quarantine_counts",
    "open_quarantine_total",
    "order_counts",
    "schema_ready",
]

SCHEMA_READY = "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS ready"

#: ``external_ids.kind`` of Amazon orders imported as Odoo sale orders (flows.orders).
SALE_ORDER = "sale.order"

# The marketplace is not an external-id column: it comes from the newest stored order document
# of that order (inbox source ``orders/<account>``, key ``<orderId>@<lastUpdatedTime>``). Orders
# whose documents are gone (retention) are counted under an empty marketplace.
ORDER_COUNTS = """
WITH docs AS (
    SELECT DISTINCT ON (i.account, split_part(i.key, '@', 1))
           i.account, split_part(i.key, '@', 1) AS order_id,
           i.payload #>> '{salesChannel,marketplaceId}' AS marketplace
    FROM inbox i
    WHERE i.source LIKE 'orders/%%' AND i.account IS NOT NULL
    ORDER BY i.account, split_part(i.key, '@', 1), i.id DESC
)
SELECT e.account, COALESCE(d.marketplace, '') AS marketplace, e.state, count(*) AS orders
FROM external_ids e
LEFT JOIN docs d ON d.account = e.account AND d.order_id = e.amazon_key
WHERE e.kind = %(kind)s
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
"""

# Uses the partial index ix_inbox_state_pending (state IN ('pending', 'failed')).
INBOX_BACKLOG = """
SELECT source, state, count(*) AS items, min(received_at) AS oldest
FROM inbox
WHERE state IN ('pending', 'failed')
GROUP BY source, state
ORDER BY source, state
"""

# Uses the partial index on open items (resolved_at IS NULL).
OPEN_QUARANTINE_COUNTS = """
SELECT flow, COALESCE(account, '') AS account, count(*) AS items, min(first_seen) AS oldest
FROM quarantine
WHERE resolved_at IS NULL
GROUP BY 1, 2
ORDER BY 1, 2
"""

OPEN_QUARANTINE_TOTAL = "SELECT count(*) AS items FROM quarantine WHERE resolved_at IS NULL"

# Newest first by primary key (an index scan that stops after LIMIT rows). The search is a
# case-insensitive substring match on the Amazon order id; the pattern is escaped by the caller.
LATEST_ORDERS = """
SELECT id, account, amazon_key AS order_id, state, odoo_model, odoo_id, amazon_updated_at,
       updated_at
FROM external_ids
WHERE kind = %(kind)s AND (%(pattern)s::text IS NULL OR amazon_key ILIKE %(pattern)s)
ORDER BY id DESC
LIMIT %(limit)s
"""


@dataclass(frozen=True, kw_only=True)
class OrderCount:
    account: str
    #: Empty when the order's document is no longer stored.
    marketplace: str
    state: str
    orders: int


@dataclass(frozen=True, kw_only=True)
class InboxBacklog:
    source: str
    state: str
    items: int
    oldest: datetime


@dataclass(frozen=True, kw_only=True)
class QuarantineCount:
    flow: str
    #: Empty for items without an account.
    account: str
    items: int
    oldest: datetime


@dataclass(frozen=True, kw_only=True)
class OrderRow:
    id: int
    account: str
    order_id: str
    state: str
    odoo_model: str
    odoo_id: int | None
    amazon_updated_at: datetime | None
    updated_at: datetime


async def _fetch(conn: AsyncConnection[Any], sql: str,
                 params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    async with cursor(conn) as cur:
        await cur.execute(sql, params)
        return list(await cur.fetchall())


async def order_counts(conn: AsyncConnection[Any]) -> list[OrderCount]:
    """Imported orders (external ids of kind ``sale.order``) by account, marketplace and state."""
    rows = await _fetch(conn, ORDER_COUNTS, {"kind": SALE_ORDER})
    return [OrderCount(account=r["account"], marketplace=r["marketplace"] or "", state=r["state"],
                       orders=int(r["orders"])) for r in rows]


async def inbox_backlog(conn: AsyncConnection[Any]) -> list[InboxBacklog]:
    """Inputs waiting for processing (pending, or failed and to be retried), by source."""
    rows = await _fetch(conn, INBOX_BACKLOG)
    return [InboxBacklog(source=r["source"], state=r["state"], items=int(r["items"]),
                         oldest=r["oldest"]) for r in rows]


async def open_quarantine_counts(conn: AsyncConnection[Any]) -> list[QuarantineCount]:
    rows = await _fetch(conn, OPEN_QUARANTINE_COUNTS)
    return [QuarantineCount(flow=r["flow"], account=r["account"], items=int(r["items"]),
                            oldest=r["oldest"]) for r in rows]


async def open_quarantine_total(conn: AsyncConnection[Any]) -> int:
    rows = await _fetch(conn, OPEN_QUARANTINE_TOTAL)
    return int(rows[0]["items"])


def _like_pattern(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def latest_orders(conn: AsyncConnection[Any], *, search: str | None = None,
                        limit: int = 200) -> list[OrderRow]:
    """The newest imported orders; ``search``: part of the Amazon order id (case-insensitive)."""
    search = (search or "").strip()
    pattern = _like_pattern(search) if search else None
    rows = await _fetch(conn, LATEST_ORDERS, {"kind": SALE_ORDER, "pattern": pattern, "limit": limit})
    return [OrderRow(**r) for r in rows]




async def schema_ready(conn: AsyncConnection[Any]) -> bool:
    """Whether the migrations ran (procrastinate's jobs table exists)."""
    rows = await _fetch(conn, SCHEMA_READY)
    return bool(rows and rows[0]["ready"])


class DashboardReads:
    """The read-only queries on one connection (see the module docstring)."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def schema_ready(self) -> bool:
        return await schema_ready(self._conn)

    async def accounts(self) -> list[Account]:
        return await accounts.list_accounts(self._conn)

    async def order_counts(self) -> list[OrderCount]:
        return await order_counts(self._conn)

    async def inbox_backlog(self) -> list[InboxBacklog]:
        return await inbox_backlog(self._conn)

    async def open_quarantine_counts(self) -> list[QuarantineCount]:
        return await open_quarantine_counts(self._conn)

    async def open_quarantine_total(self) -> int:
        return await open_quarantine_total(self._conn)

    async def open_quarantine(self, limit: int) -> list[QuarantineItem]:
        return await quarantine.open_items(self._conn, limit=limit)

    async def latest_orders(self, *, search: str | None = None, limit: int = 200) -> list[OrderRow]:
        return await latest_orders(self._conn, search=search, limit=limit)

    async def odoo_circuits(self) -> list[OdooCircuitRow]:
        """The Odoo circuit of each instance the workers called (none: Odoo never unreachable)."""
        return await odoo_circuit.circuit_rows(self._conn)

    async def quota_rows(self) -> list[dict[str, Any]]:
        return await spapi_status.quota_rows(self._conn)

    async def spapi_circuits(self) -> list[dict[str, Any]]:
        return await spapi_status.circuit_rows(self._conn)

    async def queue_depths(self) -> list[QueueDepth]:
        return await job_admin.queue_depths(self._conn)

    async def list_jobs(self, *, queue: str | None = None, state: str | None = None, task: str | None = None,
                        limit: int = 50) -> list[JobRow]:
        return await job_admin.list_jobs(self._conn, queue=queue, state=state, task=task, limit=limit)

    async def failed_jobs(self, *, limit: int = 1000) -> list[FailedJob]:
        return await job_admin.failed_jobs(self._conn, limit=limit)

    async def fba_drift_totals(self) -> list[tuple[str, str, int, Decimal]]:
        return await fba_drift.totals(self._conn)

    async def users(self) -> list[User]:
        return await users.list_users(self._conn)

    async def audit(self, limit: int) -> list[AuditEntry]:
        return await audit.recent(self._conn, limit)


class PgDashboard:
    """:class:`DashboardReads` on a pool, driver errors translated."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._store = PgStore(pool)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[DashboardReads]:
        async with self._store.session() as tx:
            yield DashboardReads(tx.connection)
