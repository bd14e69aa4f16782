"""The queues jobs run on, and their default priorities (higher runs first).

Priorities come from ``[priorities]`` in the settings; the worker process records the ones it
was built with (:func:`configure_priorities`) so that jobs deferred without an explicit priority,
through the app or through the outbox, get the same default.
"""

from __future__ import annotations

from typing import Final

from ..config import Priorities

__all__ = ["QUEUES", "check_queue", "configure_priorities", "priority_for"]

#: In priority order, highest first (stock > shipments > orders > reports > housekeeping).
QUEUES: Final = ("stock", "shipments", "orders", "reports", "housekeeping")

_priorities: Priorities = Priorities()


def check_queue(queue: str) -> str:
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; expected one of {', '.join(QUEUES)}")
    return queue


def configure_priorities(priorities: Priorities) -> None:
    """Use these priorities for jobs deferred without one (called by ``build_app``)."""
    global _priorities
    _priorities = priorities


def priority_for(queue: str, priorities: Priorities | None = None) -> int:
    """Default priority of a job on ``queue``."""
    return int(getattr(priorities or _priorities, check_queue(queue)))
