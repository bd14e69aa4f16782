"""Interval schedules' rows in memory (see ``store.schedules``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from ..schedules import ScheduleRow

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemorySchedules"]


class MemorySchedules:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._rows: dict[str, ScheduleRow] = state.section("job_schedules", dict)

    async def upsert(self, *, name: str, task_name: str, interval_seconds: float) -> None:
        if interval_seconds <= 0:
            raise ValueError(f"schedule {name!r}: interval must be positive, got {interval_seconds}")
        now = self._state.now()
        row = self._rows.get(name)
        if row is None:
            self._rows[name] = ScheduleRow(name=name, task_name=task_name, interval_seconds=float(interval_seconds),
                                           next_run_at=now, last_run_at=None, last_job_id=None)
        elif row.task_name != task_name or row.interval_seconds != interval_seconds:
            self._rows[name] = dataclasses.replace(
                row, task_name=task_name, interval_seconds=float(interval_seconds),
                next_run_at=min(row.next_run_at, now + timedelta(seconds=interval_seconds)))

    async def claim_due(self, names: Sequence[str]) -> list[str]:
        now = self._state.now()
        claimed = []
        for name in sorted(set(names)):
            row = self._rows.get(name)
            if row is not None and row.next_run_at <= now:
                self._rows[name] = dataclasses.replace(
                    row, next_run_at=now + timedelta(seconds=row.interval_seconds), last_run_at=now)
                claimed.append(name)
        return claimed

    async def set_last_job(self, name: str, job_id: int) -> None:
        row = self._rows.get(name)
        if row is not None:
            self._rows[name] = dataclasses.replace(row, last_job_id=job_id)

    async def get(self, name: str) -> ScheduleRow | None:
        return self._rows.get(name)
