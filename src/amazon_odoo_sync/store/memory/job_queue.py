"""Deferred jobs in memory: what a flow queued, for its tests to read (``state.section("jobs")``).

Nothing runs them; a queueing lock refuses a second job while one with that lock is ``todo``,
as procrastinate's unique index does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..job_queue import DeferredJob

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryJobQueue"]


class MemoryJobQueue:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._jobs: list[DeferredJob] = state.section("jobs", list)

    async def defer(self, task_name: str, *, queue: str, args: Mapping[str, Any] | None = None,
                    priority: int = 0, lock: str | None = None, queueing_lock: str | None = None,
                    schedule_at: datetime | None = None) -> int | None:
        if schedule_at is not None and schedule_at.utcoffset() is None:
            raise ValueError("schedule_at must be timezone-aware")
        if queueing_lock is not None and any(j.queueing_lock == queueing_lock and j.status == "todo"
                                             for j in self._jobs):
            return None
        job = DeferredJob(id=self._state.next_id("jobs"), task_name=task_name, queue=queue, args=dict(args or {}),
                          priority=priority, lock=lock, queueing_lock=queueing_lock, scheduled_at=schedule_at)
        self._jobs.append(job)
        return job.id
