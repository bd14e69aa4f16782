"""The SP-API circuit breakers, one row per (account, API) in ``spapi_circuits``.

Store side of :class:`~amazon_odoo_sync.amazon.circuit.SharedCircuitBreaker`, which declares what
it needs (:class:`~amazon_odoo_sync.amazon.circuit.CircuitStore`). The transitions are pure
(:mod:`amazon_odoo_sync.circuit`); :meth:`PgSpapiCircuits.change` applies one under
``FOR UPDATE`` so two workers never both take the half-open probe.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from ..circuit import CircuitState
from .shared_state import translated

__all__ = ["PgSpapiCircuits"]

_READ = "SELECT state, failures, opened_at, probe_at FROM spapi_circuits WHERE account = %s AND api = %s"
_ENSURE = """
INSERT INTO spapi_circuits (account, api, updated_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING
"""
_WRITE = """
UPDATE spapi_circuits SET state = %(state)s, failures = %(failures)s, opened_at = %(opened_at)s,
       probe_at = %(probe_at)s, updated_at = %(now)s, last_error = coalesce(%(error)s, last_error)
WHERE account = %(account)s AND api = %(api)s
"""
_CLOSE = """
UPDATE spapi_circuits SET state = 'closed', failures = 0, opened_at = NULL, probe_at = NULL,
       updated_at = %s
WHERE account = %s AND api = %s AND (state <> 'closed' OR failures <> 0)
RETURNING 1
"""

_WHAT = "circuit breaker"


def _state(row: tuple[Any, ...] | None) -> CircuitState:
    if row is None:
        return CircuitState()
    return CircuitState(state=row[0], failures=row[1], opened_at=row[2], probe_at=row[3])


class PgSpapiCircuits:
    """Circuits in PostgreSQL: one breaker state per (account, API) for all workers."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def read(self, account: str, api: str) -> CircuitState:
        """The circuit now (closed when never written), without a lock: one cheap read."""
        async with translated(_WHAT, account=account, operation=api), self._pool.connection() as conn:
            return _state(await (await conn.execute(_READ, (account, api))).fetchone())

    async def change(self, account: str, api: str, now: datetime,
                     transition: Callable[[CircuitState], CircuitState], *,
                     error: str | None = None) -> tuple[CircuitState, CircuitState]:
        """Apply ``transition`` to the locked row in one transaction; returns (before, after).

        With ``error`` (a failure to record) the row is created first and always written, the
        error kept as the last one; otherwise it is written only when the state changed."""
        async with translated(_WHAT, account=account, operation=api), self._pool.connection() as conn, \
                conn.transaction():
            if error is not None:
                await conn.execute(_ENSURE, (account, api, now))
            before = _state(await (await conn.execute(_READ + " FOR UPDATE", (account, api))).fetchone())
            after = transition(before)
            if after != before or error is not None:
                if error is None:
                    await conn.execute(_ENSURE, (account, api, now))
                await conn.execute(_WRITE, {"state": after.state, "failures": after.failures,
                                            "opened_at": after.opened_at, "probe_at": after.probe_at,
                                            "now": now, "error": None if error is None else error[:500],
                                            "account": account, "api": api})
        return before, after

    async def close(self, account: str, api: str, now: datetime) -> bool:
        """Closed with no failures (one statement); True when it was not already."""
        async with translated(_WHAT, account=account, operation=api), self._pool.connection() as conn:
            return await (await conn.execute(_CLOSE, (now, account, api))).fetchone() is not None
