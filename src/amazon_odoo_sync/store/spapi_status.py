"""Rows for ``amazon-odoo-sync status`` and the dashboard: the SP-API clients' quota buckets and
circuit breakers, read from PostgreSQL."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from ..exceptions import TransientError

__all__ = ["circuit_rows", "quota_rows"]

_QUOTA = """
SELECT b.account, b.region, b.operation,
       least(b.burst, b.tokens + greatest(0, extract(epoch FROM clock_timestamp() - b.updated_at)) * b.rate)
           AS tokens,
       b.rate, b.burst,
       (SELECT count(*) FROM spapi_rate_waiters w
         WHERE w.account = b.account AND w.region = b.region AND w.operation = b.operation
           AND w.expires_at > clock_timestamp()) AS waiting,
       b.last_throttled_at AS last_429, b.throttled_count
FROM spapi_rate_buckets b
ORDER BY b.account, b.region, b.operation
"""

_CIRCUITS = """
SELECT account, api, state, failures, opened_at, last_error
FROM spapi_circuits
ORDER BY (state = 'closed'), account, api
"""


async def _rows(conn: psycopg.AsyncConnection[Any], sql: str) -> list[dict[str, Any]]:
    try:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(sql)
            return list(await cursor.fetchall())
    except psycopg.Error as exc:
        raise TransientError(f"reading SP-API access state failed: {type(exc).__name__}", system="store") from exc


async def quota_rows(conn: psycopg.AsyncConnection[Any]) -> list[dict[str, Any]]:
    """One row per rate bucket: account, region, operation, tokens (now), rate, burst, waiting,
    last_429, throttled_count."""
    rows = await _rows(conn, _QUOTA)
    for row in rows:
        row["tokens"] = round(float(row["tokens"]), 3)
    return rows


async def circuit_rows(conn: psycopg.AsyncConnection[Any]) -> list[dict[str, Any]]:
    """One row per circuit (open ones first): account, api, state, failures, opened_at, last_error."""
    return await _rows(conn, _CIRCUITS)
