"""Samples of a long run (``bench/soak.py``): resident memory of each process, database and
table sizes, jobs waiting, over time; and the curve printed as text.

A leak shows as a process whose memory keeps rising from the first third of the run to the last;
unpruned tables as database, job or inbox sizes that grow with the orders instead of levelling.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ..exceptions import TransientError
from ..store.observe import DatabaseSize, database_size, job_states

__all__ = ["Sample", "Sampler", "growth", "render", "resident_bytes"]

MB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class Sample:
    seconds: float
    sim_minutes: float
    rss: dict[str, int]
    size: DatabaseSize | None
    waiting_jobs: int | None


@dataclass(kw_only=True)
class Sampler:
    """Every ``every`` seconds: the RSS of each named process (pids from ``pids``) and the sizes."""

    database_url: str
    pids: Callable[[], dict[str, int]]
    sim_minutes: Callable[[], Awaitable[float]]
    every: float = 5.0
    samples: list[Sample] = field(default_factory=list)

    async def run(self) -> None:
        started = time.monotonic()
        while True:
            rss = {}
            for name, pid in self.pids().items():
                value = resident_bytes(pid)
                if value is not None:
                    rss[name] = value
            try:
                size: DatabaseSize | None = await asyncio.to_thread(database_size, self.database_url)
                waiting: int | None = (await asyncio.to_thread(job_states, self.database_url)).get("todo", 0)
            except TransientError:
                size, waiting = None, None
            sim = await self.sim_minutes()
            self.samples.append(Sample(seconds=time.monotonic() - started, sim_minutes=sim, rss=rss, size=size,
                                       waiting_jobs=waiting))
            await asyncio.sleep(self.every)


def resident_bytes(pid: int) -> int | None:
    """A process's resident memory, from Linux's /proc (None: gone, or not Linux)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def growth(samples: Sequence[Sample], name: str) -> float | None:
    """Mean RSS of the last third of the run over the first third's (1.0: flat)."""
    values = [s.rss[name] for s in samples if name in s.rss]
    if len(values) < 6:
        return None
    third = len(values) // 3
    first, last = values[:third], values[-third:]
    return (sum(last) / len(last)) / (sum(first) / len(first))


def render(samples: Sequence[Sample], rows: int = 24) -> list[str]:
    """The curve as a text table, at most ``rows`` evenly spaced samples, and a growth line."""
    if not samples:
        return ["no samples"]
    names = sorted({n for s in samples for n in s.rss})
    step = max(1, len(samples) // rows)
    picked = list(samples[::step]) + ([samples[-1]] if (len(samples) - 1) % step else [])
    head = ["real s", "sim min", *[f"{n} MB" for n in names], "db MB", "jobs", "jobs MB", "inbox", "inbox MB",
            "waiting"]
    lines = ["  ".join(f"{h:>10}" for h in head)]
    for s in picked:
        cells = [f"{s.seconds:.0f}", f"{s.sim_minutes:.0f}", *[f"{s.rss.get(n, 0) / MB:.0f}" for n in names]]
        if s.size is None:
            cells += ["-"] * 5
        else:
            cells += [f"{s.size.database_bytes / MB:.1f}", str(s.size.jobs), f"{s.size.jobs_bytes / MB:.1f}",
                      str(s.size.inbox_rows), f"{s.size.inbox_bytes / MB:.1f}"]
        cells.append("-" if s.waiting_jobs is None else str(s.waiting_jobs))
        lines.append("  ".join(f"{c:>10}" for c in cells))
    ratios = {n: growth(samples, n) for n in names}
    lines.append("memory, last third of the run over the first: " + ", ".join(
        f"{n} {r:.2f}" if r is not None else f"{n} -" for n, r in ratios.items()))
    return lines
