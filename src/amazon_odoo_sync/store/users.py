"""Dashboard users, sessions and failed logins (tables of revision ``0012_users``).

A user has a name, a role (:data:`ROLES`, each including the ones before it) and a password hash
made by :mod:`amazon_odoo_sync.passwords`; this module never sees a password. A session is found
by the SHA-256 of its token and is valid until ``expires_at`` (the database's clock decides, so
every ``serve`` process agrees). Failed logins are counted per (user name, client address)
within a window.

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from psycopg import AsyncConnection

from ._sql import cursor

__all__ = ["NAME_PATTERN", "ROLES", "PgUsers", "Role", "User", "add", "clear_failures", "create_session",
           "delete_session", "delete_sessions", "get", "list_users", "password_hash", "recent_failures",
           "record_failure", "record_login", "remove", "role_at_least", "session_user", "set_password_hash"]

Role = Literal["viewer", "operator", "admin"]
#: Lowest first: a role may do everything the roles before it may.
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")
#: Allowed user names (also what ``users add`` checks): lower case, no spaces.
NAME_PATTERN = r"^[a-z0-9][a-z0-9_.@-]{0,62}$"

_COLUMNS = "id, name, role, created_at, updated_at, last_login_at"

ADD = f"""
INSERT INTO users (name, role, password_hash) VALUES (%(name)s, %(role)s, %(hash)s)
ON CONFLICT (name) DO NOTHING RETURNING {_COLUMNS}
"""
GET = f"SELECT {_COLUMNS} FROM users WHERE name = %(name)s"
HASH = "SELECT password_hash FROM users WHERE name = %(name)s"
LIST = f"SELECT {_COLUMNS} FROM users ORDER BY name"
REMOVE = "DELETE FROM users WHERE name = %(name)s RETURNING id"
SET_HASH = f"""
UPDATE users SET password_hash = %(hash)s, updated_at = now() WHERE name = %(name)s RETURNING {_COLUMNS}
"""
LOGIN = "UPDATE users SET last_login_at = now() WHERE id = %(id)s"

CREATE_SESSION = """
INSERT INTO web_sessions (token_hash, user_id, expires_at, client)
VALUES (%(digest)s, %(user_id)s, now() + make_interval(secs => %(seconds)s), %(client)s);
"""
EXPIRED_SESSIONS = "DELETE FROM web_sessions WHERE expires_at <= now()"
SESSION_USER = f"""
SELECT {', '.join('u.' + c for c in _COLUMNS.split(', '))}
FROM web_sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = %(digest)s AND s.expires_at > now()
"""
DELETE_SESSION = "DELETE FROM web_sessions WHERE token_hash = %(digest)s"
DELETE_SESSIONS = """
DELETE FROM web_sessions WHERE user_id = (SELECT id FROM users WHERE name = %(name)s)
"""

RECENT_FAILURES = """
SELECT count(*) AS failures,
       EXTRACT(EPOCH FROM min(at) + make_interval(secs => %(window)s) - now()) AS retry_after
FROM login_failures
WHERE name = %(name)s AND client = %(client)s AND at > now() - make_interval(secs => %(window)s)
"""
RECORD_FAILURE = "INSERT INTO login_failures (name, client) VALUES (%(name)s, %(client)s)"
OLD_FAILURES = "DELETE FROM login_failures WHERE at <= now() - make_interval(secs => %(window)s)"
CLEAR_FAILURES = "DELETE FROM login_failures WHERE name = %(name)s AND client = %(client)s"


@dataclass(frozen=True, kw_only=True)
class User:
    id: int
    name: str
    role: Role
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(**row)

    def may(self, role: Role) -> bool:
        return role_at_least(self.role, role)


def role_at_least(have: str, need: Role) -> bool:
    return have in ROLES and ROLES.index(have) >= ROLES.index(need)


async def _one(conn: AsyncConnection[Any], query: str, params: dict[str, Any]) -> dict[str, Any] | None:
    async with cursor(conn) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


# -- users -----------------------------------------------------------------------------------------

async def add(conn: AsyncConnection[Any], *, name: str, role: Role, password_hash: str) -> User | None:
    """The new user; None when the name is taken (nothing changed)."""
    row = await _one(conn, ADD, {"name": name, "role": role, "hash": password_hash})
    return None if row is None else User.from_row(row)


async def get(conn: AsyncConnection[Any], name: str) -> User | None:
    row = await _one(conn, GET, {"name": name})
    return None if row is None else User.from_row(row)


async def password_hash(conn: AsyncConnection[Any], name: str) -> str | None:
    row = await _one(conn, HASH, {"name": name})
    return None if row is None else str(row["password_hash"])


async def list_users(conn: AsyncConnection[Any]) -> list[User]:
    async with cursor(conn) as cur:
        await cur.execute(LIST)
        return [User.from_row(row) for row in await cur.fetchall()]


async def remove(conn: AsyncConnection[Any], name: str) -> bool:
    """Remove the user and their sessions; False when there is no such user."""
    return await _one(conn, REMOVE, {"name": name}) is not None


async def set_password_hash(conn: AsyncConnection[Any], name: str, password_hash: str) -> User | None:
    """Store a new hash and end the user's sessions (a changed password signs every browser out)."""
    row = await _one(conn, SET_HASH, {"name": name, "hash": password_hash})
    if row is None:
        return None
    await delete_sessions(conn, name)
    return User.from_row(row)


