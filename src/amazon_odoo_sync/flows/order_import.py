"""Order import: Amazon order documents → exactly one confirmed Odoo sale order each.

Works on batches (a page of ``searchOrders``, a drain of the inbox) so Odoo sees few, large
calls: one ``create`` for all new orders, one ``action_confirm`` for all of them, one
``search_read`` to check totals, and one ``write`` per distinct purchase time to put Amazon's
date back (Odoo's ``action_confirm`` overwrites ``date_order``).

Exactly once, whatever replays, retries, duplicates, crashes or concurrent workers happen:

1. Every order is *claimed* in ``external_ids`` (unique on account + Amazon order id) inside one
   database transaction that stays open until the Odoo work of the batch is recorded. The claim
   locks the row (``FOR UPDATE``), so a second worker handling the same order waits, then finds
   it done. Claims are taken in order-id order: two workers never deadlock.
2. Before creating, the batch asks Odoo for sale orders whose ``client_order_ref`` is one of the
   order ids. A worker that died after Odoo's create but before our commit left such an order
   (and no claim: its transaction rolled back); it is adopted, not created again.
3. Older states never overwrite newer ones: a document whose ``lastUpdatedTime`` is older than
   the one recorded is ignored.

Inputs that cannot be processed (malformed, unknown SKU) go to quarantine with the reason; the
rest of the batch goes on. Unknown SKUs are retried by :func:`retry_quarantined` once mapped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from psycopg import AsyncConnection

from ..clock import Clock, SystemClock
from ..exceptions import DataError, PermanentError, RemoteRuleError
from ..logs import get_logger
from ..mapping.amazon_order import AmazonOrder, parse_order_v2026
from ..mapping.order_status import OrderAction, decide
from ..mapping.partner import PartnerPlan, PartnerSpec, plan_partners
from ..mapping.sale_order import ROUNDING_LABEL, OdooTargets, SaleOrderPlan, UnknownSkuError, plan_sale_order
from ..metrics import ORDER_CONFIRM_LATENCY
from ..odoo.client import OdooClient
from ..store import audit, external_ids, quarantine, reservations
from .stock import mark_dirty

__all__ = ["FLOW", "ImportResult", "OdooReferences", "OrderImporter", "SALE_ORDER", "open_units", "waiting_units"]

FLOW = "orders"
REVIEW_FLOW = "orders-review"
SALE_ORDER = "sale.order"
PARTNER = "res.partner"
#: Context for every write of this flow: no chatter work, no follower subscriptions.
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True,
         "mail_notrack": True}

_log = get_logger(__name__)


class OdooReferences(Protocol):
    """Odoo ids the mapping needs, resolved (and cached) by the caller."""

    async def targets(self, marketplace_id: str) -> OdooTargets: ...

    async def products(self, account: str, marketplace_id: str, skus: Iterable[str]) -> dict[str, int]: ...

    async def countries(self) -> Mapping[str, int]: ...

    async def states(self) -> Mapping[tuple[str, str], int]: ...

    def anonymous_name(self, marketplace_id: str) -> str | None: ...


@dataclass(kw_only=True)
class ImportResult:
    created: int = 0
    adopted: int = 0
    cancelled: int = 0
    reserved: int = 0
    quarantined: int = 0
    unchanged: int = 0
    stale: int = 0
    review: int = 0
    confirmed_ids: list[int] = field(default_factory=list)

    def merge(self, other: ImportResult) -> None:
        for name in ("created", "adopted", "cancelled", "reserved", "quarantined", "unchanged", "stale",
                     "review"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.confirmed_ids.extend(other.confirmed_ids)


def _partner_ref(key: str) -> str:
    """The partner's ``ref`` in Odoo: finds a partner a crashed attempt created (see module)."""
    return "amz:" + hashlib.sha256(key.encode()).hexdigest()[:20]


