"""The job queue as the flows' transactions see it: queue a job on the caller's transaction.

A state change and the job it causes commit together or not at all (transactional outbox): the
job row is inserted with procrastinate's own ``procrastinate_defer_jobs_v1`` on the connection the
caller is writing with. Workers hear of the job (NOTIFY) only when the caller commits.

A duplicate under a queueing lock is a no-op (``None``), not an error. A waiting job with that
lock is looked up first (one indexed read: the common case during a burst of notifications
costs no savepoint and no refused insert); a job that appears between that read and the insert
is still refused by the unique index, under a savepoint so the caller's transaction goes on.

Which queue, priority and locks a task's jobs get is the job layer's business (``jobs.tasks``);
this module only writes the row it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import psycopg
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

from ._sql import dumps

__all__ = ["QUEUEING_LOCK_CONSTRAINT", "DeferredJob", "JobQueueRepository", "PgJobQueue", "defer"]

QUEUEING_LOCK_CONSTRAINT = "procrastinate_jobs_queueing_lock_idx_v1"

WAITING = "SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = %(queueing_lock)s AND status = 'todo' LIMIT 1"
DEFER_JOB = """
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[
    ROW(%(queue)s, %(task_name)s, %(priority)s, %(lock)s, %(queueing_lock)s, %(args)s,
        %(scheduled_at)s)::procrastinate_job_to_defer_v1
])) AS id
"""


@dataclass(frozen=True, kw_only=True)
class DeferredJob:
    """A job as deferred (what the in-memory twin keeps; procrastinate keeps the real ones)."""

    id: int
    task_name: str
    queue: str
    args: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    lock: str | None = None
    queueing_lock: str | None = None
    scheduled_at: datetime | None = None
    status: str = "todo"


class JobQueueRepository(Protocol):
    async def defer(self, task_name: str, *, queue: str, args: Mapping[str, Any] | None = None,
                    priority: int = 0, lock: str | None = None, queueing_lock: str | None = None,
                    schedule_at: datetime | None = None) -> int | None:
        """Queue a job in the caller's transaction; its id, or None if ``queueing_lock`` waits."""


async def defer(conn: psycopg.AsyncConnection[Any], task_name: str, *, queue: str,
                args: Mapping[str, Any] | None = None, priority: int = 0, lock: str | None = None,
                queueing_lock: str | None = None, schedule_at: datetime | None = None) -> int | None:
    """Insert a job on ``conn``; returns its id, or None if ``queueing_lock`` already waits. Never commits."""
    if schedule_at is not None and schedule_at.utcoffset() is None:
        raise ValueError("schedule_at must be timezone-aware")
    params = {"queue": queue, "task_name": task_name, "priority": priority, "lock": lock,
              "queueing_lock": queueing_lock, "args": Jsonb(dict(args or {}), dumps=dumps),
              "scheduled_at": schedule_at}
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


class PgJobQueue:
    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def defer(self, task_name: str, *, queue: str, args: Mapping[str, Any] | None = None,
                    priority: int = 0, lock: str | None = None, queueing_lock: str | None = None,
                    schedule_at: datetime | None = None) -> int | None:
        return await defer(self._conn, task_name, queue=queue, args=args, priority=priority, lock=lock,
                           queueing_lock=queueing_lock, schedule_at=schedule_at)
