"""FBM stock push: Odoo free quantities → Amazon merchant offers, deltas only, never stale.

One cycle (:meth:`FbmStockPush.run_cycle`, run every ``schedules.stock_poll`` seconds per
account, one at a time per account):

1. **What changed.** Products whose ``stock.quant``/``stock.move`` ``write_date`` is after the
   cursor (minus ``stock.change_overlap_seconds``: a transaction that committed late is not
   missed), plus SKUs marked dirty by our own order imports (:func:`mark_dirty`, called in the
   order flow's transaction), plus everything with ``full``.
2. **Compute** per marketplace: free quantity in the marketplace's warehouse(s) − safety stock −
   units of Amazon orders not in Odoo yet (``store.reservations``), per Odoo product (SKUs of
   the same product, in marketplaces sharing the warehouse, draw on the same units); recorded
   with a per-SKU sequence number (``store.offers``). Marketplaces served from the same
   warehouse(s) each offer every unit (``shared_warehouse = "full"``) or a weighted share
   (``"split"``, :func:`~amazon_odoo_sync.mapping.stock.shared_offers`). A SKU switched from FBM
   to FBA gets 0 (sent first; Amazon refusing it with 8560, "the SKU is FBA", means done).
3. **Send** what differs from what Amazon has (or is getting): urgent decreases (to 0 / to the
   urgent threshold) at once with ``patchListingsItem`` at the top priority; the rest as patches
   when few, else as ``JSON_LISTINGS_FEED`` documents of ≤ 25,000 messages.
4. **Results**: open feeds are polled; each message is accepted (moves the accepted value, if
   its seq is newer), retryable (pending again, up to ``max_message_attempts``) or rejected
   (quarantine ``stock`` / ``account:marketplace:sku`` with Amazon's messages).

The Odoo and Amazon sides are small protocols (:class:`StockSource`, :class:`OfferSink`) so the
flow runs against fakes, the simulator/emulator, or the real systems alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol

from psycopg import AsyncConnection

from ..config import StockConfig
from ..exceptions import SyncError
from ..logs import get_logger
from ..mapping.stock import (
    Claim,
    FeedDocument,
    MessageOutcome,
    OfferState,
    Outcome,
    QuantityUpdate,
    build_listings_feeds,
    interpret_patch_error,
    interpret_patch_response,
    interpret_processing_report,
    plan_update,
    quantity_patches,
    report_summary,
    safety_rule,
    safety_units,
    shared_offers,
)
from ..marketplaces import by_id
from ..odoo.values import from_odoo_datetime, to_odoo_datetime
from ..store import audit, cursors, offers, quarantine, reservations
from ..store._sql import cursor

__all__ = [
    "CURSOR_FLOW",
    "FLOW",
    "CycleResult",
    "FbmStockPush",
    "OdooStockSource",
    "OfferSink",
    "SpApiOfferSink",
    "StockSource",
    "autocommit",
    "mark_dirty",
    "release_closed_reservations",
    "stock_cycle_task",
    "stock_push_for",
    "wait_for_feeds",
]

FLOW = "stock"
CURSOR_FLOW = "stock-fbm"
_log = get_logger(__name__)

Progress = Callable[[str, int, int], None]


# -- the two sides ----------------------------------------------------------------------------


class StockSource(Protocol):
    """Odoo's side: which products' stock changed, and their free quantities."""

    async def changed_products(self, since: datetime | None) -> tuple[set[int], datetime | None]:
        """Product ids whose stock changed after ``since`` (all when None), and the newest
        ``write_date`` seen (the next cursor; None when nothing was seen)."""

    async def free_quantities(self, product_ids: Sequence[int],
                              warehouse_ids: Sequence[int]) -> dict[int, Decimal]:
        """Free quantity (on hand − reserved) per product in those warehouses."""


class OfferSink(Protocol):
    """Amazon's side: patch one offer now, or submit a feed and read its report later."""

    #: The seller (merchant) id: the ``sellerId`` of feed headers.
    seller_id: str

    async def patch_quantity(self, marketplace_id: str, update: QuantityUpdate) -> Mapping[str, Any]:
        """patchListingsItem; the response body (``status``, ``issues``). Raises SyncError."""

    async def submit_feed(self, marketplace_id: str, content: bytes) -> str:
        """createFeedDocument → upload → createFeed; the feed id. Raises SyncError."""

    async def feed_result(self, feed_id: str) -> tuple[str, Mapping[str, Any] | None]:
        """(processingStatus, processing report when DONE/FATAL, else None)."""


