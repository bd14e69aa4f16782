"""The shipments flow: FBM deliveries validated in Odoo → ``confirmShipment`` on Amazon, once.

Every few seconds (``[schedules] shipments_poll``), per account:

1. **Scan.** Done outgoing ``stock.picking`` of sale orders changed since the cursor (minus an
   overlap) are read in one call; those of this account's Amazon orders (``external_ids``
   ``sale.order``) are planned (:mod:`..mapping.shipment`) and stored as rows of
   ``shipment_confirmations`` (:mod:`..store.shipments`), the cursor moving in the same
   transaction. Backorders and split deliveries are pickings of their own: each is one package
   with its own items. A delivery without tracking waits (``waiting_tracking``).
2. **Waiting deliveries** are read again by id; tracking set → planned; still none after
   ``[shipments] tracking_grace_minutes`` → reported in the quarantine (still watched).
3. **Send.** Pending rows are sent, a few at a time, each under its row lock; the stored body is
   what goes out, so a retry after a crash re-sends the same package (same
   ``packageReferenceId``), never another one. Throttling/5xx: the row stays pending and is
   retried; Amazon's refusals (order cancelled or already shipped, bad carrier, tracking,
   quantities) → ``rejected`` + quarantine with Amazon's message and what to do.
4. **Odoo.** Each confirmed delivery gets a note on its sale order with the Amazon status.

``sync shipments`` runs the same with ``retry_failed``: rejected and invalid deliveries are
planned again from Odoo (after the user fixed them) and sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from ..amazon.client import SpApiClient
from ..clock import Clock, SystemClock
from ..config import ShipmentCarrier, ShipmentsConfig
from ..exceptions import (
    AuthorizationError,
    CircuitOpenError,
    ConfigurationError,
    DataError,
    NotFoundError,
    PermanentError,
    RetryableError,
    SyncError,
    ThrottledError,
)
from ..jobs.schedule import register_schedule
from ..jobs.tasks import task
from ..logs import get_logger
from ..mapping.amazon_order import AmazonOrder, parse_order_v2026
from ..mapping.shipment import (
    CarrierRule,
    DonePicking,
    MissingTrackingError,
    ShippedMove,
    choose_carrier,
    plan_shipment,
)
from ..odoo.client import OdooClient
from ..odoo.values import from_odoo_datetime, m2o_id, m2o_name, to_odoo_datetime
from ..store import audit, cursors, product_map, quarantine
from ..store import shipments as rows
from ..store._sql import cursor as dict_cursor
from .runtime import FlowRuntime, job_runtime

__all__ = [
    "CURSOR_FLOW",
    "FLOW",
    "ShipmentResult",
    "ShipmentSync",
    "classify_amazon_error",
    "poll_shipments",
    "poll_shipments_task",
]

FLOW: Final = "shipments"
CURSOR_FLOW: Final = "shipments"
#: First scan of an account looks back this far.
INITIAL_LOOKBACK: Final = timedelta(days=2)
PICKING_FIELDS: Final = ["name", "state", "picking_type_code", "sale_id", "carrier_id", "carrier_tracking_ref",
                         "date_done", "write_date", "move_ids", "backorder_id"]
MOVE_FIELDS: Final = ["product_id", "quantity", "state"]
#: Retry delay of a pending row after a retryable error without a hint (seconds, doubled per attempt).
RETRY_BASE: Final = 5.0
RETRY_CAP: Final = 900.0
QUIET: Final = {"tracking_disable": True, "mail_create_nosubscribe": True}

_log = get_logger(__name__)
_LATEST_ORDERS = """
SELECT DISTINCT ON (payload->>'orderId') payload FROM inbox
WHERE source = %(source)s AND payload->>'orderId' = ANY(%(order_ids)s)
ORDER BY payload->>'orderId', payload->>'lastUpdatedTime' DESC, id DESC
"""


@dataclass(kw_only=True)
class ShipmentResult:
    scanned: int = 0
    planned: int = 0
    waiting: int = 0
    confirmed: int = 0
    rejected: int = 0
    invalid: int = 0
    skipped: int = 0
    retry: int = 0
    noted: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


@dataclass(frozen=True, kw_only=True)
class AmazonRefusal:
    kind: str
    reason: str
    action: str


def classify_amazon_error(exc: SyncError) -> AmazonRefusal:
    """Amazon's refusal of a confirmShipment → what it means and what the user should do."""
    message = (exc.remote_message or exc.message or "").strip()
    text = message.casefold()
    if "cancel" in text:
        return AmazonRefusal(kind="order_cancelled", reason=f"the order is cancelled on Amazon: {message}",
                             action="Do not ship (or recall the parcel); check the Odoo order and its refund, "
                                    "then resolve this item.")
    if "already fulfilled" in text or "already shipped" in text or "already been shipped" in text:
        return AmazonRefusal(kind="already_shipped", reason=f"Amazon says the order is already shipped: {message}",
                             action="Check in Seller Central whether the shipment was confirmed elsewhere; "
                                    "if it was, resolve this item, otherwise contact Amazon seller support.")
    if "carrier" in text:
        return AmazonRefusal(kind="invalid_carrier", reason=f"Amazon refused the carrier: {message}",
                             action="Map the Odoo carrier to an Amazon carrier code in [shipments.carriers] "
                                    "(or set its name), then run `sync shipments --account A`.")
    if "tracking" in text:
        return AmazonRefusal(kind="invalid_tracking", reason=f"Amazon refused the tracking number: {message}",
                             action="Correct the tracking number on the delivery in Odoo; it is sent again "
                                    "automatically (or run `sync shipments --account A`).")
    if "quantity" in text or "orderitemid" in text or "exceeds" in text:
        return AmazonRefusal(kind="items_mismatch", reason=f"Amazon refused the items: {message}",
                             action="Compare the delivery with the Amazon order (items shipped elsewhere?), "
                                    "fix the delivery or resolve this item.")
    if "pending" in text:
        return AmazonRefusal(kind="order_pending", reason=f"the order is still pending on Amazon: {message}",
                             action="Wait until Amazon releases the order, then run `sync shipments --account A`.")
    if isinstance(exc, NotFoundError):
        return AmazonRefusal(kind="order_not_found", reason=f"Amazon does not know the order: {message}",
                             action="Check the account and the sale order's Amazon reference.")
    return AmazonRefusal(kind="refused", reason=f"Amazon refused the shipment confirmation: {message}",
                         action="Fix what Amazon's message names, then run `sync shipments --account A`.")


