"""The order flow's jobs as its sources and drains queue them: by task name (declared in
``amazon_odoo_sync.tasks``, above the flows, which runs these sources and drains)."""

from __future__ import annotations

from typing import Any

from ...jobs.tasks import defer_named
from ...store.unit import UnitOfWork

__all__ = ["FETCH_NOTIFIED", "IMPORT", "defer"]

IMPORT = "orders.import"
FETCH_NOTIFIED = "orders.fetch_notified"


async def defer(tx: UnitOfWork, task_name: str, *, schedule_in: float | None = None, **kwargs: Any) -> int | None:
    """Queue ``task_name`` in ``tx`` (it commits or rolls back with the work that asks for it),
    with the queue and locks its declaration says."""
    return await defer_named(tx, task_name, schedule_in=schedule_in, **kwargs)