# -- the production implementations ------------------------------------------------------------


class OdooStockSource:
    """:class:`StockSource` over the Odoo external API."""

    def __init__(self, odoo: Any, *, overlap_seconds: float = 10.0, chunk_size: int = 2000) -> None:
        self.odoo = odoo
        self.overlap = timedelta(seconds=overlap_seconds)
        self.chunk_size = chunk_size

    async def changed_products(self, since: datetime | None) -> tuple[set[int], datetime | None]:
        domain: list[Any] = []
        if since is not None:
            domain = [("write_date", ">", to_odoo_datetime(since - self.overlap))]
        products: set[int] = set()
        newest: datetime | None = None
        for model in ("stock.quant", "stock.move"):
            rows = await self.odoo.search_read(model, domain, ["product_id", "write_date"],
                                               chunk_size=self.chunk_size)
            for row in rows:
                product = row.get("product_id")
                if isinstance(product, list | tuple) and product:
                    products.add(int(product[0]))
                elif isinstance(product, int) and product:
                    products.add(product)
                stamp = from_odoo_datetime(row.get("write_date"))
                if stamp is not None and (newest is None or stamp > newest):
                    newest = stamp
        return products, newest

    async def free_quantities(self, product_ids: Sequence[int],
                              warehouse_ids: Sequence[int]) -> dict[int, Decimal]:
        context: dict[str, Any] = {"warehouse_id": list(warehouse_ids)} if warehouse_ids else {}
        rows = await self.odoo.read("product.product", product_ids, ["free_qty"],
                                    chunk_size=self.chunk_size, context=context)
        return {int(r["id"]): Decimal(str(r.get("free_qty") or 0)) for r in rows}


class SpApiOfferSink:
    """:class:`OfferSink` on our SP-API client; urgent patches at ``urgent_priority``."""

    def __init__(self, client: Any, *, product_type: str = "PRODUCT", priority: int = 100,
                 urgent_priority: int = 101) -> None:
        self.client = client.with_options(priority=priority)
        self.urgent = client.with_options(priority=urgent_priority)
        self.product_type = product_type
        self.seller_id = str(client.seller_id)

    async def patch_quantity(self, marketplace_id: str, update: QuantityUpdate) -> Mapping[str, Any]:
        api = self.urgent if update.urgent else self.client
        body: Mapping[str, Any] = await api.listings.patch_listings_item(
            update.sku, marketplace_ids=[marketplace_id], product_type=self.product_type,
            patches=quantity_patches(update.quantity))
        return body

    async def submit_feed(self, marketplace_id: str, content: bytes) -> str:
        answer = await self.client.feeds.submit_feed(feed_type="JSON_LISTINGS_FEED",
                                                     marketplace_ids=[marketplace_id], content=content)
        return str(answer["feedId"])

    async def feed_result(self, feed_id: str) -> tuple[str, Mapping[str, Any] | None]:
        import json

        feed = await self.client.feeds.get_feed(feed_id)
        status = str(feed.get("processingStatus", ""))
        if status not in ("DONE", "FATAL", "CANCELLED"):
            return status, None
        document = feed.get("resultFeedDocumentId")
        if not document:
            return status, None
        raw = await self.client.feeds.download_feed_document(document)
        try:
            report = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return status, None
        return status, report if isinstance(report, dict) else None


