"""Waits someone may want to see: for SP-API quota, before a retry, for a circuit to close.

Code that waits on purpose calls :func:`wait` instead of ``clock.sleep``. A command run in the
foreground installs a listener (:func:`listening`) and shows the wait while it lasts ("waiting
for SP-API quota (listings.searchListingsItems, 12 s)"); a worker installs none and nothing
changes. The listener lives in a context variable, so it follows the command's tasks and no
other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from .clock import Clock

__all__ = ["Wait", "WaitListener", "listening", "wait"]

WaitReason = Literal["quota", "retry", "circuit"]


@dataclass(frozen=True, kw_only=True)
class Wait:
    #: quota: the rate governor or a 429; retry: back-off after a transient error; circuit: our
    #: circuit breaker holds calls to an API that keeps failing.
    reason: WaitReason
    #: The SP-API operation ("listings.searchListingsItems") or what is retried.
    operation: str
    seconds: float
    #: Why, in words (the error that caused a retry), and the attempt that failed.
    detail: str = ""
    attempt: int = 0

    def describe(self) -> str:
        seconds = f"{self.seconds:.0f} s" if self.seconds >= 1 else f"{self.seconds:.1f} s"
        if self.reason == "quota":
            return f"waiting for SP-API quota ({self.operation}, {seconds})"
        if self.reason == "circuit":
            return f"waiting for {self.operation} to answer again (circuit open, {seconds})"
        return f"{self.detail or self.operation}: retrying in {seconds} (attempt {self.attempt + 1})"


#: Called with each wait as it starts and with None when it ends.
WaitListener = Callable[[Wait | None], None]

_listener: ContextVar[WaitListener | None] = ContextVar("aos_wait_listener", default=None)


@contextlib.contextmanager
def listening(listener: WaitListener) -> Iterator[None]:
    """Tell ``listener`` about every wait in this context (and the tasks it starts)."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


async def wait(clock: Clock, seconds: float, *, reason: WaitReason, operation: str, detail: str = "",
               attempt: int = 0) -> None:
    """``clock.sleep(seconds)``, shown to the listener of this context if there is one."""
    listener = _listener.get()
    if listener is None:
        await clock.sleep(seconds)
        return
    listener(Wait(reason=reason, operation=operation, seconds=seconds, detail=detail, attempt=attempt))
    try:
        await clock.sleep(seconds)
    finally:
        listener(None)
