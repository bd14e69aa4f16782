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

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from ..logs import get_logger

__all__ = ["RecoveryResult", "recover_stalled_jobs"]

log = get_logger(__name__)

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


@dataclass(frozen=True, kw_only=True)
class RecoveryResult:
    requeued: list[int]
    aborted: list[int]
    pruned_workers: list[int]


async def recover_stalled_jobs(conn: AsyncConnection[Any],
                               stalled_after_seconds: float) -> RecoveryResult:
    """Requeue the running jobs of workers silent for ``stalled_after_seconds``; one transaction."""
    params = {"seconds": float(stalled_after_seconds)}
    async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
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
    result = RecoveryResult(requeued=[r["id"] for r in requeued], aborted=[r["id"] for r in aborted],
                            pruned_workers=pruned)
    if result.requeued or result.aborted:
        log.warning("recovered jobs of dead workers", requeued=result.requeued,
                    aborted=result.aborted, pruned_workers=pruned)
    return result
