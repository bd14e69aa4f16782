"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    """An autocommit pool on the test's database, as ``serve`` and the workers open theirs."""
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(db_url, min_size=1, max_size=4, open=False,
                                                         kwargs={"autocommit": True})
    await pool.open(wait=True, timeout=10)
    try:
        yield pool
    finally:
        await pool.close()
