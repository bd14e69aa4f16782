"""The scheduler on the in-memory store: a due schedule defers its job once, in the same
transaction as its claim; a run still waiting under the schedule's queueing lock is not
deferred again; per-account schedules carry their account."""

from __future__ import annotations

from amazon_odoo_sync import tasks as worker_tasks
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.config import AccountConfig, Settings
from amazon_odoo_sync.jobs.schedule import Schedule, run_due_schedules, sync_schedules
from amazon_odoo_sync.store.job_queue import DeferredJob
from amazon_odoo_sync.store.memory import MemoryStore


async def test_each_due_run_is_deferred_once_and_waits_under_its_lock() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    settings = Settings(accounts=[AccountConfig(name="acme", region="EU", marketplaces=["DE"])])
    schedules = {
        "probe.every": Schedule(name="probe.every", task=worker_tasks.probe, every=60, kwargs={"key": "p"}),
        "probe.account": Schedule(name="probe.account", task=worker_tasks.probe, every=600, per_account=True),
    }
    current = await sync_schedules(store, settings, schedules)
    first = await run_due_schedules(store, current)
    assert set(first) == {"probe.every", "probe.account:acme"} and None not in first.values()
    jobs: list[DeferredJob] = store.state.section("jobs", list)
    assert {(j.task_name, j.queueing_lock, tuple(sorted(j.args.items()))) for j in jobs} == {
        ("jobs.probe", "schedule:probe.every", (("key", "p"),)),
        ("jobs.probe", "schedule:probe.account:acme", (("account", "acme"),)),
    }
    async with store.session() as tx:
        row = await tx.schedules.get("probe.every")
    assert row is not None and row.last_job_id == first["probe.every"]

    assert await run_due_schedules(store, current) == {}  # not due yet
    clock.advance(61)
    assert await run_due_schedules(store, current) == {"probe.every": None}  # the first run still waits
    assert len(jobs) == 2
    jobs[:] = [j for j in jobs if j.queueing_lock != "schedule:probe.every"]  # a worker took it
    clock.advance(61)
    again = await run_due_schedules(store, current)
    assert list(again) == ["probe.every"] and again["probe.every"] is not None
    assert await run_due_schedules(store, []) == {}
