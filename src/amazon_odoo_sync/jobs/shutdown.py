"""Stopping a worker within seconds: a job that only waits gives way.

On SIGTERM a worker stops fetching jobs and gives the running ones ``[jobs]
shutdown_grace_seconds`` to finish. A job waiting for SP-API quota, for a free Odoo slot or for a
back-off (every wait marked :func:`~amazon_odoo_sync.waits.interruptible`) does not get that
grace: it holds nothing and may wait for minutes, so it is cancelled at once, and so is a job
that starts such a wait during the grace period. Jobs still running when the grace period ends
are cancelled too (procrastinate's shutdown abort).

A job cancelled this way goes back to the queue as it was: ``todo``, due now, its attempts
unchanged, no failure recorded (:func:`give_back`, its SQL in
:mod:`amazon_odoo_sync.store.job_admin`); the next worker runs it from the start.
Tasks are idempotent, so work it had done before the cancellation is found, not repeated. When
an identical job already waits under its queueing lock, the cancelled one ends ``aborted`` and
the waiting twin does the work (requeuing it would break the lock's uniqueness).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from procrastinate import App

from ..logs import get_logger
from ..store import job_admin
from ..waits import watching_waits

__all__ = ["RunningJob", "WorkerStop", "current_worker_stop", "give_back", "stopping_worker"]

log = get_logger(__name__)


@dataclass(eq=False)
class RunningJob:
    job_id: int
    task: asyncio.Task[Any]
    #: Waits of the job in progress (its subtasks may wait at the same time).
    waiting: int = 0
    cancelled: bool = False

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self.task.cancel()


@dataclass(eq=False)
class WorkerStop:
    """One worker's stop: which jobs run, which of them only wait, whether it is stopping."""

    stopping: bool = False
    running: dict[int, RunningJob] = field(default_factory=dict)
    #: The procrastinate worker's task: cancelling it starts procrastinate's graceful shutdown.
    worker: asyncio.Task[Any] | None = None

    def cancel_on_stop(self, worker: asyncio.Task[Any]) -> None:
        self.worker = worker
        if self.stopping:
            worker.cancel()

    def begin(self) -> None:
        """The worker was asked to stop: no new job, and every job that is waiting now gives way."""
        if self.stopping:
            return
        self.stopping = True
        if self.worker is not None:
            self.worker.cancel()
        waiting = [job for job in self.running.values() if job.waiting > 0]
        if waiting:
            log.info("worker stopping: jobs waiting give way", jobs=[job.job_id for job in waiting])
        for job in waiting:
            job.cancel()

    @contextlib.contextmanager
    def track(self, job_id: int) -> Iterator[RunningJob]:
        """Around a job's run, in the job's task."""
        task = asyncio.current_task()
        assert task is not None
        job = RunningJob(job_id=job_id, task=task)

        def watch(delta: int) -> None:
            job.waiting += delta
            if delta > 0 and self.stopping:
                job.cancel()  # delivered at the wait that is about to start

        self.running[job_id] = job
        try:
            with watching_waits(watch):
                yield job
        finally:
            self.running.pop(job_id, None)


_current: ContextVar[WorkerStop | None] = ContextVar("aos_worker_stop", default=None)


def current_worker_stop() -> WorkerStop | None:
    """The stop of the worker running in this context (jobs' tasks inherit it), if any."""
    return _current.get()


@contextlib.contextmanager
def stopping_worker() -> Iterator[WorkerStop]:
    """Around a worker's run: the tasks it starts from here on see this stop."""
    stop = WorkerStop()
    token = _current.set(stop)
    try:
        yield stop
    finally:
        _current.reset(token)


async def give_back(app: App, job_id: int) -> bool:
    """Prepare the cancelled job ``job_id`` to go back to the queue untouched. False when an
    identical job waits under its queueing lock (this one then ends aborted)."""
    return await job_admin.give_back(app.connector, job_id)
