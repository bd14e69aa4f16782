"""Rows of the diagnostic probes (``jobs.probe`` in ``jobs.builtin``): benchmarks and the
kill-a-worker acceptance tests count them.

``job_probes`` gets a ``started`` row per run; ``job_probe_results.key`` is unique, so a probe
that ran to completion twice fails the second time (a ``ConflictError``). PostgreSQL only: the
probes measure the real queue.
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

from ._sql import cursor
from .unit import PgStore

__all__ = ["PgJobProbes"]

STARTED = "INSERT INTO job_probes (key, event, job_id) VALUES (%(key)s, 'started', %(job_id)s)"
STARTS = "SELECT count(*) AS runs FROM job_probes WHERE key = %(key)s AND event = 'started'"
DONE = "INSERT INTO job_probe_results (key, job_id) VALUES (%(key)s, %(job_id)s)"


class PgJobProbes:
    """Each call its own transaction, committed when it returns (a probe holds none while it sleeps)."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._store = PgStore(pool)

    async def started(self, key: str, job_id: int) -> None:
        async with self._store.transaction() as tx, cursor(tx.connection) as cur:
            await cur.execute(STARTED, {"key": key, "job_id": job_id})

    async def starts(self, key: str) -> int:
        """How many runs of the probe ``key`` started."""
        async with self._store.transaction() as tx, cursor(tx.connection) as cur:
            await cur.execute(STARTS, {"key": key})
            row = await cur.fetchone()
        return int(row["runs"]) if row else 0

    async def done(self, key: str, job_id: int) -> None:
        async with self._store.transaction() as tx, cursor(tx.connection) as cur:
            await cur.execute(DONE, {"key": key, "job_id": job_id})
