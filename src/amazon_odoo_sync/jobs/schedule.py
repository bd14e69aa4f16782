"""Interval schedules: "defer this task every N seconds", N from the settings.

procrastinate's own periodic tasks are cron-based; our polls want plain intervals, some of a
few seconds, taken from ``[schedules]``. So flows register a schedule here, and every running
worker ticks (``[jobs] scheduler_tick_seconds``) through :func:`run_due_schedules`:

* ``job_schedules`` keeps each schedule's ``next_run_at`` (``tx.schedules``, see
  :mod:`amazon_odoo_sync.store.schedules`): every due row is claimed and moved to ``now() +
  interval`` at once, so with several workers each run is deferred once;
* the job is deferred in the same transaction (outbox) with the queueing lock
  ``schedule:<name>``: if the previous run still waits, nothing piles up.

Register at import time of a flow module::

    register_schedule("orders.poll", poll_orders, every="orders_poll", per_account=True)

``every``: a field name of ``Schedules``, a number of seconds, or ``settings -> seconds``.
``per_account``: one schedule per configured account, named ``<name>:<account>``, with
``account=<name>`` added to the job's arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import Settings
from ..logs import get_logger
from ..store.unit import Store
from .tasks import JobTask

__all__ = [
    "Every",
    "Schedule",
    "ScheduleEntry",
    "entries",
    "register_schedule",
    "registered_schedules",
    "run_due_schedules",
    "sync_schedules",
]

log = get_logger(__name__)

Every = str | float | int | Callable[[Settings], float]

@dataclass(frozen=True, kw_only=True)
class Schedule:
    name: str
    task: JobTask
    every: Every
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    per_account: bool = False

    def interval(self, settings: Settings) -> float:
        if isinstance(self.every, str):
            seconds = float(getattr(settings.schedules, self.every))
        elif callable(self.every):
            seconds = float(self.every(settings))
        else:
            seconds = float(self.every)
        if seconds <= 0:
            raise ValueError(f"schedule {self.name!r}: interval must be positive, got {seconds}")
        return seconds


@dataclass(frozen=True, kw_only=True)
class ScheduleEntry:
    """One concrete schedule row: a schedule, for one account when ``per_account``."""

    name: str
    task: JobTask
    interval: float
    kwargs: Mapping[str, Any]


_SCHEDULES: dict[str, Schedule] = {}


def register_schedule(name: str, task: JobTask, *, every: Every,
                      kwargs: Mapping[str, Any] | None = None,
                      per_account: bool = False) -> Schedule:
    """Declare that ``task`` is deferred every ``every`` seconds (see the module docstring)."""
    if name in _SCHEDULES:
        raise ValueError(f"a schedule named {name!r} is already registered")
    if isinstance(every, str):
        from ..config import Schedules

        if every not in Schedules.model_fields:
            raise ValueError(f"schedule {name!r}: no setting schedules.{every}")
    schedule = Schedule(name=name, task=task, every=every, kwargs=dict(kwargs or {}),
                        per_account=per_account)
    _SCHEDULES[name] = schedule
    return schedule


def registered_schedules() -> Mapping[str, Schedule]:
    return dict(_SCHEDULES)


def entries(settings: Settings,
            schedules: Mapping[str, Schedule] | None = None) -> list[ScheduleEntry]:
    result = []
    for schedule in (schedules if schedules is not None else _SCHEDULES).values():
        interval = schedule.interval(settings)
        if schedule.per_account:
            for account in settings.accounts:
                result.append(ScheduleEntry(
                    name=f"{schedule.name}:{account.name}", task=schedule.task, interval=interval,
                    kwargs={**schedule.kwargs, "account": account.name}))
        else:
            result.append(ScheduleEntry(name=schedule.name, task=schedule.task, interval=interval,
                                        kwargs=dict(schedule.kwargs)))
    return result


async def sync_schedules(store: Store, settings: Settings,
                         schedules: Mapping[str, Schedule] | None = None) -> list[ScheduleEntry]:
    """Create or update the rows of the current schedules (new ones are due at once)."""
    current = entries(settings, schedules)
    async with store.transaction() as tx:
        for entry in current:
            await tx.schedules.upsert(name=entry.name, task_name=entry.task.name, interval_seconds=entry.interval)
    return current


async def run_due_schedules(store: Store, current: list[ScheduleEntry]) -> dict[str, int | None]:
    """Defer the due ones; returns schedule name → job id (None: the previous run still waits)."""
    if not current:
        return {}
    by_name = {entry.name: entry for entry in current}
    deferred: dict[str, int | None] = {}
    async with store.transaction() as tx:
        for name in await tx.schedules.claim_due(list(by_name)):
            entry = by_name[name]
            job_id = await entry.task.defer_in(tx, queueing_lock=f"schedule:{entry.name}", **entry.kwargs)
            deferred[entry.name] = job_id
            if job_id is not None:
                await tx.schedules.set_last_job(entry.name, job_id)
    if deferred:
        log.debug("schedules deferred", schedules=deferred)
    return deferred
