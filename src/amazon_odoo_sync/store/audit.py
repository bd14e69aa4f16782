"""Audit log: who did what (CLI commands, web actions, replays), when.

``details`` must not carry secrets; as a last line of defence, values under keys that look
secret are replaced by ``***`` here.

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from psycopg import AsyncConnection

from ._sql import cursor, jsonb

__all__ = ["AuditEntry", "AuditRepository", "PgAudit", "cli_actor", "mask_secrets", "recent", "record"]

_SECRET_HINTS = ("secret", "token", "password", "api_key", "key_material")
_COLUMNS = "id, at, actor, action, object_type, object_key, details"

RECORD = f"""
INSERT INTO audit_log (actor, action, object_type, object_key, details)
VALUES (%(actor)s, %(action)s, %(object_type)s, %(object_key)s, %(details)s)
RETURNING {_COLUMNS}
"""
RECENT = f"""
SELECT {_COLUMNS} FROM audit_log
WHERE (%(object_type)s::text IS NULL OR object_type = %(object_type)s)
ORDER BY id DESC LIMIT %(limit)s
"""


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str | None
    object_key: str | None
    details: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEntry:
        return cls(**row)


def mask_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "***" if any(h in str(k).lower() for h in _SECRET_HINTS) and v is not None
                else mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def cli_actor() -> str:
    """``cli:<os user>``, the actor of commands run from a shell."""
    try:
        user = getpass.getuser()
    except Exception:  # no user database entry (containers)
        user = "unknown"
    return f"cli:{user}"


async def record(conn: AsyncConnection[Any], *, actor: str, action: str,
                 object_type: str | None = None, object_key: str | None = None,
                 details: dict[str, Any] | None = None) -> AuditEntry:
    async with cursor(conn) as cur:
        await cur.execute(RECORD, {"actor": actor, "action": action, "object_type": object_type,
                                   "object_key": object_key, "details": jsonb(mask_secrets(details or {}))})
        row = await cur.fetchone()
    assert row is not None
    return AuditEntry.from_row(row)


async def recent(conn: AsyncConnection[Any], limit: int = 50, *,
                 object_type: str | None = None) -> list[AuditEntry]:
    async with cursor(conn) as cur:
        await cur.execute(RECENT, {"limit": limit, "object_type": object_type})
        rows = await cur.fetchall()
    return [AuditEntry.from_row(row) for row in rows]


class AuditRepository(Protocol):
    async def record(self, *, actor: str, action: str, object_type: str | None = None,
                     object_key: str | None = None, details: dict[str, Any] | None = None) -> AuditEntry: ...

    async def recent(self, limit: int = 50, *, object_type: str | None = None) -> list[AuditEntry]: ...


class PgAudit:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def record(self, *, actor: str, action: str, object_type: str | None = None,
                     object_key: str | None = None, details: dict[str, Any] | None = None) -> AuditEntry:
        return await record(self._conn, actor=actor, action=action, object_type=object_type,
                            object_key=object_key, details=details)

    async def recent(self, limit: int = 50, *, object_type: str | None = None) -> list[AuditEntry]:
        return await recent(self._conn, limit, object_type=object_type)
