"""A throw-away, migrated database on ``DATABASE_URL``'s server for one benchmark run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from amazon_odoo_sync.store.migrate import upgrade

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """Create ``<prefix>_<random>``, migrate it, yield its URL, drop it afterwards."""
    server = os.environ.get("DATABASE_URL", SERVER)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = server.rsplit("/", 1)[0] + "/" + name
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
