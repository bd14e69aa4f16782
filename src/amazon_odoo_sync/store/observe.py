"""What the chaos and soak runs read from (and do to) the database from outside the connector.

The runs watch the pipeline as an operator would: which Amazon orders are confirmed in Odoo, how
many jobs are in each state, how big the database and its busiest tables are. The chaos run
also takes the database away (:func:`close_database`) and gives it back (:func:`open_database`),
as a server restart does to its clients: every connection cut, none accepted for a while. That
works on a server other databases share (CI's), where a real restart would hit them too.

Connection failures are :class:`~amazon_odoo_sync.exceptions.TransientError`: the database is
expected to be away at times during these runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from ..exceptions import TransientError

__all__ = ["DatabaseSize", "close_database", "confirmed_orders", "database_size", "failed_jobs", "job_states",
           "open_database"]

CONFIRMED_ORDERS = "SELECT amazon_key FROM external_ids WHERE kind = 'sale.order' AND state = 'confirmed'"
FAILED_JOBS = """
SELECT j.task_name, coalesce(f.error_type, '?'), count(*)
FROM procrastinate_jobs j
LEFT JOIN LATERAL (SELECT error_type FROM job_failures WHERE job_id = j.id ORDER BY id DESC LIMIT 1) f ON true
WHERE j.status = 'failed' GROUP BY 1, 2
"""
JOB_STATES = "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status"
SIZES = """
SELECT pg_database_size(current_database()),
       pg_total_relation_size('procrastinate_jobs') + pg_total_relation_size('procrastinate_events'),
       (SELECT count(*) FROM procrastinate_jobs),
       pg_total_relation_size('inbox'),
       (SELECT count(*) FROM inbox)
"""


@contextmanager
def _connection(url: str, *, autocommit: bool = False) -> Iterator[psycopg.Connection[Any]]:
    try:
        with psycopg.connect(url, autocommit=autocommit, connect_timeout=5) as conn:
            yield conn
    except psycopg.OperationalError as exc:
        raise TransientError("PostgreSQL is not reachable", system="store", operation="observe") from exc


def confirmed_orders(url: str) -> set[str]:
    """Amazon order ids whose sale order is confirmed in Odoo (every account)."""
    with _connection(url) as conn:
        return {str(row[0]) for row in conn.execute(CONFIRMED_ORDERS)}


def job_states(url: str) -> dict[str, int]:
    """Jobs per procrastinate status (``todo``, ``doing``, ``succeeded``, ``failed``...)."""
    with _connection(url) as conn:
        return {str(status): int(count) for status, count in conn.execute(JOB_STATES)}


def failed_jobs(url: str) -> dict[tuple[str, str], int]:
    """Dead-lettered jobs per (task, error type of their last failure)."""
    with _connection(url) as conn:
        return {(str(task), str(error)): int(count) for task, error, count in conn.execute(FAILED_JOBS)}


@dataclass(frozen=True)
class DatabaseSize:
    database_bytes: int
    jobs_bytes: int
    jobs: int
    inbox_bytes: int
    inbox_rows: int


def database_size(url: str) -> DatabaseSize:
    with _connection(url) as conn:
        row = conn.execute(SIZES).fetchone()
    assert row is not None
    return DatabaseSize(*(int(value) for value in row))


def close_database(server_url: str, name: str) -> int:
    """No new connection to database ``name``, and every open one cut (as when the server stops);
    the number cut. ``server_url`` is a connection to another database of the same server."""
    with _connection(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(
            sql.Identifier(name)))
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchall()
    return len(rows)


def open_database(server_url: str, name: str) -> None:
    with _connection(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(
            sql.Identifier(name)))
