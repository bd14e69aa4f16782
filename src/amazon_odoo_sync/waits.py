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

__all__ = ["Wait", "WaitListener", "interruptible", "listening", "wait", "watching_waits"]

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

#: Called with +1 when a wait of this context starts and -1 when it ends: a worker's job runner
#: knows when its job only waits, and may then give the job back at once when it stops.
WaitWatcher = Callable[[int], None]
_watcher: ContextVar[WaitWatcher | None] = ContextVar("aos_wait_watcher", default=None)


@contextlib.contextmanager
def watching_waits(watcher: WaitWatcher) -> Iterator[None]:
    """Tell ``watcher`` when a wait of this context (and the tasks it starts) begins and ends."""
    token = _watcher.set(watcher)
    try:
        yield
    finally:
        _watcher.reset(token)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Around a wait that holds nothing (quota, a free Odoo slot, back-off): a worker that stops
    may cancel the job waiting here and give it back to the queue untouched."""
    watcher = _watcher.get()
    if watcher is None:
        yield
        return
    watcher(1)
    try:
        yield
    finally:
        watcher(-1)


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
    with interruptible():
        if listener is None:
            await clock.sleep(seconds)
            return
        listener(Wait(reason=reason, operation=operation, seconds=seconds, detail=detail,
                      attempt=attempt))
        try:
            await clock.sleep(seconds)
        finally:
            listener(None)
