"""Circuit breaker per (account, API): stop calling an API that keeps failing.

Retryable failures (5xx, timeouts, connection errors; *not* 429, which the governor handles)
count up; after ``circuit_failure_threshold`` in a row the circuit opens and calls fail fast with
:class:`~amazon_odoo_sync.exceptions.CircuitOpenError`. After ``circuit_reset_seconds`` one caller
gets through as a probe (half-open): success closes the circuit, failure opens it again. A probe
whose owner vanished is replaced after another ``reset_seconds``.

State lives in a store every worker shares (:class:`CircuitStore`, on PostgreSQL
``store.spapi_circuits.PgSpapiCircuits``: ``spapi_circuits``, injected), so every worker sees the
same circuit and ``status`` can show it; :class:`InMemoryCircuitBreaker` is the one-process twin. The transitions
are the pure functions of :mod:`amazon_odoo_sync.circuit` (:func:`admit`, :func:`succeeded`,
:func:`failed`), shared with the Odoo circuit. Time comes from the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Protocol

from ..circuit import CLOSED, HALF_OPEN, OPEN, CircuitState, State, admit, failed, succeeded
from ..clock import Clock, SystemClock
from ..exceptions import CircuitOpenError
from ..metrics import CIRCUIT_STATE

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "CircuitBreaker", "CircuitState", "CircuitStore",
           "InMemoryCircuitBreaker", "SharedCircuitBreaker", "admit", "failed", "succeeded"]

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


class CircuitStore(Protocol):
    """Where every worker's circuits live (``store.spapi_circuits.PgSpapiCircuits``)."""

    async def read(self, account: str, api: str) -> CircuitState:
        """The circuit now, without a lock (closed when never written)."""

    async def change(self, account: str, api: str, now: datetime,
                     transition: Callable[[CircuitState], CircuitState], *,
                     error: str | None = None) -> tuple[CircuitState, CircuitState]:
        """Apply ``transition`` under the circuit's lock; (before, after). ``error``: a failure."""

    async def close(self, account: str, api: str, now: datetime) -> bool:
        """Closed with no failures; True when it was not already."""


class SharedCircuitBreaker:
    """Circuits in a shared store: one breaker state per (account, API) for all workers."""

    def __init__(self, store: CircuitStore, *, failure_threshold: int = 5,
                 reset_seconds: float = 30.0, clock: Clock | None = None) -> None:
        self._store = store
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock or SystemClock()
        # Circuits this process last saw closed with no failures: success needs no write.
        self._clean: set[tuple[str, str]] = set()

    async def before_call(self, account: str, api: str) -> None:
        current = await self._store.read(account, api)
        if current.state == CLOSED:
            if current.failures == 0:
                self._clean.add((account, api))
            return  # the common case: one cheap read, no lock
        now = self._clock.now()
        verdict: list[tuple[bool, float]] = []

        def transition(state: CircuitState) -> CircuitState:
            allowed, new, retry_after = admit(state, now, self.reset_seconds)
            verdict.append((allowed, retry_after))
            return new

        before, after = await self._store.change(account, api, now, transition)
        allowed, retry_after = verdict[-1]
        if after != before:
            _gauge(account, api, after.state)
        if not allowed:
            raise _open_error(account, api, retry_after)

    async def record_success(self, account: str, api: str) -> None:
        if (account, api) in self._clean:
            return
        closed = await self._store.close(account, api, self._clock.now())
        self._clean.add((account, api))
        if closed:
            _gauge(account, api, CLOSED)

    async def record_failure(self, account: str, api: str, error: str) -> float | None:
        self._clean.discard((account, api))
        now = self._clock.now()
        _, new = await self._store.change(account, api, now,
                                          partial(failed, now=now, threshold=self.failure_threshold),
                                          error=error)
        _gauge(account, api, new.state)
        return self.reset_seconds if new.state == OPEN else None
