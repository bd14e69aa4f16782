"""The soak's curve: memory growth per process and the text table."""

from __future__ import annotations

import os

from amazon_odoo_sync.demo.soak import Sample, growth, render, resident_bytes
from amazon_odoo_sync.store.observe import DatabaseSize

MB = 1024 * 1024


def samples(worker: list[int]) -> list[Sample]:
    return [Sample(seconds=i * 5.0, sim_minutes=i * 100.0, rss={"worker-1": mb * MB, "web": 80 * MB},
                   size=DatabaseSize(database_bytes=20 * MB, jobs_bytes=MB, jobs=100 + i, inbox_bytes=MB,
                                     inbox_rows=50),
                   waiting_jobs=i % 3) for i, mb in enumerate(worker)]


def test_growth_is_last_third_over_first_third_and_needs_enough_samples() -> None:
    leaking = samples([100, 100, 110, 120, 150, 150])
    assert growth(leaking, "worker-1") == 1.5
    assert growth(leaking, "web") == 1.0
    assert growth(leaking[:5], "worker-1") is None
    assert growth(leaking, "worker-9") is None


def test_render_prints_at_most_the_asked_rows_plus_the_last_and_the_growth_line() -> None:
    lines = render(samples([100] * 50), rows=10)
    assert lines[0].split() == ["real", "s", "sim", "min", "web", "MB", "worker-1", "MB", "db", "MB", "jobs", "jobs",
                                "MB", "inbox", "inbox", "MB", "waiting"]
    body = lines[1:-1]
    assert len(body) == 11 and body[-1].split()[:2] == ["245", "4900"]
    assert lines[-1] == "memory, last third of the run over the first: web 1.00, worker-1 1.00"


def test_resident_bytes_of_this_process_and_of_none() -> None:
    mine = resident_bytes(os.getpid())
    assert mine is not None and mine > MB
    assert resident_bytes(2**22 + 12345) is None
