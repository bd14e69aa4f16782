"""Circuit breaker per (account, API): stop calling an API that keeps failing.

Retryable failures (5xx, timeouts, connection errors; *not* 429, which the governor handles)
count up; after ``circuit_failure_threshold`` in a row the circuit opens and calls fail fast with
:class:`~amazon_odoo_sync.exceptions.CircuitOpenError`. After ``circuit_reset_seconds`` one caller
gets through as a probe (half-open): success closes the circuit, failure opens it again. A probe
whose owner vanished is replaced after another ``reset_seconds``.

State lives in PostgreSQL (``spapi_circuits``) so every worker sees the same circuit and
``status`` can show it; :class:`InMemoryCircuitBreaker` is the one-process twin. The transitions
are the pure functions of :mod:`amazon_odoo_sync.circuit` (:func:`admit`, :func:`succeeded`,
:func:`failed`), shared with the Odoo circuit. Time comes from the injected clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool

from ..circuit import CLOSED, HALF_OPEN, OPEN, CircuitState, State, admit, failed, succeeded
from ..clock import Clock, SystemClock
from ..exceptions import CircuitOpenError, TransientError
from ..metrics import CIRCUIT_STATE

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "CircuitBreaker", "CircuitState", "InMemoryCircuitBreaker",
           "PgCircuitBreaker", "admit", "failed", "succeeded"]

_GAUGE = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}


def _open_error(account: str, api: str, retry_after: float) -> CircuitOpenError:
    return CircuitOpenError(f"circuit open for {api} of account {account}: too many failures; "
                            f"next try in {retry_after:.0f}s", system="amazon", account=account,
                            operation=api, retry_after=retry_after)


def _gauge(account: str, api: str, state: State) -> None:
    CIRCUIT_STATE.labels(account, api).set(_GAUGE[state])


class CircuitBreaker(Protocol):
    async def before_call(self, account: str, api: str) -> None:
        """Raise CircuitOpenError unless a call may go through now."""

    async def record_success(self, account: str, api: str) -> None: ...

    async def record_failure(self, account: str, api: str, error: str) -> float | None:
        """Count a failure; seconds until the next probe when the circuit is open after it."""


class InMemoryCircuitBreaker:
    def __init__(self, *, failure_threshold: int = 5, reset_seconds: float = 30.0,
                 clock: Clock | None = None) -> None:
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock or SystemClock()
        self.circuits: dict[tuple[str, str], CircuitState] = {}

    async def before_call(self, account: str, api: str) -> None:
        current = self.circuits.get((account, api), CircuitState())
        allowed, new, retry_after = admit(current, self._clock.now(), self.reset_seconds)
        if new != current:
            self.circuits[(account, api)] = new
            _gauge(account, api, new.state)
        if not allowed:
            raise _open_error(account, api, retry_after)

    async def record_success(self, account: str, api: str) -> None:
        if self.circuits.get((account, api), CircuitState()) != CircuitState():
            self.circuits[(account, api)] = CircuitState()
            _gauge(account, api, CLOSED)

    async def record_failure(self, account: str, api: str, error: str) -> float | None:
        current = self.circuits.get((account, api), CircuitState())
        new = failed(current, self._clock.now(), self.failure_threshold)
        self.circuits[(account, api)] = new
        _gauge(account, api, new.state)
        return self.reset_seconds if new.state == OPEN else None


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


def _from_row(row: tuple[Any, ...] | None) -> CircuitState:
    if row is None:
        return CircuitState()
    return CircuitState(state=row[0], failures=row[1], opened_at=row[2], probe_at=row[3])


class PgCircuitBreaker:
    """Circuits in PostgreSQL: one breaker state per (account, API) for all workers."""

    def __init__(self, pool: AsyncConnectionPool[Any], *, failure_threshold: int = 5,
                 reset_seconds: float = 30.0, clock: Clock | None = None) -> None:
        self._pool = pool
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock or SystemClock()
        # Circuits this process last saw closed with no failures: success needs no write.
        self._clean: set[tuple[str, str]] = set()

    def _store_error(self, exc: psycopg.Error, account: str, api: str) -> TransientError:
        return TransientError(f"circuit breaker storage failed: {type(exc).__name__}", system="store",
                              account=account, operation=api)

    async def before_call(self, account: str, api: str) -> None:
        try:
            async with self._pool.connection() as conn:
                current = _from_row(await (await conn.execute(_READ, (account, api))).fetchone())
                if current.state == CLOSED:
                    if current.failures == 0:
                        self._clean.add((account, api))
                    return  # the common case: one cheap read, no lock
                async with conn.transaction():
                    current = _from_row(await (await conn.execute(
                        _READ + " FOR UPDATE", (account, api))).fetchone())
                    now = self._clock.now()
                    allowed, new, retry_after = admit(current, now, self.reset_seconds)
                    if new != current:
                        await self._write(conn, account, api, new, now, None)
        except psycopg.Error as exc:
            raise self._store_error(exc, account, api) from exc
        if new != current:
            _gauge(account, api, new.state)
        if not allowed:
            raise _open_error(account, api, retry_after)

    async def record_success(self, account: str, api: str) -> None:
        if (account, api) in self._clean:
            return
        try:
            async with self._pool.connection() as conn:
                closed = await (await conn.execute(_CLOSE, (self._clock.now(), account, api))).fetchone()
        except psycopg.Error as exc:
            raise self._store_error(exc, account, api) from exc
        self._clean.add((account, api))
        if closed is not None:
            _gauge(account, api, CLOSED)

    async def record_failure(self, account: str, api: str, error: str) -> float | None:
        self._clean.discard((account, api))
        now = self._clock.now()
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute(_ENSURE, (account, api, now))
                current = _from_row(await (await conn.execute(
                    _READ + " FOR UPDATE", (account, api))).fetchone())
                new = failed(current, now, self.failure_threshold)
                await self._write(conn, account, api, new, now, error[:500])
        except psycopg.Error as exc:
            raise self._store_error(exc, account, api) from exc
        _gauge(account, api, new.state)
        return self.reset_seconds if new.state == OPEN else None

    @staticmethod
    async def _write(conn: psycopg.AsyncConnection[Any], account: str, api: str, new: CircuitState,
                     now: datetime, error: str | None) -> None:
        await conn.execute(_WRITE, {"state": new.state, "failures": new.failures,
                                    "opened_at": new.opened_at, "probe_at": new.probe_at, "now": now,
                                    "error": error, "account": account, "api": api})
