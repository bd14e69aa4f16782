"""FBM offer state per (account, marketplace, SKU): computed, submitted and accepted quantities.

Each has its sequence number. ``computed_seq`` grows by one whenever a computation gives a
different quantity (or fulfilment); a submission records the seq it carries; a result moves
``accepted`` only forward (an older seq never overwrites a newer one). A result that arrives for
an older seq than the one already accepted, with another quantity, makes the accepted quantity
unknown (NULL): Amazon may have applied the two in either order, so the newest is sent again.

"Pending" = the newest computation differs from what Amazon has or is getting, and was neither
submitted nor rejected. Also ``stock_feeds`` (the feeds we submitted and what each message
carried), ``stock_dirty`` (SKUs to recompute at the next cycle, marked by the order flow and the
catalog refresh) and ``fba_inventory_snapshots`` (Amazon's last FBA figures per SKU).

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from psycopg import AsyncConnection

from ..inventory import Computation, MessageOutcome, OfferState, Outcome, QuantityUpdate
from ._sql import cursor, jsonb

__all__ = [
    "Computation",
    "FbaSnapshot",
    "FeedRow",
    "OffersRepository",
    "PgOffers",
    "create_feed",
    "fba_snapshots",
    "feed_submitted",
    "finish_feed",
    "load",
    "mark_dirty",
    "mark_submitted",
    "open_feeds",
    "pending",
    "record_computed",
    "record_outcomes",
    "save_fba_snapshots",
    "take_dirty",
]

_STATE = ("sku, fulfillment, computed_qty, computed_seq, submitted_qty, submitted_seq, accepted_qty, "
          "accepted_seq")
_BELIEVED = """CASE WHEN submitted_seq IS NOT NULL AND submitted_seq > COALESCE(accepted_seq, -1)
                    THEN submitted_qty ELSE accepted_qty END"""

RECORD_COMPUTED = f"""
INSERT INTO stock_offers AS o (account, marketplace_id, sku, fulfillment, odoo_product_id, computed_qty,
                               computed_seq, computed_at)
SELECT %(account)s, %(marketplace_id)s, t.sku, t.fulfillment, t.product_id, t.qty, 1, now()
FROM unnest(%(skus)s::text[], %(fulfillments)s::text[], %(product_ids)s::int[], %(qtys)s::int[])
     AS t(sku, fulfillment, product_id, qty)
ON CONFLICT (account, marketplace_id, sku) DO UPDATE
SET computed_seq = CASE WHEN o.computed_qty IS DISTINCT FROM EXCLUDED.computed_qty
                          OR o.fulfillment <> EXCLUDED.fulfillment
                        THEN o.computed_seq + 1 ELSE o.computed_seq END,
    computed_qty = EXCLUDED.computed_qty, fulfillment = EXCLUDED.fulfillment,
    odoo_product_id = EXCLUDED.odoo_product_id, computed_at = now(), updated_at = now()
RETURNING {_STATE}
"""
LOAD = f"""
SELECT {_STATE} FROM stock_offers
WHERE account = %(account)s AND marketplace_id = %(marketplace_id)s
  AND (%(skus)s::text[] IS NULL OR sku = ANY(%(skus)s::text[]))
"""
PENDING = f"""
SELECT {_STATE} FROM stock_offers
WHERE account = %(account)s AND marketplace_id = %(marketplace_id)s
  AND computed_seq > COALESCE(submitted_seq, -1)
  AND computed_seq > COALESCE(rejected_seq, -1)
  AND computed_qty IS NOT NULL
  AND computed_qty IS DISTINCT FROM ({_BELIEVED})
ORDER BY sku LIMIT %(limit)s
"""
MARK_SUBMITTED = """
UPDATE stock_offers AS o
SET submitted_qty = t.qty, submitted_seq = t.seq, submitted_via = %(via)s,
    submission_id = %(submission_id)s, submitted_at = now(), updated_at = now()
FROM unnest(%(skus)s::text[], %(qtys)s::int[], %(seqs)s::bigint[]) AS t(sku, qty, seq)
WHERE o.account = %(account)s AND o.marketplace_id = %(marketplace_id)s AND o.sku = t.sku
  AND (o.submitted_seq IS NULL OR o.submitted_seq < t.seq)
