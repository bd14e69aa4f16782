"""The naive order import, for ``bench/orders.py --naive`` only: what existing connectors do.

One order at a time, one Odoo call per operation: for each order, search its partner, create it
(and each address), look for an existing sale order, create the sale order with its lines, read
its total, ``action_confirm`` it, write ``date_order`` back, and (FBA) validate its delivery, each
its own call. It is :class:`~.order_import.OrderImporter` unchanged, fed one order per call, so
the mapping, claims, quarantine and exactly-once rules are the same and only the shape of the
Odoo traffic differs: the benchmark compares batching, nothing else. Not used by the product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import AsyncConnection

from .order_import import ImportResult, OrderImporter

__all__ = ["NaiveOrderImporter"]


class NaiveOrderImporter(OrderImporter):
    async def import_documents(self, conn: AsyncConnection[Any], docs: Sequence[Mapping[str, Any]]
                               ) -> ImportResult:
        """Each order on its own (own savepoint, own Odoo calls); of several documents of one
        order only the latest, as the batch importer does."""
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
            result.merge(await super().import_documents(conn, [doc]))
        return result

    async def _cancel(self, conn: AsyncConnection[Any], odoo_ids: dict[str, int], result: ImportResult) -> None:
        for order_id, odoo_id in odoo_ids.items():
            await super()._cancel(conn, {order_id: odoo_id}, result)
