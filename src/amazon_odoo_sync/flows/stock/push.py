"""The FBM push of one account: read → plan (:mod:`.plan`) → write, through the store and the
two ports (:mod:`.ports`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ...config import StockConfig
from ...exceptions import SyncError
from ...logs import get_logger
from ...mapping.stock import (
    Computation,
    FeedDocument,
    MessageOutcome,
    QuantityUpdate,
    interpret_patch_error,
    interpret_patch_response,
    interpret_processing_report,
    report_summary,
)
from ...store.unit import Store, UnitOfWork
from . import plan
from .ports import OfferSink, StockSource
from .write import record_outcomes, release_closed_reservations

__all__ = ["CURSOR_FLOW", "CycleResult", "FbmStockPush", "Progress", "wait_for_feeds"]

CURSOR_FLOW = "stock-fbm"
_log = get_logger(__name__)

#: ``progress(marketplace_id, messages submitted, messages to submit)`` while feeds go out.
Progress = Callable[[str, int, int], None]


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


class FbmStockPush:
    """The FBM push of one account. ``warehouses``: marketplace id → Odoo warehouse ids."""

    def __init__(self, *, store: Store, account: str, marketplace_ids: Sequence[str], source: StockSource,
                 sink: OfferSink, warehouses: Mapping[str, Sequence[int]], config: StockConfig,
                 actor: str = "flow:stock", patch_concurrency: int = 5,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.account = account
        self.marketplace_ids = list(marketplace_ids)
        self.source = source
        self.sink = sink
        self.layout = plan.Layout(marketplace_ids=tuple(marketplace_ids),
                                  warehouses={k: tuple(v) for k, v in warehouses.items()})
        self.config = config
        self.actor = actor
        self.patch_concurrency = patch_concurrency
        self.monotonic = monotonic

    # -- one cycle ------------------------------------------------------------------------

    async def run_cycle(self, *, full: bool = False, progress: Progress | None = None) -> CycleResult:
        """Read results, compute, send. Each step commits on its own (a result is never held
        back by a later step's failure). ``full`` recomputes every mapped SKU, after releasing
        the reservations of orders that are in Odoo or cancelled."""
        result = CycleResult()
        await self.collect_results(result)
        if full:
            # Reservations from the truth first: none may stay for an order Odoo has or that was
            # cancelled. Its own transaction: an import releasing the same rows must not wait
            # for the whole cycle.
            async with self.store.transaction() as tx:
                result.released = len(await release_closed_reservations(tx, self.account, actor=self.actor))
        # One transaction: the dirty marks taken, the computations recorded and the cursor moved
        # commit together, or the next cycle takes them again.
        async with self.store.transaction() as tx:
            mapped, new_cursor = await self._changed(tx, full)
            if mapped:
                for marketplace_id, computations in (await self._compute(tx, mapped)).items():
                    await tx.offers.record_computed(self.account, marketplace_id, computations)
                    result.computed += len(computations)
            if new_cursor is not None:
                await tx.cursors.advance(self.account, CURSOR_FLOW, new_cursor)
        for marketplace_id in self.marketplace_ids:
            await self.send_pending(marketplace_id, result, progress=progress)
        return result

    async def _changed(self, tx: UnitOfWork, full: bool) -> tuple[list[plan.MappedOffer], datetime | None]:
        state = await tx.cursors.get(self.account, CURSOR_FLOW)
        # A full resync computes every mapped SKU anyway; it reads Odoo's changes only to move the
        # cursor, so only those since the cursor (every quant and move only when there is none).
        since = None if state is None else state.cursor
        products, newest = await self.source.changed_products(since)
        dirty = await tx.offers.take_dirty(self.account)
        if not (full or products or dirty):
            return [], newest
        rows = await tx.product_map.of_products(self.account, every=full, product_ids=products, skus=dirty)
        return [plan.MappedOffer(marketplace_id=r.marketplace_id, sku=r.sku,
                                 fulfillment="FBA" if r.fulfillment == "FBA" else "FBM", product_id=r.odoo_product_id)
                for r in rows], newest

    async def _compute(self, tx: UnitOfWork, mapped: Sequence[plan.MappedOffer]
                       ) -> dict[str, list[Computation]]:
        resolved = {m: plan.resolve(mapped, m) for m in self.marketplace_ids}
        # Reservations first, Odoo second: an order imported in between is then counted twice
        # (offered too few for one cycle), never missed (offered too many).
        reserved = {m: await tx.reservations.reserved_units(self.account, m) for m in self.marketplace_ids}
        offered_fbm: dict[str, frozenset[str]] = {}
        for marketplace_id, rows in resolved.items():
            fba = [r.sku for r in rows if r.fulfillment == "FBA"]
            if fba:
                known = await tx.offers.load(self.account, marketplace_id, fba)
                offered_fbm[marketplace_id] = frozenset(s for s, o in known.items() if o.fulfillment == "FBM")
        free: dict[plan.WarehouseGroup, Mapping[int, Decimal]] = {}
        for group, products in plan.products_to_read(resolved, self.layout).items():
            free[group] = await self.source.free_quantities(products, list(group))
        inputs = plan.StockInputs(resolved=resolved, reserved=reserved, free=free, offered_fbm=offered_fbm)
        return plan.plan_computations(inputs, self.layout, self.config)

    # -- sending ----------------------------------------------------------------------------

    async def send_pending(self, marketplace_id: str, result: CycleResult, *,
                           progress: Progress | None = None) -> None:
        async with self.store.session() as tx:
            pending = await tx.offers.pending(self.account, marketplace_id)
        sending = plan.plan_sending(pending, self.config, seller_id=self.sink.seller_id)
        if sending.urgent:
            await self._patch(marketplace_id, sending.urgent, result)
            result.urgent += len(sending.urgent)
        if sending.patches:
            await self._patch(marketplace_id, sending.patches, result)
        done = 0
        for document in sending.feeds:
            await self._submit_feed(marketplace_id, document, result)
            done += len(document)
            if progress:
                progress(marketplace_id, done, sending.fed)

    async def _patch(self, marketplace_id: str, updates: Sequence[QuantityUpdate], result: CycleResult) -> None:
        async with self.store.transaction() as tx:
            await tx.offers.mark_submitted(self.account, marketplace_id, updates, via="patch")
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
        async with self.store.transaction() as tx:
            await self._record(tx, marketplace_id, outcomes, result, via="patch")

    async def _submit_feed(self, marketplace_id: str, document: FeedDocument, result: CycleResult) -> None:
        async with self.store.transaction() as tx:
            row_id = await tx.offers.create_feed(self.account, marketplace_id, document.messages)
        try:
            feed_id = await self.sink.submit_feed(marketplace_id, document.content)
        except SyncError as exc:
            async with self.store.transaction() as tx:
                await tx.offers.finish_feed(row_id, state="failed", processing_status=None, summary=exc.context())
            _log.warning("stock feed not submitted; its SKUs stay pending",
                         **{**exc.context(), "account": self.account, "marketplace_id": marketplace_id})
            if not exc.retryable:
                raise
            return
        now = self.monotonic()
        for update in document.messages.values():
            result.submitted_at[(marketplace_id, update.sku)] = now
        async with self.store.transaction() as tx:
            await tx.offers.feed_submitted(row_id, feed_id)
            await tx.offers.mark_submitted(self.account, marketplace_id, list(document.messages.values()),
                                           via="feed", submission_id=row_id)
        result.fed += len(document)
        result.feeds.append(feed_id)

    # -- results ------------------------------------------------------------------------------

    async def waiting_feeds(self) -> list[int]:
        """Ids (ours) of the account's feeds submitted to Amazon and not closed yet."""
        async with self.store.session() as tx:
            return [f.id for f in await tx.offers.open_feeds(self.account) if f.feed_id is not None]

    async def collect_results(self, result: CycleResult | None = None) -> int:
        """Read the report of every finished feed; returns how many feeds were closed."""
        result = result or CycleResult()
        closed = 0
        async with self.store.session() as tx:
            feeds = await tx.offers.open_feeds(self.account)
        for feed in feeds:
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
            async with self.store.transaction() as tx:
                if not await tx.offers.finish_feed(feed.id, state="done" if status == "DONE" else "failed",
                                                   processing_status=status, summary=report_summary(report)):
                    continue
                await self._record(tx, feed.marketplace_id, outcomes, result, via="feed")
            closed += 1
        return closed

    async def _record(self, tx: UnitOfWork, marketplace_id: str, outcomes: Sequence[MessageOutcome],
                      result: CycleResult, *, via: str) -> None:
        recorded = await record_outcomes(tx, account=self.account, marketplace_id=marketplace_id, outcomes=outcomes,
                                         via=via, max_attempts=self.config.max_message_attempts, actor=self.actor)
        result.accepted += recorded.accepted
        result.rejected += recorded.rejected
        result.retryable += recorded.retryable

    async def record_audit(self, result: CycleResult, *, full: bool) -> None:
        async with self.store.transaction() as tx:
            await tx.audit.record(actor=self.actor, action="stock.full_resync" if full else "stock.cycle",
                                  object_type="account", object_key=self.account,
                                  details={"computed": result.computed, "patched": result.patched,
                                           "fed": result.fed, "feeds": result.feeds,
                                           "released_reservations": result.released})


async def wait_for_feeds(push: FbmStockPush, *, sleep: Callable[[float], Awaitable[None]],
                         poll_seconds: float = 30.0, timeout_seconds: float = 3600.0) -> int:
    """Poll until every open feed of the account is closed (CLI ``--wait``); closed count."""
    closed = 0
    waited = 0.0
    while await push.waiting_feeds():
        closed += await push.collect_results()
        if not await push.waiting_feeds():
            break
        if waited >= timeout_seconds:
            break
        await sleep(poll_seconds)
        waited += poll_seconds
    return closed
