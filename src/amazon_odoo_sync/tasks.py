"""Every task the worker runs and every schedule, declared in one place, and the worker's app.

The job layer (``jobs``) knows no flow and the flows declare no task: this module, above both,
binds each flow's entry point to a task name, a queue and its locks, and registers the schedules.
A task takes its job's arguments and finds what it runs with in the job's resources: the
flows' runtime, built once per worker process on the app's pool (:func:`build_worker_app`).
Flows queue follow-up jobs by the specs they hold (``jobs.tasks.TaskSpec``): queueing needs no
function declared in the process; the tasks below bind theirs to those specs.

Task names, queues and locks are what the job table holds: renaming one strands its waiting jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Literal

from procrastinate import App

from .clock import SystemClock
from .config import Settings
from .exceptions import ThrottledError
from .flows import fba_inventory, orders, privacy, shipments, sqs_notifications, stock
from .flows.orders import jobs as order_jobs
from .flows.runtime import FlowRuntime
from .flows.stock_catalog import map_products_for
from .jobs.app import build_app
from .jobs.retry import SyncRetryStrategy
from .jobs.schedule import register_schedule
from .jobs.tasks import current_job, task
from .odoo.governor import AdaptiveGovernor
from .store.job_probes import PgJobProbes
from .waits import wait

__all__ = ["build_worker_app"]


def _runtime() -> FlowRuntime:
    """The flows' runtime of the running job (the one its app was built with)."""
    resources = current_job().resources
    if not isinstance(resources, FlowRuntime):
        raise RuntimeError("the job's app was not built by tasks.build_worker_app (no flows runtime)")
    return resources


# -- orders ----------------------------------------------------------------------------------------

@task(spec=order_jobs.IMPORT)
async def import_orders(*, account: str, lane: int = 0) -> dict[str, int]:
    """Drain the account's stored orders into Odoo; lane 0 first spreads a backlog over lanes."""
    rt = _runtime()
    if not lane:
        await orders.spread_import(rt, account)
    result = await orders.import_pending(rt, account)
    return {"created": result.created, "adopted": result.adopted, "cancelled": result.cancelled,
            "reserved": result.reserved, "quarantined": result.quarantined}


@task(spec=order_jobs.FETCH_NOTIFIED)
async def fetch_notified_orders(*, account: str) -> int:
    return await orders.fetch_notified_orders(_runtime(), account)


@task(queue="orders", name="orders.poll", queueing_lock_from="orders.poll:{account}",
      lock_from="orders.poll:{account}")
async def poll_orders(*, account: str) -> int:
    """The polling backup for every marketplace of the account (one search for all)."""
    rt = _runtime()
    return (await orders.poll_orders(rt, account, rt.settings.account(account).marketplaces)).stored


@task(queue="orders", name="orders.retry_quarantined", queueing_lock_from="orders.retry_quarantined:{account}",
      lock_from="orders.retry_quarantined:{account}")
async def retry_quarantined_orders(*, account: str) -> int:
    return (await orders.retry_quarantined(_runtime(), account)).created


@task(queue="orders", name="orders.sweep_reservations", queueing_lock_from="orders.sweep_reservations:{account}",
      lock_from="orders.sweep_reservations:{account}")
async def sweep_reservations(*, account: str) -> int:
    return await orders.sweep_reservations(_runtime(), account)


register_schedule("orders.poll", poll_orders, every="orders_poll", per_account=True)
register_schedule("orders.fetch_notified", fetch_notified_orders, every="orders_notified_sweep", per_account=True)
register_schedule("orders.retry_quarantined", retry_quarantined_orders, every="orders_retry_quarantined",
                  per_account=True)
register_schedule("orders.sweep_reservations", sweep_reservations, every="reservations_sweep", per_account=True)


# -- notifications ---------------------------------------------------------------------------------

@task(queue="orders", name="notifications.sqs_poll", queueing_lock_from="sqs", lock_from="notifications.sqs_poll")
async def poll_sqs() -> dict[str, int]:
    rt = _runtime()
    config = rt.settings.notifications
    if not config.sqs_queue_url:
        return sqs_notifications.PollResult().as_dict()
    # The runtime's transport: the network, or the simulator in tests and the demo.
    async with sqs_notifications.sqs_client(config, transport=rt.sqs_transport) as client:
        result = await sqs_notifications.poll_sqs(
            rt.store, client, max_messages=config.max_messages, wait_seconds=config.wait_seconds,
            visibility_timeout=config.visibility_timeout_seconds, run_seconds=config.run_seconds)
    return result.as_dict()


def _sqs_interval(settings: Settings) -> float:
    config = settings.notifications
    return config.poll_seconds if config.sqs_queue_url else sqs_notifications.IDLE_INTERVAL


register_schedule("notifications.sqs_poll", poll_sqs, every=_sqs_interval)


# -- stock -----------------------------------------------------------------------------------------

