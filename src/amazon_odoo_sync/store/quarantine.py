"""Quarantine: inputs we cannot process as they are (unknown SKU, malformed document...).

One *open* item per ``(flow, key)`` (partial unique index ``WHERE resolved_at IS NULL``).
``put`` is an upsert: putting the same open item again bumps ``attempts`` and ``last_seen`` and
keeps the newest reason/details (and payload, when given). Once resolved, a new ``put`` of the
same key opens a fresh item; resolved items stay as history.

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from psycopg import AsyncConnection

from ._sql import cursor, jsonb, storable

__all__ = ["PgQuarantine", "QuarantineItem", "QuarantineRepository", "get", "is_open", "open_items", "put", "resolve",
           "resolve_many"]

_COLUMNS = ("id, flow, key, account, reason, details, payload, first_seen, last_seen, attempts, "
            "resolved_at, resolution")

PUT = f"""
INSERT INTO quarantine (flow, key, account, reason, details, payload)
VALUES (%(flow)s, %(key)s, %(account)s, %(reason)s, %(details)s, %(payload)s)
ON CONFLICT (flow, key) WHERE resolved_at IS NULL DO UPDATE
SET attempts = quarantine.attempts + 1, last_seen = now(), reason = EXCLUDED.reason,
    details = EXCLUDED.details, account = COALESCE(EXCLUDED.account, quarantine.account),
    payload = COALESCE(EXCLUDED.payload, quarantine.payload)
RETURNING {_COLUMNS}
"""
RESOLVE = f"""
UPDATE quarantine SET resolved_at = now(), resolution = %(resolution)s
WHERE flow = %(flow)s AND key = %(key)s AND resolved_at IS NULL
RETURNING {_COLUMNS}
"""
RESOLVE_MANY = """
UPDATE quarantine SET resolved_at = now(), resolution = %(resolution)s
WHERE flow = %(flow)s AND key = ANY(%(keys)s) AND resolved_at IS NULL
"""
GET_OPEN = f"""
SELECT {_COLUMNS} FROM quarantine WHERE flow = %(flow)s AND key = %(key)s AND resolved_at IS NULL
"""
GET = f"SELECT {_COLUMNS} FROM quarantine WHERE id = %(id)s"
OPEN_ITEMS = f"""
SELECT {_COLUMNS} FROM quarantine
WHERE resolved_at IS NULL AND (%(flow)s::text IS NULL OR flow = %(flow)s)
  AND (%(account)s::text IS NULL OR account = %(account)s)
ORDER BY first_seen, id LIMIT %(limit)s
"""


@dataclass(frozen=True, kw_only=True)
class QuarantineItem:
    id: int
    flow: str
    key: str
    account: str | None
    reason: str
    details: dict[str, Any]
    payload: Any
    first_seen: datetime
    last_seen: datetime
    attempts: int
    resolved_at: datetime | None
    resolution: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> QuarantineItem:
        return cls(**row)


async def put(conn: AsyncConnection[Any], *, flow: str, key: str, account: str | None,
              reason: str, details: dict[str, Any] | None = None,
              payload: Any = None) -> QuarantineItem:
    """Open (or bump) the quarantine item of ``(flow, key)``. ``details``: e.g. ``exc.context()``."""
    async with cursor(conn) as cur:
        await cur.execute(PUT, {"flow": flow, "key": storable(key), "account": account, "reason": storable(reason),
                                "details": jsonb(details or {}), "payload": jsonb(payload)})
        row = await cur.fetchone()
    assert row is not None  # an upsert always returns its row
    return QuarantineItem.from_row(row)


async def resolve(conn: AsyncConnection[Any], flow: str, key: str,
                  resolution: str) -> QuarantineItem | None:
    """Close the open item of ``(flow, key)``; None when there is none."""
    async with cursor(conn) as cur:
        await cur.execute(RESOLVE, {"flow": flow, "key": key, "resolution": resolution})
        row = await cur.fetchone()
    return None if row is None else QuarantineItem.from_row(row)


async def is_open(conn: AsyncConnection[Any], flow: str, key: str) -> QuarantineItem | None:
    """The open item of ``(flow, key)``, if any."""
    async with cursor(conn) as cur:
        await cur.execute(GET_OPEN, {"flow": flow, "key": key})
        row = await cur.fetchone()
    return None if row is None else QuarantineItem.from_row(row)


async def get(conn: AsyncConnection[Any], item_id: int) -> QuarantineItem | None:
    async with cursor(conn) as cur:
        await cur.execute(GET, {"id": item_id})
        row = await cur.fetchone()
    return None if row is None else QuarantineItem.from_row(row)


async def open_items(conn: AsyncConnection[Any], flow: str | None = None, *,
                     account: str | None = None, limit: int = 1000) -> list[QuarantineItem]:
    """Unresolved items, oldest first, optionally of one flow / account."""
    async with cursor(conn) as cur:
        await cur.execute(OPEN_ITEMS, {"flow": flow, "account": account, "limit": limit})
        rows = await cur.fetchall()
    return [QuarantineItem.from_row(row) for row in rows]


async def resolve_many(conn: AsyncConnection[Any], flow: str, keys: list[str], resolution: str) -> int:
    """Close the open items of ``flow`` among ``keys`` in one statement; returns how many."""
    if not keys:
        return 0
    async with cursor(conn) as cur:
        await cur.execute(RESOLVE_MANY, {"flow": flow, "keys": keys, "resolution": resolution})
        return cur.rowcount


class QuarantineRepository(Protocol):
    """The quarantine as a flow sees it (one transaction's or session's)."""

    async def put(self, *, flow: str, key: str, account: str | None, reason: str,
                  details: dict[str, Any] | None = None, payload: Any = None) -> QuarantineItem: ...

    async def resolve(self, flow: str, key: str, resolution: str) -> QuarantineItem | None: ...

    async def is_open(self, flow: str, key: str) -> QuarantineItem | None: ...

    async def get(self, item_id: int) -> QuarantineItem | None: ...

    async def open_items(self, flow: str | None = None, *, account: str | None = None,
                         limit: int = 1000) -> list[QuarantineItem]: ...

    async def resolve_many(self, flow: str, keys: list[str], resolution: str) -> int: ...


class PgQuarantine:
    """:class:`QuarantineRepository` on one connection (the functions above, bound to it)."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def put(self, *, flow: str, key: str, account: str | None, reason: str,
                  details: dict[str, Any] | None = None, payload: Any = None) -> QuarantineItem:
        return await put(self._conn, flow=flow, key=key, account=account, reason=reason, details=details,
                         payload=payload)

    async def resolve(self, flow: str, key: str, resolution: str) -> QuarantineItem | None:
        return await resolve(self._conn, flow, key, resolution)

    async def is_open(self, flow: str, key: str) -> QuarantineItem | None:
        return await is_open(self._conn, flow, key)

    async def get(self, item_id: int) -> QuarantineItem | None:
        return await get(self._conn, item_id)

    async def open_items(self, flow: str | None = None, *, account: str | None = None,
                         limit: int = 1000) -> list[QuarantineItem]:
        return await open_items(self._conn, flow, account=account, limit=limit)

    async def resolve_many(self, flow: str, keys: list[str], resolution: str) -> int:
        return await resolve_many(self._conn, flow, keys, resolution)