def _carrier_rule(config: ShipmentCarrier) -> CarrierRule:
    return CarrierRule(code=config.code, name=config.name, shipping_method=config.shipping_method)


class ShipmentSync:
    """One account's shipments: scan Odoo, send to Amazon, note in Odoo (see the module)."""

    def __init__(self, *, pool: AsyncConnectionPool[Any], odoo: OdooClient, spapi: SpApiClient, account: str,
                 config: ShipmentsConfig | None = None, clock: Clock | None = None,
                 actor: str = "flow:shipments") -> None:
        self.pool = pool
        self.odoo = odoo
        self.spapi = spapi
        self.account = account
        self.config = config or ShipmentsConfig()
        self.clock = clock or SystemClock()
        self.actor = actor
        self._rules = {name: _carrier_rule(rule) for name, rule in self.config.carriers.items()}
        self._default = _carrier_rule(self.config.default_carrier) if self.config.default_carrier else None

    # -- the whole run ----------------------------------------------------------------------

    async def run(self, *, since: datetime | None = None, move_cursor: bool = True, retry_failed: bool = False,
                  progress: Callable[[int, int], None] | None = None) -> ShipmentResult:
        result = ShipmentResult()
        await self.scan(result, since=since, move_cursor=move_cursor)
        await self.recheck(result, retry_failed=retry_failed, since=since)
        await self.send_pending(result, progress=progress)
        if self.config.post_odoo_note:
            await self.note_in_odoo(result)
        return result

    # -- 1. scan ------------------------------------------------------------------------------

    async def scan(self, result: ShipmentResult, *, since: datetime | None = None,
                   move_cursor: bool = True) -> None:
        async with self.pool.connection() as conn:
            if since is None:
                stored = await cursors.get(conn, self.account, CURSOR_FLOW)
                overlap = timedelta(seconds=self.config.change_overlap_seconds)
                since = (stored.cursor - overlap) if stored and stored.cursor else self.clock.now() - INITIAL_LOOKBACK
            pickings = await self.odoo.search_read(
                "stock.picking", [("picking_type_code", "=", "outgoing"), ("state", "=", "done"),
                                  ("sale_id", "!=", False), ("write_date", ">=", to_odoo_datetime(since))],
                PICKING_FIELDS)
            result.scanned += len(pickings)
            newest = max((d for d in (from_odoo_datetime(p.get("write_date")) for p in pickings) if d), default=None)
            async with conn.transaction():
                await rows.lock_account(conn, self.account)
                await self._plan(conn, pickings, result)
                if move_cursor and newest is not None:
                    await cursors.advance(conn, self.account, CURSOR_FLOW, newest)

    async def _plan(self, conn: AsyncConnection[Any], pickings: Sequence[Mapping[str, Any]],
                    result: ShipmentResult, *, force: bool = False) -> None:
        """Plan and store the rows of ``pickings`` (this account's Amazon ones) in the caller's
        transaction. Rows already pending, confirmed or skipped are left alone."""
        order_of = await rows.sale_orders_of(conn, self.account,
                                             {m2o_id(p.get("sale_id")) or 0 for p in pickings} - {0})
        mine = [p for p in pickings if m2o_id(p.get("sale_id")) in order_of and p.get("state") == "done"]
        if not mine:
            return
        existing = await rows.get_many(conn, self.account, [int(p["id"]) for p in mine])
        todo = [p for p in sorted(mine, key=lambda p: int(p["id"]))
                if int(p["id"]) not in existing
                or existing[int(p["id"])].state in (rows.WAITING_TRACKING, rows.REJECTED, rows.INVALID)]
        if not todo:
            return
        moves = await self._moves([m for p in todo for m in p.get("move_ids") or []])
        order_ids = sorted({order_of[m2o_id(p["sale_id"]) or 0] for p in todo})
        orders = await self._amazon_orders(conn, order_ids)
        committed = await rows.committed_items(conn, self.account, order_ids)
        products: dict[str, dict[str, int]] = {}
        now = self.clock.now()
        for raw in todo:
            picking_id = int(raw["id"])
            sale_id = m2o_id(raw["sale_id"])
            order_id = order_of[sale_id or 0]
            common: dict[str, Any] = {"account": self.account, "picking_id": picking_id,
                                      "picking_name": str(raw.get("name") or picking_id), "sale_order_id": sale_id,
                                      "amazon_order_id": order_id, "now": now, "force": force}
            order = orders.get(order_id)
            try:
                if order is None:
                    raise DataError(f"Amazon order {order_id} could not be read")
                common["marketplace_id"] = order.marketplace_id
                if order.is_fba:
                    await rows.save(conn, state=rows.SKIPPED, last_error="fulfilled by Amazon", **common)
                    result.skipped += 1
                    continue
                if order.marketplace_id not in products:
                    products[order.marketplace_id] = await self._products(
                        conn, order.marketplace_id, [i.sku for o in orders.values()
                                                     if o.marketplace_id == order.marketplace_id for i in o.items])
                picking = self._done_picking(raw, moves)
                merged: dict[str, int] = {}
                for pid, per_item in committed.get(order_id, {}).items():
                    if pid != picking_id:
                        for item, qty in per_item.items():
                            merged[item] = merged.get(item, 0) + qty
                plan = plan_shipment(picking, order, products[order.marketplace_id],
                                     choose_carrier(picking.carrier_name, self._rules, self._default),
                                     committed=merged)
            except MissingTrackingError as exc:
                common.setdefault("marketplace_id", None)
                await rows.save(conn, state=rows.WAITING_TRACKING, last_error=exc.message,
                                error_kind="missing_tracking", **common)
                known = existing.get(picking_id)
                if known is None or known.state != rows.WAITING_TRACKING:
                    result.waiting += 1
                continue
            except PermanentError as exc:
                common.setdefault("marketplace_id", None)
                saved = await rows.save(conn, state=rows.INVALID, last_error=exc.message, error_kind="invalid",
                                        **common)
                if saved is not None:
                    await self._quarantine(conn, saved.picking_id, saved.picking_name, order_id,
                                           reason=f"delivery cannot be confirmed: {exc.message}",
                                           action="Fix the delivery in Odoo (or the configuration), then run "
                                                  "`sync shipments --account A`.", details=exc.context())
                    result.problems.append(f"{saved.picking_name}: {exc.message}")
                result.invalid += 1
                continue
            saved = await rows.save(conn, state=rows.PENDING, body=plan.body, items=plan.items, **common)
            if saved is not None:
                committed.setdefault(order_id, {})[picking_id] = dict(plan.items)
                await quarantine.resolve(conn, FLOW, self._key(picking_id), "planned again")
                result.planned += 1

    def _done_picking(self, raw: Mapping[str, Any], moves: Mapping[int, Mapping[str, Any]]) -> DonePicking:
        done_at = from_odoo_datetime(raw.get("date_done")) or from_odoo_datetime(raw.get("write_date"))
        if done_at is None:
            raise DataError(f"delivery {raw.get('name')} has no date done")
        shipped = []
        for move_id in raw.get("move_ids") or []:
            move = moves.get(int(move_id))
            if move is None or move.get("state") != "done":
                continue
            product_id = m2o_id(move.get("product_id"))
            if product_id:
                shipped.append(ShippedMove(product_id=product_id, quantity=float(move.get("quantity") or 0)))
        tracking = raw.get("carrier_tracking_ref")
        return DonePicking(id=int(raw["id"]), name=str(raw.get("name") or raw["id"]),
                           carrier_name=m2o_name(raw.get("carrier_id")) or None,
                           tracking_ref=str(tracking) if tracking else None, date_done=done_at,
                           moves=tuple(shipped))

    async def _moves(self, move_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        ids = sorted({int(m) for m in move_ids})
        if not ids:
            return {}
        return {int(m["id"]): m for m in await self.odoo.read("stock.move", ids, MOVE_FIELDS)}

    async def _amazon_orders(self, conn: AsyncConnection[Any], order_ids: Sequence[str]) -> dict[str, AmazonOrder]:
        """Amazon orders as the orders flow stored them; those it did not store are fetched."""
        from .orders import order_source

        docs: dict[str, Any] = {}
        async with dict_cursor(conn) as cur:
            await cur.execute(_LATEST_ORDERS, {"source": order_source(self.account), "order_ids": list(order_ids)})
            for row in await cur.fetchall():
                docs[str(row["payload"].get("orderId"))] = row["payload"]
        for order_id in order_ids:
            if order_id not in docs:
                try:
                    docs[order_id] = (await self.spapi.orders.get_order(
                        order_id, included_data=("FULFILLMENT",)))["order"]
                except (NotFoundError, KeyError):
                    _log.warning("shipment.order_not_found", account=self.account, amazon_order_id=order_id)
        orders: dict[str, AmazonOrder] = {}
        for order_id, doc in docs.items():
            try:
                orders[order_id] = parse_order_v2026(doc)
            except DataError as exc:
                _log.warning("shipment.order_unreadable", account=self.account, amazon_order_id=order_id,
                             error=exc.message)
        return orders

    async def _products(self, conn: AsyncConnection[Any], marketplace_id: str, skus: Iterable[str]) -> dict[str, int]:
        """SKU → Odoo product, as the order import resolves it: the product map, else default_code."""
        wanted = sorted(set(skus))
        found = await product_map.lookup(conn, self.account, marketplace_id, wanted)
        missing = [s for s in wanted if s not in found]
        if missing:
            for row in await self.odoo.search_read("product.product", [("default_code", "in", missing)],
                                                   ["default_code"], context={"active_test": False}):
                found.setdefault(str(row["default_code"]), int(row["id"]))
        return found

    # -- 2. waiting deliveries, and replanning failed ones ------------------------------------------

    async def recheck(self, result: ShipmentResult, *, retry_failed: bool = False,
                      since: datetime | None = None) -> None:
        async with self.pool.connection() as conn:
            waiting = await rows.waiting(conn, self.account)
            failed = [r for r in await rows.problems(conn, self.account, since)
                      if r.state in (rows.REJECTED, rows.INVALID)] if retry_failed else []
            ids = sorted({r.picking_id for r in [*waiting, *failed]})
            if not ids:
                return
            pickings = await self.odoo.read("stock.picking", ids, PICKING_FIELDS)
            now = self.clock.now()
            grace = timedelta(minutes=self.config.tracking_grace_minutes)
            async with conn.transaction():
                await rows.lock_account(conn, self.account)
                await self._plan(conn, pickings, result, force=retry_failed)
                overdue = [r for r in await rows.waiting(conn, self.account)
                           if r.tracking_reported_at is None and now - r.first_seen >= grace]
                for row in overdue:
                    await self._quarantine(
                        conn, row.picking_id, row.picking_name, row.amazon_order_id,
                        reason=f"delivery {row.picking_name} was validated without a tracking number "
                               f"{self.config.tracking_grace_minutes:g} minutes ago; Amazon needs one",
                        action="Enter the tracking number on the delivery in Odoo (carrier_tracking_ref): it is "
                               "confirmed to Amazon automatically.", details={"error_kind": "missing_tracking"})
                    result.problems.append(f"{row.picking_name}: no tracking number")
                if overdue:
                    await rows.mark_tracking_reported(conn, [r.id for r in overdue], now)

    # -- 3. send ----------------------------------------------------------------------------------

    async def send_pending(self, result: ShipmentResult, *,
                           progress: Callable[[int, int], None] | None = None) -> None:
        async with self.pool.connection() as conn:
            ids = await rows.pending_ids(conn, self.account, self.clock.now(), self.config.send_batch)
        if not ids:
            return
        queue: asyncio.Queue[int] = asyncio.Queue()
        for row_id in ids:
            queue.put_nowait(row_id)
        stop = asyncio.Event()
        done = 0

        async def worker() -> None:
            nonlocal done
            while not stop.is_set():
                try:
                    row_id = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if not await self._send_one(row_id, result):
                    stop.set()  # quota or Amazon trouble: the rest waits for the next run
                done += 1
                if progress:
                    progress(done, len(ids))

        await asyncio.gather(*(worker() for _ in range(min(self.config.concurrency, len(ids)))))

    async def _send_one(self, row_id: int, result: ShipmentResult) -> bool:
        """Send one pending row under its lock. False when the run should stop sending."""
        async with self.pool.connection() as conn:
            async with conn.transaction():
                row = await rows.lock_pending(conn, row_id)
                if row is None or row.body is None:
                    return True  # sent by someone else meanwhile, or held by another sender
                body = row.body
                try:
                    await self.spapi.orders_v0.confirm_shipment(
                        row.amazon_order_id, marketplace_id=str(body["marketplaceId"]),
                        package_detail=dict(body["packageDetail"]))
                except RetryableError as exc:
                    delay = exc.retry_after if exc.retry_after is not None else min(
                        RETRY_CAP, RETRY_BASE * 2 ** min(row.attempts, 10))
                    await rows.mark_retry(conn, row.id, error=exc.message, kind=type(exc).__name__,
                                          next_attempt_at=self.clock.now() + timedelta(seconds=delay))
                    result.retry += 1
                    _log.info("shipment.retry", account=self.account, picking=row.picking_name, **_log_fields(exc))
                    # An Amazon 429 or 5xx: the governor/circuit already slowed down, go on. Our own
                    # governor giving up or an open circuit: the rest waits for the next run.
                    own_throttle = isinstance(exc, ThrottledError) and exc.status_code is None
                    return not (own_throttle or isinstance(exc, CircuitOpenError))
                except (AuthorizationError, ConfigurationError):
                    raise  # the account, not this delivery: the job fails visibly, the row stays pending
                except PermanentError as exc:
                    refusal = classify_amazon_error(exc)
                    await rows.mark_rejected(conn, row.id, error=refusal.reason, kind=refusal.kind,
                                             request_id=exc.request_id)
                    await self._quarantine(conn, row.picking_id, row.picking_name, row.amazon_order_id,
                                           reason=refusal.reason, action=refusal.action,
                                           details={**exc.context(), "error_kind": refusal.kind}, payload=body)
                    result.rejected += 1
                    result.problems.append(f"{row.picking_name}: {refusal.reason}")
                    return True
                await rows.mark_confirmed(conn, row.id, now=self.clock.now())
                await audit.record(conn, actor=self.actor, action="shipment.confirmed", object_type="stock.picking",
                                   object_key=str(row.picking_id),
                                   details={"account": self.account, "amazon_order_id": row.amazon_order_id,
                                            "items": row.items})
                result.confirmed += 1
        return True

    # -- 4. Odoo note ---------------------------------------------------------------------------------

    async def note_in_odoo(self, result: ShipmentResult) -> None:
        """A note on each sale order whose deliveries were confirmed: what Amazon now has."""
        async with self.pool.connection() as conn:
            todo = await rows.unnoted(conn, self.account)
            if not todo:
                return
            shipped = await rows.committed_items(conn, self.account, {r.amazon_order_id for r in todo})
        orders = await self._amazon_orders_quiet(sorted({r.amazon_order_id for r in todo}))
        noted: list[int] = []
        for row in todo:
            if row.sale_order_id is None:
                noted.append(row.id)
                continue
            status = _amazon_status(orders.get(row.amazon_order_id), shipped.get(row.amazon_order_id, {}))
            package = (row.body or {}).get("packageDetail") or {}
            # Plain text: over RPC, Odoo 18 escapes a str body (HTML would show as tags).
            body = (f"Amazon shipment confirmed for delivery {row.picking_name}: carrier "
                    f"{package.get('carrierName') or package.get('carrierCode') or '?'}, tracking "
                    f"{package.get('trackingNumber') or '?'}, {sum(int(q) for _, q in row.items)} unit(s). "
                    f"Amazon order status: {status}.")
            try:
                await self.odoo.call_method("sale.order", "message_post", [row.sale_order_id], body=body,
                                            message_type="comment", subtype_xmlid="mail.mt_note", context=QUIET)
            except RetryableError:
                break  # Odoo busy: the notes wait for the next run
            except PermanentError as exc:
                _log.warning("shipment.note_failed", account=self.account, sale_order_id=row.sale_order_id,
                             **_log_fields(exc))
            noted.append(row.id)
        if noted:
            async with self.pool.connection() as conn, conn.transaction():
                await rows.lock_account(conn, self.account)
                await rows.mark_noted(conn, noted)
            result.noted += len(noted)

    async def _amazon_orders_quiet(self, order_ids: Sequence[str]) -> dict[str, AmazonOrder]:
        from .orders import order_source

        orders: dict[str, AmazonOrder] = {}
        async with self.pool.connection() as conn, dict_cursor(conn) as cur:
            await cur.execute(_LATEST_ORDERS, {"source": order_source(self.account), "order_ids": list(order_ids)})
            for row in await cur.fetchall():
                try:
                    orders[str(row["payload"].get("orderId"))] = parse_order_v2026(row["payload"])
                except DataError:
                    continue
        return orders

    # -- helpers ------------------------------------------------------------------------------------

    def _key(self, picking_id: int) -> str:
        return f"{self.account}:{picking_id}"

    async def _quarantine(self, conn: AsyncConnection[Any], picking_id: int, picking_name: str | None,
                          amazon_order_id: str, *, reason: str, action: str, details: dict[str, Any],
                          payload: Any = None) -> None:
        await quarantine.put(conn, flow=FLOW, key=self._key(picking_id), account=self.account, reason=reason,
                             details={**details, "action": action, "picking_id": picking_id,
                                      "picking": picking_name, "amazon_order_id": amazon_order_id},
                             payload=payload)
        _log.warning("shipment.problem", account=self.account, picking=picking_name, amazon_order_id=amazon_order_id,
                     reason=reason)


def _log_fields(exc: SyncError) -> dict[str, Any]:
    return {k: v for k, v in exc.context().items() if k != "account"}


def _amazon_status(order: AmazonOrder | None, shipped: Mapping[int, Mapping[str, int]]) -> str:
    """Shipped / PartiallyShipped as Amazon will show it after our confirmations."""
    if order is None:
        return "shipment confirmed"
    sent: dict[str, int] = {}
    for per_item in shipped.values():
        for item_id, quantity in per_item.items():
            sent[item_id] = sent.get(item_id, 0) + quantity
    open_items = [i for i in order.items if not i.cancelled and i.quantity > 0]
    if all(sent.get(i.order_item_id, 0) >= i.quantity for i in open_items):
        return "Shipped"
    return "PartiallyShipped"


# -- entry points -------------------------------------------------------------------------------------

async def poll_shipments(rt: FlowRuntime, account: str, *, since: datetime | None = None,
                         move_cursor: bool = True, retry_failed: bool = False,
                         progress: Callable[[int, int], None] | None = None) -> ShipmentResult:
    sync = ShipmentSync(pool=rt.pool, odoo=await rt.odoo(),
                        spapi=await rt.spapi(account, priority=rt.settings.priorities.shipments),
                        account=account, config=rt.settings.shipments, clock=rt.clock)
    return await sync.run(since=since, move_cursor=move_cursor, retry_failed=retry_failed, progress=progress)


@task(queue="shipments", name="shipments.poll", queueing_lock_from="{account}",
      lock_from="shipments:{account}")
async def poll_shipments_task(*, account: str) -> dict[str, int]:
    return (await poll_shipments(job_runtime(), account)).as_dict()


register_schedule("shipments.poll", poll_shipments_task, every="shipments_poll", per_account=True)
