"""Reading and storing credentials: Odoo API key and SP-API account credentials.

Every secret comes back as :class:`~.secrets.Secret`; call ``.reveal()`` only where the value
goes on the wire. Missing credentials raise :class:`~amazon_odoo_sync.exceptions.ConfigurationError`
saying which command stores them.

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from ..config import SecretsConfig
from ..exceptions import ConfigurationError
from ._sql import cursor
from .database import connect
from .secrets import Cipher, Secret, load_cipher

__all__ = ["AccountCredentials", "OdooCredentials", "get_account_credentials",
           "get_odoo_credentials", "read_odoo_credentials", "set_odoo_api_key"]

SET_ODOO = """
INSERT INTO odoo_credentials (instance, url, database, username, api_key)
VALUES (%(instance)s, %(url)s, %(database)s, %(username)s, %(api_key)s)
ON CONFLICT (instance) DO UPDATE
SET url = EXCLUDED.url, database = EXCLUDED.database, username = EXCLUDED.username,
    api_key = EXCLUDED.api_key, updated_at = now()
"""
GET_ODOO = """
SELECT instance, url, database, username, api_key FROM odoo_credentials
WHERE instance = %(instance)s
"""
GET_ACCOUNT = """
SELECT a.name, a.region, a.seller_id, a.lwa_client_id, a.lwa_client_secret, a.refresh_token,
       a.active,
       COALESCE(ARRAY(SELECT m.marketplace_id FROM account_marketplaces m
                      WHERE m.account_id = a.id ORDER BY m.marketplace_id), '{}') AS marketplaces
FROM accounts a WHERE a.name = %(name)s
"""


@dataclass(frozen=True, kw_only=True)
class OdooCredentials:
    instance: str
    url: str
    database: str
    user: str
    api_key: Secret


@dataclass(frozen=True, kw_only=True)
class AccountCredentials:
    account: str
    region: str
    seller_id: str
    marketplaces: tuple[str, ...]
    lwa_client_id: str
    lwa_client_secret: Secret
    refresh_token: Secret


async def set_odoo_api_key(conn: AsyncConnection[Any], cipher: Cipher, *, url: str, database: str,
                           user: str, api_key: Secret, instance: str = "default") -> None:
    """Store (replace) the Odoo API key, with the URL, database and user it belongs to."""
    async with cursor(conn) as cur:
        await cur.execute(SET_ODOO, {"instance": instance, "url": url, "database": database,
                                     "username": user, "api_key": cipher.encrypt(api_key)})


async def get_odoo_credentials(conn: AsyncConnection[Any], cipher: Cipher,
                               instance: str = "default") -> OdooCredentials | None:
    """The stored Odoo credentials, or None when no API key was stored yet."""
    async with cursor(conn) as cur:
        await cur.execute(GET_ODOO, {"instance": instance})
        row = await cur.fetchone()
    if row is None:
        return None
    return OdooCredentials(instance=row["instance"], url=row["url"], database=row["database"],
                           user=row["username"], api_key=cipher.decrypt_secret(row["api_key"]))


async def read_odoo_credentials(db_url: str, secrets: SecretsConfig,
                                instance: str = "default") -> OdooCredentials | None:
    """:func:`get_odoo_credentials` on a connection of its own (commands, which hold no pool)."""
    # The key file is created on first use: without one, nothing is stored yet.
    cipher = load_cipher(secrets)
    async with connect(db_url) as conn:
        return await get_odoo_credentials(conn, cipher, instance)


async def get_account_credentials(conn: AsyncConnection[Any], cipher: Cipher,
                                  account: str) -> AccountCredentials:
    """Everything needed to call SP-API for ``account`` (ConfigurationError when incomplete)."""
    async with cursor(conn) as cur:
        await cur.execute(GET_ACCOUNT, {"name": account})
        row = await cur.fetchone()
    hint = f"store them with `amazon-odoo-sync accounts add {account}`"
    if row is None:
        raise ConfigurationError(f"account {account!r} has no stored credentials; {hint}",
                                 field="accounts", account=account)
    if not (row["lwa_client_id"] and row["lwa_client_secret"] and row["refresh_token"]):
        raise ConfigurationError(f"account {account!r} lacks LWA client id, client secret or "
                                 f"refresh token; {hint}", field="accounts", account=account)
    return AccountCredentials(
        account=row["name"], region=row["region"], seller_id=row["seller_id"],
        marketplaces=tuple(row["marketplaces"]), lwa_client_id=row["lwa_client_id"],
        lwa_client_secret=cipher.decrypt_secret(row["lwa_client_secret"]),
        refresh_token=cipher.decrypt_secret(row["refresh_token"]))
