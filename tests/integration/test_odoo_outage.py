"""Outages of Odoo or SP-API through the real job pipeline: nothing dead-lettered, the backlog
drains by itself afterwards. Plus the Odoo circuit shared through PostgreSQL, ``status`` and the
dashboard showing it.

The outage is longer than the retry budget on the clock that measures the budget (a clock
that moves 15 minutes at each reading), and longer than the old budget of 8 attempts per job;
in real time it lasts a few seconds (tiny backoff and circuit cooldown)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool
from typer.testing import CliRunner

from amazon_odoo_sync.cli.main import app as cli
from amazon_odoo_sync.clock import FakeClock, SystemClock
from amazon_odoo_sync.config import DatabaseConfig, Settings
from amazon_odoo_sync.exceptions import CircuitOpenError
from amazon_odoo_sync.flows.orders import poll_orders
from amazon_odoo_sync.flows.runtime import FlowRuntime
from amazon_odoo_sync.jobs.retry import RetryPolicy, SyncRetryStrategy
from amazon_odoo_sync.jobs.worker import run_worker
from amazon_odoo_sync.odoo.circuit import SharedOdooCircuit
from amazon_odoo_sync.store import odoo_circuit
from amazon_odoo_sync.store.odoo_circuit import PgOdooCircuits
from amazon_odoo_sync.tasks import build_worker_app
from amazon_odoo_sync.tasks import poll_orders as poll_orders_task
from amazon_odoo_sync.web.dashboard import dashboard_router

from .orders_env import OrdersEnv, orders_env
from .web_login import add_user, sign_in

pytestmark = pytest.mark.db

BUDGET_HOURS = 1.0
INSTANCE = "http://odoo.emu/demo"


class SteppingClock(SystemClock):
    """Wall time that moves 15 minutes each time it is read: every failed run of a job makes
    the budget clock pass a quarter of an hour."""

    def __init__(self) -> None:
        self.start = datetime(2026, 11, 27, tzinfo=UTC)
        self.readings = 0

    def now(self) -> datetime:
        self.readings += 1
        return self.start + timedelta(minutes=15 * self.readings)

    def elapsed(self) -> timedelta:
        return timedelta(minutes=15 * self.readings)


class Outage(httpx.AsyncBaseTransport):
    """A transport in front of a sandbox server that can refuse connections, as a stopped
    server does; ``spare`` requests (by path) still go through."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, spare: str | None = None) -> None:
        self.inner = inner
        self.spare = spare
        self.down = False
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down and not (self.spare and self.spare in request.url.path):
            self.refused += 1
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return await self.inner.handle_async_request(request)


def outage_settings(env: OrdersEnv) -> Settings:
    s = env.settings
    return s.model_copy(update={
        "jobs": s.jobs.model_copy(update={"retry_budget_hours": BUDGET_HOURS, "backoff_base_seconds": 0.005,
                                          "backoff_cap_seconds": 0.02}),
        "odoo": s.odoo.model_copy(update={"circuit_failure_threshold": 2, "circuit_reset_seconds": 0.05}),
        "spapi": s.spapi.model_copy(update={"circuit_failure_threshold": 2, "circuit_reset_seconds": 0.05}),
    })


