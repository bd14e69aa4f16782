"""The Odoo circuit breaker: stop calling an Odoo that is down, for every worker at once.

An outage failure is a request that did not reach Odoo (connection refused or reset, DNS,
connect timeout) or the 502/503/504 of a proxy in front of a stopped Odoo. After
``[odoo] circuit_failure_threshold`` of them in a row the circuit opens: every Odoo call of
every worker fails fast with :class:`~amazon_odoo_sync.exceptions.CircuitOpenError` (no
request), and the job that made it is deferred without spending its retry budget (see
:mod:`amazon_odoo_sync.jobs.retry`); so is the job whose failure tripped the circuit or whose
probe failed (:func:`amazon_odoo_sync.circuit.left_open`). After ``circuit_reset_seconds`` one call goes through as
the probe; its success closes the circuit and the deferred jobs drain. Any answer from Odoo
other than 502/503/504 (an error included) proves it is up and closes the circuit. Slow answers
(read timeouts) are the capacity governor's business, not an outage.

State is one row per Odoo instance in a store every worker shares (:class:`OdooCircuitStore`;
on PostgreSQL :class:`amazon_odoo_sync.store.odoo_circuit.PgOdooCircuits`, injected), shown by
``status`` and the dashboard; :class:`InMemoryOdooCircuit` is the one-process twin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, Protocol

import httpx

from ..circuit import CLOSED, OPEN, CircuitState, admit, failed, succeeded
from ..clock import Clock, SystemClock
from ..exceptions import CircuitOpenError
from ..logs import get_logger

__all__ = ["OUTAGE_STATUSES", "InMemoryOdooCircuit", "OdooCircuit", "OdooCircuitStore", "SharedOdooCircuit",
           "is_outage_error"]

log = get_logger(__name__)

#: What a reverse proxy answers while Odoo behind it is stopped or restarting.
OUTAGE_STATUSES = frozenset({502, 503, 504})

#: Transport failures that say nothing about Odoo's load: the request never got an answer
#: because Odoo was not there. Read/write/pool timeouts mean a slow Odoo: not an outage.
_OUTAGE_TRANSPORT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError,
                     httpx.ProxyError, httpx.UnsupportedProtocol)


def is_outage_error(exc: httpx.HTTPError) -> bool:
    return isinstance(exc, _OUTAGE_TRANSPORT) or (
        isinstance(exc, httpx.NetworkError) and not isinstance(exc, httpx.TimeoutException))


class OdooCircuit(Protocol):
    async def before_call(self, operation: str) -> None:
        """Raise CircuitOpenError unless a request to Odoo may go out now."""

    async def record_success(self) -> None: ...

    async def record_failure(self, error: str) -> float | None:
        """Count an outage failure; seconds until the next probe when the circuit is open after it."""


def _open_error(instance: str, operation: str, retry_after: float) -> CircuitOpenError:
    return CircuitOpenError(f"Odoo circuit open ({instance} unreachable); {operation} deferred, "
                            f"next try in {retry_after:.0f}s", system="odoo", operation=operation,
                            retry_after=retry_after)


class InMemoryOdooCircuit:
    def __init__(self, instance: str, *, failure_threshold: int = 5, reset_seconds: float = 30.0,
                 clock: Clock | None = None) -> None:
        self.instance = instance
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock or SystemClock()
        self.state = CircuitState()
        self.last_error: str | None = None

    async def before_call(self, operation: str) -> None:
        allowed, self.state, retry_after = admit(self.state, self._clock.now(), self.reset_seconds)
        if not allowed:
            raise _open_error(self.instance, operation, retry_after)

    async def record_success(self) -> None:
        self.state = succeeded(self.state)

    async def record_failure(self, error: str) -> float | None:
        self.state = failed(self.state, self._clock.now(), self.failure_threshold)
        self.last_error = error
        return self.reset_seconds if self.state.state == OPEN else None


class OdooCircuitStore(Protocol):
    """Where every worker's Odoo circuits live (``store.odoo_circuit.PgOdooCircuits``)."""

    async def read(self, instance: str) -> CircuitState:
        """The circuit now, without a lock (closed when never written)."""

    async def change(self, instance: str, now: datetime, transition: Callable[[CircuitState], CircuitState], *,
                     error: str | None = None) -> tuple[CircuitState, CircuitState]:
        """Apply ``transition`` under the circuit's lock; (before, after). ``error``: a failure."""


class SharedOdooCircuit:
    """The circuit of one Odoo instance in a store every worker shares.

    A closed circuit costs one small read per request at most every ``recheck_seconds``: this
    process trusts its last look for that long (a circuit another worker opened is noticed that
    much later; the requests meanwhile fail as they would have).
    """

    def __init__(self, store: OdooCircuitStore, instance: str, *, failure_threshold: int = 5,
                 reset_seconds: float = 30.0, clock: Clock | None = None,
                 recheck_seconds: float = 1.0) -> None:
        self._store = store
        self.instance = instance
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self.recheck_seconds = recheck_seconds
        self._clock = clock or SystemClock()
        #: Monotonic time until which this process takes the circuit for closed without looking.
        self._closed_until: float | None = None
        #: This process last saw the circuit closed without failures: a success writes nothing.
        self._clean = False

    async def before_call(self, operation: str) -> None:
        if self._closed_until is not None and self._clock.monotonic() < self._closed_until:
            return
        current = await self._store.read(self.instance)
        if current.state == CLOSED:
            self._clean = current.failures == 0
            self._closed_until = self._clock.monotonic() + self.recheck_seconds
            return
        self._closed_until = None
        self._clean = False
        now = self._clock.now()
        outcome: dict[str, Any] = {}

        def transition(state: CircuitState) -> CircuitState:
            allowed, new, retry_after = admit(state, now, self.reset_seconds)
            outcome.update(allowed=allowed, retry_after=retry_after)
            return new

        before, after = await self._store.change(self.instance, now, transition)
        if after.state != before.state:
            log.info("odoo circuit probe", instance=self.instance, operation=operation)
        if not outcome["allowed"]:
            raise _open_error(self.instance, operation, outcome["retry_after"])

    async def record_success(self) -> None:
        if self._clean:
            return
        before, _ = await self._store.change(self.instance, self._clock.now(), succeeded)
        self._clean = True
        if before.state != CLOSED:
            log.warning("odoo circuit closed: Odoo answers again", instance=self.instance)

    async def record_failure(self, error: str) -> float | None:
        self._clean = False
        self._closed_until = None
        now = self._clock.now()
        before, after = await self._store.change(
            self.instance, now, partial(failed, now=now, threshold=self.failure_threshold), error=error)
        if before.state == CLOSED and after.state == OPEN:
            log.warning("odoo circuit opened: Odoo unreachable", instance=self.instance,
                        failures=after.failures, error=error)
        return self.reset_seconds if after.state == OPEN else None
