"""Tasks of the job pipeline itself: housekeeping, and probes for benchmarks and tests.

``jobs.noop`` does nothing (``jobs.probe``, which may wait on Odoo's governor, is declared with
the worker's tasks in ``amazon_odoo_sync.tasks``).
``jobs.housekeeping`` requeues the jobs of dead workers and deletes
old succeeded jobs; it is scheduled every ``[jobs] stalled_check_seconds``. ``inbox.prune``
deletes processed inbox rows past ``[schedules] inbox_keep_hours``, every ``inbox_prune`` seconds.
"""

from __future__ import annotations

from ..logs import get_logger
from ..store.job_admin import PgJobAdmin
from ..store.unit import PgStore
from .schedule import register_schedule
from .stalled import recover_stalled_jobs
from .tasks import current_job, task

__all__ = ["housekeeping", "noop", "prune_inbox"]

log = get_logger(__name__)


@task(queue="housekeeping", name="jobs.noop")
async def noop() -> None:
    """Nothing: measures the pipeline's own cost."""


@task(queue="housekeeping", name="jobs.housekeeping", queueing_lock_from=lambda _: "all")
async def housekeeping() -> None:
    """Requeue the jobs of dead workers; delete succeeded jobs past their retention."""
    job = current_job()
    config = job.settings.jobs
    await recover_stalled_jobs(PgJobAdmin(job.pool), config.stalled_after_seconds)
    await job.app.job_manager.delete_old_jobs(nb_hours=config.keep_succeeded_hours)


register_schedule("jobs.housekeeping", housekeeping,
                  every=lambda settings: settings.jobs.stalled_check_seconds)


@task(queue="housekeeping", name="inbox.prune", queueing_lock_from=lambda _: "all")
async def prune_inbox() -> None:
    """Delete processed inbox rows past ``[schedules] inbox_keep_hours``, a batch per
    transaction (a long DELETE would hold its locks and its WAL at once)."""
    job = current_job()
    seconds = job.settings.schedules.inbox_keep_hours * 3600
    deleted = 0
    store = PgStore(job.pool)
    while True:
        async with store.session() as tx:
            count = await tx.inbox.prune_processed(older_than_seconds=seconds)
        deleted += count
        if count == 0:
            break
    if deleted:
        log.info("inbox pruned", deleted=deleted)


register_schedule("inbox.prune", prune_inbox, every="inbox_prune")