"""
ACCEPT = """
UPDATE stock_offers AS o
SET accepted_qty = CASE WHEN o.accepted_seq IS NULL OR o.accepted_seq <= t.seq THEN t.qty
                        WHEN o.accepted_qty IS DISTINCT FROM t.qty THEN NULL
                        ELSE o.accepted_qty END,
    accepted_seq = GREATEST(COALESCE(o.accepted_seq, -1), t.seq),
    accepted_at = now(), attempts = 0, last_error = NULL, updated_at = now(),
    -- a stale result with another quantity: make it pending again (resent in full)
    submitted_seq = CASE WHEN o.accepted_seq > t.seq AND o.accepted_qty IS DISTINCT FROM t.qty
                         THEN NULL ELSE o.submitted_seq END
FROM unnest(%(skus)s::text[], %(qtys)s::int[], %(seqs)s::bigint[]) AS t(sku, qty, seq)
WHERE o.account = %(account)s AND o.marketplace_id = %(marketplace_id)s AND o.sku = t.sku
"""
FAIL = """
UPDATE stock_offers AS o
SET attempts = o.attempts + 1, last_error = t.reason, updated_at = now(),
    rejected_seq = CASE WHEN t.reject OR o.attempts + 1 >= %(max_attempts)s
                        THEN GREATEST(COALESCE(o.rejected_seq, -1), t.seq) ELSE o.rejected_seq END,
    -- the failed submission no longer counts as "in flight"
    submitted_seq = CASE WHEN o.submitted_seq = t.seq THEN NULL ELSE o.submitted_seq END,
    submitted_qty = CASE WHEN o.submitted_seq = t.seq THEN NULL ELSE o.submitted_qty END
FROM unnest(%(skus)s::text[], %(seqs)s::bigint[], %(reasons)s::text[], %(rejects)s::bool[])
     AS t(sku, seq, reason, reject)
WHERE o.account = %(account)s AND o.marketplace_id = %(marketplace_id)s AND o.sku = t.sku
RETURNING o.sku, o.rejected_seq = t.seq AS rejected
"""

CREATE_FEED = """
INSERT INTO stock_feeds (account, marketplace_id, message_count, messages)
VALUES (%(account)s, %(marketplace_id)s, %(count)s, %(messages)s) RETURNING id
"""
FEED_SUBMITTED = """
UPDATE stock_feeds SET feed_id = %(feed_id)s, state = 'submitted', submitted_at = now() WHERE id = %(id)s
"""
FINISH_FEED = """
UPDATE stock_feeds SET state = %(state)s, processing_status = %(status)s, summary = %(summary)s,
       finished_at = now()
WHERE id = %(id)s AND state IN ('building', 'submitted')
RETURNING id
"""
OPEN_FEEDS = """
SELECT id, account, marketplace_id, feed_id, state, message_count, messages, created_at, submitted_at
FROM stock_feeds WHERE account = %(account)s AND state IN ('building', 'submitted') ORDER BY id
"""
FBA_SNAPSHOTS = """
SELECT sku, quantities, source FROM fba_inventory_snapshots
WHERE account = %(account)s AND marketplace_id = %(marketplace_id)s ORDER BY sku
"""
MARK_DIRTY = """
INSERT INTO stock_dirty (account, sku) SELECT %(account)s, unnest(%(skus)s::text[])
"""
# SKIP LOCKED: a mark an order import is still writing (its transaction is open) is taken by
# the next cycle; waiting for it here deadlocked with imports marking several SKUs.
TAKE_DIRTY = """
DELETE FROM stock_dirty WHERE id IN (
    SELECT id FROM stock_dirty WHERE account = %(account)s ORDER BY id FOR UPDATE SKIP LOCKED)
