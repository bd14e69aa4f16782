"""Sync cursors: how far each polling flow got, per account, marketplace and flow.

``advance`` never moves a cursor backwards: a late or replayed run with an older timestamp is a
no-op (the stored row is returned). With an equal timestamp, the ``token`` (e.g. SP-API
``NextToken``) is updated. ``marketplace`` is ``''`` for flows that are not per marketplace.

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from psycopg import AsyncConnection

from ._sql import cursor

__all__ = ["Cursor", "CursorsRepository", "PgCursors", "advance", "get", "reset"]

_COLUMNS = "account, marketplace, flow, cursor, token, updated_at"

GET = f"""
SELECT {_COLUMNS} FROM sync_cursors
WHERE account = %(account)s AND marketplace = %(marketplace)s AND flow = %(flow)s
"""
# The WHERE of DO UPDATE makes an older cursor a no-op; RETURNING then yields nothing and the
# stored row is read back.
ADVANCE = f"""
INSERT INTO sync_cursors (account, marketplace, flow, cursor, token)
VALUES (%(account)s, %(marketplace)s, %(flow)s, %(cursor)s, %(token)s)
ON CONFLICT (account, marketplace, flow) DO UPDATE
SET cursor = EXCLUDED.cursor, token = EXCLUDED.token, updated_at = now()
WHERE sync_cursors.cursor IS NULL OR EXCLUDED.cursor >= sync_cursors.cursor
RETURNING {_COLUMNS}
"""
RESET = f"""
INSERT INTO sync_cursors (account, marketplace, flow, cursor, token)
VALUES (%(account)s, %(marketplace)s, %(flow)s, %(cursor)s, NULL)
ON CONFLICT (account, marketplace, flow) DO UPDATE
SET cursor = EXCLUDED.cursor, token = NULL, updated_at = now()
RETURNING {_COLUMNS}
"""


@dataclass(frozen=True, kw_only=True)
class Cursor:
    account: str
    marketplace: str
    flow: str
    cursor: datetime | None
    token: str | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Cursor:
        return cls(**row)


def _params(account: str, flow: str, marketplace: str) -> dict[str, Any]:
    return {"account": account, "flow": flow, "marketplace": marketplace}


async def get(conn: AsyncConnection[Any], account: str, flow: str, *,
              marketplace: str = "") -> Cursor | None:
    async with cursor(conn) as cur:
        await cur.execute(GET, _params(account, flow, marketplace))
        row = await cur.fetchone()
    return None if row is None else Cursor.from_row(row)


async def advance(conn: AsyncConnection[Any], account: str, flow: str, cursor_at: datetime, *,
                  marketplace: str = "", token: str | None = None) -> Cursor:
    """Move the cursor to ``cursor_at`` unless it is already later; return the stored cursor."""
    if cursor_at.tzinfo is None:
        raise ValueError("cursor timestamps must be timezone-aware (UTC)")
    params = _params(account, flow, marketplace) | {"cursor": cursor_at, "token": token}
    async with cursor(conn) as cur:
        await cur.execute(ADVANCE, params)
        row = await cur.fetchone()
        if row is None:
            await cur.execute(GET, params)
            row = await cur.fetchone()
    assert row is not None
    return Cursor.from_row(row)


async def reset(conn: AsyncConnection[Any], account: str, flow: str,
                cursor_at: datetime | None, *, marketplace: str = "") -> Cursor:
    """Operator action: set the cursor to any value, backwards included (re-import a period)."""
    async with cursor(conn) as cur:
        await cur.execute(RESET, _params(account, flow, marketplace) | {"cursor": cursor_at})
        row = await cur.fetchone()
    assert row is not None
    return Cursor.from_row(row)


class CursorsRepository(Protocol):
    """The sync cursors as a flow sees them (see the module)."""

    async def get(self, account: str, flow: str, *, marketplace: str = "") -> Cursor | None: ...

    async def advance(self, account: str, flow: str, cursor_at: datetime, *, marketplace: str = "",
                      token: str | None = None) -> Cursor: ...

    async def reset(self, account: str, flow: str, cursor_at: datetime | None, *,
                    marketplace: str = "") -> Cursor: ...


class PgCursors:
    """:class:`CursorsRepository` on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def get(self, account: str, flow: str, *, marketplace: str = "") -> Cursor | None:
        return await get(self._conn, account, flow, marketplace=marketplace)

    async def advance(self, account: str, flow: str, cursor_at: datetime, *, marketplace: str = "",
                      token: str | None = None) -> Cursor:
        return await advance(self._conn, account, flow, cursor_at, marketplace=marketplace, token=token)

    async def reset(self, account: str, flow: str, cursor_at: datetime | None, *,
                    marketplace: str = "") -> Cursor:
        return await reset(self._conn, account, flow, cursor_at, marketplace=marketplace)
