"""A small pool of autocommit connections for a process that is not a worker (a command, the
web service): what :class:`~amazon_odoo_sync.store.unit.PgStore` and the PostgreSQL-only
readers (``store.job_admin``, ``store.dashboard``) run on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from .database import connect, translate_driver_error
from .unit import PgStore

__all__ = ["open_pool", "open_store"]


@asynccontextmanager
async def open_pool(url: str, *, max_size: int = 2, name: str = "aos-command",
                    open_timeout: float = 10.0) -> AsyncIterator[AsyncConnectionPool[Any]]:
    """An opened pool on ``url``, closed at the end of the block. A database that refuses
    connections fails at once, as :func:`~amazon_odoo_sync.store.database.connect` does
    (``TransientError``: cannot connect to PostgreSQL at host), not after the pool's timeout."""
    async with connect(url):
        pass
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(url, min_size=1, max_size=max_size, open=False,
                                                         name=name, kwargs={"autocommit": True})
    try:
        await pool.open(wait=True, timeout=open_timeout)
    except psycopg.Error as exc:  # it went away between the two
        raise (translate_driver_error(exc) or exc) from exc
    try:
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def open_store(url: str) -> AsyncIterator[PgStore]:
    """A command's store: :class:`PgStore` on a one-connection pool (see :func:`open_pool`)."""
    async with open_pool(url, max_size=1) as pool:
        yield PgStore(pool)
