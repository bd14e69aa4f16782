"""Tasks of the job pipeline itself: housekeeping, and probes for benchmarks and tests.

``jobs.noop`` does nothing; ``jobs.probe`` writes a ``started`` row to ``job_probes``, optionally
sleeps, then writes its ``key`` to ``job_probe_results`` (unique: a probe that completed twice
would fail the second time). ``jobs.housekeeping`` requeues the jobs of dead workers and deletes
old succeeded jobs; it is scheduled every ``[jobs] stalled_check_seconds``.
"""

from __future__ import annotations

import asyncio

from .schedule import register_schedule
from .stalled import recover_stalled_jobs
from .tasks import current_job, task

__all__ = ["housekeeping", "noop", "probe"]

PROBE_STARTED = "INSERT INTO job_probes (key, event, job_id) VALUES (%s, 'started', %s)"
PROBE_DONE = "INSERT INTO job_probe_results (key, job_id) VALUES (%s, %s)"


@task(queue="housekeeping", name="jobs.noop")
async def noop() -> None:
    """Nothing: measures the pipeline's own cost."""


@task(queue="housekeeping", name="jobs.probe")
async def probe(*, key: str, sleep_seconds: float = 0.0, record_start: bool = True) -> None:
    """One DB write (``record_start=False``, no sleep) or start row, sleep, completion row."""
    job = current_job()
    async with job.pool.connection() as conn:
        if record_start:
            await conn.execute(PROBE_STARTED, (key, job.job_id))
            await conn.commit()
        if sleep_seconds > 0:
            await asyncio.sleep(sleep_seconds)
        await conn.execute(PROBE_DONE, (key, job.job_id))


@task(queue="housekeeping", name="jobs.housekeeping", queueing_lock_from=lambda _: "all")
async def housekeeping() -> None:
    """Requeue the jobs of dead workers; delete succeeded jobs past their retention."""
    job = current_job()
    config = job.settings.jobs
    async with job.pool.connection() as conn:
        await recover_stalled_jobs(conn, config.stalled_after_seconds)
    await job.app.job_manager.delete_old_jobs(nb_hours=config.keep_succeeded_hours)


register_schedule("jobs.housekeeping", housekeeping,
                  every=lambda settings: settings.jobs.stalled_check_seconds)
