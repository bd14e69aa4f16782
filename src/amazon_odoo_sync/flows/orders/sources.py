"""The orders flow's sources: when and in which order Amazon orders reach the inbox.

Four sources, one path. Each stores Amazon's order documents in the inbox first (keyed by
account, order id and Amazon's last-update time, so a duplicate is stored once), then the import
job drains the inbox in batches (:mod:`.drain`):

1. Push: ``ORDER_CHANGE`` notifications (from our HTTP endpoint or an SQS queue, read by
   :func:`read_notification`, stored by ``flows.notifications``), deduplicated by notification
   id; their item summary reserves the units at once for the stock flow;
   :func:`fetch_notified_orders` then gets the orders.
2. Polling backup: :func:`poll_orders`, ``searchOrders`` by last-update time per account (all
   its marketplaces in one search, cursors per marketplace) with an overlap window; the cursors
   move only after the pages are stored. This alone keeps Odoo complete if notifications stop.
3. Backfill / resync (:func:`backfill`) for a period; safe while workers run.
4. Recover one (:func:`recover_order`).

Quota: ``searchOrders`` (100 orders a page, but one call per 3 minutes after a burst of 20)
for bulk; ``getOrder`` (0.5/s, burst 30) for single pushed orders. When many pushed orders wait,
one ``searchOrders`` page is cheaper than a ``getOrder`` each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...exceptions import DataError, InvalidInputError, NotFoundError
from ...inventory import Reservation
from ...logs import get_logger
from ...mapping.amazon_order import AmazonOrder, parse_order_v2026
from ...store.inbox import InboxItem
from ...store.unit import UnitOfWork
from ..intake import ReadNotification
from ..runtime import FlowRuntime
from . import jobs
from .plan import waiting_units

__all__ = [
    "AMAZON_LAG",
    "CURSOR_FLOW",
    "INCLUDED_DATA",
    "NOTIFICATION_SOURCE",
    "StoreResult",
    "backfill",
    "fetch_notified_orders",
    "notifications_stored",
    "order_source",
    "poll_orders",
    "fetch_order",
    "read_notification",
    "store_orders",
]

_log = get_logger(__name__)

#: What an import needs; not PACKAGES, EXPENSE, PAYMENT, FULFILLMENT_ORDERS.
INCLUDED_DATA = ("BUYER", "RECIPIENT", "PROCEEDS", "PROMOTION", "CANCELLATION", "FULFILLMENT", "TAX")
CURSOR_FLOW = "orders"
NOTIFICATION_SOURCE = "notification"
#: Amazon wants lastUpdatedBefore at least two minutes in the past.
AMAZON_LAG = timedelta(minutes=2)
#: First poll of an account looks back this far.
INITIAL_LOOKBACK = timedelta(days=1)
#: From this many waiting pushed orders on, one searchOrders page beats a getOrder each.
SEARCH_THRESHOLD = 10


def order_source(account: str) -> str:
    """Inbox source of an account's order documents (one per account: drains stay per account)."""
    return f"orders/{account}"


def _order_key(doc: Mapping[str, Any]) -> str:
    return f"{doc.get('orderId')}@{doc.get('lastUpdatedTime')}"


@dataclass(kw_only=True)
class StoreResult:
    stored: int = 0
    duplicates: int = 0


async def store_orders(tx: UnitOfWork, account: str, docs: list[dict[str, Any]], *,
                       import_delay: float | None = None) -> StoreResult:
    """Put order documents into the inbox and, if any is new, make sure an import job waits.
    Both in ``tx``: the job exists if and only if the documents do. One statement for the whole
    page: a polling pass mostly meets documents stored already.

    ``import_delay`` (seconds): the import job starts that much later, so the orders stored
    meanwhile (the job's queueing lock makes them join it) go to Odoo in one batch."""
    by_key = {_order_key(doc): doc for doc in docs}
    new = await tx.inbox.put_many(source=order_source(account), account=account, items=by_key)
    result = StoreResult(stored=len(new), duplicates=len(docs) - len(new))
    await _reserve_queued(tx, account, [by_key[k] for k in by_key if k in new])
    if result.stored:
        await jobs.IMPORT.defer_in(tx, account=account, schedule_in=import_delay or None)
    return result


