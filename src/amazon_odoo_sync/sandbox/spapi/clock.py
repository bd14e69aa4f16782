"""The simulator's clock: simulated time runs ``speed`` times faster than real time.

``sim_now = start + offset + speed × (real seconds since the clock started)``. With ``speed=0``
the clock is manual: it moves only through :meth:`SimClock.advance` / :meth:`advance_to`,
which is what unit tests use (no real time passes). Simulated timestamps are whole seconds,
as Amazon's ISO 8601 dates are.

The clock satisfies the ``now()`` half of :class:`amazon_odoo_sync.clock.Clock`. It is the
simulated *business* time (order dates, lifecycle delays). Rate limits and token lifetimes
are measured on the real monotonic clock (``real``), because that is the time the connector's
own governor lives in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["SimClock", "iso", "parse_iso"]


class SimClock:
    """Simulated UTC time. ``monotonic`` is injectable so tests control real time too."""

    def __init__(self, start: datetime, *, speed: float = 0.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock starts at an aware UTC datetime")
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.start = start.astimezone(UTC).replace(microsecond=0)
        self.real = monotonic
        self._speed = speed
        self._base = self.start  # simulated time at the last re-base
        self._real0 = monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on (the simulated time so far is kept)."""
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._base = self._exact_now()
        self._real0 = self.real()
        self._speed = speed

    def _exact_now(self) -> datetime:
        if self._speed == 0:
            return self._base
        return self._base + timedelta(seconds=self._speed * (self.real() - self._real0))

    def now(self) -> datetime:
        """Simulated time, aware UTC, truncated to the second."""
        return self._exact_now().replace(microsecond=0)

    def advance(self, seconds: float) -> datetime:
        """Jump ``seconds`` of simulated time forward; returns the new simulated time."""
        if seconds < 0:
            raise ValueError("the simulated clock does not go backwards")
        self._base += timedelta(seconds=seconds)
        return self.now()

    def advance_to(self, when: datetime) -> datetime:
        """Jump forward to ``when`` (no-op when it is already past)."""
        delta = (when - self._exact_now()).total_seconds()
        if delta > 0:
            self.advance(delta)
        return self.now()


def iso(value: datetime) -> str:
    """Amazon's date format: ISO 8601 UTC with a ``Z`` and whole seconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 date-time (``Z`` or offset; a date alone means midnight UTC).

    Raises ``ValueError`` when ``text`` is not ISO 8601.
    """
    value = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
