"""Queue a job inside the caller's unit of work (the outbox): it commits or rolls back with it.

The row is written by the store (:mod:`amazon_odoo_sync.store.job_queue`); this adds the job
layer's defaults: the queue's configured priority and ``schedule_in`` as a time. Flows queue
through their unit of work instead (``JobTask.defer_in(tx, ...)``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..clock import utcnow
from ..store import job_queue
from ..store.unit import UnitOfWork
from .queues import check_queue, priority_for

__all__ = ["QUEUEING_LOCK_CONSTRAINT", "defer_in_transaction", "job_options"]

QUEUEING_LOCK_CONSTRAINT = job_queue.QUEUEING_LOCK_CONSTRAINT


def job_options(queue: str, *, priority: int | None, schedule_at: datetime | None,
                schedule_in: float | None) -> tuple[int, datetime | None]:
    """The priority (``None``: the queue's configured default) and the due time of a job."""
    check_queue(queue)
    if schedule_at is not None and schedule_in is not None:
        raise ValueError("give schedule_at or schedule_in, not both")
    if schedule_in is not None:
        schedule_at = utcnow() + timedelta(seconds=schedule_in)
    return (priority if priority is not None else priority_for(queue)), schedule_at


async def defer_in_transaction(
    tx: UnitOfWork,
    task_name: str,
    queue: str,
    args: Mapping[str, Any] | None = None,
    *,
    priority: int | None = None,
    lock: str | None = None,
    queueing_lock: str | None = None,
    schedule_at: datetime | None = None,
    schedule_in: float | None = None,
) -> int | None:
    """Queue a job in the unit of work ``tx``; returns its id, or None if ``queueing_lock`` already waits."""
    resolved, due = job_options(queue, priority=priority, schedule_at=schedule_at, schedule_in=schedule_in)
    return await tx.jobs.defer(task_name, queue=queue, args=args, priority=resolved, lock=lock,
                                 queueing_lock=queueing_lock, schedule_at=due)