async def _reserve_queued(tx: UnitOfWork, account: str, docs: list[Mapping[str, Any]]) -> None:
    """Units of orders that wait in the queue and are not in Odoo yet (the import releases
    them): open FBM orders, which the stock flow must not offer again meanwhile, and shipped
    FBA orders, which Amazon's FBA figures already left out (see flows.fba_inventory)."""
    open_docs: dict[str, AmazonOrder] = {}
    for doc in docs:
        try:
            order = parse_order_v2026(doc)
        except DataError:
            continue  # the import quarantines it
        if order.is_fba and order.status == "SHIPPED" or \
                not order.is_fba and order.status in ("PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED"):
            open_docs[order.order_id] = order
    if not open_docs:
        return
    # Orders in Odoo or cancelled already are left out by the write itself (store.reservations).
    wanted = [Reservation(order_id=order_id, marketplace_id=order.marketplace_id, status=order.status,
                          units=waiting_units(order)) for order_id, order in open_docs.items()]
    written = await tx.reservations.reserve_many(account, wanted)
    await tx.offers.mark_dirty(account, {sku for r in wanted if r.order_id in written
                                         and not open_docs[r.order_id].is_fba for sku in r.units})


# -- 1. push ---------------------------------------------------------------------------------

def read_notification(notification: Mapping[str, Any],
                      account_for_seller: Callable[[str], str | None]) -> ReadNotification:
    """Check one ``ORDER_CHANGE`` notification and say whose it is (no I/O).

    Raises DataError for a payload that is not an ORDER_CHANGE notification we can read; the
    intake quarantines it."""
    if notification.get("NotificationType") != "ORDER_CHANGE":
        raise DataError(f"not an ORDER_CHANGE notification: {str(notification.get('NotificationType'))[:60]!r}")
    metadata = _object(notification.get("NotificationMetadata"), "NotificationMetadata")
    change = _object(_object(notification.get("Payload"), "Payload").get("OrderChangeNotification"),
                     "Payload.OrderChangeNotification")
    notification_id, order_id = metadata.get("NotificationId"), change.get("AmazonOrderId")
    seller_id = change.get("SellerId")
    if not notification_id or not order_id or not seller_id:
        raise DataError("ORDER_CHANGE notification lacks NotificationId, AmazonOrderId or SellerId")
    if not all(isinstance(v, str | int) for v in (notification_id, order_id, seller_id)):
        raise DataError("ORDER_CHANGE notification: NotificationId, AmazonOrderId and SellerId must be text")
    _check_summary(change.get("Summary"))
    if notification.get("EventTime") is not None:
        _check_time(notification["EventTime"], "EventTime")
    account = account_for_seller(str(seller_id))
    if account is None:
        raise DataError(f"ORDER_CHANGE for unknown seller {seller_id}")
    return ReadNotification(source=NOTIFICATION_SOURCE, notification_id=str(notification_id), account=account,
                            payload=notification)


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DataError(f"ORDER_CHANGE notification: {where} must be an object")
    return value


def _check_time(value: Any, where: str) -> None:
    try:
        parsed = _parse_time(str(value))
    except ValueError:
        raise DataError(f"ORDER_CHANGE notification: {where} {value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise DataError(f"ORDER_CHANGE notification: {where} {value!r} has no time zone")


def _check_summary(summary: Any) -> None:
    """What the intake reads of the summary (reservations) must be there as it expects it."""
    lines = _object(summary, "Summary").get("OrderItems")
    if lines is None:
        return
    if not isinstance(lines, list) or not all(isinstance(line, Mapping) for line in lines):
        raise DataError("ORDER_CHANGE notification: Summary.OrderItems must be a list of objects")
    for line in lines:
        if not isinstance(line.get("SellerSKU"), str | None):
            raise DataError("ORDER_CHANGE notification: Summary.OrderItems SellerSKU must be text")
        for key in ("Quantity", "QuantityShipped"):
            value = line.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or not 0 <= value < 1_000_000):
                raise DataError(f"ORDER_CHANGE notification: Summary.OrderItems {key} {value!r} "
                                "is not a number of units")


