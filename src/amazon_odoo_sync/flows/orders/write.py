"""Applying an :class:`~.plan.ImportPlan`: the store's writes in the caller's unit of work and
Odoo's calls, batched (one ``create`` for all new orders, one ``action_confirm`` for all of
them, one ``read`` to check totals, one import to put Amazon's dates back).

What the writer learns from Odoo (ids created or adopted, confirmations refused) comes back as a
:class:`Written`; the plan stays as it was made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ...clock import Clock
from ...exceptions import RemoteRuleError
from ...logs import get_logger
from ...mapping.amazon_order import AmazonOrder
from ...mapping.sale_order import ROUNDING_LABEL
from ...metrics import ORDER_CONFIRM_LATENCY
from ...odoo.client import OdooClient
from ...store.unit import UnitOfWork
from .partners import QUIET, ensure_partners
from .plan import FLOW, REVIEW_FLOW, REVIEW_REASON, SALE_ORDER, ImportPlan, PlannedSaleOrder, order_key

__all__ = ["ImportWriter", "Written", "observe_latency"]


_log = get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class Written:
    """What applying a plan did in Odoo."""

    created: int = 0
    adopted: int = 0
    #: Odoo sale orders cancelled.
    cancelled: int = 0
    #: Sale orders Odoo refused to confirm (quarantined).
    refused: int = 0
    #: Orders confirmed in Odoo now or before (their claims record it).
    done: tuple[str, ...] = ()
    confirmed_ids: tuple[int, ...] = ()


def observe_latency(account: str, confirmed: Iterable[AmazonOrder], now: datetime) -> None:
    """Purchase → confirmed and last Amazon update → confirmed, per fulfilment channel. A clock
    behind Amazon's would give negative times: counted as 0."""
    for order in confirmed:
        channel = "AFN" if order.is_fba else "MFN"
        for since, at in (("purchase", order.purchase_date), ("last_update", order.last_updated)):
            ORDER_CONFIRM_LATENCY.labels(account, channel, since).observe(max(0.0, (now - at).total_seconds()))