def _observe_latency(account: str, confirmed: Iterable[AmazonOrder], now: datetime) -> None:
    """Purchase → confirmed and last Amazon update → confirmed, per fulfilment channel. A clock
    behind Amazon's would give negative times: counted as 0."""
    for order in confirmed:
        channel = "AFN" if order.is_fba else "MFN"
        for since, at in (("purchase", order.purchase_date), ("last_update", order.last_updated)):
            ORDER_CONFIRM_LATENCY.labels(account, channel, since).observe(max(0.0, (now - at).total_seconds()))


def _payload_hash(doc: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


class OrderImporter:
    def __init__(self, *, odoo: OdooClient, account: str, refs: OdooReferences, actor: str = "flow:orders",
                 clock: Clock | None = None):
        self.odoo = odoo
        self.clock = clock or SystemClock()
        self.account = account
        self.refs = refs
        self.actor = actor
        #: SKUs whose offer the stock flow must recompute, collected during one batch.
        self._dirty: set[str] = set()
        #: Reservation changes of one batch, written together at its end (see reservations.apply).
        self._reserve: dict[str, reservations.Reservation] = {}
        self._release: set[str] = set()

    # -- entry point ----------------------------------------------------------------------

    async def import_documents(self, conn: AsyncConnection[Any], docs: Sequence[Mapping[str, Any]]
                               ) -> ImportResult:
        """Import a batch of Orders v2026 ``Order`` documents. Commits on ``conn``."""
        result = ImportResult()
        latest: dict[str, tuple[AmazonOrder, Mapping[str, Any]]] = {}
        for doc in docs:
            try:
                order = parse_order_v2026(doc)
            except DataError as exc:
                order_id = str(doc.get("orderId") or _payload_hash(doc)[:16]) if isinstance(doc, Mapping) else "?"
                async with conn.transaction():
                    await quarantine.put(conn, flow=FLOW, key=f"{self.account}:{order_id}", account=self.account,
                                         reason=exc.message, details=exc.context(), payload=doc)
                result.quarantined += 1
                continue
            known = latest.get(order.order_id)
            if known is None or order.last_updated >= known[0].last_updated:
                latest[order.order_id] = (order, doc)
        if not latest:
            return result
        async with conn.transaction():
            self._dirty, self._reserve, self._release = set(), {}, set()
            await self._import(conn, [latest[k] for k in sorted(latest)], result)
            await reservations.apply(conn, self.account, reserve=self._reserve.values(), release=self._release)
            # Once per batch: the stock flow recomputes these SKUs (stock_dirty is an append-only
            # log, so this insert never waits on another transaction).
            await mark_dirty(conn, self.account, self._dirty)
        return result

    # -- the batch --------------------------------------------------------------------------

    async def _import(self, conn: AsyncConnection[Any], batch: list[tuple[AmazonOrder, Mapping[str, Any]]],
                      result: ImportResult) -> None:
        to_create: list[tuple[AmazonOrder, Mapping[str, Any]]] = []
        to_cancel: dict[str, int] = {}
        claimed = await external_ids.claim_many(
            conn, self.account, SALE_ORDER,
            [(order.order_id, _payload_hash(doc), order.last_updated) for order, doc in batch])
        for order, doc in batch:
            row = claimed[order.order_id]
            if not row.is_new and row.amazon_updated_at and order.last_updated < row.amazon_updated_at:
                result.stale += 1
                continue
            state = None if row.is_new or row.state in ("claimed", "reserved", "quarantined") else row.state
            action = decide(order, odoo_state=state, odoo_delivered=row.state == "delivered")
            if action is OrderAction.CREATE:
                to_create.append((order, doc))
            elif action is OrderAction.RESERVE:
                self._hold(order, open_units(order))
                await external_ids.set_state(conn, self.account, SALE_ORDER, order.order_id, "reserved",
                                             amazon_updated_at=order.last_updated)
                result.reserved += 1
            elif action is OrderAction.RECORD_CANCELLED:
                self._free([order.order_id])
                self._dirty |= _skus(order)
                await external_ids.set_state(conn, self.account, SALE_ORDER, order.order_id, "cancelled",
                                             amazon_updated_at=order.last_updated)
                result.cancelled += 1
            elif action is OrderAction.CANCEL and row.odoo_id is not None:
                to_cancel[order.order_id] = row.odoo_id
            elif action is OrderAction.REVIEW:
                await quarantine.put(conn, flow=REVIEW_FLOW, key=f"{self.account}:{order.order_id}",
                                     account=self.account, reason="cancelled on Amazon after it was shipped: "
                                     "the Odoo order is left as it is; check refund and stock",
                                     details={"odoo_id": row.odoo_id, "amazon_status": order.status})
                await audit.record(conn, actor=self.actor, action="order.cancelled_after_shipping",
                                   object_type=SALE_ORDER, object_key=order.order_id)
                await external_ids.set_state(conn, self.account, SALE_ORDER, order.order_id, row.state,
                                             amazon_updated_at=order.last_updated)
                result.review += 1
            else:
                if row.odoo_id is not None:  # in Odoo: a reservation taken when it was queued is done
                    self._free([order.order_id])
                await external_ids.set_state(conn, self.account, SALE_ORDER, order.order_id, row.state,
                                             amazon_updated_at=order.last_updated)
                result.unchanged += 1
        if to_cancel:
            await self._cancel(conn, to_cancel, result)
        if to_create:
            await self._create(conn, to_create, result)

    async def _cancel(self, conn: AsyncConnection[Any], odoo_ids: dict[str, int], result: ImportResult) -> None:
        await self.odoo.call_method(SALE_ORDER, "action_cancel", odoo_ids.values(),
                                    context={**QUIET, "disable_cancel_warning": True})
        self._free(odoo_ids)
        for order_id in odoo_ids:
            await external_ids.set_state(conn, self.account, SALE_ORDER, order_id, "cancelled")
            await audit.record(conn, actor=self.actor, action="order.cancelled", object_type=SALE_ORDER,
                               object_key=order_id, details={"odoo_id": odoo_ids[order_id]})
        result.cancelled += len(odoo_ids)

    async def _create(self, conn: AsyncConnection[Any], batch: list[tuple[AmazonOrder, Mapping[str, Any]]],
                      result: ImportResult) -> None:
        # Products first: an unknown SKU quarantines its order, never a wrong product.
        products: dict[str, dict[str, int]] = {}
        for order, _ in batch:
            if order.marketplace_id not in products:
                skus = {i.sku for o, _ in batch if o.marketplace_id == order.marketplace_id for i in o.items}
                products[order.marketplace_id] = await self.refs.products(self.account, order.marketplace_id, skus)
        partner_plans = {order.order_id: plan_partners(
            order, countries=await self.refs.countries(), states=await self.refs.states(),
            anonymous_name=self.refs.anonymous_name(order.marketplace_id)) for order, _ in batch}
        plans: dict[str, SaleOrderPlan] = {}
        orders: dict[str, AmazonOrder] = {}
        ready: list[tuple[AmazonOrder, Mapping[str, Any]]] = []
        for order, doc in batch:
            try:
                targets = await self.refs.targets(order.marketplace_id)
                # Planning with placeholder partner ids first: it validates SKUs and amounts
                # before anything is written to Odoo.
                plan_sale_order(order, targets, products[order.marketplace_id], partner_id=0)
            except PermanentError as exc:
                await self._quarantine_order(conn, order, doc, exc)
                result.quarantined += 1
                continue
            ready.append((order, doc))
        if not ready:
            return
        partner_ids = await self._ensure_partners(conn, [partner_plans[o.order_id] for o, _ in ready])
        for order, _ in ready:
            pplan = partner_plans[order.order_id]
            customer = partner_ids[pplan.customer.key]
            plans[order.order_id] = plan_sale_order(
                order, await self.refs.targets(order.marketplace_id), products[order.marketplace_id],
                partner_id=customer,
                invoice_partner_id=partner_ids[pplan.invoice.key] if pplan.invoice else None,
                shipping_partner_id=partner_ids[pplan.delivery.key] if pplan.delivery else None)
            orders[order.order_id] = order

        # Adopt what a crashed attempt left in Odoo, create the rest in one call.
        existing = await self.odoo.search_read(
            SALE_ORDER, [("client_order_ref", "in", sorted(plans))], ["client_order_ref", "state"],
            context={"active_test": False})
        odoo_ids: dict[str, int] = {}
        states: dict[str, str] = {}
        for row in existing:
            ref = row["client_order_ref"]
            if ref in plans and ref not in odoo_ids:
                odoo_ids[ref] = int(row["id"])
                states[ref] = str(row["state"])
        result.adopted += len(odoo_ids)
        new = [order_id for order_id in plans if order_id not in odoo_ids]
        if new:
            created = await self.odoo.create(SALE_ORDER, [plans[o].values for o in new], context=QUIET)
            for order_id, odoo_id in zip(new, created, strict=True):
                odoo_ids[order_id] = odoo_id
                states[order_id] = "draft"
            result.created += len(new)

        await self._fix_totals(plans, odoo_ids, states)
        drafts = [order_id for order_id in plans if states[order_id] in ("draft", "sent")]
        confirmed = await self._confirm(conn, drafts, odoo_ids, orders, result)
        _observe_latency(self.account, [orders[o] for o in confirmed], self.clock.now())
        # action_confirm wrote "now" into date_order: put Amazon's purchase date back, every
        # order's own in one call (Odoo's import; ``write`` takes one value for all ids).
        await self.odoo.write_each(SALE_ORDER, {odoo_ids[o]: {"date_order": plans[o].date_order} for o in confirmed},
                                   context=QUIET)
        done = [o for o in plans if states[o] == "sale" or o in confirmed]
        # Every FBA order of the batch, adopted ones too: a worker that died after Odoo's confirm left the
        # delivery open, and only pickings not yet done are validated.
        fba = [odoo_ids[o] for o in done if orders[o].is_fba]
        if fba:
            await self._validate_fba_deliveries(fba)
        await external_ids.record_many(conn, self.account, SALE_ORDER,
                                       [(o, odoo_ids[o], orders[o].last_updated) for o in done], state="confirmed")
        await quarantine.resolve_many(conn, FLOW, [f"{self.account}:{o}" for o in done], "imported")
        self._free(done)
        # Odoo's free quantity and our reservations both moved: the stock flow recomputes them.
        self._dirty |= {sku for o in plans for sku in _skus(orders[o])}
        result.confirmed_ids.extend(odoo_ids[o] for o in done)

    async def _fix_totals(self, plans: dict[str, SaleOrderPlan], odoo_ids: dict[str, int],
                          states: dict[str, str]) -> None:
        """Odoo's total must equal Amazon's to the cent. The plan predicts Odoo's rounding; if
        this Odoo rounds differently, one more rounding line makes the difference explicit. A
        tax that is still not Amazon's (a rate that differs from Amazon's, a rounding this
        model does not know) is logged with both amounts: nothing here may hide it."""
        if not odoo_ids:
            return
        rows = await self.odoo.read(SALE_ORDER, list(odoo_ids.values()),
                                    ["amount_total", "amount_tax", "client_order_ref"])
        by_ref = {row["client_order_ref"]: row for row in rows}
        for order_id, plan in plans.items():
            row = by_ref.get(order_id)
            if row is None or states.get(order_id) not in ("draft", "sent"):
                continue
            difference = plan.amazon_total - Decimal(str(row["amount_total"])).quantize(Decimal("0.01"))
            if difference:
                await self.odoo.write(SALE_ORDER, [odoo_ids[order_id]], {"order_line": [(0, 0, {
                    "product_id": plan.rounding_product_id, "name": ROUNDING_LABEL,
                    "product_uom_qty": 1, "price_unit": float(difference), "tax_id": [(6, 0, [])]})]},
                    context=QUIET)
            odoo_tax = Decimal(str(row["amount_tax"])).quantize(Decimal("0.01"))
            if odoo_tax != plan.amazon_tax:
                _log.warning("order.tax_differs", account=self.account, amazon_order_id=order_id,
                             amazon_tax=str(plan.amazon_tax), odoo_tax=str(odoo_tax),
                             predicted_tax=str(plan.expected_tax))

    async def _confirm(self, conn: AsyncConnection[Any], drafts: list[str], odoo_ids: dict[str, int],
                       orders: dict[str, AmazonOrder], result: ImportResult) -> list[str]:
        if not drafts:
            return []
        try:
            await self.odoo.call_method(SALE_ORDER, "action_confirm", [odoo_ids[o] for o in drafts], context=QUIET)
            return drafts
        except RemoteRuleError:
            pass  # one bad order refuses the whole call: confirm one by one to find it
        confirmed = []
        for order_id in drafts:
            try:
                await self.odoo.call_method(SALE_ORDER, "action_confirm", [odoo_ids[order_id]], context=QUIET)
                confirmed.append(order_id)
            except RemoteRuleError as exc:
                await external_ids.record_odoo_id(conn, self.account, SALE_ORDER, order_id, odoo_ids[order_id],
                                                  state="created")
                await quarantine.put(conn, flow=FLOW, key=f"{self.account}:{order_id}", account=self.account,
                                     reason=f"Odoo refused to confirm: {exc.remote_message or exc.message}",
                                     details=exc.context())
                result.quarantined += 1
        return confirmed

    async def _validate_fba_deliveries(self, sale_ids: list[int]) -> None:
        """FBA orders left Amazon's warehouse already: their delivery is done at once."""
        pickings = await self.odoo.search_read(
            "stock.picking", [("sale_id", "in", sale_ids), ("state", "not in", ("done", "cancel"))],
            ["id", "move_ids"])
        if not pickings:
            return
        ids = [int(p["id"]) for p in pickings]
        moves = [m for p in pickings for m in p["move_ids"]]
        if moves:
            rows = await self.odoo.read("stock.move", moves, ["product_uom_qty"])
            await self.odoo.write_many("stock.move", {int(r["id"]): {"quantity": r["product_uom_qty"], "picked": True}
                                                      for r in rows}, context=QUIET)
        # skip_sms: with stock_sms installed Odoo would otherwise answer with its "text the customer?" wizard
        # (and later text Amazon's buyers); skip_backorder: the whole quantity left Amazon's warehouse.
        outcome = await self.odoo.call_method("stock.picking", "button_validate", ids,
                                              context={**QUIET, "skip_backorder": True, "skip_sms": True})
        if outcome is not True:
            # A wizard instead of a validation would leave the deliveries open without a word.
            wizard = outcome.get("res_model") if isinstance(outcome, dict) else outcome
            raise RemoteRuleError(f"Odoo did not validate the FBA deliveries {ids}: it answered {wizard!r}",
                                  system="odoo", operation="stock.picking.button_validate", account=self.account)

    def _hold(self, order: AmazonOrder, units: Mapping[str, int]) -> None:
        """Keep ``units`` of ``order`` reserved (written at the end of the batch)."""
        self._release.discard(order.order_id)
        self._reserve[order.order_id] = reservations.Reservation(
            order_id=order.order_id, marketplace_id=order.marketplace_id, status=order.status, units=units)
        self._dirty |= _skus(order)

    def _free(self, order_ids: Iterable[str]) -> None:
        """Release the reservations of ``order_ids`` (at the end of the batch)."""
        for order_id in order_ids:
            self._reserve.pop(order_id, None)
            self._release.add(order_id)

    async def _quarantine_order(self, conn: AsyncConnection[Any], order: AmazonOrder, doc: Mapping[str, Any],
                                exc: PermanentError) -> None:
        await quarantine.put(conn, flow=FLOW, key=f"{self.account}:{order.order_id}", account=self.account,
                             reason=exc.message, details=exc.context(), payload=dict(doc))
        await external_ids.set_state(conn, self.account, SALE_ORDER, order.order_id, "quarantined",
                                     amazon_updated_at=order.last_updated)
        self._hold(order, waiting_units(order))
        if isinstance(exc, UnknownSkuError):
            _log.warning("order.unknown_sku", account=self.account, amazon_order_id=order.order_id, skus=exc.skus)

    # -- partners ---------------------------------------------------------------------------

    async def _ensure_partners(self, conn: AsyncConnection[Any], plans: list[PartnerPlan]) -> dict[str, int]:
        """Odoo partner id per partner key: customers first, then their address children."""
        ids: dict[str, int] = {}
        customers = {p.customer.key: p.customer for p in plans}
        created = await self._ensure(conn, customers, ids, parent=None)
        # A customer created here carries its order's delivery address: that delivery is the customer itself
        # (recorded under the delivery's key, so the buyer's next order to the same address finds it too).
        same = {plan.delivery.key: ids[plan.customer.key] for plan in plans
                if plan.delivery is not None and plan.customer.key in created
                and plan.delivery.address == customers[plan.customer.key].address}
        if same:
            await external_ids.claim_many(conn, self.account, PARTNER, [(key, None, None) for key in same])
            await external_ids.record_many(conn, self.account, PARTNER, [(key, same[key], None) for key in same])
            ids.update(same)
        children: dict[str, tuple[PartnerSpec, str]] = {}
        for plan in plans:
            for child in (plan.delivery, plan.invoice):
                if child is not None and child.key not in same:
                    children[child.key] = (child, plan.customer.key)
        if children:
            await self._ensure(conn, {k: spec for k, (spec, _) in children.items()}, ids,
                               parent={k: ids[parent] for k, (_, parent) in children.items()})
        return ids

    async def _ensure(self, conn: AsyncConnection[Any], specs: dict[str, PartnerSpec], ids: dict[str, int],
                      parent: dict[str, int] | None) -> set[str]:
        """Odoo ids of ``specs`` into ``ids``, creating the partners nobody created yet; the keys created."""
        missing: list[str] = []
        rows = await external_ids.claim_many(conn, self.account, PARTNER, [(key, None, None) for key in specs])
        for key in sorted(specs):
            odoo_id = rows[key].odoo_id
            if odoo_id is not None:
                ids[key] = odoo_id
            else:
                missing.append(key)
        if not missing:
            return set()
        refs = {_partner_ref(k): k for k in missing}
        found = await self.odoo.search_read(PARTNER, [("ref", "in", sorted(refs))], ["ref"],
                                            context={"active_test": False})
        for partner in found:
            ids[refs[partner["ref"]]] = int(partner["id"])
        create = [k for k in missing if k not in ids]
        if create:
            values = []
            for key in create:
                vals = dict(specs[key].values, ref=_partner_ref(key))
                if parent is not None:
                    vals["parent_id"] = parent[key]
                values.append(vals)
            for key, odoo_id in zip(create, await self.odoo.create(PARTNER, values, context=QUIET), strict=True):
                ids[key] = odoo_id
        await external_ids.record_many(conn, self.account, PARTNER, [(key, ids[key], None) for key in missing])
        return set(create)


def open_units(order: AmazonOrder) -> dict[str, int]:
    """Units per SKU the order still takes from stock (ordered − shipped, cancelled items out)."""
    units: dict[str, int] = {}
    for item in order.items:
        if not item.cancelled:
            units[item.sku] = units.get(item.sku, 0) + item.quantity - item.quantity_shipped
    return {sku: max(0, quantity) for sku, quantity in units.items()}


def fba_shipped_units(order: AmazonOrder) -> dict[str, int]:
    """Units per SKU an FBA order took out of Amazon's warehouse. Until the order is in Odoo,
    the FBA inventory flow adds them to Odoo's fulfillable target: Amazon no longer counts
    them, and the import will take them off Odoo's figure."""
    units: dict[str, int] = {}
    for item in order.items:
        if item.quantity_shipped > 0:
            units[item.sku] = units.get(item.sku, 0) + item.quantity_shipped
    return units


def waiting_units(order: AmazonOrder) -> dict[str, int]:
    """What an order not (yet) in Odoo keeps reserved: its shipped units for FBA, its open
    units for FBM."""
    return fba_shipped_units(order) if order.is_fba else open_units(order)


def _skus(order: AmazonOrder) -> set[str]:
    return {item.sku for item in order.items}
