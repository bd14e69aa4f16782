"""The shared LWA token cache's store (``TokenStore`` of ``amazon.lwa``), on PostgreSQL and in memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from amazon_odoo_sync.amazon.lwa import TokenStore
from amazon_odoo_sync.store.lwa_tokens import PgLwaTokens
from amazon_odoo_sync.store.memory.shared_state import MemoryLwaTokens

from ._pools import pg_pool

LATER = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["postgresql", "memory"])
async def tokens(request: pytest.FixtureRequest) -> AsyncIterator[TokenStore]:
    if request.param == "memory":
        yield MemoryLwaTokens()
        return
    async with pg_pool(request) as pool:
        yield PgLwaTokens(pool)


class Boom(Exception):
    pass


async def test_a_written_token_is_read_back_and_replaced(tokens: TokenStore) -> None:
    async with tokens.locked("acme", account="acme") as slot:
        assert await slot.read() is None
        await slot.write(b"sealed-1", expires_at=LATER, refreshed_at=LATER - timedelta(hours=1))
    async with tokens.locked("acme", account="acme") as slot:
        stored = await slot.read()
        assert stored is not None and stored.sealed == b"sealed-1" and stored.expires_at == LATER
        await slot.write(b"sealed-2", expires_at=LATER + timedelta(hours=1), refreshed_at=LATER)
    async with tokens.locked("acme", account="acme") as slot:
        stored = await slot.read()
        assert stored is not None and stored.sealed == b"sealed-2"
    async with tokens.locked("acme#scope", account="acme") as slot:
        assert await slot.read() is None  # a grantless token has a key of its own


async def test_a_block_that_raises_stores_nothing(tokens: TokenStore) -> None:
    with pytest.raises(Boom):
        async with tokens.locked("acme", account="acme") as slot:
            await slot.write(b"sealed", expires_at=LATER, refreshed_at=LATER)
            raise Boom
    async with tokens.locked("acme", account="acme") as slot:
        assert await slot.read() is None


async def test_the_lock_makes_the_second_caller_wait_and_see_the_first_ones_token(tokens: TokenStore) -> None:
    entered = asyncio.Event()
    seen: list[bytes | None] = []

    async def refresher() -> None:
        async with tokens.locked("acme", account="acme") as slot:
            entered.set()
            await asyncio.sleep(0.2)  # the LWA call, made while holding the lock
            await slot.write(b"fresh", expires_at=LATER, refreshed_at=LATER)

    async def waiter() -> None:
        await entered.wait()
        async with tokens.locked("acme", account="acme") as slot:
            stored = await slot.read()
            seen.append(None if stored is None else stored.sealed)

    async def other_account() -> None:
        await entered.wait()
        async with tokens.locked("other", account="other") as slot:  # not held up by acme's lock
            seen.append(b"other" if await slot.read() is None else None)

    await asyncio.gather(refresher(), waiter(), other_account())
    assert seen == [b"other", b"fresh"]
