"""Each repository test here runs twice: on PostgreSQL (``PgStore``) and on the in-memory twin
(``MemoryStore``), so the twin the flows' unit tests use behaves as the SQL does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.store.memory import MemoryStore
from amazon_odoo_sync.store.unit import PgStore, Store


@pytest.fixture(params=["postgresql", "memory"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    db_url: str = request.getfixturevalue("db_url")
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(db_url, min_size=1, max_size=4, open=False,
                                                         kwargs={"autocommit": True})
    await pool.open(wait=True, timeout=10)
    try:
        yield PgStore(pool)
    finally:
        await pool.close()