RETURNING sku
"""
SAVE_FBA = """
INSERT INTO fba_inventory_snapshots (account, marketplace_id, sku, quantities, source, reported_at)
SELECT %(account)s, %(marketplace_id)s, t.sku, t.q, %(source)s, now()
FROM unnest(%(skus)s::text[], %(quantities)s::jsonb[]) AS t(sku, q)
ON CONFLICT (account, marketplace_id, sku) DO UPDATE
SET quantities = EXCLUDED.quantities, source = EXCLUDED.source, reported_at = now(), applied_at = NULL
"""


def _state(row: Mapping[str, Any]) -> OfferState:
    return OfferState(**row)


async def record_computed(conn: AsyncConnection[Any], account: str, marketplace_id: str,
                          computations: Sequence[Computation]) -> dict[str, OfferState]:
    """Record new computations; the returned states carry the seq each one got."""
    if not computations:
        return {}
    async with cursor(conn) as cur:
        await cur.execute(RECORD_COMPUTED, {
            "account": account, "marketplace_id": marketplace_id,
            "skus": [c.sku for c in computations], "fulfillments": [c.fulfillment for c in computations],
            "product_ids": [c.odoo_product_id for c in computations],
            "qtys": [c.quantity for c in computations]})
        rows = await cur.fetchall()
    return {row["sku"]: _state(row) for row in rows}


async def load(conn: AsyncConnection[Any], account: str, marketplace_id: str,
               skus: Iterable[str] | None = None) -> dict[str, OfferState]:
    async with cursor(conn) as cur:
        await cur.execute(LOAD, {"account": account, "marketplace_id": marketplace_id,
                                 "skus": None if skus is None else list(skus)})
        rows = await cur.fetchall()
    return {row["sku"]: _state(row) for row in rows}


async def pending(conn: AsyncConnection[Any], account: str, marketplace_id: str, *,
                  limit: int = 1_000_000) -> list[OfferState]:
    """Offers whose newest computation still has to go to Amazon, by SKU."""
    async with cursor(conn) as cur:
        await cur.execute(PENDING, {"account": account, "marketplace_id": marketplace_id, "limit": limit})
        rows = await cur.fetchall()
    return [_state(row) for row in rows]


async def mark_submitted(conn: AsyncConnection[Any], account: str, marketplace_id: str,
                         updates: Sequence[QuantityUpdate], *, via: Literal["feed", "patch"],
                         submission_id: int | None = None) -> None:
    if not updates:
        return
    async with cursor(conn) as cur:
        await cur.execute(MARK_SUBMITTED, {
            "account": account, "marketplace_id": marketplace_id, "via": via,
            "submission_id": submission_id, "skus": [u.sku for u in updates],
            "qtys": [u.quantity for u in updates], "seqs": [u.seq for u in updates]})


async def record_outcomes(conn: AsyncConnection[Any], account: str, marketplace_id: str,
                          outcomes: Sequence[MessageOutcome], *, max_attempts: int) -> set[str]:
    """Apply results; returns the SKUs whose update is now rejected (quarantine them)."""
    accepted = [o.update for o in outcomes if o.outcome is Outcome.ACCEPTED]
    failed = [o for o in outcomes if o.outcome is not Outcome.ACCEPTED]
    rejected: set[str] = set()
    async with cursor(conn) as cur:
        if accepted:
            await cur.execute(ACCEPT, {
                "account": account, "marketplace_id": marketplace_id,
                "skus": [u.sku for u in accepted], "qtys": [u.quantity for u in accepted],
                "seqs": [u.seq for u in accepted]})
        if failed:
            await cur.execute(FAIL, {
                "account": account, "marketplace_id": marketplace_id, "max_attempts": max_attempts,
                "skus": [o.update.sku for o in failed], "seqs": [o.update.seq for o in failed],
                "reasons": [o.reason[:2000] for o in failed],
                "rejects": [o.outcome is Outcome.REJECTED for o in failed]})
            rejected = {row["sku"] for row in await cur.fetchall() if row["rejected"]}
    return rejected


# -- feeds --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FeedRow:
    id: int
    account: str
    marketplace_id: str
    feed_id: str | None
    state: str
    message_count: int
    messages: dict[int, QuantityUpdate]
    created_at: datetime
    submitted_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> FeedRow:
        messages = {int(k): QuantityUpdate(sku=v[0], quantity=int(v[1]), seq=int(v[2]),
                                           closing=len(v) > 3 and bool(v[3]))
                    for k, v in row["messages"].items()}
        return cls(**{**row, "messages": messages})


async def create_feed(conn: AsyncConnection[Any], account: str, marketplace_id: str,
                      messages: Mapping[int, QuantityUpdate]) -> int:
    """Record a feed before it is submitted (so a crash after createFeed is found again).
    Each message is stored as ``[sku, quantity, seq]``, plus ``1`` when it closes an offer
    switched to FBA (its report is read differently)."""
    async with cursor(conn) as cur:
        await cur.execute(CREATE_FEED, {
            "account": account, "marketplace_id": marketplace_id, "count": len(messages),
            "messages": jsonb({str(k): [u.sku, u.quantity, u.seq, *([1] if u.closing else [])]
                               for k, u in messages.items()})})
        row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def feed_submitted(conn: AsyncConnection[Any], row_id: int, feed_id: str) -> None:
    async with cursor(conn) as cur:
        await cur.execute(FEED_SUBMITTED, {"id": row_id, "feed_id": feed_id})


async def finish_feed(conn: AsyncConnection[Any], row_id: int, *, state: Literal["done", "failed"],
                      processing_status: str | None, summary: Mapping[str, Any] | None) -> bool:
    """Close a feed; False when it was closed already (its results must not be applied twice)."""
    async with cursor(conn) as cur:
        await cur.execute(FINISH_FEED, {"id": row_id, "state": state, "status": processing_status,
                                        "summary": jsonb(dict(summary) if summary else None)})
        return await cur.fetchone() is not None


async def open_feeds(conn: AsyncConnection[Any], account: str) -> list[FeedRow]:
    async with cursor(conn) as cur:
        await cur.execute(OPEN_FEEDS, {"account": account})
        rows = await cur.fetchall()
    return [FeedRow.from_row(row) for row in rows]


# -- FBA snapshots ------------------------------------------------------------------------------


async def save_fba_snapshots(conn: AsyncConnection[Any], account: str, marketplace_id: str,
                             quantities: Mapping[str, Mapping[str, int]], *,
                             source: Literal["pull", "notification"]) -> None:
    if not quantities:
        return
    async with cursor(conn) as cur:
        await cur.execute(SAVE_FBA, {"account": account, "marketplace_id": marketplace_id,
                                     "source": source, "skus": list(quantities),
                                     "quantities": [jsonb(dict(q)) for q in quantities.values()]})


@dataclass(frozen=True, kw_only=True)
class FbaSnapshot:
    sku: str
    quantities: dict[str, int]
    source: Literal["pull", "notification"]


async def fba_snapshots(conn: AsyncConnection[Any], account: str, marketplace_id: str) -> dict[str, FbaSnapshot]:
    """Amazon's last FBA figures per SKU of (account, marketplace)."""
    async with cursor(conn) as cur:
        await cur.execute(FBA_SNAPSHOTS, {"account": account, "marketplace_id": marketplace_id})
        rows = await cur.fetchall()
    return {row["sku"]: FbaSnapshot(sku=row["sku"], quantities=dict(row["quantities"]), source=row["source"])
            for row in rows}


