"""procrastinate's jobs as operators and workers see them: lists, the dead-letter list, replay,
cancel, queue depth, jobs of dead workers, jobs given back at shutdown.

PostgreSQL only: these read and change procrastinate's own tables (``procrastinate_jobs``,
``procrastinate_events``, ``procrastinate_workers``) through its SQL functions, which exist
only there; the in-memory store keeps deferred jobs only (``store.memory.job_queue``).

The module functions take a connection and never commit. :class:`PgJobAdmin` binds them to a
pool: every call is its own transaction, with the audit line of a change in it, and driver
errors come out translated (a queueing lock taken by a waiting twin is a ``ConflictError``
naming :data:`QUEUEING_LOCK_CONSTRAINT`). The job layer (``jobs.admin``, ``jobs.stalled``,
``jobs.worker``, ``jobs.shutdown``) decides what to do; the SQL is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from procrastinate.connector import BaseConnector
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from ._sql import cursor
from .job_queue import QUEUEING_LOCK_CONSTRAINT
from .unit import PgStore

__all__ = [
    "QUEUEING_LOCK_CONSTRAINT",
    "STATES",
    "CancelOutcome",
    "FailedJob",
    "JobRow",
    "PgJobAdmin",
    "QueueDepth",
    "RecoveryResult",
    "failed_jobs",
    "give_back",
    "list_jobs",
    "queue_depths",
    "ready_jobs",
    "recover_stalled",
]

STATES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")

CancelOutcome = Literal["cancelled", "abort requested", "not found", "finished"]

_JOB_COLUMNS = """
    j.id, j.queue_name AS queue, j.task_name AS task, j.status::text AS state, j.priority,
    j.attempts, j.lock, j.queueing_lock, j.args, j.scheduled_at,
    (SELECT min(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS created_at,
    (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id AND e.type <> 'scheduled')
        AS updated_at
"""

LIST_JOBS = f"""
SELECT {_JOB_COLUMNS}
FROM procrastinate_jobs j
WHERE (%(queue)s::text IS NULL OR j.queue_name = %(queue)s)
  AND (%(state)s::text IS NULL OR j.status::text = %(state)s)
  AND (%(task)s::text IS NULL OR j.task_name = %(task)s)
ORDER BY j.id DESC
LIMIT %(limit)s
"""

FAILED_JOBS = f"""
SELECT {_JOB_COLUMNS}, f.error_type, f.message, f.context, f.at AS failed_at
FROM procrastinate_jobs j
LEFT JOIN LATERAL (SELECT * FROM job_failures f WHERE f.job_id = j.id ORDER BY f.id DESC LIMIT 1) f
       ON true
WHERE j.status = 'failed'
  AND (%(queue)s::text IS NULL OR j.queue_name = %(queue)s)
  AND (%(task)s::text IS NULL OR j.task_name = %(task)s)
  AND (%(job_id)s::bigint IS NULL OR j.id = %(job_id)s)
ORDER BY j.id
LIMIT %(limit)s
"""

# procrastinate's own function moves failed -> todo and writes its 'retried' event; a replay
# gets a fresh attempt budget, so attempts start again from 0.
RETRY = "SELECT procrastinate_retry_job_v2(%(id)s, now(), NULL, NULL, NULL)"
RESET_ATTEMPTS = "UPDATE procrastinate_jobs SET attempts = 0 WHERE id = %(id)s"
CANCEL = "SELECT procrastinate_cancel_job_v1(%(id)s, %(abort)s, false) AS id"
JOB_STATE = "SELECT status::text AS state, task_name, queue_name FROM procrastinate_jobs WHERE id = %(id)s"

QUEUE_DEPTHS = """
SELECT j.queue_name AS queue, j.status::text AS state, count(*) AS jobs,
       EXTRACT(EPOCH FROM now() - min(COALESCE(j.scheduled_at, e.at))
           FILTER (WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now()))
       ) AS oldest_ready_seconds
FROM procrastinate_jobs j
LEFT JOIN LATERAL (SELECT max(at) AS at FROM procrastinate_events e
                   WHERE e.job_id = j.id AND e.type IN ('deferred', 'deferred_for_retry', 'retried')
                  ) e ON j.status = 'todo'
GROUP BY 1, 2
ORDER BY 1, 2
"""

READY = """
SELECT count(*) AS jobs FROM procrastinate_jobs
WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())
  AND (%(queues)s::text[] IS NULL OR queue_name = ANY(%(queues)s))
"""

# -- jobs of dead workers (see jobs.stalled) ------------------------------------------------------

_STALLED = """
    j.status = 'doing'
    AND (j.worker_id IS NULL OR j.worker_id IN (
        SELECT id FROM procrastinate_workers
        WHERE last_heartbeat < now() - make_interval(secs => %(seconds)s)))
