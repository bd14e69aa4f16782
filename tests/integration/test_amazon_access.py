"""SP-API access state on real PostgreSQL: shared governor, token de-dup, circuits, status rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.amazon.circuit import SharedCircuitBreaker
from amazon_odoo_sync.amazon.client import SpApiClient
from amazon_odoo_sync.amazon.governor import BucketKey, SharedRateGovernor
from amazon_odoo_sync.amazon.lwa import LwaClient, LwaCredentials, SharedTokenCache
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.config import SpapiConfig
from amazon_odoo_sync.exceptions import CircuitOpenError, ThrottledError
from amazon_odoo_sync.store.lwa_tokens import PgLwaTokens
from amazon_odoo_sync.store.rate_buckets import PgRateBuckets
from amazon_odoo_sync.store.spapi_circuits import PgSpapiCircuits
from amazon_odoo_sync.store.spapi_state import PgSpapiState
from amazon_odoo_sync.store.spapi_status import circuit_rows, quota_rows

pytestmark = pytest.mark.db

CREDS = LwaCredentials(client_id="cid", client_secret="csecret", refresh_token="Atzr|refresh")


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[AsyncConnectionPool[psycopg.AsyncConnection[tuple[object, ...]]]]:
    pool: AsyncConnectionPool[psycopg.AsyncConnection[tuple[object, ...]]] = AsyncConnectionPool(
        db_url, min_size=1, max_size=12, open=False)
    await pool.open()
    yield pool
    await pool.close()


def assert_within_plan(times: list[float], rate: float, burst: float) -> None:
    times = sorted(times)
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            assert j - i + 1 <= rate * (times[j] - start) + burst + 1e-6


async def test_concurrent_takers_share_one_bucket(pool: AsyncConnectionPool) -> None:
    rate, burst = 40.0, 5
    # Two governors: like two worker processes sharing the database.
    governors = [SharedRateGovernor(PgRateBuckets(pool), plans={"x.op": (rate, burst)}) for _ in range(2)]

    async def worker(n: int) -> list[float]:
        grants = []
        for _ in range(6):
            grant = await governors[n % 2].acquire("acct", "EU", "x.op", 50, max_wait=30)
            grants.append(grant.granted_at)
        return grants

    results = await asyncio.gather(*(worker(n) for n in range(8)))
    times = [t for grants in results for t in grants]
    assert len(times) == 48
    assert_within_plan(times, rate, burst)
    elapsed = max(times) - min(times)
    assert elapsed >= (48 - burst) / rate - 0.05  # really paced, not just counted


async def test_priority_wins_across_governors(pool: AsyncConnectionPool) -> None:
    plans = {"x.op": (4.0, 1)}
    a, b = SharedRateGovernor(PgRateBuckets(pool), plans=plans), SharedRateGovernor(PgRateBuckets(pool), plans=plans)
    await a.acquire("acct", "EU", "x.op", 0, max_wait=1)  # empty the bucket
    order: list[str] = []

    async def take(governor: SharedRateGovernor, name: str, priority: int, delay: float) -> None:
        await asyncio.sleep(delay)
        await governor.acquire("acct", "EU", "x.op", priority, max_wait=10)
        order.append(name)

    await asyncio.gather(take(a, "stock", 100, 0.0), take(b, "report-1", 40, 0.02),
                         take(b, "report-2", 40, 0.03), take(a, "stock-2", 100, 0.04))
    assert sorted(order[:2]) == ["stock", "stock-2"]
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT count(*) FROM spapi_rate_waiters")).fetchone()
    assert row == (0,)  # waiters clean up after themselves


async def test_max_wait_throttles_and_429_shows_in_status(pool: AsyncConnectionPool) -> None:
    governor = SharedRateGovernor(PgRateBuckets(pool), plans={"x.op": (0.01, 1)})
    await governor.acquire("acct", "EU", "x.op", 0, max_wait=0)
    with pytest.raises(ThrottledError) as info:
        await governor.acquire("acct", "EU", "x.op", 0, max_wait=1)
    assert info.value.retry_after is not None and info.value.retry_after > 50
    key = BucketKey(account="acct", region="EU", operation="x.op")
    await governor.observe_rate_limit_header(key, "2")
    await governor.on_throttled(key, retry_after=30)
    async with pool.connection() as conn:
        rows = await quota_rows(conn)
    assert len(rows) == 1
    row = rows[0]
    assert (row["account"], row["operation"], row["rate"], row["burst"]) == ("acct", "x.op", 2.0, 1.0)
    assert row["tokens"] < -50 and row["last_429"] is not None and row["waiting"] == 0


class _FernetText:
    """A str → str cipher, like ``store.secrets.Cipher``."""

    def __init__(self, fernet: Fernet) -> None:
        self._fernet = fernet

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()


async def test_token_refresh_is_deduplicated_across_processes(pool: AsyncConnectionPool,
                                                              db_url: str) -> None:
    calls: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.content.decode())
        await asyncio.sleep(0.2)  # a slow LWA makes a refresh storm likely if there is no lock
        return httpx.Response(200, json={"access_token": f"Atza|{len(calls)}", "expires_in": 3600})

    cipher = _FernetText(Fernet(Fernet.generate_key()))
    # Three "processes": each its own pool, LWA client and in-process cache.
    pools = [pool] + [AsyncConnectionPool(db_url, min_size=1, max_size=4, open=False) for _ in range(2)]
    for extra in pools[1:]:
        await extra.open()
    clients = [LwaClient(token_url="https://lwa.test/token", transport=httpx.MockTransport(handler))
               for _ in pools]
    caches = [SharedTokenCache(PgLwaTokens(p), c, cipher=cipher) for p, c in zip(pools, clients, strict=True)]
    try:
        tokens = await asyncio.gather(*(caches[i % 3].access_token("acme", CREDS) for i in range(30)))
        assert set(tokens) == {"Atza|1"} and len(calls) == 1
        # A token the API refused is replaced once, however many callers report it.
        again = await asyncio.gather(*(caches[i % 3].access_token("acme", CREDS, reject="Atza|1")
                                       for i in range(9)))
        assert set(again) == {"Atza|2"} and len(calls) == 2
    finally:
        for client in clients:
            await client.aclose()
        for extra in pools[1:]:
            await extra.close()
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT access_token, refresh_count FROM spapi_lwa_tokens")).fetchone()
    assert row is not None and b"Atza" not in bytes(row[0]) and row[1] == 2  # encrypted at rest


async def test_pg_circuit_is_shared_and_listed(pool: AsyncConnectionPool) -> None:
    clock = FakeClock()
    one = SharedCircuitBreaker(PgSpapiCircuits(pool), failure_threshold=2, reset_seconds=10, clock=clock)
    two = SharedCircuitBreaker(PgSpapiCircuits(pool), failure_threshold=2, reset_seconds=10, clock=clock)
    await one.before_call("acme", "orders")
    await one.record_success("acme", "orders")
    await one.record_failure("acme", "orders", "HTTP 503")
    await two.record_failure("acme", "orders", "HTTP 500")
    with pytest.raises(CircuitOpenError):
        await one.before_call("acme", "orders")
    async with pool.connection() as conn:
        rows = await circuit_rows(conn)
    assert [(r["account"], r["api"], r["state"], r["failures"]) for r in rows] == [("acme", "orders", "open", 2)]
    assert rows[0]["opened_at"] == clock.now() and rows[0]["last_error"] == "HTTP 500"
    clock.advance(10)
    await two.before_call("acme", "orders")  # the probe
    with pytest.raises(CircuitOpenError):
        await one.before_call("acme", "orders")  # only one probe cluster-wide
    await two.record_success("acme", "orders")
    await one.before_call("acme", "orders")
    async with pool.connection() as conn:
        assert (await circuit_rows(conn))[0]["state"] == "closed"


async def test_shared_client_end_to_end(pool: AsyncConnectionPool) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "lwa.test":
            return httpx.Response(200, json={"access_token": "Atza|x", "expires_in": 3600})
        seen.append(request)
        if request.url.path.endswith("/broken"):
            return httpx.Response(500, json={"errors": [{"code": "InternalFailure", "message": "oops"}]})
        return httpx.Response(200, json={"order": {}}, headers={"x-amzn-RateLimit-Limit": "0.75"})

    settings = SpapiConfig(token_url="https://lwa.test/token", endpoints={
        "NA": "https://na.test", "EU": "https://eu.test", "FE": "https://fe.test"}, circuit_failure_threshold=1)
    async with SpApiClient.shared(PgSpapiState(pool), account="acme", region="EU", credentials=CREDS, settings=settings,
                                  transport=httpx.MockTransport(handler)) as client:
        assert await client.orders.get_order("1") == {"order": {}}
        with pytest.raises(CircuitOpenError, match="answered 500"):  # threshold 1: it opens
            await client.orders.get_order("broken")
        with pytest.raises(CircuitOpenError):
            await client.orders.get_order("1")
    async with pool.connection() as conn:
        quota = await quota_rows(conn)
        circuits = await circuit_rows(conn)
    assert [(q["operation"], q["rate"]) for q in quota] == [("orders.getOrder", 0.75)]
    assert [(c["api"], c["state"]) for c in circuits] == [("orders", "open")]
    assert len(seen) == 2