# -- dirty marks from the order flow -------------------------------------------------------------

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
# A dirty SKU brings every SKU of its product: they share its units (and reservations).
MAPPED = """
SELECT marketplace_id, sku, fulfillment, odoo_product_id FROM product_map
WHERE account = %(account)s
  AND (%(all)s OR odoo_product_id = ANY(%(products)s::int[])
       OR odoo_product_id IN (SELECT odoo_product_id FROM product_map
                              WHERE account = %(account)s AND sku = ANY(%(skus)s::text[])))
ORDER BY marketplace_id, sku
"""


async def mark_dirty(conn: AsyncConnection[Any], account: str, skus: Iterable[str]) -> None:
    """Ask the next stock cycle to recompute these SKUs (e.g. an order reserved or released
    units). Runs in the caller's transaction."""
    wanted = sorted(set(skus))
    if wanted:
        async with cursor(conn) as cur:
            await cur.execute(MARK_DIRTY, {"account": account, "skus": wanted})


async def release_closed_reservations(conn: AsyncConnection[Any], account: str, *,
                                      actor: str) -> list[reservations.Released]:
    """Release what is still reserved for ``account``'s orders that are in Odoo or cancelled:
    Odoo's free quantity counts such an order already, so its reservation only understates the
    offer (and nothing else would ever release it). One audit record per order; the SKUs are
    marked dirty so Amazon gets the corrected quantity. In the caller's transaction."""
    released = await reservations.release_closed(conn, account)
    for order in released:
        await audit.record(conn, actor=actor, action="reservation.released", object_type=reservations.ORDER_KIND,
                           object_key=order.order_id,
                           details={"account": account, "marketplace_id": order.marketplace_id,
                                    "amazon_status": order.status, "units": dict(order.units),
                                    "reason": "in Odoo" if order.odoo_id is not None else order.claim_state,
                                    "odoo_id": order.odoo_id})
    await mark_dirty(conn, account, {sku for order in released for sku in order.units})
    if released:
        _log.warning("reservations.released_closed", account=account, orders=len(released),
                     units=sum(sum(order.units.values()) for order in released))
    return released


# -- the flow -----------------------------------------------------------------------------------


@dataclass(kw_only=True)
class CycleResult:
    computed: int = 0
    patched: int = 0
    urgent: int = 0
    fed: int = 0
    feeds: list[str] = field(default_factory=list)
    accepted: int = 0
    retryable: int = 0
    rejected: int = 0
    #: Orders in Odoo or cancelled whose leftover reservations a full resync released.
    released: int = 0
    #: monotonic time each update was handed to Amazon, per (marketplace, sku) (bench latency).
    submitted_at: dict[tuple[str, str], float] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class _Mapped:
    marketplace_id: str
    sku: str
    fulfillment: Literal["FBM", "FBA"]
    product_id: int


@dataclass(kw_only=True)
class _CycleInputs:
    """What one cycle computes from: the mapped rows per marketplace, the reservations (read
    before Odoo), and Odoo's free quantities per warehouse group (read once per cycle, so every
    marketplace of a group computes from the same figures)."""

    resolved: dict[str, list[_Mapped]]
    reserved: dict[str, dict[str, int]]
    free: dict[tuple[int, ...], dict[int, Decimal]] = field(default_factory=dict)
    #: (sharing marketplaces) → product → its FBM SKUs there.
    skus: dict[frozenset[str], dict[int, set[str]]] = field(default_factory=dict)
    #: ``split``: warehouse group → product → the FBM offers drawing on its units.
    claims: dict[tuple[int, ...], dict[int, list[Claim]]] = field(default_factory=dict)


