"""Token-bucket arithmetic, pure: state in, state out; no clock, no storage.

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens per second; a call takes one.
Over any window of ``t`` seconds at most ``rate * t + burst`` calls are granted. ``tokens`` may
go negative after a 429 (:func:`throttled`): the bucket then needs longer to reach one token,
which is how we back off. Times are seconds on one shared time line (epoch seconds from the
database clock in PostgreSQL, the injected clock's monotonic time in memory).

Priority rule (see :func:`decide`): tokens are reserved for live waiters of strictly higher
priority on the same bucket. A taker gets a token only if one is left after one token for each
such waiter (``tokens >= 1 + ahead``); equal priorities compete freely. So a higher priority is
never made to wait by a lower one, and spare tokens are still used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

__all__ = ["BucketState", "Decision", "decide", "refill", "set_rate", "throttled",
           "wait_for"]


@dataclass(frozen=True, kw_only=True)
class BucketState:
    tokens: float
    updated_at: float
    rate: float
    burst: float


@dataclass(frozen=True, kw_only=True)
class Decision:
    granted: bool
    state: BucketState
    #: Seconds until a token is expected for this taker (0 when granted).
    wait: float


def refill(state: BucketState, now: float) -> BucketState:
    """The bucket at ``now``; a clock that went backwards adds nothing."""
    elapsed = max(0.0, now - state.updated_at)
    tokens = min(state.burst, state.tokens + elapsed * state.rate)
    return replace(state, tokens=tokens, updated_at=max(now, state.updated_at))


def wait_for(state: BucketState, needed: float = 1.0) -> float:
    """Seconds until ``needed`` tokens are there (state already refilled)."""
    missing = needed - state.tokens
    if missing <= 0:
        return 0.0
    return missing / state.rate if state.rate > 0 else math.inf


def decide(state: BucketState, now: float, *, priority: int = 0,
           waiting_priorities: Iterable[int] = ()) -> Decision:
    """Take one token if one is left after reserving one per higher-priority waiter; otherwise say
    how long until there is."""
    current = refill(state, now)
    ahead = sum(1 for other in waiting_priorities if other > priority)
    if current.tokens >= 1.0 + ahead:
        return Decision(granted=True, state=replace(current, tokens=current.tokens - 1.0), wait=0.0)
    return Decision(granted=False, state=current, wait=wait_for(current, 1.0 + ahead))


def throttled(state: BucketState, now: float, backoff: float | None = None) -> BucketState:
    """Amazon said 429: empty the bucket so the next token comes after ``backoff`` seconds
    (default one token interval)."""
    current = refill(state, now)
    interval = 1.0 / current.rate if current.rate > 0 else 0.0
    delay = max(backoff or 0.0, interval)
    return replace(current, tokens=min(current.tokens, 1.0 - current.rate * delay))


def set_rate(state: BucketState, now: float, rate: float) -> BucketState:
    """Change the refill rate from ``now`` on (time so far is credited at the old rate)."""
    if rate <= 0 or not math.isfinite(rate):
        raise ValueError(f"rate must be a positive number, got {rate!r}")
    return replace(refill(state, now), rate=rate)
