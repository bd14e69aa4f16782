"""Interval schedules' rows (``job_schedules``): when each schedule is next due.

One row per schedule. ``upsert`` creates a row due at once, or updates a changed task or
interval (a shorter interval takes effect now, not after the old, longer wait; an unchanged
row keeps its due time). ``claim_due`` moves every due row of the given names to ``now +
interval`` in one UPDATE, so with several workers each run is claimed once; the caller defers
the job in the same transaction (``jobs.schedule``).

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from psycopg import AsyncConnection

from ._sql import cursor

__all__ = ["PgSchedules", "ScheduleRow", "SchedulesRepository", "claim_due", "get", "set_last_job", "upsert"]

UPSERT = """
INSERT INTO job_schedules (name, task_name, interval_seconds, next_run_at)
VALUES (%(name)s, %(task_name)s, %(interval)s, now())
ON CONFLICT (name) DO UPDATE
SET task_name = EXCLUDED.task_name,
    interval_seconds = EXCLUDED.interval_seconds,
    -- a shorter interval takes effect now, not after the old, longer wait
    next_run_at = LEAST(job_schedules.next_run_at, now() + make_interval(secs => EXCLUDED.interval_seconds))
WHERE job_schedules.task_name IS DISTINCT FROM EXCLUDED.task_name
   OR job_schedules.interval_seconds IS DISTINCT FROM EXCLUDED.interval_seconds
"""

CLAIM_DUE = """
UPDATE job_schedules
SET next_run_at = now() + make_interval(secs => interval_seconds), last_run_at = now()
WHERE name = ANY(%(names)s) AND next_run_at <= now()
RETURNING name
"""

SET_LAST_JOB = "UPDATE job_schedules SET last_job_id = %(job_id)s WHERE name = %(name)s"

GET = """
SELECT name, task_name, interval_seconds, next_run_at, last_run_at, last_job_id
FROM job_schedules WHERE name = %(name)s
"""


@dataclass(frozen=True, kw_only=True)
class ScheduleRow:
    name: str
    task_name: str
    interval_seconds: float
    next_run_at: datetime
    last_run_at: datetime | None
    last_job_id: int | None


async def upsert(conn: AsyncConnection[Any], *, name: str, task_name: str, interval_seconds: float) -> None:
    """Create the row of ``name`` (due now) or update its task and interval when they changed."""
    if interval_seconds <= 0:
        raise ValueError(f"schedule {name!r}: interval must be positive, got {interval_seconds}")
    async with cursor(conn) as cur:
        await cur.execute(UPSERT, {"name": name, "task_name": task_name, "interval": float(interval_seconds)})


async def claim_due(conn: AsyncConnection[Any], names: Sequence[str]) -> list[str]:
    """Claim the due runs among ``names`` (each moved to now + its interval); their names, sorted."""
    if not names:
        return []
    async with cursor(conn) as cur:
        await cur.execute(CLAIM_DUE, {"names": list(names)})
        return sorted(row["name"] for row in await cur.fetchall())


async def set_last_job(conn: AsyncConnection[Any], name: str, job_id: int) -> None:
    async with cursor(conn) as cur:
        await cur.execute(SET_LAST_JOB, {"job_id": job_id, "name": name})


async def get(conn: AsyncConnection[Any], name: str) -> ScheduleRow | None:
    async with cursor(conn) as cur:
        await cur.execute(GET, {"name": name})
        row = await cur.fetchone()
    return None if row is None else ScheduleRow(**row)


class SchedulesRepository(Protocol):
    async def upsert(self, *, name: str, task_name: str, interval_seconds: float) -> None: ...

    async def claim_due(self, names: Sequence[str]) -> list[str]: ...

    async def set_last_job(self, name: str, job_id: int) -> None: ...

    async def get(self, name: str) -> ScheduleRow | None: ...


class PgSchedules:
    """:class:`SchedulesRepository` on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def upsert(self, *, name: str, task_name: str, interval_seconds: float) -> None:
        await upsert(self._conn, name=name, task_name=task_name, interval_seconds=interval_seconds)

    async def claim_due(self, names: Sequence[str]) -> list[str]:
        return await claim_due(self._conn, names)

    async def set_last_job(self, name: str, job_id: int) -> None:
        await set_last_job(self._conn, name, job_id)

    async def get(self, name: str) -> ScheduleRow | None:
        return await get(self._conn, name)
