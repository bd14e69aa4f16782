"""The job pipeline on real PostgreSQL: outbox, queueing locks, priorities, failures, recovery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from procrastinate import App
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync import tasks as worker_tasks
from amazon_odoo_sync.clock import SystemClock
from amazon_odoo_sync.config import DatabaseConfig, JobsConfig, Settings
from amazon_odoo_sync.exceptions import DataError, ThrottledError
from amazon_odoo_sync.jobs import builtin
from amazon_odoo_sync.jobs.admin import failed_jobs, list_jobs, queue_depths, retry_failed_jobs
from amazon_odoo_sync.jobs.app import build_app
from amazon_odoo_sync.jobs.outbox import defer_in_transaction
from amazon_odoo_sync.jobs.retry import RetryPolicy, SyncRetryStrategy
from amazon_odoo_sync.jobs.schedule import Schedule, run_due_schedules, sync_schedules
from amazon_odoo_sync.jobs.stalled import recover_stalled_jobs
from amazon_odoo_sync.jobs.tasks import task
from amazon_odoo_sync.jobs.worker import run_worker
from amazon_odoo_sync.store.job_admin import PgJobAdmin
from amazon_odoo_sync.store.pool import open_pool
from amazon_odoo_sync.store.unit import PgStore, PgUnitOfWork

pytestmark = pytest.mark.db

CALLS: list[str] = []


@task(queue="orders", name="tests.jobs.permanent")
async def permanent_failure(*, sku: str) -> None:
    CALLS.append(f"permanent:{sku}")
    raise DataError(f"unknown SKU {sku}", system="odoo", details={"sku": sku})


@task(queue="stock", name="tests.jobs.throttled")
async def throttled(*, n: int) -> None:
    CALLS.append(f"throttled:{n}")
    raise ThrottledError("quota exhausted", retry_after=0, operation="getOrders")


@task(queue="stock", name="tests.jobs.database_cut")
async def database_cut(*, n: int) -> None:
    CALLS.append(f"database_cut:{n}")
    if len(CALLS) == 1:  # what a flow let through when PostgreSQL restarted under it
        raise psycopg.errors.AdminShutdown("terminating connection due to administrator command")


@task(queue="orders", name="tests.jobs.deduped", queueing_lock_from="{account}:{order}",
      lock_from="order:{account}:{order}")
async def deduped(*, account: str, order: str) -> None:
    CALLS.append(f"deduped:{order}")


def settings_for(url: str, **jobs: Any) -> Settings:
    return Settings(database=DatabaseConfig(url=url),
                    jobs=JobsConfig(**{"retry_budget_hours": 2, "heartbeat_seconds": 0.2,
                                       "stalled_after_seconds": 1.0, **jobs}))


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    CALLS.clear()
    application = build_app(settings_for(db_url), url=db_url, task_modules=())
    async with application.open_async():
        yield application


class HourlyClock(SystemClock):
    """Wall time that moves an hour at each reading (each failed run reads it once)."""

    def __init__(self) -> None:
        self.readings = 0

    def now(self) -> datetime:
        self.readings += 1
        return datetime(2026, 11, 27, tzinfo=UTC) + timedelta(hours=self.readings)


async def drain(app: App, url: str, strategy: SyncRetryStrategy | None = None, **options: Any) -> None:
    """Run a worker until no job is ready (the app is opened again inside run_worker)."""
    worker_app = build_app(settings_for(url), url=url, task_modules=(), retry_strategy=strategy)
    await run_worker(worker_app, settings_for(url), wait=False, install_signal_handlers=False,
                     **options)


async def rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute(sql, params)
        return await cursor.fetchall()


async def test_outbox_job_commits_with_the_state_change(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await conn.execute("CREATE TABLE state (v text)")
        await conn.execute("INSERT INTO state VALUES ('changed')")
        job_id = await defer_in_transaction(PgUnitOfWork(conn), "jobs.noop", "reports", {"why": "commit"})
        assert job_id is not None
        # not visible to others before the commit
        assert await rows(db_url, "SELECT id FROM procrastinate_jobs") == []
        await conn.commit()
    assert await rows(db_url, "SELECT id, status::text, queue_name, priority, args FROM procrastinate_jobs") \
        == [(job_id, "todo", "reports", 40, {"why": "commit"})]


async def test_outbox_job_rolls_back_with_the_state_change(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await conn.execute("CREATE TABLE state (v text)")
        await conn.commit()
        await conn.execute("INSERT INTO state VALUES ('changed')")
        assert await defer_in_transaction(PgUnitOfWork(conn), "jobs.noop", "reports", {}) is not None
        await conn.rollback()
    assert await rows(db_url, "SELECT count(*) FROM procrastinate_jobs") == [(0,)]
    assert await rows(db_url, "SELECT count(*) FROM state") == [(0,)]


async def test_queueing_lock_duplicate_is_a_no_op_in_app_and_outbox(app: App, db_url: str) -> None:
    first = await deduped.defer(app, account="acme", order="A1")
    assert first is not None
    assert await deduped.defer(app, account="acme", order="A1") is None
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await conn.execute("SELECT 1")  # inside the caller's transaction...
        assert await deduped.defer_in(PgUnitOfWork(conn), account="acme", order="A1") is None
        # ...which the refused duplicate did not abort
        other = await deduped.defer_in(PgUnitOfWork(conn), account="acme", order="A2")
        await conn.commit()
    jobs = await list_jobs_of(db_url)
    assert [(j.id, j.queueing_lock, j.lock) for j in jobs] == [
        (first, "tests.jobs.deduped:acme:A1", "order:acme:A1"),
        (other, "tests.jobs.deduped:acme:A2", "order:acme:A2")]


async def list_jobs_of(url: str) -> list[Any]:
    async with open_pool(url) as pool:
        return sorted(await list_jobs(PgJobAdmin(pool)), key=lambda j: j.id)


async def test_single_worker_runs_higher_priority_first(app: App, db_url: str) -> None:
    # deferred in the worst order: lowest priority first
    await worker_tasks.probe.defer(app, key="housekeeping", record_start=True)
    await worker_tasks.probe.defer(app, key="orders", priority=60)
    await worker_tasks.probe.defer(app, key="stock", priority=100)
    await drain(app, db_url, concurrency=1)
    started = await rows(db_url, "SELECT key FROM job_probes WHERE event = 'started' ORDER BY id")
    assert [key for (key,) in started] == ["stock", "orders", "housekeeping"]


async def test_permanent_error_fails_at_once_with_cause_and_replays(app: App, db_url: str,
                                                                    pool: AsyncConnectionPool[Any]) -> None:
    job_id = await permanent_failure.defer(app, sku="X-1")
    await drain(app, db_url)
    assert CALLS == ["permanent:X-1"]
    admin = PgJobAdmin(pool)
    [failed] = await failed_jobs(admin)
    assert failed.job.id == job_id and failed.job.state == "failed"
    assert failed.error_type == "DataError"
    assert failed.context["details"] == {"sku": "X-1"} and failed.context["system"] == "odoo"
    outcome = await retry_failed_jobs(admin, actor="test", task="tests.jobs.permanent")
    assert outcome.retried == [job_id]
    assert (await list_jobs(admin, state="todo"))[0].attempts == 0
    assert await rows(db_url, "SELECT action, object_key FROM audit_log") == [("job.retry", str(job_id))]
    await drain(app, db_url)
    assert CALLS == ["permanent:X-1", "permanent:X-1"]


async def test_retryable_error_retries_until_its_time_budget_is_spent(app: App, db_url: str) -> None:
    job_id = await throttled.defer(app, n=1)
    clock = HourlyClock()
    await drain(app, db_url, SyncRetryStrategy.from_config(settings_for(db_url).jobs, clock=clock))
    # retry_budget_hours=2: failures at 1 h, 2 h (1 h spent), 3 h (2 h spent: failed); retry_after=0
    assert CALLS == ["throttled:1"] * 3
    failures = await rows(db_url, "SELECT attempt, final, error_type, context->>'retry_after' "
                                  "FROM job_failures WHERE job_id = %s ORDER BY id", job_id)
    assert failures == [(1, False, "ThrottledError", "0"), (2, False, "ThrottledError", "0"),
                        (3, True, "ThrottledError", "0")]
    assert await rows(db_url, "SELECT status::text FROM procrastinate_jobs") == [("failed",)]


async def test_a_driver_error_from_a_database_restart_is_retried_not_dead_lettered(app: App, db_url: str) -> None:
    job_id = await database_cut.defer(app, n=1)
    zero = RetryPolicy(base_seconds=0.0, cap_seconds=0.0)
    await drain(app, db_url, SyncRetryStrategy(policy=zero))
    assert CALLS == ["database_cut:1", "database_cut:1"]
    failures = await rows(db_url, "SELECT final, error_type, context->>'system' FROM job_failures WHERE job_id = %s",
                          job_id)
    assert failures == [(False, "TransientError", "store")]
    assert await rows(db_url, "SELECT status::text FROM procrastinate_jobs") == [("succeeded",)]


async def test_jobs_of_dead_workers_are_requeued_once(app: App, db_url: str, pool: AsyncConnectionPool[Any]) -> None:
    dead_job = await worker_tasks.probe.defer(app, key="dead")
    live_job = await worker_tasks.probe.defer(app, key="live")
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        dead = (await (await conn.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour') "
            "RETURNING id")).fetchone())
        live = (await (await conn.execute(
            "INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")).fetchone())
        assert dead and live
        for job_id, worker_id in ((dead_job, dead[0]), (live_job, live[0])):
            await conn.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s "
                               "WHERE id = %s", (worker_id, job_id))
        first = await recover_stalled_jobs(PgJobAdmin(pool), 30)
        again = await recover_stalled_jobs(PgJobAdmin(pool), 30)
    assert first.requeued == [dead_job] and first.pruned_workers == [dead[0]]
    assert again.requeued == [] and again.aborted == []
    states = await rows(db_url, "SELECT id, status::text, attempts FROM procrastinate_jobs ORDER BY id")
    assert states == [(dead_job, "todo", 1), (live_job, "doing", 0)]
    assert await rows(db_url, "SELECT job_id, error_type FROM job_failures") == [(dead_job, "WorkerLost")]


async def test_twins_of_dead_workers_are_requeued_once_per_queueing_lock(app: App, db_url: str,
                                                                         pool: AsyncConnectionPool[Any]) -> None:
    """Two running jobs with the same queueing lock (the second deferred while the first ran),
    each on a worker killed since: only the newest goes back to the queue; requeueing both broke
    the lock's unique index and every worker's startup recovery with it."""
    older = await builtin.housekeeping.defer(app)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        dead = [(await (await conn.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour') "
            "RETURNING id")).fetchone()) for _ in range(2)]
        await conn.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s",
                           (dead[0][0], older))  # type: ignore[index]
        newer = await builtin.housekeeping.defer(app)
        await conn.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s",
                           (dead[1][0], newer))  # type: ignore[index]
        result = await recover_stalled_jobs(PgJobAdmin(pool), 30)
    assert result.requeued == [newer] and result.aborted == [older]
    states = await rows(db_url, "SELECT id, status::text FROM procrastinate_jobs ORDER BY id")
    assert states == [(older, "aborted"), (newer, "todo")]


async def test_schedules_defer_each_due_run_once(app: App, db_url: str, pool: AsyncConnectionPool[Any]) -> None:
    settings = settings_for(db_url)
    schedules = {"probe.every": Schedule(name="probe.every", task=worker_tasks.probe, every=3600,
                                         kwargs={"key": "scheduled"})}
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        store = PgStore(pool)
        current = await sync_schedules(store, settings, schedules)
        first = await run_due_schedules(store, current)
        second = await run_due_schedules(store, current)  # not due again for an hour
        await conn.execute("UPDATE job_schedules SET next_run_at = now() - interval '1 second'")
        third = await run_due_schedules(store, current)  # due, but the first run still waits
        depths = await queue_depths(PgJobAdmin(pool))
    assert list(first) == ["probe.every"] and first["probe.every"] is not None
    assert second == {}
    assert third == {"probe.every": None}
    assert [(d.queue, d.state, d.jobs) for d in depths] == [("housekeeping", "todo", 1)]
