"""Shipment confirmations: one row per (account, Odoo delivery), the outbox of ``confirmShipment``.

States::

    waiting_tracking ──tracking set──▶ pending ──Amazon 2xx──▶ confirmed
           │                             │  └──retryable error: stays pending (next_attempt_at)
           └─grace over: reported        └──Amazon refused──▶ rejected (quarantined)
    invalid: the delivery cannot be mapped (quarantined)      skipped: not an FBM delivery

The unique key (account, picking_id) is the exactly-once guarantee: a delivery has one row, the
row keeps the body that was (or will be) sent, and only a ``pending`` row is ever sent, under a
row lock (``FOR UPDATE SKIP LOCKED``) held until its outcome is recorded.

Functions never commit: the caller owns the transaction. Flows use them through the unit of
work (``tx.shipments``: :class:`ShipmentsRepository`, bound by :class:`PgShipments`; its in-memory
twin is ``store.memory.shipments``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from psycopg import AsyncConnection

from ._sql import cursor, jsonb

__all__ = [
    "CONFIRMED", "INVALID", "OPEN_STATES", "PENDING", "REJECTED", "SKIPPED", "WAITING_TRACKING",
    "Confirmation", "PgShipments", "ShipmentsRepository", "committed_items", "get", "get_many", "lock_account",
    "lock_pending", "mark_confirmed",
    "mark_noted", "mark_rejected", "mark_retry", "mark_tracking_reported", "pending_ids",
    "problems", "save", "sale_orders_of", "unnoted", "waiting",
]

WAITING_TRACKING: Final = "waiting_tracking"
PENDING: Final = "pending"
CONFIRMED: Final = "confirmed"
REJECTED: Final = "rejected"
INVALID: Final = "invalid"
SKIPPED: Final = "skipped"
OPEN_STATES: Final = (WAITING_TRACKING, PENDING)

_COLUMNS = ("id, account, picking_id, picking_name, sale_order_id, amazon_order_id, marketplace_id, "
            "state, body, items, attempts, last_error, error_kind, next_attempt_at, request_id, "
            "first_seen, tracking_reported_at, confirmed_at, odoo_noted, updated_at")

# A planned row replaces what is there only while nothing was sent: never a pending (maybe in
# flight), confirmed or skipped row. A rejected/invalid row is replanned only when forced or when
# the new plan differs (the user fixed the delivery in Odoo).
SAVE = f"""
INSERT INTO shipment_confirmations AS s (account, picking_id, picking_name, sale_order_id,
    amazon_order_id, marketplace_id, state, body, items, last_error, error_kind, first_seen)
VALUES (%(account)s, %(picking_id)s, %(picking_name)s, %(sale_order_id)s, %(amazon_order_id)s,
        %(marketplace_id)s, %(state)s, %(body)s, %(items)s, %(last_error)s, %(error_kind)s, %(now)s)
ON CONFLICT (account, picking_id) DO UPDATE
SET picking_name = EXCLUDED.picking_name, sale_order_id = EXCLUDED.sale_order_id,
    amazon_order_id = EXCLUDED.amazon_order_id, marketplace_id = EXCLUDED.marketplace_id,
    state = EXCLUDED.state, body = EXCLUDED.body, items = EXCLUDED.items,
    last_error = EXCLUDED.last_error, error_kind = EXCLUDED.error_kind, next_attempt_at = NULL,
    updated_at = now()
WHERE s.state = 'waiting_tracking'
   OR (s.state IN ('rejected', 'invalid')
       AND (%(force)s OR s.body IS DISTINCT FROM EXCLUDED.body
            OR (s.state = 'invalid' AND s.last_error IS DISTINCT FROM EXCLUDED.last_error)))
RETURNING {_COLUMNS}
"""
GET_MANY = f"""
SELECT {_COLUMNS} FROM shipment_confirmations
WHERE account = %(account)s AND picking_id = ANY(%(picking_ids)s)
"""
GET = f"SELECT {_COLUMNS} FROM shipment_confirmations WHERE id = %(id)s"
COMMITTED = """
SELECT amazon_order_id, picking_id, items FROM shipment_confirmations
WHERE account = %(account)s AND amazon_order_id = ANY(%(order_ids)s)
  AND state IN ('pending', 'confirmed')
"""
PENDING_IDS = """
SELECT id FROM shipment_confirmations
WHERE account = %(account)s AND state = 'pending'
  AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
ORDER BY id LIMIT %(limit)s
"""
LOCK_PENDING = f"""
SELECT {_COLUMNS} FROM shipment_confirmations
WHERE id = %(id)s AND state = 'pending' FOR UPDATE SKIP LOCKED
"""
MARK_CONFIRMED = f"""
UPDATE shipment_confirmations
SET state = 'confirmed', attempts = attempts + 1, confirmed_at = %(now)s, request_id = %(request_id)s,
    last_error = NULL, error_kind = NULL, next_attempt_at = NULL, updated_at = now()