"""

ABORT_DUPLICATES = f"""
UPDATE procrastinate_jobs j SET status = 'aborted'
WHERE {_STALLED}
  AND j.queueing_lock IS NOT NULL
  AND EXISTS (SELECT 1 FROM procrastinate_jobs o
              WHERE o.queueing_lock = j.queueing_lock
                AND (o.status = 'todo' OR (o.status = 'doing' AND o.id > j.id)))
RETURNING j.id, j.attempts
"""

REQUEUE = f"""
UPDATE procrastinate_jobs j
SET status = 'todo', worker_id = NULL, scheduled_at = NULL, attempts = j.attempts + 1
WHERE {_STALLED}
RETURNING j.id, j.attempts
"""

PRUNE_WORKERS = "SELECT worker_id FROM procrastinate_prune_stalled_workers_v1(%(seconds)s)"

RECORD_LOST = """
INSERT INTO job_failures (job_id, attempt, final, error_type, message, context)
SELECT id, attempt, %(final)s, 'WorkerLost', %(message)s,
       jsonb_build_object('error', 'WorkerLost', 'message', %(message)s::text, 'retryable', true)
FROM unnest(%(ids)s::bigint[], %(attempts)s::int[]) AS t(id, attempt)
"""

# -- a job given back at shutdown (see jobs.shutdown) ---------------------------------------------

#: Attempts - 1 now, + 1 by procrastinate's retry of the WorkerStopping the runner raises: the
#: job is back to todo with the attempts it had. Not when a twin waits under the queueing lock.
GIVE_BACK = """
UPDATE procrastinate_jobs j SET attempts = j.attempts - 1
WHERE j.id = %(job_id)s AND j.status = 'doing'
  AND NOT (j.queueing_lock IS NOT NULL AND EXISTS (
      SELECT 1 FROM procrastinate_jobs o
      WHERE o.queueing_lock = j.queueing_lock AND o.status = 'todo' AND o.id <> j.id))
RETURNING j.id
"""


@dataclass(frozen=True, kw_only=True)
class JobRow:
    id: int
    queue: str
    task: str
    state: str
    priority: int
    attempts: int
    lock: str | None
    queueing_lock: str | None
    args: dict[str, Any]
    scheduled_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JobRow:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True, kw_only=True)
class FailedJob:
    job: JobRow
    error_type: str | None
    message: str | None
    context: dict[str, Any]
    failed_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FailedJob:
        return cls(job=JobRow.from_row(row), error_type=row["error_type"], message=row["message"],
                   context=row["context"] or {}, failed_at=row["failed_at"])


@dataclass(frozen=True, kw_only=True)
class QueueDepth:
    queue: str
    state: str
    jobs: int
    #: For ``todo``: age of the oldest job ready to run, seconds (None: none ready).
    oldest_ready_seconds: float | None


@dataclass(frozen=True, kw_only=True)
class RecoveryResult:
    requeued: list[int]
    aborted: list[int]
    pruned_workers: list[int]


async def list_jobs(conn: AsyncConnection[Any], *, queue: str | None = None, state: str | None = None,
                    task: str | None = None, limit: int = 50) -> list[JobRow]:
    """Jobs, newest first."""
    if state is not None and state not in STATES:
        raise ValueError(f"unknown state {state!r}; expected one of {', '.join(STATES)}")
    async with cursor(conn) as cur:
        await cur.execute(LIST_JOBS, {"queue": queue, "state": state, "task": task, "limit": limit})
        return [JobRow.from_row(row) for row in await cur.fetchall()]


async def failed_jobs(conn: AsyncConnection[Any], *, queue: str | None = None, task: str | None = None,
                      job_id: int | None = None, limit: int = 1000) -> list[FailedJob]:
    """The dead-letter list: failed jobs with the cause of their last failure, oldest first."""
    async with cursor(conn) as cur:
        await cur.execute(FAILED_JOBS, {"queue": queue, "task": task, "job_id": job_id, "limit": limit})
        return [FailedJob.from_row(row) for row in await cur.fetchall()]


async def queue_depths(conn: AsyncConnection[Any]) -> list[QueueDepth]:
    async with cursor(conn) as cur:
        await cur.execute(QUEUE_DEPTHS)
        rows = await cur.fetchall()
    return [QueueDepth(queue=r["queue"], state=r["state"], jobs=int(r["jobs"]),
                       oldest_ready_seconds=(None if r["oldest_ready_seconds"] is None
                                             else float(r["oldest_ready_seconds"])))
            for r in rows]


async def ready_jobs(conn: AsyncConnection[Any], queues: Sequence[str] | None = None) -> int:
    """Jobs waiting and due now (of ``queues``; None: every queue)."""
    async with cursor(conn) as cur:
        await cur.execute(READY, {"queues": None if queues is None else list(queues)})
        row = await cur.fetchone()
    return int(row["jobs"]) if row else 0


async def recover_stalled(conn: AsyncConnection[Any], stalled_after_seconds: float) -> RecoveryResult:
    """Requeue (or abort, when a twin covers them) the running jobs of workers silent for
    ``stalled_after_seconds``, record a ``WorkerLost`` failure for each, prune those workers.
    The caller's transaction makes it atomic (see ``jobs.stalled``)."""
    params = {"seconds": float(stalled_after_seconds)}
    async with cursor(conn) as cur:
        await cur.execute(ABORT_DUPLICATES, params)
        aborted = await cur.fetchall()
        await cur.execute(REQUEUE, params)
        requeued = await cur.fetchall()
        for rows, final, message in (
                (aborted, True, "worker stopped heartbeating; an identical job was already waiting"),
                (requeued, False, "worker stopped heartbeating; job put back in the queue")):
            if rows:
                await cur.execute(RECORD_LOST, {
                    "ids": [r["id"] for r in rows], "final": final, "message": message,
                    # requeued rows already count the lost run; aborted rows do not.
                    "attempts": [r["attempts"] + (1 if final else 0) for r in rows]})
        await cur.execute(PRUNE_WORKERS, params)
        pruned = [row["worker_id"] for row in await cur.fetchall()]
    return RecoveryResult(requeued=[r["id"] for r in requeued], aborted=[r["id"] for r in aborted],
                          pruned_workers=pruned)


