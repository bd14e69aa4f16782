"""SIGTERM a worker whose jobs wait for SP-API quota, for a free Odoo slot, or run long: it exits
within 5 s, the jobs are back in the queue as they were, and another worker completes each once.

Real processes through the real CLI (``amazon-odoo-sync worker``) on a fresh database, as in
``test_worker_crash``. The probes wait 120 s the first time they run (``wait_once``): without
giving way, the worker would wait for them (it took 6-62 s on a real Odoo, #18).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import Popen

import psycopg
import pytest

from .test_worker_crash import query, wait_for

pytestmark = pytest.mark.db

PROBES = {
    "quota": {"wait_for": "quota"},  # waits.wait(reason="quota"), as the SP-API rate governor
    "odoo": {"wait_for": "odoo"},  # the Odoo capacity governor, its only slot taken
    "busy": {},  # a plain long await (a slow Odoo call): cut at the end of the grace period
}


CLI = Path(sys.executable).with_name("amazon-odoo-sync")


@pytest.fixture
def start_worker(db_url: str, tmp_path: Path) -> Iterator[Callable[[str], tuple[Popen[bytes], Path]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOS_")}
    env.update({"DATABASE_URL": db_url, "AOS_LOG_FORMAT": "console", "AOS_LOG_LEVEL": "info",
                "AOS_JOBS__SHUTDOWN_GRACE_SECONDS": "2.5"})
    started: list[Popen[bytes]] = []

    def start(name: str) -> tuple[Popen[bytes], Path]:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as handle:
            proc = subprocess.Popen([str(CLI), "worker", "--concurrency", "3", "--name", name],
                                    cwd=tmp_path, env=env, stdout=handle, stderr=subprocess.STDOUT)
        started.append(proc)
        return proc, log

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def defer_probes(db_url: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    with psycopg.connect(db_url) as conn:
        for key, extra in PROBES.items():
            args = {"key": key, "sleep_seconds": 120, "wait_once": True, **extra}
            ids[key] = conn.execute(
                "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW('housekeeping', 'jobs.probe', 20, "
                "NULL, NULL, %s::jsonb, NULL)::procrastinate_job_to_defer_v1]))",
                (json.dumps(args),)).fetchone()[0]  # type: ignore[index]
    return ids


def test_sigterm_gives_waiting_jobs_back_within_5_seconds(
        db_url: str, start_worker: Callable[[str], tuple[Popen[bytes], Path]]) -> None:
    ids = defer_probes(db_url)
    worker_a, log_a = start_worker("worker-a")
    logs = [log_a]
    wait_for("worker A to start the three probes", lambda: query(
        db_url, "SELECT count(*) FROM job_probes") == [(3,)], timeout=60, logs=logs)
    time.sleep(0.5)  # into their waits

    signalled = time.monotonic()
    worker_a.send_signal(signal.SIGTERM)
    worker_a.wait(timeout=30)
    took = time.monotonic() - signalled
    assert took <= 5.0, f"worker exited {took:.1f} s after SIGTERM"
    assert worker_a.returncode == 0, log_a.read_text()[-3000:]

    # Back to the queue untouched: todo, due, attempts as before, no failure recorded.
    rows = query(db_url, "SELECT id, status::text, attempts, scheduled_at <= now() OR scheduled_at IS NULL "
                         "FROM procrastinate_jobs WHERE id = ANY(%s) ORDER BY id", list(ids.values()))
    assert rows == sorted((job_id, "todo", 0, True) for job_id in ids.values())
    assert query(db_url, "SELECT count(*) FROM job_failures") == [(0,)]
    assert query(db_url, "SELECT count(*) FROM job_probe_results") == [(0,)]

    logs.append(start_worker("worker-b")[1])
    wait_for("the probes to succeed", lambda: query(
        db_url, "SELECT count(*) FROM procrastinate_jobs WHERE id = ANY(%s) AND status = 'succeeded'",
        list(ids.values())) == [(3,)], timeout=60, logs=logs)
    assert sorted(query(db_url, "SELECT key, job_id FROM job_probe_results")) == sorted(ids.items())
    # One counted run each: the run given back is not an attempt.
    assert query(db_url, "SELECT DISTINCT attempts FROM procrastinate_jobs WHERE id = ANY(%s)",
                 list(ids.values())) == [(1,)]
    for job_id in ids.values():
        events = [e for (e,) in query(db_url, "SELECT type::text FROM procrastinate_events "
                                              "WHERE job_id = %s ORDER BY id", job_id)]
        # given back (a retry due now: procrastinate logs it 'scheduled' too), run again, done
        assert [e for e in events if e != "scheduled"] == [
            "deferred", "started", "deferred_for_retry", "started", "succeeded"], events