class ImportWriter:
    def __init__(self, *, odoo: OdooClient, account: str, actor: str, clock: Clock) -> None:
        self.odoo = odoo
        self.account = account
        self.actor = actor
        self.clock = clock

    async def apply(self, tx: UnitOfWork, plan: ImportPlan) -> Written:
        """Everything the plan says, in ``tx`` (the batch's claims stay locked until it ends)."""
        for change in plan.states:
            await tx.external_ids.set_state(self.account, SALE_ORDER, change.order_id, change.state,
                                            amazon_updated_at=change.amazon_updated_at)
        for review in plan.reviews:
            await tx.quarantine.put(flow=REVIEW_FLOW, key=order_key(self.account, review.order_id),
                                    account=self.account, reason=REVIEW_REASON,
                                    details={"odoo_id": review.odoo_id, "amazon_status": review.amazon_status})
            await tx.audit.record(actor=self.actor, action="order.cancelled_after_shipping", object_type=SALE_ORDER,
                                  object_key=review.order_id)
            await tx.external_ids.set_state(self.account, SALE_ORDER, review.order_id, review.state,
                                            amazon_updated_at=review.amazon_updated_at)
        cancelled = await self.cancel(tx, plan.cancellations)
        for item in plan.quarantines:
            await tx.quarantine.put(flow=FLOW, key=order_key(self.account, item.order_id), account=self.account,
                                    reason=item.reason, details=dict(item.details), payload=dict(item.payload))
            await tx.external_ids.set_state(self.account, SALE_ORDER, item.order_id, "quarantined",
                                            amazon_updated_at=item.amazon_updated_at)
            if item.unknown_skus:
                _log.warning("order.unknown_sku", account=self.account, amazon_order_id=item.order_id,
                             skus=list(item.unknown_skus))
        written = await self.create(tx, plan.sale_orders) if plan.sale_orders else Written()
        holds, releases = plan.reservations(written.done)
        await tx.reservations.apply(self.account, reserve=holds, release=releases)
        # Once per batch: the stock flow recomputes these SKUs (an append-only log: this insert
        # never waits on another transaction).
        await tx.offers.mark_dirty(self.account, plan.dirty)
        return Written(created=written.created, adopted=written.adopted, cancelled=cancelled,
                       refused=written.refused, done=written.done, confirmed_ids=written.confirmed_ids)

    async def cancel(self, tx: UnitOfWork, odoo_ids: Mapping[str, int]) -> int:
        if not odoo_ids:
            return 0
        await self.odoo.call_method(SALE_ORDER, "action_cancel", odoo_ids.values(),
                                    context={**QUIET, "disable_cancel_warning": True})
        for order_id, odoo_id in odoo_ids.items():
            await tx.external_ids.set_state(self.account, SALE_ORDER, order_id, "cancelled")
            await tx.audit.record(actor=self.actor, action="order.cancelled", object_type=SALE_ORDER,
                                  object_key=order_id, details={"odoo_id": odoo_id})
        return len(odoo_ids)

    # -- sale orders -------------------------------------------------------------------------------

    async def create(self, tx: UnitOfWork, sale_orders: Sequence[PlannedSaleOrder]) -> Written:
        """Partners, then the sale orders: adopted when a crashed attempt left them in Odoo,
        created in one call otherwise; totals checked, confirmed, dated, FBA deliveries done."""
        planned = {p.order_id: p for p in sale_orders}
        partner_ids = await ensure_partners(tx, self.odoo, self.account, [p.partners for p in sale_orders])
        existing = await self.odoo.search_read(
            SALE_ORDER, [("client_order_ref", "in", sorted(planned))], ["client_order_ref", "state"],
            context={"active_test": False})
        odoo_ids: dict[str, int] = {}
        states: dict[str, str] = {}
        for row in existing:
            ref = row["client_order_ref"]
            if ref in planned and ref not in odoo_ids:
                odoo_ids[ref] = int(row["id"])
                states[ref] = str(row["state"])
        adopted = len(odoo_ids)
        new = [order_id for order_id in planned if order_id not in odoo_ids]
        if new:
            created = await self.odoo.create(SALE_ORDER, [planned[o].values(partner_ids) for o in new], context=QUIET)
            for order_id, odoo_id in zip(new, created, strict=True):
                odoo_ids[order_id] = odoo_id
                states[order_id] = "draft"

        await self._fix_totals(planned, odoo_ids, states)
        drafts = [order_id for order_id in planned if states[order_id] in ("draft", "sent")]
        confirmed, refused = await self._confirm(tx, drafts, odoo_ids)
        observe_latency(self.account, [planned[o].order for o in confirmed], self.clock.now())
        # action_confirm wrote "now" into date_order: put Amazon's purchase date back, every
        # order's own in one call (Odoo's import; ``write`` takes one value for all ids).
        await self.odoo.write_each(SALE_ORDER, {odoo_ids[o]: {"date_order": planned[o].sale.date_order}
                                                for o in confirmed}, context=QUIET)
        done = [o for o in planned if states[o] == "sale" or o in confirmed]
        # Every FBA order of the batch, adopted ones too: a worker that died after Odoo's confirm left the
        # delivery open, and only pickings not yet done are validated.
        fba = [odoo_ids[o] for o in done if planned[o].order.is_fba]
        if fba:
            await self._validate_fba_deliveries(fba)
        await tx.external_ids.record_many(self.account, SALE_ORDER,
                                          [(o, odoo_ids[o], planned[o].order.last_updated) for o in done],
                                          state="confirmed")
        await tx.quarantine.resolve_many(FLOW, [order_key(self.account, o) for o in done], "imported")
        return Written(created=len(new), adopted=adopted, refused=refused, done=tuple(done),
                       confirmed_ids=tuple(odoo_ids[o] for o in done))

    async def _fix_totals(self, planned: Mapping[str, PlannedSaleOrder], odoo_ids: Mapping[str, int],
                          states: Mapping[str, str]) -> None:
        """Odoo's total must equal Amazon's to the cent. The plan predicts Odoo's rounding; if
        this Odoo rounds differently, one more rounding line makes the difference explicit. A
        tax that is still not Amazon's (a rate that differs from Amazon's, a rounding this
        model does not know) is logged with both amounts: nothing here may hide it."""
        if not odoo_ids:
            return
        rows = await self.odoo.read(SALE_ORDER, list(odoo_ids.values()),
                                    ["amount_total", "amount_tax", "client_order_ref"])
        by_ref = {row["client_order_ref"]: row for row in rows}
        for order_id, planned_order in planned.items():
            plan = planned_order.sale
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

    async def _confirm(self, tx: UnitOfWork, drafts: list[str], odoo_ids: Mapping[str, int]) -> tuple[list[str], int]:
        """The drafts Odoo confirmed, and how many it refused (quarantined)."""
        if not drafts:
            return [], 0
        try:
            await self.odoo.call_method(SALE_ORDER, "action_confirm", [odoo_ids[o] for o in drafts], context=QUIET)
            return drafts, 0
        except RemoteRuleError:
            pass  # one bad order refuses the whole call: confirm one by one to find it
        confirmed = []
        refused = 0
        for order_id in drafts:
            try:
                await self.odoo.call_method(SALE_ORDER, "action_confirm", [odoo_ids[order_id]], context=QUIET)
                confirmed.append(order_id)
            except RemoteRuleError as exc:
                await tx.external_ids.record_odoo_id(self.account, SALE_ORDER, order_id, odoo_ids[order_id],
                                                     state="created")
                await tx.quarantine.put(flow=FLOW, key=order_key(self.account, order_id), account=self.account,
                                        reason=f"Odoo refused to confirm: {exc.remote_message or exc.message}",
                                        details=exc.context())
                refused += 1
        return confirmed, refused

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
