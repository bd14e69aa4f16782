"""Operations run in the foreground (``sync ...`` commands, the demo's setup) under the retry
rules of jobs: the same governor, the same decision of what is retried and for how long.

A worker meets a 429 or a 5xx by failing the job and letting the job pipeline run it again
later (:mod:`amazon_odoo_sync.jobs.retry`). A command has no pipeline behind it: before this it
stopped at the first 429 (``sync stock --full`` failed 5 of 5 tries under Prime Day faults).
:class:`ForegroundRetry` asks the jobs' retry strategy what to do with each failure: a permanent
error (or one we do not know) ends the operation at once; a retryable one is waited out, the
wait shown (:mod:`amazon_odoo_sync.waits`), and the operation tried again, until the strategy
gives up. It retries two things:

* each SP-API call (``FlowRuntime(call_retry=...)``): a throttled page of a long read is read
  again, not the whole read;
* the command's operation as a whole, for what fails outside an SP-API call (Odoo busy, a
  document download). Every ``sync`` operation is idempotent, so running it again is safe.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from ..clock import Clock, SystemClock
from ..config import JobsConfig
from ..exceptions import CircuitOpenError, RetryableError, ThrottledError
from ..jobs.retry import SyncRetryStrategy, is_hold
from ..logs import get_logger
from ..waits import WaitReason, wait

__all__ = ["ForegroundRetry"]

T = TypeVar("T")
_log = get_logger(__name__)


def _reason(exc: RetryableError) -> WaitReason:
    if isinstance(exc, ThrottledError):
        return "quota"
    return "circuit" if isinstance(exc, CircuitOpenError) else "retry"


@dataclass(kw_only=True)
class ForegroundRetry:
    #: The jobs' retry decision (built from ``[jobs]``), nothing of its own.
    strategy: SyncRetryStrategy
    clock: Clock = field(default_factory=SystemClock)
    #: Every wait taken, as (operation, seconds): what a command reports at its end.
    waited: list[tuple[str, float]] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: JobsConfig, *, clock: Clock | None = None,
                    draw: Callable[[], float] = random.random) -> ForegroundRetry:
        return cls(strategy=SyncRetryStrategy.from_config(config, random=draw),
                   clock=clock or SystemClock())

    def delay(self, exc: BaseException, attempts: int, failing_since: datetime | None = None) -> float | None:
        """Seconds before the next try after ``attempts`` failed ones (the first at
        ``failing_since``), or None: give up.

        Unlike a job, a command has someone waiting for it: an open circuit is waited out only
        within the same time budget, counted from the first failure.
        """
        now = self.clock.now()
        seconds = self.strategy.delay(exc, attempts - 1, failing_since=failing_since, now=now)
        spent = (now - (failing_since or now)).total_seconds()
        if is_hold(exc) and spent >= self.strategy.policy.budget_seconds:
            return None
        return seconds

    async def run(self, operation: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt()`` until it succeeds; its last error when the jobs' rules give up."""
        failures = 0
        failing_since: datetime | None = None
        while True:
            try:
                return await attempt()
            except RetryableError as exc:
                failures += 1
                failing_since = failing_since or self.clock.now()
                seconds = self.delay(exc, failures, failing_since)
                if seconds is None:
                    raise
                what = exc.operation or operation
                _log.info("retrying", **{**exc.context(), "operation": what, "attempt": failures,
                                         "seconds": round(seconds, 3)})
                self.waited.append((what, seconds))
                await wait(self.clock, seconds, reason=_reason(exc), operation=what, detail=exc.message,
                           attempt=failures)

    async def __call__(self, operation: str, attempt: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """As an SP-API client's ``retry``: one call, retried."""
        return await self.run(operation, attempt)
