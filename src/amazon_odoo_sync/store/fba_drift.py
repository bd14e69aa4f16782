"""FBA drift per (account, fulfilment network, SKU) and the record of each network's last pull.

``fba_drift`` keeps the drift lines of the latest complete pull only: :func:`record_pull`
replaces the rows of its (account, network) (no line left means no drift). ``fba_pulls`` says a
complete pull was applied, so the next one can report drift (the first cannot: Odoo expected
nothing). :func:`shipped_unimported` reads ``order_reservations``: units of FBA orders Amazon
shipped that Odoo has not imported yet.

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from psycopg import AsyncConnection

from ..inventory import DriftLine
from ._sql import cursor

__all__ = ["DriftRow", "FbaDriftRepository", "PgFbaDrift", "PullRecord", "last_pull", "latest", "record_pull",
           "shipped_unimported", "totals"]

LAST_PULL = """
SELECT account, network, marketplace_id, skus, adjustments, drift_lines, pulled_at FROM fba_pulls
WHERE account = %(account)s AND network = %(network)s
"""
DELETE_DRIFT = "DELETE FROM fba_drift WHERE account = %(account)s AND network = %(network)s"
INSERT_DRIFT = """
INSERT INTO fba_drift (account, network, sku, expected, reported, difference, detected_at)
SELECT %(account)s, %(network)s, t.sku, t.expected, t.reported, t.reported - t.expected, %(at)s
FROM unnest(%(skus)s::text[], %(expected)s::numeric[], %(reported)s::int[]) AS t(sku, expected, reported)
"""
UPSERT_PULL = """
INSERT INTO fba_pulls (account, network, marketplace_id, skus, adjustments, drift_lines, pulled_at)
VALUES (%(account)s, %(network)s, %(marketplace_id)s, %(skus)s, %(adjustments)s, %(drift_lines)s, %(at)s)
ON CONFLICT (account, network) DO UPDATE
SET marketplace_id = EXCLUDED.marketplace_id, skus = EXCLUDED.skus, adjustments = EXCLUDED.adjustments,
    drift_lines = EXCLUDED.drift_lines, pulled_at = EXCLUDED.pulled_at
"""
LATEST = """
SELECT account, network, sku, expected, reported, difference, detected_at FROM fba_drift
WHERE (%(account)s::text IS NULL OR account = %(account)s)
  AND (%(network)s::text IS NULL OR network = %(network)s)
ORDER BY account, network, abs(difference) DESC, sku
"""
TOTALS = """
SELECT p.account, p.network, count(d.sku)::int AS lines, COALESCE(sum(abs(d.difference)), 0) AS units
FROM fba_pulls p LEFT JOIN fba_drift d ON d.account = p.account AND d.network = p.network
GROUP BY p.account, p.network ORDER BY p.account, p.network
"""
# Amazon's v2026 status (SHIPPED) and the v0 one of notifications (Shipped) both count; a
# reservation of another status (Pending, Unshipped...) is still in Amazon's reserved bucket.
SHIPPED_UNIMPORTED = """
SELECT sku, sum(quantity)::int AS units FROM order_reservations
WHERE account = %(account)s AND marketplace_id = ANY(%(marketplace_ids)s)
  AND upper(amazon_status) = 'SHIPPED' AND quantity > 0
