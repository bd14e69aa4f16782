"""A worker's output through the real CLI: every line is JSON, a failing job's traceback inside
its line (procrastinate logs through the standard library; its tracebacks came out as plain text
among the JSON lines, 344 such lines in one run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.db

CLI = Path(sys.executable).with_name("amazon-odoo-sync")
DEFER = ("SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW('housekeeping', 'jobs.probe', 20, NULL, NULL, "
         "%s::jsonb, NULL)::procrastinate_job_to_defer_v1]))")


def test_every_line_of_a_worker_is_json_with_the_traceback_inside(db_url: str, tmp_path: Path) -> None:
    with psycopg.connect(db_url) as conn:
        for _ in range(2):  # the second writes the same key again: a unique violation, not retryable
            conn.execute(DEFER, ('{"key": "twice", "record_start": false}',))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOS_")}
    env.update({"DATABASE_URL": db_url, "AOS_LOG_FORMAT": "json", "AOS_LOG_LEVEL": "info"})
    result = subprocess.run([str(CLI), "worker", "--no-wait", "--queues", "housekeeping"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    output = (result.stdout + result.stderr).splitlines()
    records = []
    for line in output:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}\n" + "\n".join(output))
    tracebacks = [r for r in records if "Traceback" in str(r.get("exception", ""))]
    assert tracebacks, "\n".join(output)
    assert all("UniqueViolation" in r["exception"] for r in tracebacks)
    with psycopg.connect(db_url) as conn:
        states = sorted(r[0] for r in conn.execute("SELECT status FROM procrastinate_jobs"))
    assert states == ["failed", "succeeded"]
