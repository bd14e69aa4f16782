"""Seller accounts and their marketplaces: the one source of truth for which accounts exist.

Every command and worker works the accounts stored here (``accounts add``, ``accounts import``),
with their credentials (LWA client id and secret, refresh token). An ``[[accounts]]`` entry of
the configuration file is a declaration of the non-secret parts: ``accounts import`` stores it
here (:func:`import_declared`, idempotent) and ``accounts add`` takes its defaults from it; it is
never used directly. The mapping of marketplaces to Odoo (``[marketplaces.XX]``) lives only in
the configuration. Secrets are never returned by this module except through
:func:`~.credentials.get_account_credentials`, wrapped in :class:`~.secrets.Secret`.

Functions never commit: the caller owns the transaction. Flows read accounts through the unit
of work (``tx.accounts``: :class:`AccountsRepository`, without secrets; its in-memory twin is
``store.memory.accounts``); storing credentials stays with the commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from psycopg import AsyncConnection, errors

from ..config import AccountConfig
from ..exceptions import ConfigurationError
from ._sql import cursor
from .secrets import Cipher, Secret

__all__ = ["Account", "AccountsRepository", "PgAccounts", "get", "import_declared", "list_accounts", "remove",
           "sellers", "upsert"]

_COLUMNS = """a.id, a.name, a.region, a.seller_id, a.lwa_client_id, a.active, a.created_at,
a.updated_at, a.lwa_client_secret IS NOT NULL AS has_lwa_client_secret,
a.refresh_token IS NOT NULL AS has_refresh_token,
COALESCE(ARRAY(SELECT m.marketplace_id FROM account_marketplaces m WHERE m.account_id = a.id
               ORDER BY m.marketplace_id), '{}') AS marketplaces"""

UPSERT = """
INSERT INTO accounts (name, region, seller_id, lwa_client_id, lwa_client_secret, refresh_token)
VALUES (%(name)s, %(region)s, %(seller_id)s, %(lwa_client_id)s, %(lwa_client_secret)s,
        %(refresh_token)s)
ON CONFLICT (name) DO UPDATE
SET region = EXCLUDED.region,
    seller_id = COALESCE(NULLIF(EXCLUDED.seller_id, ''), accounts.seller_id),
    lwa_client_id = COALESCE(NULLIF(EXCLUDED.lwa_client_id, ''), accounts.lwa_client_id),
    lwa_client_secret = COALESCE(EXCLUDED.lwa_client_secret, accounts.lwa_client_secret),
    refresh_token = COALESCE(EXCLUDED.refresh_token, accounts.refresh_token),
    active = true, updated_at = now()
RETURNING id
"""
DELETE_MARKETPLACES = """
DELETE FROM account_marketplaces WHERE account_id = %(id)s AND marketplace_id <> ALL(%(ids)s)
"""
ADD_MARKETPLACES = """
INSERT INTO account_marketplaces (account_id, marketplace_id)
SELECT %(id)s, unnest(%(ids)s::text[]) ON CONFLICT DO NOTHING
"""
GET = f"SELECT {_COLUMNS} FROM accounts a WHERE a.name = %(name)s"
LIST = f"SELECT {_COLUMNS} FROM accounts a WHERE (NOT %(active_only)s OR a.active) ORDER BY a.name"
REMOVE = "DELETE FROM accounts WHERE name = %(name)s RETURNING id"


@dataclass(frozen=True, kw_only=True)
class Account:
    """An account without its secrets (only whether they are set)."""

    id: int
    name: str
    region: str
    seller_id: str
    lwa_client_id: str
    marketplaces: tuple[str, ...]
    active: bool
    has_lwa_client_secret: bool
    has_refresh_token: bool
    created_at: datetime
    updated_at: datetime

    @property
    def has_credentials(self) -> bool:
        return bool(self.lwa_client_id) and self.has_lwa_client_secret and self.has_refresh_token

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Account:
        return cls(**(row | {"marketplaces": tuple(row["marketplaces"])}))

    def as_config(self) -> AccountConfig:
        """What flows read (``settings.account(name)``): region, seller id, marketplaces."""
        return AccountConfig(name=self.name, region=self.region,
                             seller_id=self.seller_id, marketplaces=list(self.marketplaces))


async def upsert(conn: AsyncConnection[Any], cipher: Cipher | None, *, name: str, region: str,
                 marketplaces: Sequence[str], seller_id: str = "", lwa_client_id: str = "",
                 lwa_client_secret: Secret | None = None,
                 refresh_token: Secret | None = None) -> Account:
    """Add or update an account; ``None`` secrets and empty ids keep the stored ones.
    Marketplace ids are replaced by ``marketplaces``. Validation (region, marketplace ids) is the
    caller's (``config.AccountConfig`` does it). ``cipher`` may be None when no secret is given."""
    if cipher is None and (lwa_client_secret or refresh_token):
        raise ValueError("a cipher is needed to store secrets")
    params = {"name": name, "region": region, "seller_id": seller_id,
              "lwa_client_id": lwa_client_id,
              "lwa_client_secret": cipher.encrypt(lwa_client_secret) if cipher and lwa_client_secret else None,
              "refresh_token": cipher.encrypt(refresh_token) if cipher and refresh_token else None}
    async with cursor(conn) as cur:
        await cur.execute(UPSERT, params)
        row = await cur.fetchone()
        assert row is not None
        ids = {"id": row["id"], "ids": list(dict.fromkeys(marketplaces))}
        await cur.execute(DELETE_MARKETPLACES, ids)
        await cur.execute(ADD_MARKETPLACES, ids)
    account = await get(conn, name)
    assert account is not None
    return account