GROUP BY sku
"""



@dataclass(frozen=True, kw_only=True)
class DriftRow:
    account: str
    network: str
    sku: str
    expected: Decimal
    reported: int
    difference: Decimal
    detected_at: datetime


@dataclass(frozen=True, kw_only=True)
class PullRecord:
    account: str
    network: str
    marketplace_id: str
    skus: int
    adjustments: int
    drift_lines: int
    pulled_at: datetime


async def last_pull(conn: AsyncConnection[Any], account: str, network: str) -> PullRecord | None:
    """The latest complete pull applied for (account, network); None before the first."""
    async with cursor(conn) as cur:
        await cur.execute(LAST_PULL, {"account": account, "network": network})
        row = await cur.fetchone()
    return PullRecord(**row) if row else None


async def record_pull(conn: AsyncConnection[Any], *, account: str, network: str, marketplace_id: str,
                      skus: int, adjustments: int, lines: Sequence[DriftLine], at: datetime) -> None:
    """A complete pull was applied: its drift lines replace those of (account, network)."""
    params = {"account": account, "network": network, "at": at}
    async with cursor(conn) as cur:
        await cur.execute(DELETE_DRIFT, params)
        if lines:
            await cur.execute(INSERT_DRIFT, {**params, "skus": [line.sku for line in lines],
                                             "expected": [line.expected for line in lines],
                                             "reported": [line.reported for line in lines]})
        await cur.execute(UPSERT_PULL, {**params, "marketplace_id": marketplace_id, "skus": skus,
                                        "adjustments": adjustments, "drift_lines": len(lines)})


async def latest(conn: AsyncConnection[Any], *, account: str | None = None,
                 network: str | None = None) -> list[DriftRow]:
    """Current drift lines, largest difference first within each (account, network)."""
    async with cursor(conn) as cur:
        await cur.execute(LATEST, {"account": account, "network": network})
        rows = await cur.fetchall()
    return [DriftRow(**{**row, "expected": Decimal(row["expected"]), "difference": Decimal(row["difference"])})
            for row in rows]


async def totals(conn: AsyncConnection[Any]) -> list[tuple[str, str, int, Decimal]]:
    """(account, network, drift lines, units of difference) of every pulled network (metrics)."""
    async with cursor(conn) as cur:
        await cur.execute(TOTALS)
        rows = await cur.fetchall()
    return [(row["account"], row["network"], int(row["lines"]), Decimal(row["units"])) for row in rows]


async def shipped_unimported(conn: AsyncConnection[Any], account: str,
                             marketplace_ids: Iterable[str]) -> dict[str, int]:
    """Units per SKU of orders of these marketplaces that Amazon shipped and Odoo has not
    imported yet (reservations with status Shipped)."""
    async with cursor(conn) as cur:
        await cur.execute(SHIPPED_UNIMPORTED, {"account": account, "marketplace_ids": list(marketplace_ids)})
        rows = await cur.fetchall()
    return {row["sku"]: int(row["units"]) for row in rows}


class FbaDriftRepository(Protocol):
    async def last_pull(self, account: str, network: str) -> PullRecord | None: ...

    async def record_pull(self, *, account: str, network: str, marketplace_id: str, skus: int, adjustments: int,
                          lines: Sequence[DriftLine], at: datetime) -> None: ...

    async def latest(self, *, account: str | None = None, network: str | None = None) -> list[DriftRow]: ...

    async def totals(self) -> list[tuple[str, str, int, Decimal]]: ...

    async def shipped_unimported(self, account: str, marketplace_ids: Iterable[str]) -> dict[str, int]: ...


class PgFbaDrift:
    """:class:`FbaDriftRepository` on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def last_pull(self, account: str, network: str) -> PullRecord | None:
        return await last_pull(self._conn, account, network)

    async def record_pull(self, *, account: str, network: str, marketplace_id: str, skus: int, adjustments: int,
                          lines: Sequence[DriftLine], at: datetime) -> None:
        await record_pull(self._conn, account=account, network=network, marketplace_id=marketplace_id, skus=skus,
                          adjustments=adjustments, lines=lines, at=at)

    async def latest(self, *, account: str | None = None, network: str | None = None) -> list[DriftRow]:
        return await latest(self._conn, account=account, network=network)

    async def totals(self) -> list[tuple[str, str, int, Decimal]]:
        return await totals(self._conn)

    async def shipped_unimported(self, account: str, marketplace_ids: Iterable[str]) -> dict[str, int]:
        return await shipped_unimported(self._conn, account, marketplace_ids)