class Pipeline:
    def __init__(self, env: OrdersEnv, db_url: str, odoo: Outage, spapi: Outage) -> None:
        self.env, self.db_url, self.odoo, self.spapi = env, db_url, odoo, spapi
        self.settings = outage_settings(env)
        self.clock = SteppingClock()
        self.strategy = SyncRetryStrategy(policy=RetryPolicy.from_config(self.settings.jobs), clock=self.clock)
        self.runtime = FlowRuntime(self.settings, env.pool, spapi_transport=spapi, odoo_transport=odoo)

    def app(self) -> Any:
        return build_worker_app(self.settings, url=self.db_url, retry_strategy=self.strategy, runtime=self.runtime)

    async def work(self, *, until: Callable[[], Awaitable[bool]], rounds: int = 60) -> None:
        """Run workers, a little apart so held jobs come due, until ``until()`` or ``rounds``."""
        for _ in range(rounds):
            await run_worker(self.app(), self.settings, wait=False, install_signal_handlers=False)
            if await until():
                return
            await asyncio.sleep(0.06)

    async def idle(self) -> bool:
        return not await self.waiting()

    def ran_more_than(self, task: str, runs: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return await self.most_runs(task) > runs
        return check

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        async with self.env.pool.connection() as conn:
            return await (await conn.execute(sql)).fetchall()

    async def waiting(self) -> int:
        [(count,)] = await self.rows("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
        return int(count)

    async def states(self) -> dict[str, int]:
        return dict(await self.rows("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1"))

    async def most_runs(self, task: str) -> int:
        [(runs,)] = await self.rows(
            f"SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM job_failures f JOIN procrastinate_jobs j "
            f"ON j.id = f.job_id WHERE j.task_name = '{task}' GROUP BY f.job_id) t")
        return int(runs)

    async def held(self) -> int:
        [(count,)] = await self.rows("SELECT count(*) FROM job_failures WHERE error_type = 'CircuitOpenError'")
        return int(count)

    async def imported_once(self) -> None:
        result = await self.env.reconcile()
        assert result.differences == []
        assert sum(line.amazon_orders for line in result.lines) > 20
        odoo = await self.env.runtime.odoo()
        refs = [r["client_order_ref"] for r in await odoo.search_read(
            "sale.order", [("client_order_ref", "!=", False)], ["client_order_ref"])]
        assert len(refs) == len(set(refs))


@pytest.fixture
async def pipeline(db_url: str) -> AsyncIterator[Pipeline]:
    async with orders_env(db_url, faults=False) as env:
        odoo = Outage(httpx.ASGITransport(app=env.emulator))
        spapi = Outage(httpx.ASGITransport(app=env.sim_app), spare="/auth/o2/token")
        line = Pipeline(env, db_url, odoo, spapi)
        try:
            yield line
        finally:
            await line.runtime.aclose()


@pytest.mark.slow
async def test_an_odoo_outage_longer_than_the_budget_dead_letters_nothing(pipeline: Pipeline) -> None:
    env = pipeline.env
    env.advance_to(env.scenario.start + timedelta(days=1))
    pipeline.odoo.down = True
    for account in env.settings.accounts:  # orders arrive; each account's import job is queued
        assert (await poll_orders(pipeline.runtime, account.name, account.marketplaces)).stored > 0

    await pipeline.work(until=pipeline.ran_more_than("orders.import", 10))
    assert pipeline.clock.elapsed() > timedelta(hours=2 * BUDGET_HOURS)
    assert await pipeline.most_runs("orders.import") > 8  # the old budget: 8 runs in all
    assert "failed" not in await pipeline.states()
    assert await pipeline.held() > 0
    async with env.pool.connection() as conn:
        [circuit] = await odoo_circuit.circuit_rows(conn)
    assert circuit.state != "closed" and "cannot reach Odoo" in (circuit.last_error or "")
    # Open: one probe per cooldown for all jobs, not a request per job run.
    [(runs,)] = await pipeline.rows("SELECT count(*) FROM job_failures")
    assert pipeline.odoo.refused <= runs * 3 / 4

    pipeline.odoo.down = False
    await pipeline.work(until=pipeline.idle)
    assert await pipeline.states() == {"succeeded": len(env.settings.accounts)}
    await pipeline.imported_once()
    async with env.pool.connection() as conn:
        [circuit] = await odoo_circuit.circuit_rows(conn)
    assert circuit.state == "closed"


@pytest.mark.slow
async def test_an_spapi_outage_holds_the_polls_and_they_finish_after_it(pipeline: Pipeline) -> None:
    env = pipeline.env
    env.advance_to(env.scenario.start + timedelta(days=1))
    pipeline.spapi.down = True
    app = pipeline.app()
    async with app.open_async():
        for account in env.settings.accounts:
            assert await poll_orders_task.defer(app, account=account.name) is not None

    await pipeline.work(until=pipeline.ran_more_than("orders.poll", 10))
    assert pipeline.clock.elapsed() > timedelta(hours=2 * BUDGET_HOURS)
    assert await pipeline.most_runs("orders.poll") > 8
    assert "failed" not in await pipeline.states()
    assert await pipeline.held() > 0

    pipeline.spapi.down = False
    await pipeline.work(until=pipeline.idle)
    states = await pipeline.states()
    assert set(states) == {"succeeded"}, states
    await pipeline.imported_once()


@pytest.mark.slow
async def test_a_job_failing_on_its_own_still_fails_once_its_budget_is_spent(pipeline: Pipeline) -> None:
    """The budget is still a budget: errors that are not an outage (here Odoo answering 500
    with an unexpected server error on every call) dead-letter the job after it."""
    env = pipeline.env
    env.advance_to(env.scenario.start + timedelta(days=1))
    emulator = env.emulator.state.emulator
    emulator.faults.update({"mode": "down", "down_status": 500})
    account = env.settings.accounts[0]
    await poll_orders(pipeline.runtime, account.name, account.marketplaces)
    await pipeline.work(until=pipeline.idle)
    assert (await pipeline.states()).get("failed") == 1
    assert await pipeline.held() == 0  # a 500 is Odoo answering: no circuit, no hold


# -- the circuit shared through PostgreSQL, and where it shows ----------------------------------

async def open_circuit(pool: AsyncConnectionPool[Any], clock: FakeClock) -> tuple[SharedOdooCircuit, SharedOdooCircuit]:
    one = SharedOdooCircuit(PgOdooCircuits(pool), INSTANCE, failure_threshold=2, reset_seconds=30, clock=clock)
    two = SharedOdooCircuit(PgOdooCircuits(pool), INSTANCE, failure_threshold=2, reset_seconds=30, clock=clock)
    await one.record_failure("cannot reach Odoo for sale.order.search_read: ConnectError")
    await two.record_failure("cannot reach Odoo for sale.order.search_read: ConnectError")
    return one, two


async def test_the_odoo_circuit_is_one_for_every_worker(pool: AsyncConnectionPool[Any],
                                                        fake_clock: FakeClock) -> None:
    one, two = await open_circuit(pool, fake_clock)  # one failure each: two in a row, open
    for worker in (one, two):
        with pytest.raises(CircuitOpenError):
            await worker.before_call("sale.order.create")
    fake_clock.advance(30)
    await one.before_call("sale.order.search_read")  # the probe
    with pytest.raises(CircuitOpenError):
        await two.before_call("sale.order.create")  # one probe for all workers
    await one.record_success()
    await two.before_call("sale.order.create")
    async with pool.connection() as conn:
        [row] = await odoo_circuit.circuit_rows(conn)
    assert (row.instance, row.state, row.failures, row.since) == (INSTANCE, "closed", 0, fake_clock.now())
    assert row.last_error and "ConnectError" in row.last_error  # the last outage stays visible


def test_status_shows_the_odoo_circuit(db_url: str) -> None:
    async def arrange() -> None:
        async with AsyncConnectionPool(db_url, min_size=1, max_size=2, kwargs={"autocommit": True}) as p:
            await open_circuit(p, FakeClock())

    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "AOS_CONFIG": ""}
    closed = runner.invoke(cli, ["status"], env=env)
    assert closed.exit_code == 0, closed.output
    assert "Odoo circuit: closed" in closed.output
    asyncio.run(arrange())
    shown = runner.invoke(cli, ["status"], env=env, terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert f"Odoo circuit {INSTANCE}: OPEN" in shown.output
    assert "since 2026-01-01 00:00:00 UTC" in shown.output
    assert "cannot reach Odoo for sale.order.search_read" in shown.output


async def test_the_dashboard_overview_shows_the_odoo_circuit(db_url: str, pool: AsyncConnectionPool[Any]) -> None:
    app = FastAPI()
    app.include_router(dashboard_router(pool, Settings(database=DatabaseConfig(url=db_url))))
    async with pool.connection() as conn:
        await add_user(conn, "vera", "viewer")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://dash") as client:
        await sign_in(client, "vera")
        before = (await client.get("/")).text
        assert "reachable</span> Odoo" in before and "Odoo circuit closed: no outage seen" in before
        await open_circuit(pool, FakeClock())
        html = (await client.get("/partials/overview", headers={"HX-Request": "true"})).text
    assert 'id="odoo-state" class="bad"><span class="big">unreachable</span> Odoo' in html
    assert f"<td>{INSTANCE}</td><td>open</td><td>2026-01-01 00:00:00Z</td>" in html
    assert "cannot reach Odoo for sale.order.search_read" in html
