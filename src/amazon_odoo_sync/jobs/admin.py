"""Looking at and acting on jobs: lists, the dead-letter list, replay, cancel, queue depth.

Used by the ``jobs`` and ``status`` commands, the dashboard and the metrics endpoint, on a
:class:`JobAdmin` (:class:`~amazon_odoo_sync.store.job_admin.PgJobAdmin` on a pool: the SQL is
the store's). Changes run in their own transaction each and write an audit line per job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..exceptions import ConflictError
from ..store.job_admin import (
    QUEUEING_LOCK_CONSTRAINT,
    STATES,
    CancelOutcome,
    FailedJob,
    JobRow,
    PgJobAdmin,
    QueueDepth,
)

__all__ = [
    "STATES",
    "FailedJob",
    "JobAdmin",
    "JobRow",
    "PgJobAdmin",
    "QueueDepth",
    "RetryOutcome",
    "cancel_job",
    "failed_jobs",
    "list_jobs",
    "queue_depths",
    "retry_failed_jobs",
]


class JobAdmin(Protocol):
    """What the job layer asks of the store about procrastinate's jobs."""

    async def list_jobs(self, *, queue: str | None = None, state: str | None = None, task: str | None = None,
                        limit: int = 50) -> list[JobRow]: ...

    async def failed_jobs(self, *, queue: str | None = None, task: str | None = None, job_id: int | None = None,
                          limit: int = 1000) -> list[FailedJob]: ...

    async def queue_depths(self) -> list[QueueDepth]: ...

    async def ready_jobs(self, queues: Sequence[str] | None = None) -> int: ...

    async def retry(self, job_id: int, *, actor: str, details: dict[str, Any]) -> None: ...

    async def cancel(self, job_id: int, *, actor: str) -> CancelOutcome: ...


@dataclass(frozen=True, kw_only=True)
class RetryOutcome:
    retried: list[int]
    #: (job id, reason) of failed jobs left as they are.
    skipped: list[tuple[int, str]]


async def list_jobs(admin: JobAdmin, *, queue: str | None = None, state: str | None = None,
                    task: str | None = None, limit: int = 50) -> list[JobRow]:
    if state is not None and state not in STATES:
        raise ValueError(f"unknown state {state!r}; expected one of {', '.join(STATES)}")
    return await admin.list_jobs(queue=queue, state=state, task=task, limit=limit)


async def failed_jobs(admin: JobAdmin, *, queue: str | None = None, task: str | None = None,
                      job_id: int | None = None, limit: int = 1000) -> list[FailedJob]:
    """The dead-letter list: failed jobs with the cause of their last failure."""
    return await admin.failed_jobs(queue=queue, task=task, job_id=job_id, limit=limit)


async def retry_failed_jobs(admin: JobAdmin, *, actor: str, job_id: int | None = None,
                            task: str | None = None, queue: str | None = None,
                            all_failed: bool = False) -> RetryOutcome:
    """Put failed jobs back in their queue (fresh attempts). Needs an id, a filter, or ``all_failed``."""
    if job_id is None and task is None and queue is None and not all_failed:
        raise ValueError("say which failed jobs to retry: a job id, a task, a queue, or all")
    selected = await admin.failed_jobs(queue=queue, task=task, job_id=job_id, limit=100_000)
    retried: list[int] = []
    skipped: list[tuple[int, str]] = []
    for failed in selected:
        job = failed.job
        try:
            await admin.retry(job.id, actor=actor, details={"task": job.task, "queue": job.queue,
                                                            "error": failed.error_type, "attempts": job.attempts})
        except ConflictError as exc:
            if exc.constraint != QUEUEING_LOCK_CONSTRAINT:
                raise
            skipped.append((job.id, "an identical job is already waiting"))
            continue
        retried.append(job.id)
    if job_id is not None and not selected:
        skipped.append((job_id, "no failed job with this id"))
    return RetryOutcome(retried=retried, skipped=skipped)


async def cancel_job(admin: JobAdmin, job_id: int, *, actor: str) -> CancelOutcome:
    """Cancel a waiting job; ask a running one to abort (async tasks are cancelled)."""
    return await admin.cancel(job_id, actor=actor)


async def queue_depths(admin: JobAdmin) -> list[QueueDepth]:
    return await admin.queue_depths()
