"""``/metrics`` of ``serve`` shows the job runs of a separate ``worker`` process (multiprocess
mode), and ``worker --metrics-port`` serves that worker's own series. Real processes, real CLI.
(SP-API and Odoo calls made by workers are checked the same way by the demo's test.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .processes import stop_all

pytestmark = pytest.mark.db

CLI = Path(sys.executable).with_name("amazon-odoo-sync")
PROBE_RUN = ("aos_job_runs_total", (("outcome", "succeeded"), ("queue", "housekeeping"), ("task", "jobs.probe")))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(url: str, timeout: float = 30) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            text = httpx.get(url, timeout=5).text
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    stop_all(started)


def test_serve_shows_the_job_runs_of_a_worker_process(db_url: str, tmp_path: Path,
                                                      processes: list[subprocess.Popen[bytes]]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOS_")}
    env.update({"DATABASE_URL": db_url, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
                "AOS_SECRETS__KEY_FILE": str(tmp_path / "secret.key")})
    with psycopg.connect(db_url) as conn:
        job_id = conn.execute(
            "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW('housekeeping', 'jobs.probe', 20, "
            "NULL, NULL, %s::jsonb, NULL)::procrastinate_job_to_defer_v1]))",
            ('{"key": "metrics", "sleep_seconds": 0}',)).fetchone()[0]  # type: ignore[index]
    worker_port, web_port = free_port(), free_port()
    with (tmp_path / "processes.log").open("wb") as log:
        processes.append(subprocess.Popen([str(CLI), "worker", "--metrics-port", str(worker_port)],
                                          cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen([str(CLI), "serve", "--port", str(web_port)], cwd=tmp_path, env=env,
                                          stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 60
    while query_state(db_url, job_id) != "succeeded":
        assert time.monotonic() < deadline, (tmp_path / "processes.log").read_text()[-3000:]
        time.sleep(0.2)

    own = scrape(f"http://127.0.0.1:{worker_port}/metrics")
    assert own[PROBE_RUN] == 1
    served = scrape(f"http://127.0.0.1:{web_port}/metrics")
    assert served[PROBE_RUN] == 1  # counted in the worker, exported by serve
    assert served[("aos_jobs", (("queue", "housekeeping"), ("state", "succeeded")))] >= 1

    worker = processes[0]
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    assert scrape(f"http://127.0.0.1:{web_port}/metrics")[PROBE_RUN] == 1  # totals outlive the worker


def query_state(url: str, job_id: int) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT status::text FROM procrastinate_jobs WHERE id = %s", (job_id,)).fetchone()
    return str(row[0]) if row else ""


def test_worker_metrics_port_taken_is_a_short_message(db_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOS_")} | {"DATABASE_URL": db_url}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([str(CLI), "worker", "--metrics-port", str(port)], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"--metrics-port {port}" in result.stderr and "Traceback" not in result.stderr
