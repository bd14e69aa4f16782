"""The circuit breaker's state machine, pure: the SP-API circuits and the Odoo circuit share it.

Retryable outage failures count up; after ``threshold`` in a row the circuit opens and callers
are refused (they raise :class:`~amazon_odoo_sync.exceptions.CircuitOpenError`) until
``reset_seconds`` have passed. Then one caller gets through as a probe (half-open): success
closes the circuit, failure opens it again. A probe whose owner vanished is replaced after
another ``reset_seconds``. Where the state is kept (PostgreSQL, memory) is the caller's business.

The failure that leaves the circuit open (the one that trips it, a failed probe) reaches the
caller as :class:`CircuitOpenError` (:func:`left_open`), like the calls refused after it: for a
job it means the remote side is down and the job waits for the circuit, not that the job is
failing. Otherwise the job that happens to take every probe during a long outage would spend its
retry budget on them and end in the dead-letter state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from .exceptions import CircuitOpenError, SyncError

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "CircuitState", "State", "admit", "failed", "left_open",
           "succeeded"]

State = Literal["closed", "open", "half_open"]
CLOSED: State = "closed"
OPEN: State = "open"
HALF_OPEN: State = "half_open"


@dataclass(frozen=True, kw_only=True)
class CircuitState:
    state: State = CLOSED
    failures: int = 0
    opened_at: datetime | None = None
    probe_at: datetime | None = None


def admit(circuit: CircuitState, now: datetime, reset_seconds: float
          ) -> tuple[bool, CircuitState, float]:
    """May a call go through? Returns (allowed, new state, retry_after seconds when refused)."""
    reset = timedelta(seconds=reset_seconds)
    if circuit.state == CLOSED:
        return True, circuit, 0.0
    since = circuit.opened_at if circuit.state == OPEN else circuit.probe_at
    if since is None or now >= since + reset:
        return True, replace(circuit, state=HALF_OPEN, probe_at=now), 0.0
    return False, circuit, (since + reset - now).total_seconds()


def succeeded(circuit: CircuitState) -> CircuitState:
    return CircuitState()


def failed(circuit: CircuitState, now: datetime, threshold: int) -> CircuitState:
    failures = circuit.failures + 1
    if circuit.state == HALF_OPEN or (circuit.state == CLOSED and failures >= threshold):
        return CircuitState(state=OPEN, failures=failures, opened_at=now)
    return replace(circuit, failures=failures)


def left_open(error: SyncError, retry_after: float) -> CircuitOpenError:
    """``error``, which left its circuit open, as the caller should see it (chain it)."""
    return CircuitOpenError(f"{error.message} (circuit open: next try in {retry_after:.0f}s)",
                            retry_after=retry_after, system=error.system, operation=error.operation,
                            account=error.account, status_code=error.status_code,
                            request_id=error.request_id, remote_message=error.remote_message,
                            details=error.details)