WHERE id = %(id)s RETURNING {_COLUMNS}
"""
MARK_REJECTED = f"""
UPDATE shipment_confirmations
SET state = 'rejected', attempts = attempts + 1, last_error = %(error)s, error_kind = %(kind)s,
    request_id = %(request_id)s, next_attempt_at = NULL, updated_at = now()
WHERE id = %(id)s RETURNING {_COLUMNS}
"""
MARK_RETRY = f"""
UPDATE shipment_confirmations
SET attempts = attempts + 1, last_error = %(error)s, error_kind = %(kind)s,
    next_attempt_at = %(next_attempt_at)s, updated_at = now()
WHERE id = %(id)s RETURNING {_COLUMNS}
"""
WAITING = f"""
SELECT {_COLUMNS} FROM shipment_confirmations
WHERE account = %(account)s AND state = 'waiting_tracking' ORDER BY id LIMIT %(limit)s
"""
MARK_TRACKING_REPORTED = """
UPDATE shipment_confirmations SET tracking_reported_at = %(now)s, updated_at = now()
WHERE id = ANY(%(ids)s)
"""
UNNOTED = f"""
SELECT {_COLUMNS} FROM shipment_confirmations
WHERE account = %(account)s AND state = 'confirmed' AND NOT odoo_noted ORDER BY id LIMIT %(limit)s
"""
MARK_NOTED = "UPDATE shipment_confirmations SET odoo_noted = true, updated_at = now() WHERE id = ANY(%(ids)s)"
PROBLEMS = f"""
SELECT {_COLUMNS} FROM shipment_confirmations
WHERE account = %(account)s AND (state IN ('rejected', 'invalid')
      OR (state = 'pending' AND attempts > 0)
      OR (state = 'waiting_tracking' AND tracking_reported_at IS NOT NULL))
  AND (%(since)s::timestamptz IS NULL OR first_seen >= %(since)s)