@task(queue="stock", name="stock.fbm_cycle", queueing_lock_from="stock.fbm:{account}",
      lock_from="stock.fbm:{account}")
async def stock_cycle(*, account: str, full: bool = False) -> dict[str, int]:
    """One FBM cycle of an account (scheduled every ``schedules.stock_poll`` seconds)."""
    rt = _runtime()
    push = await stock.stock_push_for(rt, account)
    # SKUs mapped by default_code only: learn them from the listings when due.
    await map_products_for(rt, account)
    result = await push.run_cycle(full=full)
    return {"computed": result.computed, "patched": result.patched, "urgent": result.urgent,
            "fed": result.fed, "accepted": result.accepted, "rejected": result.rejected}


register_schedule("stock.fbm_cycle", stock_cycle, every="stock_poll", per_account=True)


@task(queue="reports", name="fba_inventory.pull", queueing_lock_from="fba_inventory.pull:{account}",
      lock_from="fba_inventory:{account}")
async def pull_fba_inventory(*, account: str) -> dict[str, int]:
    """Full FBA pull of an account (every ``schedules.fba_inventory_poll`` seconds)."""
    rt = _runtime()
    await map_products_for(rt, account)  # FBA SKUs mapped by default_code too
    results = await fba_inventory.pull_account(rt, account)
    return {"skus": sum(r.skus for r in results), "adjustments": sum(len(r.adjustments) for r in results),
            "quarantined": sum(r.quarantined for r in results), "drift": sum(len(r.drift) for r in results)}


@task(spec=fba_inventory.APPLY_NOTIFICATIONS)
async def apply_fba_notifications(*, account: str) -> int:
    return await fba_inventory.apply_pending_notifications(_runtime(), account)


register_schedule("fba_inventory.pull", pull_fba_inventory, every="fba_inventory_poll", per_account=True)


# -- shipments -------------------------------------------------------------------------------------

@task(queue="shipments", name="shipments.poll", queueing_lock_from="{account}",
      lock_from="shipments:{account}")
async def poll_shipments(*, account: str) -> dict[str, int]:
    return (await shipments.poll_shipments(_runtime(), account)).as_dict()


register_schedule("shipments.poll", poll_shipments, every="shipments_poll", per_account=True)


# -- housekeeping ----------------------------------------------------------------------------------

@task(queue="housekeeping", name="privacy.purge", queueing_lock_from=lambda _: "all",
      lock_from=lambda _: "privacy.purge")
async def purge_personal_data() -> dict[str, int]:
    rt = _runtime()
    result = await privacy.purge_personal_data(rt.store, retention_days=rt.settings.schedules.pii_retention_days)
    return result.rows


register_schedule("privacy.purge", purge_personal_data, every="privacy_purge")


@task(queue="housekeeping", name="jobs.probe")
async def probe(*, key: str, sleep_seconds: float = 0.0, record_start: bool = True,
                wait_for: Literal["quota", "odoo"] | None = None, wait_once: bool = False) -> None:
    """For tests and benchmarks: one DB write (``record_start=False``, no sleep), or a start row,
    a sleep, a completion row (``job_probe_results`` is unique: a probe completed twice fails the
    second time). The sleep may be a wait for SP-API quota or for a free Odoo slot (``wait_for``),
    the first time only (``wait_once``): how a stopping worker gives jobs back."""
    job = current_job()
    probes = PgJobProbes(job.pool)  # every call its own transaction: none held while waiting
    if record_start:
        await probes.started(key, job.job_id)
    if wait_once and await probes.starts(key) > 1:
        sleep_seconds = 0.0
    if sleep_seconds > 0:
        if wait_for is None:
            await asyncio.sleep(sleep_seconds)
        else:
            await _probe_wait(wait_for, sleep_seconds)
    await probes.done(key, job.job_id)


async def _probe_wait(what: Literal["quota", "odoo"], seconds: float) -> None:
    clock = SystemClock()
    if what == "quota":
        await wait(clock, seconds, reason="quota", operation="jobs.probe")
        return
    # Odoo full: the one slot is held for longer than the probe waits for one.
    governor = AdaptiveGovernor(instance="probe", max_concurrency=1, clock=clock, acquire_timeout=seconds)
    async with governor.slot():
        with contextlib.suppress(ThrottledError):
            async with governor.slot():
                pass


# -- the worker's app ------------------------------------------------------------------------------

def build_worker_app(settings: Settings, *, url: str | None = None, runtime: FlowRuntime | None = None,
                     retry_strategy: SyncRetryStrategy | None = None, pool_size: int | None = None) -> App:
    """The worker's app: every task above bound, the flows' runtime built on the app's pool at the
    first job (or ``runtime``, which tests and the demo build with their transports and clock)."""
    def flows_runtime(pool: Any) -> FlowRuntime:
        return runtime if runtime is not None else FlowRuntime(settings, pool)

    return build_app(settings, url=url, retry_strategy=retry_strategy, pool_size=pool_size, resources=flows_runtime)
