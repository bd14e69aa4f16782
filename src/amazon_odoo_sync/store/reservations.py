"""Units of Amazon orders that Odoo does not have yet (Pending orders, orders still queued).

The stock flow subtracts them from Odoo's free quantity so an order Amazon already took is never
offered again. The order flow writes them when it sees such an order and deletes them once the
order is in Odoo or cancelled.

A reservation exists only for an order that is still open: one whose claim in ``external_ids``
records an Odoo id (Odoo's free quantity counts it now) or a cancellation is *closed*, and
nothing of it may stay reserved, or its units are subtracted twice and the offer understates
the stock for good. Three guards:

* every write (:func:`reserve_many`) refuses closed orders in its own statement, after locking
  (``FOR SHARE``, key order) the claims of the orders it writes: an import that holds a claim
  (``FOR UPDATE`` from its start) is waited for, and the insert then sees its outcome. An import
  that claims after the lock waits for the writer to commit, and its own release (at the end of
  its batch, :func:`apply`) then sees the reservation and deletes it;
* :func:`release_closed` deletes what is reserved for closed orders, returning each release so
  the caller audits it (a periodic sweep, and ``sync stock --full`` before it computes);
* the one window left: an order claimed for the first time *after* a writer's insert, imported
  and committed before that writer commits (the writer's row was invisible to the import's
  release). The sweep releases it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from psycopg import AsyncConnection

from ..inventory import Reservation
from ._sql import cursor

__all__ = ["ORDER_KIND", "PgReservations", "Released", "Reservation", "ReservationsRepository", "apply",
           "held_by_closed", "release", "release_closed", "reserve", "reserve_many", "reserved_units"]

#: The ``external_ids`` kind under which an Amazon order is claimed (the order flow's SALE_ORDER).
ORDER_KIND = "sale.order"

# Closed: Odoo has the order (its free quantity counts it) or it was cancelled.
_CLOSED = "(e.odoo_id IS NOT NULL OR e.state = 'cancelled')"

# The claims of the orders about to be reserved, in key order (claim_many locks in that order too):
# waits for an import holding one, so the insert below sees what the import recorded.
LOCK_CLAIMS = """
SELECT 1 FROM external_ids WHERE account = %(account)s AND kind = %(kind)s AND amazon_key = ANY(%(ids)s)
ORDER BY amazon_key FOR SHARE
"""
RESERVE_MANY = f"""
INSERT INTO order_reservations (account, amazon_order_id, sku, marketplace_id, quantity, amazon_status)
SELECT %(account)s, t.order_id, t.sku, t.marketplace_id, t.quantity, t.status
FROM unnest(%(order_ids)s::text[], %(skus)s::text[], %(marketplace_ids)s::text[], %(quantities)s::int[],
            %(statuses)s::text[]) AS t(order_id, sku, marketplace_id, quantity, status)
WHERE NOT EXISTS (SELECT 1 FROM external_ids e
                  WHERE e.account = %(account)s AND e.kind = %(kind)s AND e.amazon_key = t.order_id AND {_CLOSED})
ORDER BY t.order_id, t.sku
ON CONFLICT (account, amazon_order_id, sku) DO UPDATE
SET quantity = EXCLUDED.quantity, amazon_status = EXCLUDED.amazon_status, updated_at = now()
RETURNING amazon_order_id
"""
# Rows locked in key order, as every other writer takes them.
LOCK_CLOSED = f"""
SELECT r.amazon_order_id, r.sku, r.marketplace_id, r.quantity, r.amazon_status, e.odoo_id, e.state
FROM order_reservations r
JOIN external_ids e ON e.account = r.account AND e.kind = %(kind)s AND e.amazon_key = r.amazon_order_id
WHERE r.account = %(account)s AND {_CLOSED}
ORDER BY r.amazon_order_id, r.sku
FOR UPDATE OF r
"""
HELD_BY_CLOSED = f"""
SELECT count(DISTINCT r.amazon_order_id)::int AS orders, coalesce(sum(r.quantity), 0)::int AS units
FROM order_reservations r
JOIN external_ids e ON e.account = r.account AND e.kind = %(kind)s AND e.amazon_key = r.amazon_order_id
WHERE r.account = %(account)s AND {_CLOSED}
"""
DELETE_ROWS = """
DELETE FROM order_reservations r
USING unnest(%(order_ids)s::text[], %(skus)s::text[]) AS t(order_id, sku)
WHERE r.account = %(account)s AND r.amazon_order_id = t.order_id AND r.sku = t.sku
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