async def record_login(conn: AsyncConnection[Any], user_id: int) -> None:
    await conn.execute(LOGIN, {"id": user_id})


# -- sessions --------------------------------------------------------------------------------------

async def create_session(conn: AsyncConnection[Any], *, digest: bytes, user_id: int, seconds: float,
                         client: str) -> None:
    """A session valid for ``seconds``; expired sessions of anyone are removed on the way."""
    await conn.execute(EXPIRED_SESSIONS)
    await conn.execute(CREATE_SESSION, {"digest": digest, "user_id": user_id, "seconds": seconds,
                                        "client": client[:200]})


async def session_user(conn: AsyncConnection[Any], digest: bytes) -> User | None:
    """The user of an unexpired session."""
    row = await _one(conn, SESSION_USER, {"digest": digest})
    return None if row is None else User.from_row(row)


async def delete_session(conn: AsyncConnection[Any], digest: bytes) -> None:
    await conn.execute(DELETE_SESSION, {"digest": digest})


async def delete_sessions(conn: AsyncConnection[Any], name: str) -> int:
    """End every session of ``name``; how many there were."""
    cur = await conn.execute(DELETE_SESSIONS, {"name": name})
    return cur.rowcount


# -- failed logins -----------------------------------------------------------------------------------

async def recent_failures(conn: AsyncConnection[Any], name: str, client: str, window: float
                          ) -> tuple[int, float]:
    """Failed logins of (name, client) within the last ``window`` seconds, and the seconds until
    the oldest of them leaves the window."""
    row = await _one(conn, RECENT_FAILURES, {"name": name, "client": client, "window": window})
    if row is None or not row["failures"]:
        return 0, 0.0
    return int(row["failures"]), max(0.0, float(row["retry_after"]))


async def record_failure(conn: AsyncConnection[Any], name: str, client: str, window: float) -> None:
    await conn.execute(OLD_FAILURES, {"window": window})
    await conn.execute(RECORD_FAILURE, {"name": name, "client": client})


async def clear_failures(conn: AsyncConnection[Any], name: str, client: str) -> None:
    await conn.execute(CLEAR_FAILURES, {"name": name, "client": client})


class PgUsers:
    """The functions above bound to one connection: ``tx.users`` of a
    :class:`~amazon_odoo_sync.store.unit.PgUnitOfWork` (PostgreSQL only for now: the web's
    sign-in and the ``users`` commands use it through ``PgStore``, which translates driver
    errors; no in-memory twin yet)."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def add(self, *, name: str, role: Role, password_hash: str) -> User | None:
        return await add(self._conn, name=name, role=role, password_hash=password_hash)

    async def get(self, name: str) -> User | None:
        return await get(self._conn, name)

    async def list_users(self) -> list[User]:
        return await list_users(self._conn)

    async def remove(self, name: str) -> bool:
        return await remove(self._conn, name)

    async def set_password_hash(self, name: str, password_hash: str) -> User | None:
        return await set_password_hash(self._conn, name, password_hash)

    async def password_hash(self, name: str) -> str | None:
        return await password_hash(self._conn, name)

    async def record_login(self, user_id: int) -> None:
        await record_login(self._conn, user_id)

    async def create_session(self, *, digest: bytes, user_id: int, seconds: float, client: str) -> None:
        await create_session(self._conn, digest=digest, user_id=user_id, seconds=seconds, client=client)

    async def session_user(self, digest: bytes) -> User | None:
        return await session_user(self._conn, digest)

    async def delete_session(self, digest: bytes) -> None:
        await delete_session(self._conn, digest)

    async def recent_failures(self, name: str, client: str, window: float) -> tuple[int, float]:
        return await recent_failures(self._conn, name, client, window)

    async def record_failure(self, name: str, client: str, window: float) -> None:
        await record_failure(self._conn, name, client, window)

    async def clear_failures(self, name: str, client: str) -> None:
        await clear_failures(self._conn, name, client)
