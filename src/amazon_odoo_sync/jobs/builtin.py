"""Tasks of the job pipeline itself: housekeeping, and probes for benchmarks and tests.

``jobs.noop`` does nothing; ``jobs.probe`` writes a ``started`` row to ``job_probes``, optionally
sleeps, then writes its ``key`` to ``job_probe_results`` (unique: a probe that completed twice
would fail the second time). Its sleep may be a wait for SP-API quota or for a free Odoo slot
(``wait_for``), the first time only (``wait_once``): how a stopping worker gives jobs back.
``jobs.housekeeping`` requeues the jobs of dead workers and deletes
old succeeded jobs; it is scheduled every ``[jobs] stalled_check_seconds``. ``inbox.prune``
deletes processed inbox rows past ``[schedules] inbox_keep_hours``, every ``inbox_prune`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Literal

from ..clock import SystemClock
from ..exceptions import ThrottledError
from ..logs import get_logger
from ..odoo.governor import AdaptiveGovernor
from ..store.job_admin import PgJobAdmin
from ..store.job_probes import PgJobProbes
from ..store.unit import PgStore
from ..waits import wait
from .schedule import register_schedule
from .stalled import recover_stalled_jobs
from .tasks import current_job, task

__all__ = ["housekeeping", "noop", "probe", "prune_inbox"]

log = get_logger(__name__)


@task(queue="housekeeping", name="jobs.noop")
async def noop() -> None:
    """Nothing: measures the pipeline's own cost."""


@task(queue="housekeeping", name="jobs.probe")
async def probe(*, key: str, sleep_seconds: float = 0.0, record_start: bool = True,
                wait_for: Literal["quota", "odoo"] | None = None, wait_once: bool = False) -> None:
    """One DB write (``record_start=False``, no sleep) or start row, sleep, completion row."""
    job = current_job()
    probes = PgJobProbes(job.pool)  # every call its own transaction: none held while waiting
    if record_start:
        await probes.started(key, job.job_id)
    if wait_once and await probes.starts(key) > 1:
        sleep_seconds = 0.0
    if sleep_seconds > 0:
        if wait_for is None:
            await asyncio.sleep(sleep_seconds)
        else:
            await _probe_wait(wait_for, sleep_seconds)
    await probes.done(key, job.job_id)


async def _probe_wait(what: Literal["quota", "odoo"], seconds: float) -> None:
    clock = SystemClock()
    if what == "quota":
        await wait(clock, seconds, reason="quota", operation="jobs.probe")
        return
    # Odoo full: the one slot is held for longer than the probe waits for one.
    governor = AdaptiveGovernor(instance="probe", max_concurrency=1, clock=clock,
                                acquire_timeout=seconds)
    async with governor.slot():
        with contextlib.suppress(ThrottledError):
            async with governor.slot():
                pass


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
