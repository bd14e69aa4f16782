"""Order import: Amazon order documents → exactly one confirmed Odoo sale order each.

Works on batches (a page of ``searchOrders``, a drain of the inbox) so Odoo sees few, large
calls: one ``create`` for all new orders, one ``action_confirm`` for all of them, one
``read`` to check totals, and one import to put Amazon's dates back (Odoo's
``action_confirm`` overwrites ``date_order``).

One batch is read → plan → write, in the caller's unit of work:

* read: the documents (the newest of each order), the orders' claims, and the Odoo ids the
  orders to create need (:class:`~.ports.OdooReferences`);
* plan (:func:`~.plan.plan_import`, pure): what happens to each order;
* write (:class:`~.write.ImportWriter`): the store's writes and Odoo's calls.

Exactly once, whatever replays, retries, duplicates, crashes or concurrent workers happen:

1. Every order is *claimed* in the external ids (unique on account + Amazon order id) inside
   the caller's transaction, which stays open until the Odoo work of the batch is recorded. The
   claim locks the row, so a second worker handling the same order waits, then finds it done.
   Claims are taken in order-id order: two workers never deadlock.
2. Before creating, the batch asks Odoo for sale orders whose ``client_order_ref`` is one of the
   order ids. A worker that died after Odoo's create but before our commit left such an order
   (and no claim: its transaction rolled back); it is adopted, not created again.
3. Older states never overwrite newer ones: a document whose ``lastUpdatedTime`` is older than
   the one recorded is ignored.

Inputs that cannot be processed (malformed, unknown SKU) go to quarantine with the reason; the
rest of the batch goes on. Unknown SKUs are retried by ``retry_quarantined`` once mapped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...clock import Clock, SystemClock
from ...exceptions import PermanentError
from ...mapping.amazon_order import AmazonOrder
from ...mapping.sale_order import OdooTargets
from ...odoo.client import OdooClient
from ...store.unit import UnitOfWork
from .plan import FLOW, SALE_ORDER, Claim, References, claim_rows, plan_import, read_batch, to_create
from .ports import OdooReferences
from .write import ImportWriter

__all__ = ["ImportResult", "OrderImporter"]


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


class OrderImporter:
    def __init__(self, *, odoo: OdooClient, account: str, refs: OdooReferences, actor: str = "flow:orders",
                 clock: Clock | None = None):
        self.odoo = odoo
        self.clock = clock or SystemClock()
        self.account = account
        self.refs = refs
        self.actor = actor
        self.writer = ImportWriter(odoo=odoo, account=account, actor=actor, clock=self.clock)

    async def import_documents(self, tx: UnitOfWork, docs: Sequence[Mapping[str, Any]]) -> ImportResult:
        """Import a batch of Orders v2026 ``Order`` documents in ``tx`` (the caller's transaction:
        the batch's claims are held until it ends)."""
        batch = read_batch(self.account, docs)
        for doc in batch.unreadable:
            await tx.quarantine.put(flow=FLOW, key=doc.key, account=self.account, reason=doc.reason,
                                    details=dict(doc.details), payload=doc.payload)
        if not batch.orders:
            return ImportResult(quarantined=len(batch.unreadable))
        rows = await tx.external_ids.claim_many(self.account, SALE_ORDER, claim_rows(batch))
        claims = {key: Claim(is_new=row.is_new, state=row.state, odoo_id=row.odoo_id,
                             amazon_updated_at=row.amazon_updated_at) for key, row in rows.items()}
        plan = plan_import(self.account, batch, claims, await self._references(to_create(batch, claims)))
        written = await self.writer.apply(tx, plan)
        return ImportResult(
            created=written.created, adopted=written.adopted, cancelled=plan.recorded_cancelled + written.cancelled,
            reserved=plan.reserved, quarantined=len(batch.unreadable) + len(plan.quarantines) + written.refused,
            unchanged=plan.unchanged, stale=plan.stale, review=len(plan.reviews),
            confirmed_ids=list(written.confirmed_ids))

    async def _references(self, orders: list[AmazonOrder]) -> References:
        """What the plan needs of Odoo for ``orders`` (the orders to create), nothing more."""
        if not orders:
            return References()
        marketplaces = list(dict.fromkeys(order.marketplace_id for order in orders))
        products = {marketplace: await self.refs.products(
            self.account, marketplace, {i.sku for o in orders if o.marketplace_id == marketplace for i in o.items})
            for marketplace in marketplaces}
        targets: dict[str, OdooTargets | PermanentError] = {}
        for marketplace in marketplaces:
            try:
                targets[marketplace] = await self.refs.targets(marketplace)
            except PermanentError as exc:  # its orders are quarantined with the reason
                targets[marketplace] = exc
        return References(targets=targets, products=products, countries=await self.refs.countries(),
                          states=await self.refs.states(),
                          anonymous_names={m: self.refs.anonymous_name(m) for m in marketplaces})
