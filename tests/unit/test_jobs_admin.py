"""The job layer's replay rules, on a stand-in for the store's job admin (no PostgreSQL): which
failed jobs are replayed, and a queueing-lock conflict (our ConflictError, never the driver's)
leaves a job as it is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from amazon_odoo_sync.exceptions import ConflictError
from amazon_odoo_sync.jobs.admin import list_jobs, retry_failed_jobs
from amazon_odoo_sync.store.job_admin import QUEUEING_LOCK_CONSTRAINT, CancelOutcome, FailedJob, JobRow, QueueDepth

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def failed(job_id: int, task: str = "orders.import") -> FailedJob:
    job = JobRow(id=job_id, queue="orders", task=task, state="failed", priority=0, attempts=3, lock=None,
                 queueing_lock=f"{task}:{job_id}", args={}, scheduled_at=None, created_at=T0, updated_at=T0)
    return FailedJob(job=job, error_type="DataError", message="unknown SKU", context={}, failed_at=T0)


class Admin:
    def __init__(self, jobs: list[FailedJob], conflicts: dict[int, str | None]) -> None:
        self.jobs = jobs
        self.conflicts = conflicts
        self.retried: list[tuple[int, str, dict[str, Any]]] = []

    async def list_jobs(self, *, queue: str | None = None, state: str | None = None, task: str | None = None,
                        limit: int = 50) -> list[JobRow]:
        return [f.job for f in self.jobs if state in (None, f.job.state)][:limit]

    async def failed_jobs(self, *, queue: str | None = None, task: str | None = None, job_id: int | None = None,
                          limit: int = 1000) -> list[FailedJob]:
        return [f for f in self.jobs if task in (None, f.job.task) and job_id in (None, f.job.id)][:limit]

    async def queue_depths(self) -> list[QueueDepth]:
        return []

    async def ready_jobs(self, queues: Sequence[str] | None = None) -> int:
        return 0

    async def retry(self, job_id: int, *, actor: str, details: dict[str, Any]) -> None:
        if job_id in self.conflicts:
            raise ConflictError("PostgreSQL: UniqueViolation", system="store", constraint=self.conflicts[job_id])
        self.retried.append((job_id, actor, details))

    async def cancel(self, job_id: int, *, actor: str) -> CancelOutcome:
        return "not found"


async def test_a_job_whose_twin_waits_is_skipped_the_others_replayed_and_audited() -> None:
    admin = Admin([failed(1), failed(2), failed(3, task="stock.push")], {2: QUEUEING_LOCK_CONSTRAINT})
    outcome = await retry_failed_jobs(admin, actor="cli:olga", task="orders.import")
    assert outcome.retried == [1]
    assert outcome.skipped == [(2, "an identical job is already waiting")]
    assert admin.retried == [(1, "cli:olga", {"task": "orders.import", "queue": "orders", "error": "DataError",
                                               "attempts": 3})]
    everything = await retry_failed_jobs(admin, actor="cli:olga", all_failed=True)
    assert everything.retried == [1, 3] and [job for job, _ in everything.skipped] == [2]


async def test_another_conflict_is_not_taken_for_a_waiting_twin() -> None:
    admin = Admin([failed(1)], {1: "some_other_key"})
    with pytest.raises(ConflictError):
        await retry_failed_jobs(admin, actor="test", job_id=1)


async def test_a_missing_job_or_no_selection_is_said() -> None:
    admin = Admin([], {})
    outcome = await retry_failed_jobs(admin, actor="test", job_id=7)
    assert outcome.retried == [] and outcome.skipped == [(7, "no failed job with this id")]
    with pytest.raises(ValueError, match="say which failed jobs"):
        await retry_failed_jobs(admin, actor="test")
    with pytest.raises(ValueError, match="unknown state"):
        await list_jobs(admin, state="lost")
