"""Kill a worker in the middle of a job: another worker finishes it, exactly once.

Real processes through the real CLI (``amazon-odoo-sync worker``) on a fresh database. The probe
job writes a ``started`` row, sleeps, then writes its key to ``job_probe_results`` (unique).
Worker A is SIGKILLed while the job sleeps; two fresh workers B and C start on the same
database; the housekeeping schedule notices A's missing heartbeat and requeues the job once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from .processes import stop_all

pytestmark = pytest.mark.db  # ~10 s: below the 20 s mark for "slow"

CLI = Path(sys.executable).with_name("amazon-odoo-sync")


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def wait_for(what: str, check: Callable[[], bool], timeout: float, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs if p.exists())
    pytest.fail(f"timed out waiting for {what}\n{tails}")


@pytest.fixture
def start_worker(db_url: str, tmp_path: Path) -> Iterator[Callable[[str], tuple[subprocess.Popen[bytes], Path]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOS_")}
    env.update({"DATABASE_URL": db_url, "AOS_LOG_FORMAT": "console", "AOS_LOG_LEVEL": "info",
                "AOS_JOBS__HEARTBEAT_SECONDS": "0.5", "AOS_JOBS__STALLED_AFTER_SECONDS": "2",
                "AOS_JOBS__STALLED_CHECK_SECONDS": "1", "AOS_JOBS__SCHEDULER_TICK_SECONDS": "0.5"})
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"{name}.log"
        handle = log.open("wb")
        proc = subprocess.Popen([str(CLI), "worker", "--concurrency", "2", "--name", name],
                                cwd=tmp_path, env=env, stdout=handle, stderr=subprocess.STDOUT)
        handle.close()
        started.append(proc)
        return proc, log

    yield start
    stop_all(started)


def test_job_of_a_killed_worker_completes_exactly_once(
        db_url: str, start_worker: Callable[[str], tuple[subprocess.Popen[bytes], Path]]) -> None:
    with psycopg.connect(db_url) as conn:
        job_id = conn.execute(
            "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW('housekeeping', 'jobs.probe', 20, "
            "NULL, NULL, %s::jsonb, NULL)::procrastinate_job_to_defer_v1]))",
            ('{"key": "crash-once", "sleep_seconds": 3}',)).fetchone()[0]  # type: ignore[index]

    worker_a, log_a = start_worker("worker-a")
    logs = [log_a]
    wait_for("worker A to start the job",
             lambda: bool(query(db_url, "SELECT 1 FROM job_probes WHERE key = 'crash-once'")),
             timeout=30, logs=logs)
    worker_a.send_signal(signal.SIGKILL)
    worker_a.wait(timeout=10)
    assert query(db_url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", job_id) == [("doing",)]
    assert query(db_url, "SELECT count(*) FROM job_probe_results") == [(0,)]

    for name in ("worker-b", "worker-c"):  # two survivors race to recover the job
        logs.append(start_worker(name)[1])
    wait_for("the job to succeed", lambda: query(
        db_url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", job_id) == [("succeeded",)],
        timeout=60, logs=logs)

    assert query(db_url, "SELECT key, job_id FROM job_probe_results") == [("crash-once", job_id)]
    # it started twice (A, then one survivor) and was requeued once
    assert query(db_url, "SELECT count(*) FROM job_probes WHERE key = 'crash-once'") == [(2,)]
    assert query(db_url, "SELECT error_type, final FROM job_failures WHERE job_id = %s", job_id) == [
        ("WorkerLost", False)]
    assert query(db_url, "SELECT attempts FROM procrastinate_jobs WHERE id = %s", job_id) == [(2,)]
    events = [e for (e,) in query(db_url, "SELECT type::text FROM procrastinate_events "
                                          "WHERE job_id = %s ORDER BY id", job_id)]
    assert events == ["deferred", "started", "deferred_for_retry", "started", "succeeded"]