async def reserve_many(conn: AsyncConnection[Any], account: str, orders: Iterable[Reservation]) -> set[str]:
    """Record (or update) the open units of many orders in one statement (rows in key order:
    concurrent writers lock them in the same order and never deadlock). Orders already in Odoo
    or cancelled are left out (see the module); returns the ids of the orders written."""
    # One row per (order, SKU), the last given wins: the upsert may touch a row only once.
    latest = {(r.order_id, sku): (r.marketplace_id, int(qty), r.status) for r in orders for sku, qty in r.units.items()}
    rows = sorted((order_id, sku, *rest) for (order_id, sku), rest in latest.items())
    if not rows:
        return set()
    order_ids, skus, marketplace_ids, quantities, statuses = (list(c) for c in zip(*rows, strict=True))
    async with cursor(conn) as cur:
        await cur.execute(LOCK_CLAIMS, {"account": account, "kind": ORDER_KIND, "ids": sorted(set(order_ids))})
        await cur.execute(RESERVE_MANY, {"account": account, "kind": ORDER_KIND, "order_ids": order_ids,
                                         "skus": skus, "marketplace_ids": marketplace_ids,
                                         "quantities": quantities, "statuses": statuses})
        return {str(row["amazon_order_id"]) for row in await cur.fetchall()}


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


@dataclass(frozen=True, kw_only=True)
class Released:
    """What :func:`release_closed` deleted of one order: its units per SKU, and why."""

    order_id: str
    marketplace_id: str
    status: str
    units: Mapping[str, int]
    odoo_id: int | None
    claim_state: str


async def release_closed(conn: AsyncConnection[Any], account: str) -> list[Released]:
    """Delete the reservations of ``account``'s orders that are in Odoo or cancelled; what was
    deleted, per order (in the caller's transaction: audit it there)."""
    async with cursor(conn) as cur:
        await cur.execute(LOCK_CLOSED, {"account": account, "kind": ORDER_KIND})
        rows = await cur.fetchall()
        if not rows:
            return []
        await cur.execute(DELETE_ROWS, {"account": account, "order_ids": [r["amazon_order_id"] for r in rows],
                                        "skus": [r["sku"] for r in rows]})
    by_order: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_order.setdefault(str(row["amazon_order_id"]), []).append(row)
    return [Released(order_id=order_id, marketplace_id=str(lines[0]["marketplace_id"]),
                     status=str(lines[0]["amazon_status"]),
                     units={str(r["sku"]): int(r["quantity"]) for r in lines},
                     odoo_id=None if lines[0]["odoo_id"] is None else int(lines[0]["odoo_id"]),
                     claim_state=str(lines[0]["state"]))
            for order_id, lines in by_order.items()]


async def held_by_closed(conn: AsyncConnection[Any], account: str) -> tuple[int, int]:
    """(orders, units) still reserved although the order is in Odoo or cancelled: 0 unless a
    leak (what :func:`release_closed` would release)."""
    async with cursor(conn) as cur:
        await cur.execute(HELD_BY_CLOSED, {"account": account, "kind": ORDER_KIND})
        row = await cur.fetchone()
    return (0, 0) if row is None else (int(row["orders"]), int(row["units"]))


async def reserved_units(conn: AsyncConnection[Any], account: str,
                         marketplace_id: str | None = None) -> dict[str, int]:
    async with cursor(conn) as cur:
        await cur.execute(RESERVED, {"account": account, "marketplace_id": marketplace_id})
        rows = await cur.fetchall()
    return {row["sku"]: int(row["units"]) for row in rows}


class ReservationsRepository(Protocol):
    """Order reservations as a flow sees them (see the module for the guards)."""

    async def reserve_many(self, account: str, orders: Iterable[Reservation]) -> set[str]: ...

    async def release(self, account: str, order_ids: Iterable[str]) -> None: ...

    async def apply(self, account: str, *, reserve: Iterable[Reservation] = (),
                    release: Iterable[str] = ()) -> None: ...

    async def release_closed(self, account: str) -> list[Released]: ...

    async def held_by_closed(self, account: str) -> tuple[int, int]: ...

    async def reserved_units(self, account: str, marketplace_id: str | None = None) -> dict[str, int]: ...


class PgReservations:
    """:class:`ReservationsRepository` on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def reserve_many(self, account: str, orders: Iterable[Reservation]) -> set[str]:
        return await reserve_many(self._conn, account, orders)

    async def release(self, account: str, order_ids: Iterable[str]) -> None:
        await release(self._conn, account, order_ids)

    async def apply(self, account: str, *, reserve: Iterable[Reservation] = (),
                    release: Iterable[str] = ()) -> None:
        await apply(self._conn, account, reserve=reserve, release=release)

    async def release_closed(self, account: str) -> list[Released]:
        return await release_closed(self._conn, account)

    async def held_by_closed(self, account: str) -> tuple[int, int]:
        return await held_by_closed(self._conn, account)

    async def reserved_units(self, account: str, marketplace_id: str | None = None) -> dict[str, int]:
        return await reserved_units(self._conn, account, marketplace_id)
