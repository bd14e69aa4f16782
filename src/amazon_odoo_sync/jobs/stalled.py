"""Jobs of dead workers go back to the queue.

Every worker writes a heartbeat (``procrastinate_workers.last_heartbeat``). A worker silent for
longer than ``[jobs] stalled_after_seconds`` is presumed dead (killed, out of memory, machine
lost): its ``doing`` jobs are put back to ``todo`` (attempts + 1, a ``WorkerLost`` line in
``job_failures``) and the worker row is pruned. One UPDATE re-checks ``status = 'doing'`` and the
worker under the row lock, so two workers recovering at once never requeue a job twice, and a job
already picked up again by a live worker is left alone.

A stalled job whose queueing lock is taken by an identical waiting job is not requeued (that
would break the lock's uniqueness); it ends ``aborted`` and the waiting twin does the work. Nor is
one with a newer twin still running (dead too, or alive): two dead workers' twins would both
become ``todo`` and the UPDATE fail (every worker's startup recovery failed, a crash loop, when
workers were killed one after another); the newest twin, started last, covers the older's work.
Tasks must be idempotent anyway: a job may have done part of its work before its worker died.
"""

from __future__ import annotations

from typing import Protocol

from ..logs import get_logger
from ..store.job_admin import RecoveryResult

__all__ = ["JobRecovery", "RecoveryResult", "recover_stalled_jobs"]

log = get_logger(__name__)


class JobRecovery(Protocol):
    """The store's side (:class:`~amazon_odoo_sync.store.job_admin.PgJobAdmin`): the UPDATEs above
    in one transaction."""

    async def recover_stalled(self, stalled_after_seconds: float) -> RecoveryResult: ...


async def recover_stalled_jobs(admin: JobRecovery, stalled_after_seconds: float) -> RecoveryResult:
    """Requeue the running jobs of workers silent for ``stalled_after_seconds``; one transaction."""
    result = await admin.recover_stalled(stalled_after_seconds)
    if result.requeued or result.aborted:
        log.warning("recovered jobs of dead workers", requeued=result.requeued,
                    aborted=result.aborted, pruned_workers=result.pruned_workers)
    return result