async def notifications_stored(tx: UnitOfWork, account: str, notifications: list[ReadNotification]) -> None:
    """After new ORDER_CHANGE notifications of ``account`` are stored, in the same unit of work:
    reserve the open units their summaries name (the stock flow must not offer them again while
    the orders are on their way to Odoo) and make sure a job fetches the orders.

    A notification often arrives after its order was imported (seconds to minutes later): the
    write refuses orders already in Odoo (store.reservations), since nothing would release them."""
    wanted: list[Reservation] = []
    for notification in notifications:
        change = notification.payload["Payload"]["OrderChangeNotification"]
        summary = change.get("Summary") or {}
        status = str(summary.get("OrderStatus") or "")
        if status not in ("Pending", "Unshipped", "PartiallyShipped") or summary.get("FulfillmentType") != "MFN":
            continue
        units: dict[str, int] = {}
        for line in summary.get("OrderItems") or []:
            if line.get("SellerSKU"):
                units[str(line["SellerSKU"])] = units.get(str(line["SellerSKU"]), 0) + max(
                    0, int(line.get("Quantity") or 0) - int(line.get("QuantityShipped") or 0))
        if units:
            wanted.append(Reservation(
                order_id=str(change["AmazonOrderId"]), marketplace_id=str(summary.get("MarketplaceId") or ""),
                status=status, units=units))
    written = await tx.reservations.reserve_many(account, wanted)
    await tx.offers.mark_dirty(account, {sku for r in wanted if r.order_id in written for sku in r.units})
    await jobs.FETCH_NOTIFIED.defer_in(tx, account=account)


async def fetch_notified_orders(rt: FlowRuntime, account: str, *, limit: int = 200) -> int:
    """Get the orders that notifications announced and store them for import."""
    # The sweep runs every few seconds and mostly finds nothing: one read, no transaction.
    async with rt.store.session() as session:
        if not await session.inbox.any_pending(source=NOTIFICATION_SOURCE, account=account):
            return 0
    # The notifications stay locked while their orders are fetched: a second fetcher takes others.
    async with rt.store.transaction() as tx:
        pending = await tx.inbox.pending(limit, source=NOTIFICATION_SOURCE, account=account, lock=True)
        if not pending:
            return 0
        order_ids = list(dict.fromkeys(
            str(i.payload["Payload"]["OrderChangeNotification"]["AmazonOrderId"]) for i in pending))
        spapi = await rt.spapi(account, priority=rt.settings.priorities.orders)
        docs: list[dict[str, Any]] = []
        if len(order_ids) >= SEARCH_THRESHOLD:
            times = [str(i.payload.get("EventTime")) for i in pending if i.payload.get("EventTime")]
            since = min(_parse_time(t) for t in times) - AMAZON_LAG if times else \
                rt.clock.now() - INITIAL_LOOKBACK
            # A notification's own time is not trusted beyond what Amazon accepts: one from the
            # future must not fail every fetch of the account.
            since = min(since, rt.clock.now() - AMAZON_LAG)
            wanted = set(order_ids)
            async for page in spapi.orders.search_orders_pages(
                    last_updated_after=since, included_data=INCLUDED_DATA, max_results_per_page=100,
                    marketplace_ids=_marketplaces(pending, rt.settings.account(account).marketplaces)):
                # Every order of the page, not only the announced ones: one whose notification
                # was lost comes along now rather than with the next poll (the inbox dedupes).
                docs.extend(page.get("orders", []))
                wanted -= {str(o.get("orderId")) for o in page.get("orders", [])}
                if not wanted:
                    break
            order_ids = sorted(wanted)  # not (yet) visible to searchOrders: ask one by one
        for order_id in order_ids:
            try:
                docs.append((await spapi.orders.get_order(order_id, included_data=INCLUDED_DATA))["order"])
            except (NotFoundError, InvalidInputError) as exc:
                # Amazon has no such order, or refuses the id itself (a malformed notification).
                _log.warning("order.notified_not_found", account=account, amazon_order_id=order_id[:40],
                             error=exc.message)
        await store_orders(tx, account, docs, import_delay=rt.settings.schedules.orders_import_delay)
        await tx.inbox.mark_processed_many(item.id for item in pending)
    return len(docs)


