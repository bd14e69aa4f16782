"""The shipments flow's effects: plans stored as confirmation rows (one transaction per pass, under
the account's lock), pending rows sent to Amazon one at a time under their row lock, notes in Odoo.
What to store and send is decided in :mod:`.plan`; what it reads is gathered by :mod:`.read`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from ...amazon.client import SpApiClient
from ...clock import Clock, SystemClock
from ...config import ShipmentsConfig
from ...exceptions import (
    AuthorizationError,
    CircuitOpenError,
    ConfigurationError,
    PermanentError,
    RetryableError,
    SyncError,
    ThrottledError,
)
from ...logs import get_logger
from ...odoo.client import OdooClient
from ...odoo.values import from_odoo_datetime, m2o_id
from ...store import shipments as rows
from ...store.unit import Store, UnitOfWork
from .plan import (
    Carriers,
    amazon_status,
    classify_amazon_error,
    decide,
    note_body,
    overdue,
    retry_delay,
    to_plan,
)
from .read import Inputs, ShipmentReader

__all__ = ["CURSOR_FLOW", "FLOW", "INITIAL_LOOKBACK", "QUIET", "ShipmentResult", "ShipmentSync"]

FLOW: Final = "shipments"
CURSOR_FLOW: Final = "shipments"
#: First scan of an account looks back this far.
INITIAL_LOOKBACK: Final = timedelta(days=2)
QUIET: Final = {"tracking_disable": True, "mail_create_nosubscribe": True}

_log = get_logger(__name__)


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


class ShipmentSync:
    """One account's shipments: scan Odoo, send to Amazon, note in Odoo (see the package)."""

    def __init__(self, *, store: Store, odoo: OdooClient, spapi: SpApiClient, account: str,
                 config: ShipmentsConfig | None = None, clock: Clock | None = None,
                 actor: str = "flow:shipments") -> None:
        self.store = store
        self.odoo = odoo
        self.spapi = spapi
        self.account = account
        self.config = config or ShipmentsConfig()
        self.clock = clock or SystemClock()
        self.actor = actor
        self.carriers = Carriers.from_config(self.config)
        self.read = ShipmentReader(store=store, odoo=odoo, spapi=spapi, account=account)

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
        if since is None:
            async with self.store.session() as tx:
                stored = await tx.cursors.get(self.account, CURSOR_FLOW)
            overlap = timedelta(seconds=self.config.change_overlap_seconds)
            since = (stored.cursor - overlap) if stored and stored.cursor else self.clock.now() - INITIAL_LOOKBACK
        pickings = await self.read.done_pickings_since(since)
        result.scanned += len(pickings)
        newest = max((d for d in (from_odoo_datetime(p.get("write_date")) for p in pickings) if d), default=None)
        inputs = await self._inputs(pickings)
        async with self.store.transaction() as tx:
            await tx.shipments.lock_account(self.account)
            await self._plan(tx, pickings, inputs, result)
            if move_cursor and newest is not None:
                await tx.cursors.advance(self.account, CURSOR_FLOW, newest)

    async def _inputs(self, pickings: Sequence[Mapping[str, Any]]) -> Inputs | None:
        """What planning ``pickings`` needs, read before the planning transaction (Odoo and Amazon
        are not called while the account's rows are locked). None: none of them is to plan."""
        order_of = await self.read.order_of(pickings)
        async with self.store.session() as tx:
            candidates = [p for p in pickings if m2o_id(p.get("sale_id")) in order_of]
            existing = await tx.shipments.get_many(self.account, [int(p["id"]) for p in candidates])
        todo = to_plan(pickings, order_of, existing)
        return await self.read.inputs(todo, order_of) if todo else None

    async def _plan(self, tx: UnitOfWork, pickings: Sequence[Mapping[str, Any]], inputs: Inputs | None,
                    result: ShipmentResult, *, force: bool = False) -> None:
        """Plan and store the rows of ``pickings`` (this account's Amazon ones) in ``tx``, under
        the account's lock: the rows are read again there, and only those still to plan are (a
        delivery that became one meanwhile waits for the next run: its inputs were not read)."""
        if inputs is None:
            return
        mine = [p for p in pickings if int(p["id"]) in inputs.picking_ids]
        existing = await tx.shipments.get_many(self.account, [int(p["id"]) for p in mine])
        todo = to_plan(mine, inputs.order_of, existing)
        if not todo:
            return
        order_ids = sorted({inputs.order_of[m2o_id(p["sale_id"]) or 0] for p in todo})
        committed = await tx.shipments.committed_items(self.account, order_ids)
        now = self.clock.now()
        for raw in todo:
            order_id = inputs.order_of[m2o_id(raw["sale_id"]) or 0]
            order = inputs.orders.get(order_id)
            decision = decide(raw, amazon_order_id=order_id, order=order, moves=inputs.moves,
                              products=inputs.products.get(order.marketplace_id) if order is not None else None,
                              committed=committed.get(order_id, {}), carriers=self.carriers)
            saved = await tx.shipments.save(account=self.account, now=now, force=force, **decision.row())
            if decision.state == rows.SKIPPED:
                result.skipped += 1
            elif decision.state == rows.WAITING_TRACKING:
                known = existing.get(decision.picking_id)
                if known is None or known.state != rows.WAITING_TRACKING:
                    result.waiting += 1
            elif decision.state == rows.INVALID:
                if saved is not None:
                    await self._quarantine(tx, saved.picking_id, saved.picking_name, order_id,
                                           reason=f"delivery cannot be confirmed: {decision.last_error}",
                                           action="Fix the delivery in Odoo (or the configuration), then run "
                                                  "`sync shipments --account A`.", details=decision.details)
                    result.problems.append(f"{saved.picking_name}: {decision.last_error}")
                result.invalid += 1
            elif saved is not None:
                # The next delivery of the same order is planned with these items sent.
                committed.setdefault(order_id, {})[decision.picking_id] = dict(decision.items)
                await tx.quarantine.resolve(FLOW, self._key(decision.picking_id), "planned again")
                result.planned += 1

    # -- 2. waiting deliveries, and replanning failed ones ------------------------------------------

    async def recheck(self, result: ShipmentResult, *, retry_failed: bool = False,
                      since: datetime | None = None) -> None:
        async with self.store.session() as tx:
            waiting = await tx.shipments.waiting(self.account)
            failed = [r for r in await tx.shipments.problems(self.account, since)
                      if r.state in (rows.REJECTED, rows.INVALID)] if retry_failed else []
        ids = sorted({r.picking_id for r in [*waiting, *failed]})
        if not ids:
            return
        pickings = await self.read.pickings(ids)
        inputs = await self._inputs(pickings)
        now = self.clock.now()
        grace = timedelta(minutes=self.config.tracking_grace_minutes)
        async with self.store.transaction() as tx:
            await tx.shipments.lock_account(self.account)
            await self._plan(tx, pickings, inputs, result, force=retry_failed)
            late = overdue(await tx.shipments.waiting(self.account), now, grace)
            for row in late:
                await self._quarantine(
                    tx, row.picking_id, row.picking_name, row.amazon_order_id,
                    reason=f"delivery {row.picking_name} was validated without a tracking number "
                           f"{self.config.tracking_grace_minutes:g} minutes ago; Amazon needs one",
                    action="Enter the tracking number on the delivery in Odoo (carrier_tracking_ref): it is "
                           "confirmed to Amazon automatically.", details={"error_kind": "missing_tracking"})
                result.problems.append(f"{row.picking_name}: no tracking number")
            if late:
                await tx.shipments.mark_tracking_reported([r.id for r in late], now)

    # -- 3. send ----------------------------------------------------------------------------------

    async def send_pending(self, result: ShipmentResult, *,
                           progress: Callable[[int, int], None] | None = None) -> None:
        async with self.store.session() as tx:
            ids = await tx.shipments.pending_ids(self.account, self.clock.now(), self.config.send_batch)
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
        async with self.store.transaction() as tx:
            row = await tx.shipments.lock_pending(row_id)
            if row is None or row.body is None:
                return True  # sent by someone else meanwhile, or held by another sender
            body = row.body
            try:
                await self.spapi.orders_v0.confirm_shipment(
                    row.amazon_order_id, marketplace_id=str(body["marketplaceId"]),
                    package_detail=dict(body["packageDetail"]))
            except RetryableError as exc:
                delay = retry_delay(exc.retry_after, row.attempts)
                await tx.shipments.mark_retry(row.id, error=exc.message, kind=type(exc).__name__,
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
                await tx.shipments.mark_rejected(row.id, error=refusal.reason, kind=refusal.kind,
                                                 request_id=exc.request_id)
                await self._quarantine(tx, row.picking_id, row.picking_name, row.amazon_order_id,
                                       reason=refusal.reason, action=refusal.action,
                                       details={**exc.context(), "error_kind": refusal.kind}, payload=body)
                result.rejected += 1
                result.problems.append(f"{row.picking_name}: {refusal.reason}")
                return True
            await tx.shipments.mark_confirmed(row.id, now=self.clock.now())
            await tx.audit.record(actor=self.actor, action="shipment.confirmed", object_type="stock.picking",
                                  object_key=str(row.picking_id),
                                  details={"account": self.account, "amazon_order_id": row.amazon_order_id,
                                           "items": row.items})
            result.confirmed += 1
        return True

    # -- 4. Odoo note ---------------------------------------------------------------------------------

    async def note_in_odoo(self, result: ShipmentResult) -> None:
        """A note on each sale order whose deliveries were confirmed: what Amazon now has."""
        async with self.store.session() as tx:
            todo = await tx.shipments.unnoted(self.account)
            if not todo:
                return
            shipped = await tx.shipments.committed_items(self.account, {r.amazon_order_id for r in todo})
        orders = self.read.parsed(await self.read.stored_orders(sorted({r.amazon_order_id for r in todo})))
        noted: list[int] = []
        for row in todo:
            if row.sale_order_id is None:
                noted.append(row.id)
                continue
            status = amazon_status(orders.get(row.amazon_order_id), shipped.get(row.amazon_order_id, {}))
            try:
                await self.odoo.call_method("sale.order", "message_post", [row.sale_order_id],
                                            body=note_body(row, status), message_type="comment",
                                            subtype_xmlid="mail.mt_note", context=QUIET)
            except RetryableError:
                break  # Odoo busy: the notes wait for the next run
            except PermanentError as exc:
                _log.warning("shipment.note_failed", account=self.account, sale_order_id=row.sale_order_id,
                             **_log_fields(exc))
            noted.append(row.id)
        if noted:
            async with self.store.transaction() as tx:
                await tx.shipments.lock_account(self.account)
                await tx.shipments.mark_noted(noted)
            result.noted += len(noted)

    # -- helpers ------------------------------------------------------------------------------------

    def _key(self, picking_id: int) -> str:
        return f"{self.account}:{picking_id}"

    async def _quarantine(self, tx: UnitOfWork, picking_id: int, picking_name: str | None, amazon_order_id: str,
                          *, reason: str, action: str, details: dict[str, Any], payload: Any = None) -> None:
        await tx.quarantine.put(flow=FLOW, key=self._key(picking_id), account=self.account, reason=reason,
                                details={**details, "action": action, "picking_id": picking_id,
                                         "picking": picking_name, "amazon_order_id": amazon_order_id},
                                payload=payload)
        _log.warning("shipment.problem", account=self.account, picking=picking_name, amazon_order_id=amazon_order_id,
                     reason=reason)


def _log_fields(exc: SyncError) -> dict[str, Any]:
    return {k: v for k, v in exc.context().items() if k != "account"}