class FbmStockPush:
    """The FBM push of one account. ``warehouses``: marketplace id → Odoo warehouse ids."""

    def __init__(self, *, account: str, marketplace_ids: Sequence[str], source: StockSource,
                 sink: OfferSink, warehouses: Mapping[str, Sequence[int]], config: StockConfig,
                 actor: str = "flow:stock", patch_concurrency: int = 5,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.account = account
        self.marketplace_ids = list(marketplace_ids)
        self.source = source
        self.sink = sink
        self.warehouses = {k: list(v) for k, v in warehouses.items()}
        self.config = config
        self.actor = actor
        self.patch_concurrency = patch_concurrency
        self.monotonic = monotonic

    # -- one cycle ------------------------------------------------------------------------

    async def run_cycle(self, conn: AsyncConnection[Any], *, full: bool = False,
                        progress: Progress | None = None) -> CycleResult:
        """Detect, compute, send, read results. ``conn`` must be in autocommit mode: each step
        commits on its own (a result is never held back by a later step's failure). ``full``
        recomputes every mapped SKU, after releasing the reservations of orders that are in Odoo
        or cancelled (:func:`release_closed_reservations`)."""
        result = CycleResult()
        await self.collect_results(conn, result)
        if full:
            # Reservations from the truth first: none may stay for an order Odoo has or that was
            # cancelled. Its own transaction: an import releasing the same rows must not wait
            # for the whole cycle.
            async with conn.transaction():
                result.released = len(await release_closed_reservations(conn, self.account, actor=self.actor))
        async with conn.transaction():
            mapped, new_cursor = await self._changed(conn, full)
            if mapped:
                # Reservations first, Odoo second: an order imported in between is then counted
                # twice (offered too few for one cycle), never missed (offered too many).
                inputs = _CycleInputs(
                    resolved={m: self._resolve(mapped, m) for m in self.marketplace_ids},
                    reserved={m: await reservations.reserved_units(conn, self.account, m)
                              for m in self.marketplace_ids})
                for marketplace_id in self.marketplace_ids:
                    rows = inputs.resolved[marketplace_id]
                    if rows:
                        result.computed += await self._compute(conn, marketplace_id, rows, inputs)
            if new_cursor is not None:
                await cursors.advance(conn, self.account, CURSOR_FLOW, new_cursor)
        for marketplace_id in self.marketplace_ids:
            await self.send_pending(conn, marketplace_id, result, progress=progress)
        return result

    async def _changed(self, conn: AsyncConnection[Any], full: bool
                       ) -> tuple[list[_Mapped], datetime | None]:
        state = await cursors.get(conn, self.account, CURSOR_FLOW)
        # A full resync computes every mapped SKU anyway; it reads Odoo's changes only to move the
        # cursor, so only those since the cursor (every quant and move only when there is none).
        since = None if state is None else state.cursor
        products, newest = await self.source.changed_products(since)
        async with cursor(conn) as cur:
            await cur.execute(TAKE_DIRTY, {"account": self.account})
            dirty = [row["sku"] for row in await cur.fetchall()]
            if not (full or products or dirty):
                return [], newest
            await cur.execute(MAPPED, {"account": self.account, "all": full,
                                       "products": sorted(products), "skus": dirty})
            rows = await cur.fetchall()
        return [_Mapped(marketplace_id=r["marketplace_id"], sku=r["sku"], fulfillment=r["fulfillment"],
                        product_id=int(r["odoo_product_id"])) for r in rows], newest

    @staticmethod
    def _resolve(mapped: Sequence[_Mapped], marketplace_id: str) -> list[_Mapped]:
        """Rows of this marketplace; a marketplace-specific row wins over the account-wide one."""
        chosen: dict[str, _Mapped] = {}
        for row in mapped:
            if row.marketplace_id == marketplace_id or (row.marketplace_id == "" and row.sku not in chosen):
                chosen[row.sku] = row
        return [chosen[sku] for sku in sorted(chosen)]

    def _group(self, marketplace_id: str) -> tuple[int, ...]:
        """Marketplaces with the same warehouse(s) sell the same units (``shared_warehouse``)."""
        return tuple(sorted(set(self.warehouses.get(marketplace_id, []))))

    def _sharing(self, marketplace_id: str) -> frozenset[str]:
        """Marketplaces with a warehouse in common: an order of any of them that Odoo does not
        have yet is taken off this one's offer too."""
        own = set(self.warehouses.get(marketplace_id, []))
        return frozenset({m for m, ids in self.warehouses.items() if own & set(ids)} | {marketplace_id})

    async def _free(self, inputs: _CycleInputs, marketplace_id: str) -> dict[int, Decimal]:
        group = self._group(marketplace_id)
        if group not in inputs.free:
            products = {r.product_id for m, rows in inputs.resolved.items() if self._group(m) == group
                        for r in rows if r.fulfillment == "FBM"}
            inputs.free[group] = await self.source.free_quantities(sorted(products), list(group))
        return inputs.free[group]

    def _product_skus(self, inputs: _CycleInputs, sharing: frozenset[str]) -> dict[int, set[str]]:
        if sharing not in inputs.skus:
            by_product: dict[int, set[str]] = {}
            for m in sharing:
                for r in inputs.resolved.get(m, ()):
                    if r.fulfillment == "FBM":
                        by_product.setdefault(r.product_id, set()).add(r.sku)
            inputs.skus[sharing] = by_product
        return inputs.skus[sharing]

    def _claims(self, inputs: _CycleInputs, marketplace_id: str, free: Mapping[int, Decimal]
                ) -> dict[int, list[Claim]]:
        """``split``: every FBM offer of the marketplace's warehouse group, by product."""
        group = self._group(marketplace_id)
        if group not in inputs.claims:
            by_product: dict[int, list[Claim]] = {}
            for other in sorted(m for m in self.marketplace_ids if self._group(m) == group):
                code = by_id(other).code
                weight = self.config.split_weights.get(code, Decimal(1))
                for r in inputs.resolved.get(other, ()):
                    if r.fulfillment == "FBM":
                        units = free.get(r.product_id, Decimal(0))
                        by_product.setdefault(r.product_id, []).append(Claim(
                            marketplace=code, sku=r.sku, weight=weight,
                            safety=safety_units(safety_rule(self.config, r.sku, code), units)))
            inputs.claims[group] = by_product
        return inputs.claims[group]

    async def _compute(self, conn: AsyncConnection[Any], marketplace_id: str, rows: Sequence[_Mapped],
                       inputs: _CycleInputs) -> int:
        code = by_id(marketplace_id).code
        fba = [r.sku for r in rows if r.fulfillment == "FBA"]
        known = await offers.load(conn, self.account, marketplace_id, fba) if fba else {}
        sharing = self._sharing(marketplace_id)
        reserved: dict[str, int] = {}
        for other in sharing:
            for sku, units in inputs.reserved.get(other, {}).items():
                reserved[sku] = reserved.get(sku, 0) + units
        product_skus = self._product_skus(inputs, sharing)
        free = await self._free(inputs, marketplace_id)
        split = self.config.shared_warehouse == "split"
        claims = self._claims(inputs, marketplace_id, free) if split else {}
        computations = []
        for row in rows:
            if row.fulfillment == "FBA":
                previous = known.get(row.sku)
                # Only a SKU we offered as FBM needs closing; FBA stock is Amazon's business.
                if previous is not None and previous.fulfillment == "FBM":
                    computations.append(offers.Computation(sku=row.sku, quantity=0, fulfillment="FBA",
                                                           odoo_product_id=row.product_id))
                continue
            available = free.get(row.product_id, Decimal(0))
            held = sum(reserved.get(sku, 0) for sku in product_skus.get(row.product_id, {row.sku}))
            own = Claim(marketplace=code, sku=row.sku,
                        safety=safety_units(safety_rule(self.config, row.sku, code), available))
            qty = shared_offers(free=available, reserved=held, claims=claims.get(row.product_id, [own]),
                                mode="split" if split else "full")[own.key]
            computations.append(offers.Computation(sku=row.sku, quantity=qty, fulfillment="FBM",
                                                   odoo_product_id=row.product_id))
        await offers.record_computed(conn, self.account, marketplace_id, computations)
        return len(computations)

    # -- sending ----------------------------------------------------------------------------

    async def send_pending(self, conn: AsyncConnection[Any], marketplace_id: str, result: CycleResult,
                           *, progress: Progress | None = None) -> None:
        states = await offers.pending(conn, self.account, marketplace_id)
        updates = [u for u in (self._plan(s) for s in states) if u is not None]
        # Known decreases first; a first/full sync (Amazon's value unknown) must not turn
        # thousands of zeros into patches at 5/s: beyond the cap they ride in the feed.
        known = {s.sku for s in states if s.accepted_qty is not None or s.submitted_qty is not None}
        urgent = sorted((u for u in updates if u.urgent), key=lambda u: (u.sku not in known, u.sku))
        overflow = urgent[self.config.max_urgent_patches:]
        urgent = urgent[:self.config.max_urgent_patches]
        normal = [u for u in updates if not u.urgent] + overflow
        if urgent:
            await self._patch(conn, marketplace_id, urgent, result)
            result.urgent += len(urgent)
        if not normal:
            return
        if len(normal) < self.config.feed_min_messages:
            await self._patch(conn, marketplace_id, normal, result)
            return
        documents = build_listings_feeds(self.sink.seller_id, normal,
                                         product_type=self.config.product_type,
                                         max_messages=self.config.feed_max_messages)
        done = 0
        for document in documents:
            await self._submit_feed(conn, marketplace_id, document, result)
            done += len(document)
            if progress:
                progress(marketplace_id, done, len(normal))

    def _plan(self, state: OfferState) -> QuantityUpdate | None:
        assert state.computed_qty is not None
        # pending() already compared with what Amazon has; plan_update classifies urgency.
        base = OfferState(sku=state.sku, computed_seq=0, submitted_qty=state.submitted_qty,
                          submitted_seq=state.submitted_seq, accepted_qty=state.accepted_qty,
                          accepted_seq=state.accepted_seq, fulfillment=state.fulfillment)
        return plan_update(base, quantity=state.computed_qty, seq=state.computed_seq,
                           urgent_threshold=self.config.urgent_threshold)

    async def _patch(self, conn: AsyncConnection[Any], marketplace_id: str,
                     updates: Sequence[QuantityUpdate], result: CycleResult) -> None:
        async with conn.transaction():
            await offers.mark_submitted(conn, self.account, marketplace_id, updates, via="patch")
        limiter = asyncio.Semaphore(self.patch_concurrency)

        async def one(update: QuantityUpdate) -> MessageOutcome:
            async with limiter:
                result.submitted_at[(marketplace_id, update.sku)] = self.monotonic()
                try:
                    body = await self.sink.patch_quantity(marketplace_id, update)
                except SyncError as exc:
                    return interpret_patch_error(update, retryable=exc.retryable,
                                                 message=exc.remote_message or exc.message)
                return interpret_patch_response(update, body)

        outcomes = await asyncio.gather(*(one(u) for u in updates))
        result.patched += len(updates)
        await self._record(conn, marketplace_id, outcomes, result, via="patch")

    async def _submit_feed(self, conn: AsyncConnection[Any], marketplace_id: str, document: FeedDocument,
                           result: CycleResult) -> None:
        async with conn.transaction():
            row_id = await offers.create_feed(conn, self.account, marketplace_id, document.messages)
        try:
            feed_id = await self.sink.submit_feed(marketplace_id, document.content)
        except SyncError as exc:
            async with conn.transaction():
                await offers.finish_feed(conn, row_id, state="failed", processing_status=None,
                                         summary=exc.context())
            _log.warning("stock feed not submitted; its SKUs stay pending",
                         **{**exc.context(), "account": self.account, "marketplace_id": marketplace_id})
            if not exc.retryable:
                raise
            return
        now = self.monotonic()
        for update in document.messages.values():
            result.submitted_at[(marketplace_id, update.sku)] = now
        async with conn.transaction():
            await offers.feed_submitted(conn, row_id, feed_id)
            await offers.mark_submitted(conn, self.account, marketplace_id,
                                        list(document.messages.values()), via="feed",
                                        submission_id=row_id)
        result.fed += len(document)
        result.feeds.append(feed_id)

    # -- results ------------------------------------------------------------------------------

    async def collect_results(self, conn: AsyncConnection[Any], result: CycleResult | None = None) -> int:
        """Read the report of every finished feed; returns how many feeds were closed."""
        result = result or CycleResult()
        closed = 0
        for feed in await offers.open_feeds(conn, self.account):
            if feed.feed_id is None:
                continue  # never submitted: its SKUs were not marked and stay pending
            try:
                status, report = await self.sink.feed_result(feed.feed_id)
            except SyncError as exc:
                if not exc.retryable:
                    raise
                continue
            if status not in ("DONE", "FATAL", "CANCELLED"):
                continue
            document = FeedDocument(content=b"", messages=feed.messages)
            outcomes = interpret_processing_report(document, processing_status=status, report=report)
            async with conn.transaction():
                summary = report_summary(report)
                if not await offers.finish_feed(conn, feed.id, state="done" if status == "DONE" else "failed",
                                                processing_status=status, summary=summary):
                    continue
                await self._record(conn, feed.marketplace_id, outcomes, result, via="feed",
                                   in_transaction=True)
            closed += 1
        return closed

    async def _record(self, conn: AsyncConnection[Any], marketplace_id: str,
                      outcomes: Sequence[MessageOutcome], result: CycleResult, *, via: str,
                      in_transaction: bool = False) -> None:
        if in_transaction:
            await self._record_in(conn, marketplace_id, outcomes, result, via)
        else:
            async with conn.transaction():
                await self._record_in(conn, marketplace_id, outcomes, result, via)

    async def _record_in(self, conn: AsyncConnection[Any], marketplace_id: str,
                         outcomes: Sequence[MessageOutcome], result: CycleResult, via: str) -> None:
        rejected = await offers.record_outcomes(conn, self.account, marketplace_id, outcomes,
                                                max_attempts=self.config.max_message_attempts)
        # Accepted SKUs close their open quarantine items: one statement per quantity (a feed
        # report holds up to 25,000 of them, nearly all without an item).
        accepted: dict[int, list[str]] = {}
        for outcome in outcomes:
            if outcome.outcome is Outcome.ACCEPTED:
                accepted.setdefault(outcome.update.quantity, []).append(
                    self._key(marketplace_id, outcome.update.sku))
        for quantity, keys in sorted(accepted.items()):
            await quarantine.resolve_many(conn, FLOW, keys, f"quantity {quantity} accepted")
        for outcome in outcomes:
            key = self._key(marketplace_id, outcome.update.sku)
            if outcome.outcome is Outcome.ACCEPTED:
                result.accepted += 1
                if outcome.fba_managed:
                    # The 0 closing a SKU switched to FBA, refused because Amazon manages it as FBA
                    # already: the merchant offer is closed, which is what the 0 was for.
                    await audit.record(conn, actor=self.actor, action="stock.fbm_offer_closed",
                                       object_type="offer", object_key=key,
                                       details={"via": via, "seq": outcome.update.seq,
                                                "amazon": outcome.reason})
                    _log.info("stock.fbm_offer_closed", account=self.account, marketplace_id=marketplace_id,
                              sku=outcome.update.sku, via=via, amazon=outcome.reason)
            elif outcome.update.sku in rejected:
                result.rejected += 1
                details: dict[str, Any] = {"via": via, "marketplace_id": marketplace_id,
                                           "outcome": str(outcome.outcome),
                                           "issues": [dict(i) for i in outcome.issues]}
                if outcome.action:
                    details["action"] = outcome.action
                await quarantine.put(conn, flow=FLOW, key=key, account=self.account, reason=outcome.reason,
                                     details=details,
                                     payload={"sku": outcome.update.sku,
                                              "quantity": outcome.update.quantity,
                                              "seq": outcome.update.seq})
            else:
                result.retryable += 1

    def _key(self, marketplace_id: str, sku: str) -> str:
        return f"{self.account}:{marketplace_id}:{sku}"

    async def record_audit(self, conn: AsyncConnection[Any], result: CycleResult, *, full: bool) -> None:
        async with conn.transaction():
            await audit.record(conn, actor=self.actor, action="stock.full_resync" if full else "stock.cycle",
                               object_type="account", object_key=self.account,
                               details={"computed": result.computed, "patched": result.patched,
                                        "fed": result.fed, "feeds": result.feeds,
                                        "released_reservations": result.released})


async def wait_for_feeds(push: FbmStockPush, conn: AsyncConnection[Any], *,
                         sleep: Callable[[float], Awaitable[None]], poll_seconds: float = 30.0,
                         timeout_seconds: float = 3600.0) -> int:
    """Poll until every open feed of the account is closed (CLI ``--wait``); closed count."""
    closed = 0
    waited = 0.0
    while await offers.open_feeds(conn, push.account):
        closed += await push.collect_results(conn)
        if not [f for f in await offers.open_feeds(conn, push.account) if f.feed_id]:
            break
        if waited >= timeout_seconds:
            break
        await sleep(poll_seconds)
        waited += poll_seconds
    return closed



# -- wiring: runtime, job ---------------------------------------------------------------------


async def stock_push_for(rt: Any, account: str) -> FbmStockPush:
    """The push of ``account`` on a ``flows.runtime.FlowRuntime`` (CLI, worker)."""
    settings = rt.settings
    marketplaces = settings.account(account).marketplaces
    refs = await rt.refs()
    warehouses = {mid: [(await refs.targets(mid)).warehouse_id] for mid in marketplaces}
    client = await rt.spapi(account)
    sink = SpApiOfferSink(client, product_type=settings.stock.product_type,
                          priority=settings.priorities.stock, urgent_priority=settings.priorities.stock + 1)
    source = OdooStockSource(await rt.odoo(), overlap_seconds=settings.stock.change_overlap_seconds)
    return FbmStockPush(account=account, marketplace_ids=marketplaces, source=source, sink=sink,
                        warehouses=warehouses, config=settings.stock)


@contextlib.asynccontextmanager
async def autocommit(pool: Any) -> AsyncIterator[AsyncConnection[Any]]:
    """A connection of ``pool`` in autocommit mode (each step of a cycle commits on its own),
    given back to the pool in the mode it had (the jobs pool is not in autocommit)."""
    async with pool.connection() as conn:
        before = conn.autocommit
        if not before:
            await conn.set_autocommit(True)
        try:
            yield conn
        finally:
            if not before and not conn.closed:
                await conn.set_autocommit(False)


def _declare_task() -> Any:
    from ..jobs.tasks import current_job, task

    @task(queue="stock", name="stock.fbm_cycle", queueing_lock_from="stock.fbm:{account}",
          lock_from="stock.fbm:{account}")
    async def stock_cycle_task(*, account: str, full: bool = False) -> dict[str, int]:
        """One FBM cycle of an account (scheduled every ``schedules.stock_poll`` seconds)."""
        from .runtime import job_runtime
        from .stock_catalog import map_products_for

        job = current_job()
        rt = job_runtime()
        push = await stock_push_for(rt, account)
        async with autocommit(job.pool) as conn:
            # SKUs mapped by default_code only: learn them from the listings when due.
            await map_products_for(rt, account, conn)
            result = await push.run_cycle(conn, full=full)
        return {"computed": result.computed, "patched": result.patched, "urgent": result.urgent,
                "fed": result.fed, "accepted": result.accepted, "rejected": result.rejected}

    return stock_cycle_task


stock_cycle_task = _declare_task()


def _register() -> None:
    from ..jobs.schedule import register_schedule

    register_schedule("stock.fbm_cycle", stock_cycle_task, every="stock_poll", per_account=True)


_register()