async def give_back(connector: BaseConnector, job_id: int) -> bool:
    """Prepare the cancelled job ``job_id`` to go back to the queue untouched (through the
    worker's own procrastinate connector). False when an identical job waits under its
    queueing lock (this one then ends aborted)."""
    rows = await connector.execute_query_all_async(query=GIVE_BACK, job_id=job_id)
    return bool(rows)


class PgJobAdmin:
    """The functions above on a pool: one transaction per call, driver errors translated."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._store = PgStore(pool)

    async def list_jobs(self, *, queue: str | None = None, state: str | None = None, task: str | None = None,
                        limit: int = 50) -> list[JobRow]:
        async with self._store.session() as tx:
            return await list_jobs(tx.connection, queue=queue, state=state, task=task, limit=limit)

    async def failed_jobs(self, *, queue: str | None = None, task: str | None = None, job_id: int | None = None,
                          limit: int = 1000) -> list[FailedJob]:
        async with self._store.session() as tx:
            return await failed_jobs(tx.connection, queue=queue, task=task, job_id=job_id, limit=limit)

    async def queue_depths(self) -> list[QueueDepth]:
        async with self._store.session() as tx:
            return await queue_depths(tx.connection)

    async def ready_jobs(self, queues: Sequence[str] | None = None) -> int:
        async with self._store.session() as tx:
            return await ready_jobs(tx.connection, queues)

    async def retry(self, job_id: int, *, actor: str, details: dict[str, Any]) -> None:
        """Put the failed job back in its queue with fresh attempts, audited. ``ConflictError``
        (constraint :data:`QUEUEING_LOCK_CONSTRAINT`) when an identical job already waits."""
        async with self._store.transaction() as tx, tx.connection.cursor() as cur:
            await cur.execute(RETRY, {"id": job_id})
            await cur.execute(RESET_ATTEMPTS, {"id": job_id})
            await tx.audit.record(actor=actor, action="job.retry", object_type="job", object_key=str(job_id),
                                  details=details)

    async def cancel(self, job_id: int, *, actor: str) -> CancelOutcome:
        """Cancel a waiting job; ask a running one to abort (async tasks are cancelled). Audited."""
        async with self._store.transaction() as tx, cursor(tx.connection) as cur:
            await cur.execute(JOB_STATE, {"id": job_id})
            row = await cur.fetchone()
            if row is None:
                return "not found"
            if row["state"] not in ("todo", "doing"):
                return "finished"
            await cur.execute(CANCEL, {"id": job_id, "abort": row["state"] == "doing"})
            done = await cur.fetchone()
            if done is None or done["id"] is None:
                return "finished"  # it moved on between the two statements
            outcome: CancelOutcome = "cancelled" if row["state"] == "todo" else "abort requested"
            await tx.audit.record(actor=actor, action="job.cancel", object_type="job", object_key=str(job_id),
                                  details={"task": row["task_name"], "queue": row["queue_name"],
                                           "outcome": outcome})
        return outcome

    async def recover_stalled(self, stalled_after_seconds: float) -> RecoveryResult:
        """:func:`recover_stalled` in one transaction: two workers recovering at once never
        requeue a job twice."""
        async with self._store.transaction() as tx:
            return await recover_stalled(tx.connection, stalled_after_seconds)
