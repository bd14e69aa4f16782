"""The circuits' stores: SP-API per (account, API), Odoo per instance; on PostgreSQL and in memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from amazon_odoo_sync.amazon.circuit import CircuitStore
from amazon_odoo_sync.circuit import CLOSED, HALF_OPEN, OPEN, CircuitState, admit, failed, succeeded
from amazon_odoo_sync.odoo.circuit import OdooCircuitStore
from amazon_odoo_sync.store.memory.shared_state import MemoryOdooCircuits, MemorySpapiCircuits
from amazon_odoo_sync.store.odoo_circuit import PgOdooCircuits
from amazon_odoo_sync.store.spapi_circuits import PgSpapiCircuits

from ._pools import pg_pool

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ODOO = "http://odoo.test/db"


@pytest.fixture(params=["postgresql", "memory"])
async def spapi(request: pytest.FixtureRequest) -> AsyncIterator[CircuitStore]:
    if request.param == "memory":
        yield MemorySpapiCircuits()
        return
    async with pg_pool(request) as pool:
        yield PgSpapiCircuits(pool)


@pytest.fixture(params=["postgresql", "memory"])
async def odoo(request: pytest.FixtureRequest) -> AsyncIterator[OdooCircuitStore]:
    if request.param == "memory":
        yield MemoryOdooCircuits()
        return
    async with pg_pool(request) as pool:
        yield PgOdooCircuits(pool)


def _fail(now: datetime) -> Any:
    return partial(failed, now=now, threshold=2)


async def test_an_spapi_circuit_opens_probes_and_closes(spapi: CircuitStore) -> None:
    assert await spapi.read("acme", "orders") == CircuitState()
    assert await spapi.close("acme", "orders", NOW) is False  # never written: nothing to close
    before, after = await spapi.change("acme", "orders", NOW, _fail(NOW), error="HTTP 503")
    assert before == CircuitState() and after == CircuitState(state=CLOSED, failures=1)
    _, after = await spapi.change("acme", "orders", NOW, _fail(NOW), error="x" * 900)
    assert after.state == OPEN and after.opened_at == NOW
    assert await spapi.read("acme", "orders") == after
    assert await spapi.read("acme", "listings") == CircuitState()  # one circuit per API
    assert await spapi.read("other", "orders") == CircuitState()  # and per account
    later = NOW + timedelta(seconds=60)
    before, probing = await spapi.change("acme", "orders", later, lambda s: admit(s, later, 30)[1])
    assert before == after and probing.state == HALF_OPEN and probing.probe_at == later
    assert (await spapi.read("acme", "orders")).state == HALF_OPEN
    assert await spapi.close("acme", "orders", later) is True
    assert await spapi.read("acme", "orders") == CircuitState()
    assert await spapi.close("acme", "orders", later) is False


async def test_an_unchanged_circuit_is_not_written(spapi: CircuitStore) -> None:
    before, after = await spapi.change("acme", "orders", NOW, succeeded)
    assert before == after == CircuitState()
    assert await spapi.read("acme", "orders") == CircuitState()


async def test_one_probe_when_two_workers_look_at_once(spapi: CircuitStore) -> None:
    for _ in range(2):
        await spapi.change("acme", "orders", NOW, _fail(NOW), error="HTTP 503")
    later = NOW + timedelta(seconds=60)
    allowed: list[bool] = []

    def transition(state: CircuitState) -> CircuitState:
        ok, new, _ = admit(state, later, 30)
        allowed.append(ok)
        return new

    await asyncio.gather(*(spapi.change("acme", "orders", later, transition) for _ in range(2)))
    assert sorted(allowed) == [False, True]


async def test_an_odoo_circuit_opens_and_closes(odoo: OdooCircuitStore) -> None:
    assert await odoo.read(ODOO) == CircuitState()
    await odoo.change(ODOO, NOW, _fail(NOW), error="ConnectError")
    before, after = await odoo.change(ODOO, NOW, _fail(NOW), error="ConnectError")
    assert before.failures == 1 and after.state == OPEN
    assert await odoo.read(ODOO) == after
    assert await odoo.read("http://other/db") == CircuitState()
    before, after = await odoo.change(ODOO, NOW + timedelta(seconds=1), succeeded)
    assert before.state == OPEN and after == CircuitState()
    assert await odoo.read(ODOO) == CircuitState()