ORDER BY id
"""
SALE_ORDERS_OF = """
SELECT odoo_id, amazon_key FROM external_ids
WHERE account = %(account)s AND kind = 'sale.order' AND odoo_id = ANY(%(odoo_ids)s)
"""


@dataclass(frozen=True, kw_only=True)
class Confirmation:
    id: int
    account: str
    picking_id: int
    picking_name: str | None
    sale_order_id: int | None
    amazon_order_id: str
    marketplace_id: str | None
    state: str
    body: dict[str, Any] | None
    #: ``[[orderItemId, quantity], ...]`` of this delivery.
    items: list[list[Any]]
    attempts: int
    last_error: str | None
    error_kind: str | None
    next_attempt_at: datetime | None
    request_id: str | None
    first_seen: datetime
    tracking_reported_at: datetime | None
    confirmed_at: datetime | None
    odoo_noted: bool
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Confirmation:
        return cls(**row)


async def _one(conn: AsyncConnection[Any], sql: str, params: dict[str, Any]) -> Confirmation | None:
    async with cursor(conn) as cur:
        await cur.execute(sql, params)
        row = await cur.fetchone()
    return None if row is None else Confirmation.from_row(row)


async def _all(conn: AsyncConnection[Any], sql: str, params: dict[str, Any]) -> list[Confirmation]:
    async with cursor(conn) as cur:
        await cur.execute(sql, params)
        rows = await cur.fetchall()
    return [Confirmation.from_row(row) for row in rows]


async def save(conn: AsyncConnection[Any], *, account: str, picking_id: int, picking_name: str | None,
               sale_order_id: int | None, amazon_order_id: str, marketplace_id: str | None, state: str,
               now: datetime, body: dict[str, Any] | None = None,
               items: Sequence[Sequence[Any]] = (), last_error: str | None = None,
               error_kind: str | None = None, force: bool = False) -> Confirmation | None:
    """Insert or replan the row of a delivery; None when the stored row must stay as it is."""
    return await _one(conn, SAVE, {
        "account": account, "picking_id": picking_id, "picking_name": picking_name,
        "sale_order_id": sale_order_id, "amazon_order_id": amazon_order_id,
        "marketplace_id": marketplace_id, "state": state, "body": jsonb(body),
        "items": jsonb([list(i) for i in items]), "last_error": last_error, "error_kind": error_kind,
        "now": now, "force": force})


async def lock_account(conn: AsyncConnection[Any], account: str) -> None:
    """Serialise this account's multi-row writers (planning, tracking reports, note marks) until
    the caller's transaction ends: they lock rows in different orders and would otherwise
    deadlock when runs overlap (a manual ``sync shipments`` beside a worker). The send path
    locks one row at a time with SKIP LOCKED and does not need it."""
    async with cursor(conn) as cur:
        await cur.execute("SELECT pg_advisory_xact_lock(hashtext(%(key)s))", {"key": f"shipments:{account}"})


async def get(conn: AsyncConnection[Any], row_id: int) -> Confirmation | None:
    return await _one(conn, GET, {"id": row_id})


async def get_many(conn: AsyncConnection[Any], account: str,
                   picking_ids: Iterable[int]) -> dict[int, Confirmation]:
    rows = await _all(conn, GET_MANY, {"account": account, "picking_ids": list(picking_ids)})
    return {row.picking_id: row for row in rows}


async def committed_items(conn: AsyncConnection[Any], account: str, order_ids: Iterable[str]
                          ) -> dict[str, dict[int, dict[str, int]]]:
    """Per Amazon order, per delivery: the items already sent or about to be sent."""
    result: dict[str, dict[int, dict[str, int]]] = {}
    async with cursor(conn) as cur:
        await cur.execute(COMMITTED, {"account": account, "order_ids": list(order_ids)})
        for row in await cur.fetchall():
            per_item: dict[str, int] = {}
            for item_id, quantity in row["items"] or []:
                per_item[str(item_id)] = per_item.get(str(item_id), 0) + int(quantity)
            result.setdefault(row["amazon_order_id"], {})[int(row["picking_id"])] = per_item
    return result


async def pending_ids(conn: AsyncConnection[Any], account: str, now: datetime, limit: int) -> list[int]:
    async with cursor(conn) as cur:
        await cur.execute(PENDING_IDS, {"account": account, "now": now, "limit": limit})
        return [int(row["id"]) for row in await cur.fetchall()]


async def lock_pending(conn: AsyncConnection[Any], row_id: int) -> Confirmation | None:
    """The row, locked, if it is still pending and nobody else holds it."""
    return await _one(conn, LOCK_PENDING, {"id": row_id})


async def mark_confirmed(conn: AsyncConnection[Any], row_id: int, *, now: datetime,
                         request_id: str | None = None) -> Confirmation | None:
    return await _one(conn, MARK_CONFIRMED, {"id": row_id, "now": now, "request_id": request_id})


async def mark_rejected(conn: AsyncConnection[Any], row_id: int, *, error: str, kind: str,
                        request_id: str | None = None) -> Confirmation | None:
    return await _one(conn, MARK_REJECTED, {"id": row_id, "error": error, "kind": kind,
                                            "request_id": request_id})


async def mark_retry(conn: AsyncConnection[Any], row_id: int, *, error: str, kind: str,
                     next_attempt_at: datetime | None) -> Confirmation | None:
    return await _one(conn, MARK_RETRY, {"id": row_id, "error": error, "kind": kind,
                                         "next_attempt_at": next_attempt_at})


async def waiting(conn: AsyncConnection[Any], account: str, limit: int = 1000) -> list[Confirmation]:
    return await _all(conn, WAITING, {"account": account, "limit": limit})


async def mark_tracking_reported(conn: AsyncConnection[Any], ids: Iterable[int], now: datetime) -> None:
    async with cursor(conn) as cur:
        await cur.execute(MARK_TRACKING_REPORTED, {"ids": list(ids), "now": now})


async def unnoted(conn: AsyncConnection[Any], account: str, limit: int = 500) -> list[Confirmation]:
    return await _all(conn, UNNOTED, {"account": account, "limit": limit})


async def mark_noted(conn: AsyncConnection[Any], ids: Iterable[int]) -> None:
    async with cursor(conn) as cur:
        await cur.execute(MARK_NOTED, {"ids": list(ids)})


async def problems(conn: AsyncConnection[Any], account: str,
                   since: datetime | None = None) -> list[Confirmation]:
    """Rows needing attention: rejected, invalid, retried, or waiting too long for tracking."""
    return await _all(conn, PROBLEMS, {"account": account, "since": since})


async def sale_orders_of(conn: AsyncConnection[Any], account: str,
                         sale_order_ids: Iterable[int]) -> dict[int, str]:
    """Odoo sale order id → Amazon order id, for the orders the orders flow imported for ``account``."""
    async with cursor(conn) as cur:
        await cur.execute(SALE_ORDERS_OF, {"account": account, "odoo_ids": list(sale_order_ids)})
        return {int(row["odoo_id"]): str(row["amazon_key"]) for row in await cur.fetchall()}


class ShipmentsRepository(Protocol):
    """The shipment confirmations as the shipments flow sees them (see the module)."""

    async def save(self, *, account: str, picking_id: int, picking_name: str | None, sale_order_id: int | None,
                   amazon_order_id: str, marketplace_id: str | None, state: str, now: datetime,
                   body: dict[str, Any] | None = None, items: Sequence[Sequence[Any]] = (),
                   last_error: str | None = None, error_kind: str | None = None,
                   force: bool = False) -> Confirmation | None: ...

    async def lock_account(self, account: str) -> None: ...

    async def get(self, row_id: int) -> Confirmation | None: ...

    async def get_many(self, account: str, picking_ids: Iterable[int]) -> dict[int, Confirmation]: ...

    async def committed_items(self, account: str, order_ids: Iterable[str]
                              ) -> dict[str, dict[int, dict[str, int]]]: ...

    async def pending_ids(self, account: str, now: datetime, limit: int) -> list[int]: ...

    async def lock_pending(self, row_id: int) -> Confirmation | None: ...

    async def mark_confirmed(self, row_id: int, *, now: datetime,
                             request_id: str | None = None) -> Confirmation | None: ...

    async def mark_rejected(self, row_id: int, *, error: str, kind: str,
                            request_id: str | None = None) -> Confirmation | None: ...

    async def mark_retry(self, row_id: int, *, error: str, kind: str,
                         next_attempt_at: datetime | None) -> Confirmation | None: ...

    async def waiting(self, account: str, limit: int = 1000) -> list[Confirmation]: ...

    async def mark_tracking_reported(self, ids: Iterable[int], now: datetime) -> None: ...

    async def unnoted(self, account: str, limit: int = 500) -> list[Confirmation]: ...

    async def mark_noted(self, ids: Iterable[int]) -> None: ...

    async def problems(self, account: str, since: datetime | None = None) -> list[Confirmation]: ...

    async def sale_orders_of(self, account: str, sale_order_ids: Iterable[int]) -> dict[int, str]: ...


class PgShipments:
    """:class:`ShipmentsRepository` on one connection (the functions above, bound to it)."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def save(self, *, account: str, picking_id: int, picking_name: str | None, sale_order_id: int | None,
                   amazon_order_id: str, marketplace_id: str | None, state: str, now: datetime,
                   body: dict[str, Any] | None = None, items: Sequence[Sequence[Any]] = (),
                   last_error: str | None = None, error_kind: str | None = None,
                   force: bool = False) -> Confirmation | None:
        return await save(self._conn, account=account, picking_id=picking_id, picking_name=picking_name,
                          sale_order_id=sale_order_id, amazon_order_id=amazon_order_id,
                          marketplace_id=marketplace_id, state=state, now=now, body=body, items=items,
                          last_error=last_error, error_kind=error_kind, force=force)

    async def lock_account(self, account: str) -> None:
        await lock_account(self._conn, account)

    async def get(self, row_id: int) -> Confirmation | None:
        return await get(self._conn, row_id)

    async def get_many(self, account: str, picking_ids: Iterable[int]) -> dict[int, Confirmation]:
        return await get_many(self._conn, account, picking_ids)

    async def committed_items(self, account: str, order_ids: Iterable[str]
                              ) -> dict[str, dict[int, dict[str, int]]]:
        return await committed_items(self._conn, account, order_ids)

    async def pending_ids(self, account: str, now: datetime, limit: int) -> list[int]:
        return await pending_ids(self._conn, account, now, limit)

    async def lock_pending(self, row_id: int) -> Confirmation | None:
        return await lock_pending(self._conn, row_id)

    async def mark_confirmed(self, row_id: int, *, now: datetime,
                             request_id: str | None = None) -> Confirmation | None:
        return await mark_confirmed(self._conn, row_id, now=now, request_id=request_id)

    async def mark_rejected(self, row_id: int, *, error: str, kind: str,
                            request_id: str | None = None) -> Confirmation | None:
        return await mark_rejected(self._conn, row_id, error=error, kind=kind, request_id=request_id)

    async def mark_retry(self, row_id: int, *, error: str, kind: str,
                         next_attempt_at: datetime | None) -> Confirmation | None:
        return await mark_retry(self._conn, row_id, error=error, kind=kind, next_attempt_at=next_attempt_at)

    async def waiting(self, account: str, limit: int = 1000) -> list[Confirmation]:
        return await waiting(self._conn, account, limit)

    async def mark_tracking_reported(self, ids: Iterable[int], now: datetime) -> None:
        await mark_tracking_reported(self._conn, ids, now)

    async def unnoted(self, account: str, limit: int = 500) -> list[Confirmation]:
        return await unnoted(self._conn, account, limit)

    async def mark_noted(self, ids: Iterable[int]) -> None:
        await mark_noted(self._conn, ids)

    async def problems(self, account: str, since: datetime | None = None) -> list[Confirmation]:
        return await problems(self._conn, account, since)

    async def sale_orders_of(self, account: str, sale_order_ids: Iterable[int]) -> dict[int, str]:
        return await sale_orders_of(self._conn, account, sale_order_ids)
