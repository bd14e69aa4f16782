"""The read-only SQL of the dashboard, named and kept together.

Every query is bounded (``LIMIT`` or a ``GROUP BY`` over few groups) so pages stay fast with
many rows; the columns they filter on are indexed (inbox state, quarantine open items,
external ids by id). Jobs, quota buckets and circuits are read through their owners' helpers
(:mod:`amazon_odoo_sync.jobs.admin`, :mod:`amazon_odoo_sync.store.spapi_status`,
:mod:`amazon_odoo_sync.store.odoo_circuit`), not here.

No query reads a secret column (account credentials, Odoo API key, LWA tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from ..store import odoo_circuit
from ..store._sql import cursor
from ..store.odoo_circuit import OdooCircuitRow

__all__ = [
    "InboxBacklog",
    "OrderCount",
    "OrderRow",
    "QuarantineCount",
    "inbox_backlog",
    "latest_orders",
    "odoo_circuits",
    "open_quarantine_counts",
    "open_quarantine_total",
    "order_counts",
]

#: ``external_ids.kind`` of Amazon orders imported as Odoo sale orders (flows.order_import).
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


async def odoo_circuits(conn: AsyncConnection[Any]) -> list[OdooCircuitRow]:
    """The Odoo circuit of each instance the workers called (none: Odoo never unreachable)."""
    return await odoo_circuit.circuit_rows(conn)
