"""FBM stock push: Odoo free quantities → Amazon merchant offers, deltas only, never stale.

One cycle (:meth:`FbmStockPush.run_cycle`, run every ``schedules.stock_poll`` seconds per
account, one at a time per account):

1. **What changed.** Products whose ``stock.quant``/``stock.move`` ``write_date`` is after the
   cursor (minus ``stock.change_overlap_seconds``: a transaction that committed late is not
   missed), plus SKUs marked dirty by our own order imports (``tx.offers.mark_dirty``, in the
   order flow's transaction), plus everything with ``full``.
2. **Compute** per marketplace (:func:`.plan.plan_computations`): free quantity in the
   marketplace's warehouse(s) − safety stock − units of Amazon orders not in Odoo yet
   (``tx.reservations``), per Odoo product (SKUs of the same product, in marketplaces sharing
   the warehouse, draw on the same units); recorded with a per-SKU sequence number
   (``tx.offers``). Marketplaces served from the same warehouse(s) each offer every unit
   (``shared_warehouse = "full"``) or a weighted share (``"split"``,
   :func:`~amazon_odoo_sync.mapping.stock.shared_offers`). A SKU switched from FBM to FBA gets 0
   (sent first; Amazon refusing it with 8560, "the SKU is FBA", means done).
3. **Send** what differs from what Amazon has (or is getting) (:func:`.plan.plan_sending`):
   urgent decreases (to 0 / to the urgent threshold) at once with ``patchListingsItem`` at the top
   priority; the rest as patches when few, else as ``JSON_LISTINGS_FEED`` documents of ≤ 25,000
   messages.
4. **Results**: open feeds are polled; each message is accepted (moves the accepted value, if
   its seq is newer), retryable (pending again, up to ``max_message_attempts``) or rejected
   (quarantine ``stock`` / ``account:marketplace:sku`` with Amazon's messages).

The package: :mod:`.plan` (pure decisions), :mod:`.ports` (the Odoo and Amazon sides as
Protocols), :mod:`.adapters` (those ports on our clients), :mod:`.push` (read → plan → write
through the store), :mod:`.write` (results, released reservations). Here: the entry points the
CLI, the bench and the worker use, and the worker's task.
"""

from __future__ import annotations

from ..runtime import FlowRuntime
from .adapters import OdooStockSource, SpApiOfferSink
from .ports import OfferSink, StockSource
from .push import CURSOR_FLOW, CycleResult, FbmStockPush, Progress, wait_for_feeds
from .write import FLOW, release_closed_reservations

__all__ = [
    "CURSOR_FLOW",
    "FLOW",
    "CycleResult",
    "FbmStockPush",
    "OdooStockSource",
    "OfferSink",
    "Progress",
    "SpApiOfferSink",
    "StockSource",
    "release_closed_reservations",
    "stock_push_for",
    "wait_for_feeds",
]


async def stock_push_for(rt: FlowRuntime, account: str) -> FbmStockPush:
    """The push of ``account`` on a runtime (CLI, worker, bench)."""
    settings = rt.settings
    marketplaces = settings.account(account).marketplaces
    refs = await rt.refs()
    warehouses = {mid: [(await refs.targets(mid)).warehouse_id] for mid in marketplaces}
    client = await rt.spapi(account)
    sink = SpApiOfferSink(client, product_type=settings.stock.product_type,
                          priority=settings.priorities.stock, urgent_priority=settings.priorities.stock + 1)
    source = OdooStockSource(await rt.odoo(), overlap_seconds=settings.stock.change_overlap_seconds)
    return FbmStockPush(store=rt.store, account=account, marketplace_ids=marketplaces, source=source, sink=sink,
                        warehouses=warehouses, config=settings.stock)
