"""The Odoo capacity governor's shared limit and leases (``odoo_capacity``, ``odoo_capacity_lease``).

Store side of :class:`~amazon_odoo_sync.odoo.governor.AdaptiveGovernor`, which declares what it
needs (:class:`~amazon_odoo_sync.odoo.governor.CapacityStore`) and keeps the AIMD rule. Each
statement runs in autocommit on the pool it is given (the caller's; this module opens none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from ..exceptions import TransientError

__all__ = ["SQL", "Lease", "PgOdooCapacity"]


@dataclass(frozen=True, kw_only=True)
class Lease:
    """One call slot held on ``instance`` until released (or until it expires)."""

    instance: str
    id: int


#: Named SQL of the capacity governor (tables from migration 0004_odoo_capacity).
SQL: dict[str, str] = {
    "ensure": """
        INSERT INTO odoo_capacity (instance, concurrency_limit, max_concurrency)
        VALUES (%(instance)s, %(initial)s, %(maximum)s)
        ON CONFLICT (instance) DO UPDATE
           SET max_concurrency = EXCLUDED.max_concurrency,
               concurrency_limit = LEAST(odoo_capacity.concurrency_limit, EXCLUDED.max_concurrency)
        RETURNING concurrency_limit
    """,
    # One statement: the UPDATE re-checks ``in_flight < limit`` on the latest row version after
    # waiting for a concurrent acquirer's lock, so the count never exceeds the limit.
    "acquire": """
        WITH granted AS (
            UPDATE odoo_capacity SET in_flight = in_flight + 1
             WHERE instance = %(instance)s AND in_flight < concurrency_limit
            RETURNING instance
        )
        INSERT INTO odoo_capacity_lease (instance, holder, expires_at)
        SELECT instance, %(holder)s, now() + make_interval(secs => %(ttl)s) FROM granted
        RETURNING id
    """,
    "release": """
        WITH gone AS (
            DELETE FROM odoo_capacity_lease WHERE id = %(id)s RETURNING instance
        )
        UPDATE odoo_capacity SET in_flight = GREATEST(in_flight - 1, 0)
         WHERE instance = (SELECT instance FROM gone)
    """,
    "reap": """
        WITH dead AS (
            DELETE FROM odoo_capacity_lease
             WHERE instance = %(instance)s AND expires_at <= now()
            RETURNING 1
        )
        UPDATE odoo_capacity SET in_flight = GREATEST(in_flight - (SELECT count(*) FROM dead), 0)
         WHERE instance = %(instance)s AND (SELECT count(*) FROM dead) > 0
    """,
    "increase": """
        UPDATE odoo_capacity
           SET concurrency_limit = LEAST(concurrency_limit + 1, %(maximum)s), updated_at = now()
         WHERE instance = %(instance)s
        RETURNING concurrency_limit
    """,
    "decrease": """
        UPDATE odoo_capacity
           SET concurrency_limit = GREATEST(1, floor(concurrency_limit * %(factor)s)::int),
               last_decrease_at = now(), updated_at = now()
         WHERE instance = %(instance)s
           AND (last_decrease_at IS NULL
                OR last_decrease_at <= now() - make_interval(secs => %(cooldown)s))
        RETURNING concurrency_limit
    """,
    "limit": "SELECT concurrency_limit FROM odoo_capacity WHERE instance = %(instance)s",
    "in_flight": "SELECT in_flight FROM odoo_capacity WHERE instance = %(instance)s",
}


class PgOdooCapacity:
    """The capacity store in PostgreSQL, shared by every worker process (tables of
    0004_odoo_capacity). Statements run in autocommit on ``pool``; the caller owns the pool."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def _run(self, name: str, params: dict[str, Any]) -> Any:
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(SQL[name], params)
                return await cursor.fetchone() if cursor.description else None
        except (psycopg.Error, OSError) as exc:
            # Any failure here is PostgreSQL away or busy, never the job's input: retryable.
            raise TransientError(f"capacity governor: database error in {name}: "
                                 f"{type(exc).__name__}", system="store",
                                 operation=f"odoo_capacity.{name}") from exc

    async def ensure(self, instance: str, *, initial: int, maximum: int) -> int:
        row = await self._run("ensure", {"instance": instance, "initial": initial,
                                         "maximum": maximum})
        return int(row[0])

    async def try_acquire(self, instance: str, *, holder: str, ttl: float) -> Lease | None:
        params = {"instance": instance, "holder": holder, "ttl": ttl}
        row = await self._run("acquire", params)
        if row is None:
            await self._run("reap", {"instance": instance})
            row = await self._run("acquire", params)
        return Lease(instance=instance, id=int(row[0])) if row else None

    async def release(self, lease: Lease) -> None:
        await self._run("release", {"id": lease.id})

    async def increase(self, instance: str, *, maximum: int) -> int:
        row = await self._run("increase", {"instance": instance, "maximum": maximum})
        return int(row[0]) if row else await self.limit(instance)

    async def decrease(self, instance: str, *, factor: float, cooldown: float) -> int:
        row = await self._run("decrease", {"instance": instance, "factor": factor,
                                           "cooldown": cooldown})
        return int(row[0]) if row else await self.limit(instance)

    async def limit(self, instance: str) -> int:
        row = await self._run("limit", {"instance": instance})
        return int(row[0]) if row else 1

    async def in_flight(self, instance: str) -> int:
        row = await self._run("in_flight", {"instance": instance})
        return int(row[0]) if row else 0

    async def aclose(self) -> None:
        return None  # the pool is the caller's
