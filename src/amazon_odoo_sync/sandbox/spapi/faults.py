"""Fault injection, deterministic from a seed: throttling, 5xx, latency, timeouts.

A :class:`FaultInjector` draws from its own ``random.Random(seed)`` once per API call, so the
same scenario, seed and sequence of calls give the same faults. Faults apply to the
operations named in ``operations`` (``"<model>:<operationId>"``), or to all when empty.

Notification and feed faults (drop/duplicate/reorder/delay, slow feed processing) are only
*carried* here, for the notifications and feeds parts of the simulator to read from
``sim.faults.config``.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

__all__ = ["Decision", "FaultInjector", "Faults"]


@dataclass(frozen=True, kw_only=True)
class Faults:
    throttle_rate: float = 0.0  # share of calls answered 429 though quota remains
    error_rate: float = 0.0  # share answered 500 InternalFailure or 503 ServiceUnavailable
    latency_ms: float = 0.0  # added to every call (real milliseconds)
    latency_jitter_ms: float = 0.0  # uniform extra 0..jitter
    timeout_rate: float = 0.0  # share of calls that hang ``timeout_seconds`` then answer 503
    timeout_seconds: float = 30.0
    operations: tuple[str, ...] = ()  # empty: every operation
    # carried for notifications / feeds (read by those parts)
    notifications_drop_rate: float = 0.0
    notifications_duplicate_rate: float = 0.0
    notifications_reorder_rate: float = 0.0
    notifications_delay_seconds: float = 0.0
    feed_processing_seconds: float = 60.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        """From a scenario's ``[faults]`` table or the admin endpoint's JSON (unknown keys:
        ValueError naming them)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
        values = dict(data)
        if "operations" in values:
            values["operations"] = tuple(values["operations"])
        for name, value in values.items():
            if name.endswith("_rate") and not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        return cls(**values)

    def merged(self, data: dict[str, Any]) -> Faults:
        return Faults.from_dict({**asdict(self), **data})

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["operations"] = list(self.operations)
        return out


@dataclass(frozen=True, kw_only=True)
class Decision:
    delay: float = 0.0  # real seconds to wait before answering
    fault: Literal["throttle", "internal", "unavailable", "timeout"] | None = None


_NONE = Decision()


class FaultInjector:
    def __init__(self, config: Faults | None = None, *, seed: int = 0) -> None:
        self.config = config or Faults()
        self.seed = seed
        self._rng = random.Random(seed)
        self.injected: dict[str, int] = {}

    def set(self, config: Faults) -> None:
        self.config = config

    def decide(self, operation: str) -> Decision:
        """What happens to this call. Always consumes the same number of draws."""
        c = self.config
        if (c.throttle_rate == c.error_rate == c.timeout_rate == c.latency_ms
                == c.latency_jitter_ms == 0.0):
            return _NONE
        r_fault, r_kind, r_jitter = self._rng.random(), self._rng.random(), self._rng.random()
        if c.operations and operation not in c.operations:
            return _NONE
        delay = (c.latency_ms + c.latency_jitter_ms * r_jitter) / 1000.0
        fault: Literal["throttle", "internal", "unavailable", "timeout"] | None = None
        if r_fault < c.throttle_rate:
            fault = "throttle"
        elif r_fault < c.throttle_rate + c.error_rate:
            fault = "internal" if r_kind < 0.5 else "unavailable"
        elif r_fault < c.throttle_rate + c.error_rate + c.timeout_rate:
            fault = "timeout"
            delay += c.timeout_seconds
        if fault:
            self.injected[fault] = self.injected.get(fault, 0) + 1
        return Decision(delay=delay, fault=fault) if (delay or fault) else _NONE