def _marketplaces(items: list[InboxItem], account_marketplaces: Sequence[str]) -> list[str]:
    """The account's marketplaces the notifications name (all of them when none does): Amazon
    refuses the whole search for one it does not know or the seller does not sell on."""
    ids: set[str] = set()
    for item in items:
        summary = ((item.payload.get("Payload") or {}).get("OrderChangeNotification") or {}).get("Summary") or {}
        ids.add(str(summary.get("MarketplaceId") if isinstance(summary, Mapping) else ""))
    named = sorted(ids & set(account_marketplaces))
    return named or sorted(account_marketplaces)


# -- 2. polling -------------------------------------------------------------------------------

async def poll_orders(rt: FlowRuntime, account: str, marketplace_ids: Sequence[str] | str, *,
                      since: datetime | None = None, until: datetime | None = None,
                      move_cursor: bool = True, progress: Callable[[int], None] | None = None) -> StoreResult:
    """Store every order of ``account`` in ``marketplace_ids`` updated since their cursors (the
    oldest, minus the overlap window) or ``since``; moves each marketplace's cursor once every
    page is stored.

    One ``searchOrders`` for all the marketplaces: its quota (one call per 3 minutes after a
    burst of 20) is the seller's, whatever the marketplace, and a page is a call.

    Without ``until`` no upper bound is sent: Amazon then uses "two minutes ago" by its own clock
    and says which time it used (``lastUpdatedBefore`` of the response), and that becomes the
    cursor, so our clock never has to agree with Amazon's."""
    marketplaces = [marketplace_ids] if isinstance(marketplace_ids, str) else list(marketplace_ids)
    total = StoreResult()
    upper: datetime | None = until
    if since is None:
        overlap = timedelta(seconds=rt.settings.schedules.orders_overlap)
        starts = []
        async with rt.store.session() as session:
            for marketplace_id in marketplaces:
                cursor = await session.cursors.get(account, CURSOR_FLOW, marketplace=marketplace_id)
                starts.append((cursor.cursor - overlap) if cursor and cursor.cursor else
                              rt.clock.now() - AMAZON_LAG - INITIAL_LOOKBACK)
        since = min(starts)
    spapi = await rt.spapi(account, priority=rt.settings.priorities.orders)
    async for page in spapi.orders.search_orders_pages(
            marketplace_ids=marketplaces, last_updated_after=since, last_updated_before=until,
            included_data=INCLUDED_DATA, max_results_per_page=100):
        if upper is None and page.get("lastUpdatedBefore"):
            upper = _parse_time(str(page["lastUpdatedBefore"]))
        docs = list(page.get("orders", []))
        async with rt.store.transaction() as tx:
            stored = await store_orders(tx, account, docs, import_delay=rt.settings.schedules.orders_import_delay)
        total.stored += stored.stored
        total.duplicates += stored.duplicates
        if progress:
            progress(len(docs))
    if move_cursor:
        upper = upper or (rt.clock.now() - AMAZON_LAG)
        async with rt.store.transaction() as tx:
            for marketplace_id in marketplaces:
                await tx.cursors.advance(account, CURSOR_FLOW, upper, marketplace=marketplace_id)
    return total


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- 3. and 4. backfill, recover one ------------------------------------------------------------

async def backfill(rt: FlowRuntime, account: str, marketplace_ids: list[str], since: datetime,
                   until: datetime | None = None, progress: Callable[[int], None] | None = None) -> StoreResult:
    """Re-read a period; the cursors stay where they are. Imports happen in the workers, or by
    ``import_pending`` when the caller runs it."""
    return await poll_orders(rt, account, marketplace_ids, since=since, until=until, move_cursor=False,
                             progress=progress)


async def fetch_order(rt: FlowRuntime, account: str, order_id: str) -> None:
    """Fetch one order and put it in the inbox (``recover_order`` imports it then)."""
    spapi = await rt.spapi(account, priority=rt.settings.priorities.orders)
    doc = (await spapi.orders.get_order(order_id, included_data=INCLUDED_DATA))["order"]
    async with rt.store.transaction() as tx:
        await tx.inbox.put(source=order_source(account), key=_order_key(doc), account=account, payload=doc)
