"""When a failed job runs again: a decision of (exception, attempt), nothing else.

Only :class:`~amazon_odoo_sync.exceptions.RetryableError` is retried. Its ``retry_after`` hint
(Retry-After header, circuit reset time) is honoured as given; otherwise the delay is
exponential backoff with full jitter: ``uniform(0, min(cap, base * 2**attempt))``.
:class:`~amazon_odoo_sync.exceptions.PermanentError` and exceptions we do not know end the job
as ``failed`` at once: the dead-letter state, replayed with ``jobs retry`` once the cause is fixed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.jobs import Job

from ..clock import Clock, SystemClock
from ..config import JobsConfig
from ..exceptions import RetryableError

__all__ = ["SyncRetryStrategy"]


@dataclass(frozen=True, kw_only=True)
class SyncRetryStrategy(BaseRetryStrategy):
    #: Runs in all, the first included. ``attempts`` counts the runs before this one.
    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 600.0
    #: A number in [0, 1); injectable so tests get fixed delays.
    random: Callable[[], float] = field(default=random.random)
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_config(cls, config: JobsConfig, **overrides: object) -> SyncRetryStrategy:
        values: dict[str, object] = {"max_attempts": config.max_attempts,
                                     "base_seconds": config.backoff_base_seconds,
                                     "cap_seconds": config.backoff_cap_seconds}
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def will_retry(self, exception: BaseException, attempts: int) -> bool:
        """True if a job that failed with ``exception`` after ``attempts`` earlier runs runs again."""
        return isinstance(exception, RetryableError) and attempts + 1 < self.max_attempts

    def delay(self, exception: BaseException, attempts: int) -> float | None:
        """Seconds until the next run, or None for no further run."""
        if not self.will_retry(exception, attempts):
            return None
        assert isinstance(exception, RetryableError)
        if exception.retry_after is not None:
            return max(0.0, float(exception.retry_after))
        ceiling = min(self.cap_seconds, self.base_seconds * 2.0 ** min(attempts, 64))
        return self.random() * ceiling

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        seconds = self.delay(exception, job.attempts)
        if seconds is None:
            return None
        return RetryDecision(retry_at=self.clock.now() + timedelta(seconds=seconds))
