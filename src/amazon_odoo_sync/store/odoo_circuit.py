"""The Odoo circuit's row: read, change under a row lock, list for ``status`` and the dashboard.

One row per Odoo instance (``url/database``). The transitions themselves are pure
(:mod:`amazon_odoo_sync.circuit`); :func:`change` applies one under ``FOR UPDATE`` so two workers
never both take the half-open probe. psycopg errors become :class:`TransientError` here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from ..circuit import CircuitState
from ..exceptions import TransientError
from ._sql import cursor

__all__ = ["OdooCircuitRow", "PgOdooCircuits", "change", "circuit_rows", "read"]

_READ = """
SELECT state, failures, opened_at, probe_at FROM odoo_circuits WHERE instance = %(instance)s
"""
_ENSURE = """
INSERT INTO odoo_circuits (instance, changed_at, updated_at) VALUES (%(instance)s, %(now)s, %(now)s)
ON CONFLICT DO NOTHING
"""
_WRITE = """
UPDATE odoo_circuits
SET state = %(state)s, failures = %(failures)s, opened_at = %(opened_at)s, probe_at = %(probe_at)s,
    changed_at = CASE WHEN state <> %(state)s THEN %(now)s ELSE changed_at END,
    last_error = coalesce(%(error)s, last_error),
    last_error_at = CASE WHEN %(error)s::text IS NULL THEN last_error_at ELSE %(now)s END,
    updated_at = %(now)s
WHERE instance = %(instance)s
"""
_ROWS = """
SELECT instance, state, failures, changed_at AS since, opened_at, last_error, last_error_at
FROM odoo_circuits
ORDER BY (state = 'closed'), instance
"""


@dataclass(frozen=True, kw_only=True)
class OdooCircuitRow:
    instance: str
    state: str
    failures: int
    #: When the circuit took its current state.
    since: datetime
    opened_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


def _error(exc: psycopg.Error, instance: str) -> TransientError:
    return TransientError(f"Odoo circuit storage failed: {type(exc).__name__}", system="store",
                          operation=f"odoo_circuits:{instance}")


@asynccontextmanager
async def _translated(instance: str) -> AsyncIterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        raise _error(exc, instance) from exc


def _state(row: tuple[Any, ...] | None) -> CircuitState:
    if row is None:
        return CircuitState()
    return CircuitState(state=row[0], failures=row[1], opened_at=row[2], probe_at=row[3])


async def read(conn: AsyncConnection[Any], instance: str) -> CircuitState:
    """The circuit as it is now (closed when never written), without a lock."""
    async with _translated(instance):
        return _state(await (await conn.execute(_READ, {"instance": instance})).fetchone())


async def change(conn: AsyncConnection[Any], instance: str, now: datetime,
                 transition: Callable[[CircuitState], CircuitState], *,
                 error: str | None = None) -> tuple[CircuitState, CircuitState]:
    """Apply ``transition`` to the locked row in one transaction; returns (before, after).

    The row is written only when the state changed or ``error`` is given (a failure to record).
    """
    async with _translated(instance), conn.transaction():
        if error is not None:
            await conn.execute(_ENSURE, {"instance": instance, "now": now})
        before = _state(await (await conn.execute(_READ + " FOR UPDATE",
                                                  {"instance": instance})).fetchone())
        after = transition(before)
        if after != before or error is not None:
            await conn.execute(_ENSURE, {"instance": instance, "now": now})
            await conn.execute(_WRITE, {"instance": instance, "state": after.state,
                                        "failures": after.failures, "opened_at": after.opened_at,
                                        "probe_at": after.probe_at, "now": now,
                                        "error": None if error is None else error[:500]})
    return before, after


async def circuit_rows(conn: AsyncConnection[Any]) -> list[OdooCircuitRow]:
    """Every Odoo instance's circuit, open ones first."""
    async with _translated("*"), cursor(conn) as cur:
        await cur.execute(_ROWS)
        return [OdooCircuitRow(**row) for row in await cur.fetchall()]


class PgOdooCircuits:
    """The Odoo circuits on a pool: what :class:`~amazon_odoo_sync.odoo.circuit.SharedOdooCircuit`
    needs (its ``OdooCircuitStore``), each call on a connection of its own."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def read(self, instance: str) -> CircuitState:
        async with _translated(instance), self._pool.connection() as conn:
            return await read(conn, instance)

    async def change(self, instance: str, now: datetime, transition: Callable[[CircuitState], CircuitState], *,
                     error: str | None = None) -> tuple[CircuitState, CircuitState]:
        async with _translated(instance), self._pool.connection() as conn:
            return await change(conn, instance, now, transition, error=error)
