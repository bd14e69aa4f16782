"""Failed attempts of jobs (``job_failures``): recorded per attempt, and when a job started failing.

Every failed run is a row, the last one ``final`` when it sent the job to the dead-letter
state. :func:`failing_since` gives the start of the job's current stretch of failures for the
retry budget (:mod:`amazon_odoo_sync.jobs.retry`): the first failure after the job's last
*holding* failure (an open circuit) or last final one (a replay starts afresh).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg import AsyncConnection

from ..exceptions import TransientError
from ._sql import jsonb

__all__ = ["failing_since", "record"]

_RECORD = """
INSERT INTO job_failures (job_id, attempt, final, error_type, message, context, traceback, at)
VALUES (%(job_id)s, %(attempt)s, %(final)s, %(error_type)s, %(message)s, %(context)s, %(traceback)s,
        %(at)s)
"""

# ix_job_failures_job_id (job_id, id DESC) serves both look-ups.
_FAILING_SINCE = """
SELECT min(f.at) FROM job_failures f
WHERE f.job_id = %(job_id)s
  AND f.id > coalesce((SELECT max(b.id) FROM job_failures b
                       WHERE b.job_id = %(job_id)s AND (b.final OR b.error_type = ANY(%(holds)s))), 0)
"""


def _error(exc: psycopg.Error, job_id: int) -> TransientError:
    return TransientError(f"job failure storage failed: {type(exc).__name__}", system="store",
                          operation=f"job_failures:{job_id}")


async def record(conn: AsyncConnection[Any], *, job_id: int, attempt: int, final: bool,
                 error_type: str, message: str, context: dict[str, Any], traceback: str,
                 at: datetime) -> None:
    try:
        await conn.execute(_RECORD, {"job_id": job_id, "attempt": attempt, "final": final,
                                     "error_type": error_type, "message": message[:2000],
                                     "context": jsonb(context), "traceback": traceback[-8000:],
                                     "at": at})
    except psycopg.Error as exc:
        raise _error(exc, job_id) from exc


async def failing_since(conn: AsyncConnection[Any], job_id: int, *,
                        holds: Sequence[str]) -> datetime | None:
    """When the job's current stretch of failures began; None when this is its first failure."""
    try:
        row = await (await conn.execute(_FAILING_SINCE, {"job_id": job_id,
                                                         "holds": list(holds)})).fetchone()
    except psycopg.Error as exc:
        raise _error(exc, job_id) from exc
    return None if row is None else row[0]