# -- dirty marks ---------------------------------------------------------------------------------


async def mark_dirty(conn: AsyncConnection[Any], account: str, skus: Iterable[str]) -> None:
    """Ask the next stock cycle to recompute these SKUs (e.g. an order reserved or released
    units). An append-only log: the insert never waits on another transaction's marks."""
    wanted = sorted(set(skus))
    if wanted:
        async with cursor(conn) as cur:
            await cur.execute(MARK_DIRTY, {"account": account, "skus": wanted})


async def take_dirty(conn: AsyncConnection[Any], account: str) -> list[str]:
    """Take (delete) the committed marks of ``account``; their SKUs, oldest mark first
    (repeats possible). Marks of transactions still open are left for the next cycle."""
    async with cursor(conn) as cur:
        await cur.execute(TAKE_DIRTY, {"account": account})
        return [row["sku"] for row in await cur.fetchall()]


# -- the repository --------------------------------------------------------------------------------


class OffersRepository(Protocol):
    """FBM offer states, feeds, dirty marks and FBA snapshots (see the module)."""

    async def record_computed(self, account: str, marketplace_id: str,
                              computations: Sequence[Computation]) -> dict[str, OfferState]: ...

    async def load(self, account: str, marketplace_id: str,
                   skus: Iterable[str] | None = None) -> dict[str, OfferState]: ...

    async def pending(self, account: str, marketplace_id: str, *, limit: int = 1_000_000) -> list[OfferState]: ...

    async def mark_submitted(self, account: str, marketplace_id: str, updates: Sequence[QuantityUpdate], *,
                             via: Literal["feed", "patch"], submission_id: int | None = None) -> None: ...

    async def record_outcomes(self, account: str, marketplace_id: str, outcomes: Sequence[MessageOutcome], *,
                              max_attempts: int) -> set[str]: ...

    async def create_feed(self, account: str, marketplace_id: str, messages: Mapping[int, QuantityUpdate]) -> int: ...

    async def feed_submitted(self, row_id: int, feed_id: str) -> None: ...

    async def finish_feed(self, row_id: int, *, state: Literal["done", "failed"], processing_status: str | None,
                          summary: Mapping[str, Any] | None) -> bool: ...

    async def open_feeds(self, account: str) -> list[FeedRow]: ...

    async def save_fba_snapshots(self, account: str, marketplace_id: str,
                                 quantities: Mapping[str, Mapping[str, int]], *,
                                 source: Literal["pull", "notification"]) -> None: ...

    async def fba_snapshots(self, account: str, marketplace_id: str) -> dict[str, FbaSnapshot]: ...

    async def mark_dirty(self, account: str, skus: Iterable[str]) -> None: ...

    async def take_dirty(self, account: str) -> list[str]: ...


