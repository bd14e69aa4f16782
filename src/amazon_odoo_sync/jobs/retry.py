"""When a failed job runs again: a pure decision of (exception, attempt, failing since, now).

* :class:`~amazon_odoo_sync.exceptions.PermanentError` and exceptions we do not know end the job
  as ``failed`` at once: the dead-letter state, replayed with ``jobs retry`` once the cause is
  fixed.
* :class:`~amazon_odoo_sync.exceptions.CircuitOpenError` (Odoo or an SP-API down, our breaker
  refuses the call) *holds* the job: it runs again once the circuit may let a probe through
  (``retry_after``) plus a random spread of at most one more cooldown, and never gives up. An outage of hours must not
  dead-letter the backlog it builds; it drains by itself when the circuit closes, and the open
  circuit is what ``status`` and the dashboard show meanwhile.
* Any other :class:`~amazon_odoo_sync.exceptions.RetryableError` is retried until
  ``[jobs] retry_budget_hours`` have passed since the job started failing, then failed. The
  budget runs from the first failure after the job was last held by a circuit (or replayed):
  time spent behind an open circuit is not the job's own failing. Its ``retry_after`` hint
  (Retry-After header) is honoured as given; otherwise the wait is exponential backoff with full
  jitter, ``uniform(0, min(cap, base * 2**attempt))``.

The decision itself (:func:`decide`) is pure and takes the time as arguments; the job runner
(:mod:`amazon_odoo_sync.jobs.tasks`) looks up when the job started failing and hands the
decision to procrastinate through :class:`SyncRetryStrategy`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.jobs import Job

from ..clock import Clock, SystemClock, utcnow
from ..config import JobsConfig
from ..exceptions import CircuitOpenError, RetryableError

__all__ = ["HOLDING_ERRORS", "RetryPolicy", "SyncRetryStrategy", "decide", "is_budgeted", "is_hold"]

#: Names (``job_failures.error_type``) of the errors that hold a job instead of spending its budget.
HOLDING_ERRORS: tuple[str, ...] = (CircuitOpenError.__name__,)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    budget_seconds: float = 6 * 3600.0
    base_seconds: float = 2.0
    cap_seconds: float = 300.0

    @classmethod
    def from_config(cls, config: JobsConfig) -> RetryPolicy:
        return cls(budget_seconds=config.retry_budget_hours * 3600.0,
                   base_seconds=config.backoff_base_seconds, cap_seconds=config.backoff_cap_seconds)

    def ceiling(self, attempts: int) -> float:
        return min(self.cap_seconds, self.base_seconds * 2.0 ** min(attempts, 64))


def is_hold(exception: BaseException) -> bool:
    """The job waits for a circuit to close: retried without limit, its budget untouched."""
    return isinstance(exception, CircuitOpenError)


def is_budgeted(exception: BaseException) -> bool:
    """Retried while the job's time budget lasts."""
    return isinstance(exception, RetryableError) and not is_hold(exception)


def decide(exception: BaseException, attempts: int, failing_since: datetime, now: datetime,
           policy: RetryPolicy, draw: float) -> float | None:
    """Seconds until the next run, or None: fail the job now.

    ``attempts`` counts the runs before the one that failed; ``failing_since`` is when the job
    started failing (``now`` for a first failure); ``draw`` is a number in [0, 1) for the jitter.
    """
    if is_hold(exception):
        assert isinstance(exception, CircuitOpenError)
        # Every held job wakes up around the probe time: spread them over one more cooldown so
        # the probe is not followed by the whole backlog at once. No longer: a held scheduled
        # job (queueing lock) blocks its schedule until it runs, and the backlog should drain
        # soon after the circuit closes.
        probe_in = max(0.0, exception.retry_after or 0.0)
        return probe_in + draw * max(probe_in, policy.base_seconds)
    if not isinstance(exception, RetryableError):
        return None
    if (now - failing_since).total_seconds() >= policy.budget_seconds:
        return None
    if exception.retry_after is not None:
        return max(0.0, float(exception.retry_after))
    return draw * policy.ceiling(attempts)


@dataclass(frozen=True, kw_only=True)
class SyncRetryStrategy(BaseRetryStrategy):
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    #: A number in [0, 1); injectable so tests get fixed delays.
    random: Callable[[], float] = field(default=random.random)
    #: Measures the budget (failure times are recorded with it). The retry itself is scheduled
    #: ``delay`` seconds from the real now: the database's clock decides when a job is due.
    clock: Clock = field(default_factory=SystemClock)
    #: Decisions the job runner made, by job id, until procrastinate asks for them.
    _decided: dict[int, float | None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_config(cls, config: JobsConfig, **overrides: object) -> SyncRetryStrategy:
        values: dict[str, object] = {"policy": RetryPolicy.from_config(config)}
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def delay(self, exception: BaseException, attempts: int, *,
              failing_since: datetime | None = None, now: datetime | None = None) -> float | None:
        """Seconds until the next run, or None for no further run (a first failure by default)."""
        now = now or self.clock.now()
        return decide(exception, attempts, failing_since or now, now, self.policy, self.random())

    def remember(self, job_id: int, delay: float | None) -> None:
        """The runner's decision for the job that is failing now (procrastinate asks next)."""
        self._decided[job_id] = delay

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if job.id is not None and job.id in self._decided:
            seconds = self._decided.pop(job.id)
        else:  # not run through our runner: judged as a first failure
            seconds = self.delay(exception, job.attempts)
        if seconds is None:
            return None
        return RetryDecision(retry_at=utcnow() + timedelta(seconds=seconds))
