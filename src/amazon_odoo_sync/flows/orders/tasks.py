"""The order flow's jobs and schedules (names, queues and locks as the workers know them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...jobs.schedule import register_schedule
from ...jobs.tasks import task
from ..runtime import FlowRuntime, job_runtime
from . import jobs
from .drain import import_pending, retry_quarantined, spread_import, sweep_reservations
from .sources import fetch_notified_orders, poll_orders

__all__ = ["fetch_notified_task", "import_orders_task", "poll_orders_task", "retry_quarantined_task",
           "sweep_reservations_task"]


def _runtime() -> FlowRuntime:
    return job_runtime()


def _import_lock(kwargs: Mapping[str, Any]) -> str:
    lane = int(kwargs.get("lane") or 0)
    return f"orders.import:{kwargs['account']}" + (f":{lane}" if lane else "")


@task(queue="orders", name=jobs.IMPORT, queueing_lock_from=_import_lock)
async def import_orders_task(*, account: str, lane: int = 0) -> dict[str, int]:
    rt = _runtime()
    if not lane:
        await spread_import(rt, account)
    result = await import_pending(rt, account)
    return {"created": result.created, "adopted": result.adopted, "cancelled": result.cancelled,
            "reserved": result.reserved, "quarantined": result.quarantined}


@task(queue="orders", name=jobs.FETCH_NOTIFIED, queueing_lock_from="orders.fetch:{account}")
async def fetch_notified_task(*, account: str) -> int:
    return await fetch_notified_orders(_runtime(), account)


@task(queue="orders", name="orders.poll", queueing_lock_from="orders.poll:{account}",
      lock_from="orders.poll:{account}")
async def poll_orders_task(*, account: str) -> int:
    """The polling backup for every marketplace of the account (one search for all)."""
    rt = _runtime()
    return (await poll_orders(rt, account, rt.settings.account(account).marketplaces)).stored


@task(queue="orders", name="orders.retry_quarantined", queueing_lock_from="orders.retry_quarantined:{account}",
      lock_from="orders.retry_quarantined:{account}")
async def retry_quarantined_task(*, account: str) -> int:
    return (await retry_quarantined(_runtime(), account)).created


@task(queue="orders", name="orders.sweep_reservations", queueing_lock_from="orders.sweep_reservations:{account}",
      lock_from="orders.sweep_reservations:{account}")
async def sweep_reservations_task(*, account: str) -> int:
    return await sweep_reservations(_runtime(), account)


register_schedule("orders.poll", poll_orders_task, every="orders_poll", per_account=True)
register_schedule("orders.fetch_notified", fetch_notified_task, every="orders_notified_sweep", per_account=True)
register_schedule("orders.retry_quarantined", retry_quarantined_task, every="orders_retry_quarantined",
                  per_account=True)
register_schedule("orders.sweep_reservations", sweep_reservations_task, every="reservations_sweep", per_account=True)