class PgOffers:
    """:class:`OffersRepository` on one connection (the functions above, bound to it)."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def record_computed(self, account: str, marketplace_id: str,
                              computations: Sequence[Computation]) -> dict[str, OfferState]:
        return await record_computed(self._conn, account, marketplace_id, computations)

    async def load(self, account: str, marketplace_id: str,
                   skus: Iterable[str] | None = None) -> dict[str, OfferState]:
        return await load(self._conn, account, marketplace_id, skus)

    async def pending(self, account: str, marketplace_id: str, *, limit: int = 1_000_000) -> list[OfferState]:
        return await pending(self._conn, account, marketplace_id, limit=limit)

    async def mark_submitted(self, account: str, marketplace_id: str, updates: Sequence[QuantityUpdate], *,
                             via: Literal["feed", "patch"], submission_id: int | None = None) -> None:
        await mark_submitted(self._conn, account, marketplace_id, updates, via=via, submission_id=submission_id)

    async def record_outcomes(self, account: str, marketplace_id: str, outcomes: Sequence[MessageOutcome], *,
                              max_attempts: int) -> set[str]:
        return await record_outcomes(self._conn, account, marketplace_id, outcomes, max_attempts=max_attempts)

    async def create_feed(self, account: str, marketplace_id: str, messages: Mapping[int, QuantityUpdate]) -> int:
        return await create_feed(self._conn, account, marketplace_id, messages)

    async def feed_submitted(self, row_id: int, feed_id: str) -> None:
        await feed_submitted(self._conn, row_id, feed_id)

    async def finish_feed(self, row_id: int, *, state: Literal["done", "failed"], processing_status: str | None,
                          summary: Mapping[str, Any] | None) -> bool:
        return await finish_feed(self._conn, row_id, state=state, processing_status=processing_status,
                                 summary=summary)

    async def open_feeds(self, account: str) -> list[FeedRow]:
        return await open_feeds(self._conn, account)

    async def save_fba_snapshots(self, account: str, marketplace_id: str,
                                 quantities: Mapping[str, Mapping[str, int]], *,
                                 source: Literal["pull", "notification"]) -> None:
        await save_fba_snapshots(self._conn, account, marketplace_id, quantities, source=source)

    async def fba_snapshots(self, account: str, marketplace_id: str) -> dict[str, FbaSnapshot]:
        return await fba_snapshots(self._conn, account, marketplace_id)

    async def mark_dirty(self, account: str, skus: Iterable[str]) -> None:
        await mark_dirty(self._conn, account, skus)

    async def take_dirty(self, account: str) -> list[str]:
        return await take_dirty(self._conn, account)
