"""Switches for fault tests: the server down or slow, and serialization failures.

* ``mode``: ``"up"``; ``"down"`` (every request gets ``down_status``, as from a proxy in front of a
  stopped Odoo); ``"slow"`` (latency multiplied by ``slow_factor`` and at least ``slow_min`` s).
* ``serialization_rate``: probability that a writing call fails with
  ``psycopg2.errors.SerializationFailure`` after the server's own retries (the only retryable Odoo
  error), drawn from a seeded generator.
* ``conflicts``: detect concurrent writes to the same rows during a call's latency window
  (REPEATABLE READ) and, like Odoo, re-run the call up to 5 times before failing.
* ``fail_next(kind, count)``: the next ``count`` object calls fail deterministically with ``kind``:
  ``"serialization"``, ``"http_502"``, ``"http_503"`` or ``"http_504"``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["FAULT_KINDS", "Faults"]

FAULT_KINDS = ("serialization", "http_502", "http_503", "http_504")
WRITING_PREFIXES = ("create", "write", "unlink", "action_", "button_", "create_invoices", "reconcile",
                    "copy", "set_", "js_", "remove_", "do_")


@dataclass
class Faults:
    mode: Literal["up", "down", "slow"] = "up"
    down_status: int = 503
    slow_factor: float = 10.0
    slow_min: float = 0.0
    serialization_rate: float = 0.0
    conflicts: bool = False
    max_tries: int = 5
    seed: int | None = None
    queued: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def fail_next(self, kind: str, count: int = 1) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        self.queued.extend([kind] * count)

    def take_queued(self) -> str | None:
        return self.queued.pop(0) if self.queued else None

    def serialization_now(self, method: str) -> bool:
        if self.serialization_rate <= 0 or not is_writing(method):
            return False
        return self._random.random() < self.serialization_rate

    def update(self, data: dict[str, Any]) -> None:
        for key in ("mode", "down_status", "slow_factor", "slow_min", "serialization_rate", "conflicts", "max_tries"):
            if key in data:
                setattr(self, key, data[key])
        if self.mode not in ("up", "down", "slow"):
            raise ValueError(f"mode must be up, down or slow, not {self.mode!r}")
        for item in data.get("fail_next") or []:
            self.fail_next(str(item["kind"]), int(item.get("count", 1)))

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "down_status": self.down_status, "slow_factor": self.slow_factor,
                "slow_min": self.slow_min, "serialization_rate": self.serialization_rate,
                "conflicts": self.conflicts, "max_tries": self.max_tries, "queued": list(self.queued)}


def is_writing(method: str) -> bool:
    return method.startswith(WRITING_PREFIXES)
