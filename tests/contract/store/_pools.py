"""An autocommit pool on the test's database, as the workers' auxiliary pool for shared client state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool


@asynccontextmanager
async def pg_pool(request: pytest.FixtureRequest) -> AsyncIterator[AsyncConnectionPool[Any]]:
    db_url: str = request.getfixturevalue("db_url")
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(db_url, min_size=1, max_size=4, open=False,
                                                         kwargs={"autocommit": True})
    await pool.open(wait=True, timeout=10)
    try:
        yield pool
    finally:
        await pool.close()
