"""The LWA access tokens every worker shares (``spapi_lwa_tokens``).

Store side of :class:`~amazon_odoo_sync.amazon.lwa.SharedTokenCache`, which declares what it needs
(:class:`~amazon_odoo_sync.amazon.lwa.TokenStore`). :meth:`PgLwaTokens.locked` holds a
transaction-scoped advisory lock on the cache key while its block runs, so N processes needing a
token at once make one LWA call: the others wait for the lock, then read the fresh token. Tokens
are stored as the caller hands them (sealed by its cipher when one is configured).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from .shared_state import translated

__all__ = ["PgLockedToken", "PgLwaTokens", "StoredToken"]

_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('aos.lwa:' || %s, 0))"
_READ = "SELECT access_token, expires_at FROM spapi_lwa_tokens WHERE account = %s"
_UPSERT = """
INSERT INTO spapi_lwa_tokens (account, access_token, expires_at, refreshed_at, refresh_count)
VALUES (%(account)s, %(token)s, %(expires_at)s, %(now)s, 1)
ON CONFLICT (account) DO UPDATE SET access_token = excluded.access_token,
    expires_at = excluded.expires_at, refreshed_at = excluded.refreshed_at,
    refresh_count = spapi_lwa_tokens.refresh_count + 1
"""


@dataclass(frozen=True, kw_only=True)
class StoredToken:
    sealed: bytes
    expires_at: datetime


class PgLockedToken:
    """The token row of one key while its lock is held."""

    def __init__(self, conn: AsyncConnection[Any], key: str) -> None:
        self._conn = conn
        self._key = key

    async def read(self) -> StoredToken | None:
        row = await (await self._conn.execute(_READ, (self._key,))).fetchone()
        return None if row is None else StoredToken(sealed=bytes(row[0]), expires_at=row[1])

    async def write(self, sealed: bytes, *, expires_at: datetime, refreshed_at: datetime) -> None:
        await self._conn.execute(_UPSERT, {"account": self._key, "token": sealed, "expires_at": expires_at,
                                           "now": refreshed_at})


class PgLwaTokens:
    """Access tokens in PostgreSQL; one holder of a key's lock at a time, cluster-wide."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    @asynccontextmanager
    async def locked(self, key: str, *, account: str) -> AsyncIterator[PgLockedToken]:
        """``key``'s row under its lock until the block ends (then committed)."""
        async with translated("LWA token cache", account=account), self._pool.connection() as conn, \
                conn.transaction():
            await conn.execute(_LOCK, (key,))
            yield PgLockedToken(conn, key)
