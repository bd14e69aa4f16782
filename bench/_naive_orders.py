"""The naive order import, for ``bench/orders.py --naive`` only: what existing connectors do.

One order at a time, one Odoo call per operation: for each order, search its partner, create it
(and each address), look for an existing sale order, create the sale order with its lines, read
its total, ``action_confirm`` it, write ``date_order`` back, and (FBA) validate its delivery, each
its own call. It is the product's ``OrderImporter`` unchanged, fed one order per call, so the
mapping, claims, quarantine and exactly-once rules are the same and only the shape of the Odoo
traffic differs: the benchmark compares batching, nothing else. Kept out of the package: no
worker imports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from amazon_odoo_sync.flows.orders import ImportResult, OrderImporter
from amazon_odoo_sync.store.unit import UnitOfWork

__all__ = ["NaiveOrderImporter"]


class NaiveOrderImporter(OrderImporter):
    async def import_documents(self, tx: UnitOfWork, docs: Sequence[Mapping[str, Any]]) -> ImportResult:
        """Each order on its own (own Odoo calls: a cancellation too, since a batch of one order
        cancels one); of several documents of one order only the latest, as the batch importer
        does."""
        result = ImportResult()
        latest: dict[str, Mapping[str, Any]] = {}
        unnamed: list[Mapping[str, Any]] = []  # the parent quarantines what it cannot read
        for doc in docs:
            order_id = doc.get("orderId") if isinstance(doc, Mapping) else None
            if not order_id:
                unnamed.append(doc)
                continue
            known = latest.get(str(order_id))
            if known is None or str(doc.get("lastUpdatedTime") or "") >= str(known.get("lastUpdatedTime") or ""):
                latest[str(order_id)] = doc
        for doc in [*unnamed, *(latest[k] for k in sorted(latest))]:
            result.merge(await super().import_documents(tx, [doc]))
        return result
