"""A retried job whose twin (same queueing lock) already waits must not be lost."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.db

INSERT = """
INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args, status)
VALUES ('orders', 'orders.fetch_notified', %s, '{}', %s) RETURNING id
"""


def status(conn: psycopg.Connection, job_id: int) -> str:
    row = conn.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", (job_id,)).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize("function", ["procrastinate_retry_job_v1", "procrastinate_retry_job_v2"])
def test_retry_with_a_waiting_twin_is_superseded(db_url: str, function: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        running = conn.execute(INSERT, ("fetch:acme", "doing")).fetchone()[0]  # type: ignore[index]
        waiting = conn.execute(INSERT, ("fetch:acme", "todo")).fetchone()[0]  # type: ignore[index]
        conn.execute(f"SELECT {function}(%s, now(), NULL, NULL, NULL)", (running,))
        assert status(conn, running) == "aborted"
        assert status(conn, waiting) == "todo"


def test_retry_without_a_twin_goes_back_to_todo(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        running = conn.execute(INSERT, ("fetch:solo", "doing")).fetchone()[0]  # type: ignore[index]
        conn.execute("SELECT procrastinate_retry_job_v2(%s, now(), NULL, NULL, NULL)", (running,))
        assert status(conn, running) == "todo"
        row = conn.execute("SELECT attempts FROM procrastinate_jobs WHERE id = %s", (running,)).fetchone()
        assert row is not None and row[0] == 1
