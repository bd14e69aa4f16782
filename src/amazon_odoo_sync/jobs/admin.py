"""Looking at and acting on jobs: lists, the dead-letter list, replay, cancel, queue depth.

Used by the ``jobs`` and ``status`` commands and the metrics endpoint. Functions take a psycopg
``AsyncConnection``; the ones that change jobs run in their own transaction (a savepoint if the
caller has one open) and write an audit line per job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from ..store import audit
from .outbox import QUEUEING_LOCK_CONSTRAINT

__all__ = [
    "FailedJob",
    "JobRow",
    "QueueDepth",
    "RetryOutcome",
    "cancel_job",
    "failed_jobs",
    "list_jobs",
    "queue_depths",
    "retry_failed_jobs",
]

STATES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")

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
class RetryOutcome:
    retried: list[int]
    #: (job id, reason) of failed jobs left as they are.
    skipped: list[tuple[int, str]]


async def list_jobs(conn: AsyncConnection[Any], *, queue: str | None = None,
                    state: str | None = None, task: str | None = None,
                    limit: int = 50) -> list[JobRow]:
    if state is not None and state not in STATES:
        raise ValueError(f"unknown state {state!r}; expected one of {', '.join(STATES)}")
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(LIST_JOBS, {"queue": queue, "state": state, "task": task, "limit": limit})
        return [JobRow.from_row(row) for row in await cur.fetchall()]


async def failed_jobs(conn: AsyncConnection[Any], *, queue: str | None = None,
                      task: str | None = None, job_id: int | None = None,
                      limit: int = 1000) -> list[FailedJob]:
    """The dead-letter list: failed jobs with the cause of their last failure."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(FAILED_JOBS, {"queue": queue, "task": task, "job_id": job_id,
                                        "limit": limit})
        return [FailedJob.from_row(row) for row in await cur.fetchall()]


async def retry_failed_jobs(conn: AsyncConnection[Any], *, actor: str, job_id: int | None = None,
                            task: str | None = None, queue: str | None = None,
                            all_failed: bool = False) -> RetryOutcome:
    """Put failed jobs back in their queue (fresh attempts). Needs an id, a filter, or ``all_failed``."""
    if job_id is None and task is None and queue is None and not all_failed:
        raise ValueError("say which failed jobs to retry: a job id, a task, a queue, or all")
    selected = await failed_jobs(conn, queue=queue, task=task, job_id=job_id, limit=100_000)
    retried: list[int] = []
    skipped: list[tuple[int, str]] = []
    for failed in selected:
        job = failed.job
        try:
            async with conn.transaction(), conn.cursor() as cur:
                await cur.execute(RETRY, {"id": job.id})
                await cur.execute(RESET_ATTEMPTS, {"id": job.id})
                await audit.record(conn, actor=actor, action="job.retry", object_type="job",
                                   object_key=str(job.id),
                                   details={"task": job.task, "queue": job.queue,
                                            "error": failed.error_type, "attempts": job.attempts})
        except psycopg.errors.UniqueViolation as exc:
            if exc.diag.constraint_name != QUEUEING_LOCK_CONSTRAINT:
                raise
            skipped.append((job.id, "an identical job is already waiting"))
            continue
        retried.append(job.id)
    if job_id is not None and not selected:
        skipped.append((job_id, "no failed job with this id"))
    return RetryOutcome(retried=retried, skipped=skipped)


async def cancel_job(conn: AsyncConnection[Any], job_id: int, *,
                     actor: str) -> Literal["cancelled", "abort requested", "not found", "finished"]:
    """Cancel a waiting job; ask a running one to abort (async tasks are cancelled)."""
    async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
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
        outcome: Literal["cancelled", "abort requested"] = (
            "cancelled" if row["state"] == "todo" else "abort requested")
        await audit.record(conn, actor=actor, action="job.cancel", object_type="job",
                           object_key=str(job_id),
                           details={"task": row["task_name"], "queue": row["queue_name"],
                                    "outcome": outcome})
    return outcome


async def queue_depths(conn: AsyncConnection[Any]) -> list[QueueDepth]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(QUEUE_DEPTHS)
        rows = await cur.fetchall()
    return [QueueDepth(queue=r["queue"], state=r["state"], jobs=int(r["jobs"]),
                       oldest_ready_seconds=(None if r["oldest_ready_seconds"] is None
                                             else float(r["oldest_ready_seconds"])))
            for r in rows]
