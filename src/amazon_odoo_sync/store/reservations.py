"""Units of Amazon orders that Odoo does not have yet (Pending orders, orders still queued).

The stock flow subtracts them from Odoo's free quantity so an order Amazon already took is never
offered again. The order flow writes them when it sees such an order and deletes them once the
order is in Odoo or cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from ._sql import cursor

__all__ = ["Reservation", "apply", "release", "reserve", "reserve_many", "reserved_units"]

RESERVE_MANY = """
INSERT INTO order_reservations (account, amazon_order_id, sku, marketplace_id, quantity, amazon_status)
SELECT %(account)s, t.order_id, t.sku, t.marketplace_id, t.quantity, t.status
FROM unnest(%(order_ids)s::text[], %(skus)s::text[], %(marketplace_ids)s::text[], %(quantities)s::int[],
            %(statuses)s::text[]) AS t(order_id, sku, marketplace_id, quantity, status)
ORDER BY t.order_id, t.sku
ON CONFLICT (account, amazon_order_id, sku) DO UPDATE
SET quantity = EXCLUDED.quantity, amazon_status = EXCLUDED.amazon_status, updated_at = now()
"""
RELEASE = "DELETE FROM order_reservations WHERE account = %(account)s AND amazon_order_id = ANY(%(ids)s)"
# Row locks in key order, as RESERVE_MANY takes them: a DELETE ... = ANY locks in scan order, which
# deadlocked against an intake reserving an overlapping set of orders.
LOCK_ORDERS = """
SELECT 1 FROM order_reservations WHERE account = %(account)s AND amazon_order_id = ANY(%(ids)s)
ORDER BY amazon_order_id, sku FOR UPDATE
"""
RESERVED = """
SELECT sku, sum(quantity)::int AS units FROM order_reservations
WHERE account = %(account)s AND (%(marketplace_id)s::text IS NULL OR marketplace_id = %(marketplace_id)s)
GROUP BY sku
"""


async def reserve(conn: AsyncConnection[Any], *, account: str, order_id: str, marketplace_id: str,
                  status: str, units: dict[str, int]) -> None:
    """Record (or update) the open units of one order."""
    await reserve_many(conn, account, [Reservation(order_id=order_id, marketplace_id=marketplace_id, status=status,
                                                   units=units)])


@dataclass(frozen=True, kw_only=True)
class Reservation:
    """Open units of one order, per SKU."""

    order_id: str
    marketplace_id: str
    status: str
    units: Mapping[str, int]


async def reserve_many(conn: AsyncConnection[Any], account: str, orders: Iterable[Reservation]) -> None:
    """Record (or update) the open units of many orders in one statement (rows in key order:
    concurrent writers lock them in the same order and never deadlock)."""
    # One row per (order, SKU), the last given wins: the upsert may touch a row only once.
    latest = {(r.order_id, sku): (r.marketplace_id, int(qty), r.status) for r in orders for sku, qty in r.units.items()}
    rows = sorted((order_id, sku, *rest) for (order_id, sku), rest in latest.items())
    if not rows:
        return
    order_ids, skus, marketplace_ids, quantities, statuses = (list(c) for c in zip(*rows, strict=True))
    async with cursor(conn) as cur:
        await cur.execute(RESERVE_MANY, {"account": account, "order_ids": order_ids, "skus": skus,
                                         "marketplace_ids": marketplace_ids, "quantities": quantities,
                                         "statuses": statuses})


async def release(conn: AsyncConnection[Any], account: str, order_ids: Iterable[str]) -> None:
    async with cursor(conn) as cur:
        await cur.execute(RELEASE, {"account": account, "ids": list(order_ids)})


async def apply(conn: AsyncConnection[Any], account: str, *, reserve: Iterable[Reservation] = (),
                release: Iterable[str] = ()) -> None:
    """A batch's reservation changes at once, at the end of its transaction: the rows of every
    order concerned are locked first, in key order, then the released ones deleted and the
    others written. Taking them one by one during a long import (which waits on Odoo) and
    another transaction taking an overlapping set in a different order is a deadlock."""
    reserve = list(reserve)
    reserved_ids = {r.order_id for r in reserve}
    released = sorted(set(release) - reserved_ids)
    everything = sorted(reserved_ids | set(released))
    if not everything:
        return
    async with cursor(conn) as cur:
        await cur.execute(LOCK_ORDERS, {"account": account, "ids": everything})
        if released:
            await cur.execute(RELEASE, {"account": account, "ids": released})
    await reserve_many(conn, account, reserve)


async def reserved_units(conn: AsyncConnection[Any], account: str,
                         marketplace_id: str | None = None) -> dict[str, int]:
    async with cursor(conn) as cur:
        await cur.execute(RESERVED, {"account": account, "marketplace_id": marketplace_id})
        rows = await cur.fetchall()
    return {row["sku"]: int(row["units"]) for row in rows}
