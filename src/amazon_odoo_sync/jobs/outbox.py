"""Transactional outbox: queue a job on the caller's connection, inside the caller's transaction.

A state change and the job it causes commit together or not at all: the job row is inserted with
procrastinate's own ``procrastinate_defer_jobs_v1`` on the connection the caller is writing with.
Workers hear of the job (NOTIFY) only when the caller commits.

A duplicate under a queueing lock is a no-op (``None``), not an error. A waiting job with that
lock is looked up first (one indexed read: the common case during a burst of notifications
costs no savepoint and no refused insert); a job that appears between that read and the insert
is still refused by the unique index, under a savepoint so the caller's transaction goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

from ..clock import utcnow
from ..store._sql import dumps
from .queues import check_queue, priority_for

__all__ = ["QUEUEING_LOCK_CONSTRAINT", "defer_in_transaction"]

QUEUEING_LOCK_CONSTRAINT = "procrastinate_jobs_queueing_lock_idx_v1"

WAITING = "SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = %(queueing_lock)s AND status = 'todo' LIMIT 1"
DEFER_JOB = """
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[
    ROW(%(queue)s, %(task_name)s, %(priority)s, %(lock)s, %(queueing_lock)s, %(args)s,
        %(scheduled_at)s)::procrastinate_job_to_defer_v1
])) AS id
"""


async def defer_in_transaction(
    conn: psycopg.AsyncConnection[Any],
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
    """Insert a job on ``conn``; returns its id, or None if ``queueing_lock`` already waits.

    Never commits. ``priority`` None: the queue's configured default.
    """
    check_queue(queue)
    if schedule_at is not None and schedule_in is not None:
        raise ValueError("give schedule_at or schedule_in, not both")
    if schedule_in is not None:
        schedule_at = utcnow() + timedelta(seconds=schedule_in)
    if schedule_at is not None and schedule_at.utcoffset() is None:
        raise ValueError("schedule_at must be timezone-aware")
    params = {
        "queue": queue, "task_name": task_name,
        "priority": priority if priority is not None else priority_for(queue),
        "lock": lock, "queueing_lock": queueing_lock,
        "args": Jsonb(dict(args or {}), dumps=dumps), "scheduled_at": schedule_at,
    }
    if queueing_lock is not None:
        async with conn.cursor(row_factory=tuple_row) as cursor:
            await cursor.execute(WAITING, params)
            if await cursor.fetchone() is not None:
                return None
    try:
        async with conn.transaction(), conn.cursor(row_factory=tuple_row) as cursor:
            await cursor.execute(DEFER_JOB, params)
            row = await cursor.fetchone()
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == QUEUEING_LOCK_CONSTRAINT:
            return None
        raise
    assert row is not None
    return int(row[0])