async def get(conn: AsyncConnection[Any], name: str) -> Account | None:
    async with cursor(conn) as cur:
        await cur.execute(GET, {"name": name})
        row = await cur.fetchone()
    return None if row is None else Account.from_row(row)


async def list_accounts(conn: AsyncConnection[Any], *, active_only: bool = False) -> list[Account]:
    """Every account by name; ConfigurationError when the database has no tables yet."""
    try:
        async with cursor(conn) as cur:
            await cur.execute(LIST, {"active_only": active_only})
            rows = await cur.fetchall()
    except errors.UndefinedTable:
        raise ConfigurationError("the database has no tables yet: run `amazon-odoo-sync db upgrade`",
                                 source="database") from None
    return [Account.from_row(row) for row in rows]


async def import_declared(conn: AsyncConnection[Any], declared: Sequence[AccountConfig]) -> dict[str, str]:
    """Store declared accounts (region, seller id, marketplaces; credentials are kept): name →
    "added", "updated" or "unchanged". Running it again changes nothing."""
    outcome: dict[str, str] = {}
    for item in declared:
        existing = await get(conn, item.name)
        wanted = tuple(sorted(dict.fromkeys(item.marketplaces)))
        if (existing is not None and existing.active and existing.region == item.region
                and existing.marketplaces == wanted
                and (not item.seller_id or existing.seller_id == item.seller_id)):
            outcome[item.name] = "unchanged"
            continue
        await upsert(conn, None, name=item.name, region=item.region, marketplaces=wanted,
                     seller_id=item.seller_id)
        outcome[item.name] = "added" if existing is None else "updated"
    return outcome


async def remove(conn: AsyncConnection[Any], name: str) -> bool:
    """Delete the account and its credentials. History (inbox, external ids...) is kept."""
    async with cursor(conn) as cur:
        await cur.execute(REMOVE, {"name": name})
        return await cur.fetchone() is not None


async def sellers(conn: AsyncConnection[Any]) -> dict[str, str]:
    """Seller id → account name, of the accounts that have a seller id (notification intake)."""
    return {a.seller_id: a.name for a in await list_accounts(conn) if a.seller_id}


class AccountsRepository(Protocol):
    """The accounts as flows see them: no secrets (see the module)."""

    async def get(self, name: str) -> Account | None: ...

    async def list_accounts(self, *, active_only: bool = False) -> list[Account]: ...

    async def sellers(self) -> dict[str, str]: ...

    async def import_declared(self, declared: Sequence[AccountConfig]) -> dict[str, str]: ...


class PgAccounts:
    """:class:`AccountsRepository` on one connection (the functions above, bound to it)."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def get(self, name: str) -> Account | None:
        return await get(self._conn, name)

    async def list_accounts(self, *, active_only: bool = False) -> list[Account]:
        return await list_accounts(self._conn, active_only=active_only)

    async def sellers(self) -> dict[str, str]:
        return await sellers(self._conn)

    async def import_declared(self, declared: Sequence[AccountConfig]) -> dict[str, str]:
        return await import_declared(self._conn, declared)
