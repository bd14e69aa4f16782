"""The import drain: waiting order documents → :class:`~.importer.OrderImporter`, a batch per
transaction, in as many lanes as Odoo takes calls at once."""

from __future__ import annotations

from ...store.unit import Store
from ..runtime import FlowRuntime
from ..stock import release_closed_reservations
from . import jobs
from .importer import ImportResult, OrderImporter
from .plan import FLOW
from .sources import fetch_order, order_source

__all__ = ["IMPORT_BATCH", "import_batch", "import_lanes", "import_pending", "recover_order", "retry_quarantined",
           "spread_import", "sweep_reservations"]

IMPORT_BATCH = 100


async def import_batch(store: Store, importer: OrderImporter, *, batch: int = IMPORT_BATCH) -> ImportResult | None:
    """Import up to ``batch`` waiting documents of the importer's account in one transaction
    (None: none waited). Concurrent drains take different documents (``SKIP LOCKED``); the
    importer's claims make any overlap harmless."""
    async with store.transaction() as tx:
        items = await tx.inbox.pending(batch, source=order_source(importer.account), lock=True)
        if not items:
            return None
        result = await importer.import_documents(tx, [i.payload for i in items])
        await tx.inbox.mark_processed_many(item.id for item in items)
    return result


async def import_pending(rt: FlowRuntime, account: str, *, batch: int = IMPORT_BATCH,
                         max_batches: int | None = None) -> ImportResult:
    """Import waiting order documents of ``account``, ``batch`` at a time, until none is left."""
    total = ImportResult()
    importer = OrderImporter(odoo=await rt.odoo(), account=account, refs=await rt.refs())
    done = 0
    while max_batches is None or done < max_batches:
        result = await import_batch(rt.store, importer, batch=batch)
        if result is None:
            break
        total.merge(result)
        done += 1
    return total


def import_lanes(backlog: int, *, batch: int, capacity: int) -> int:
    """How many drains should take an account's backlog at once: one per batch waiting, at most
    as many as Odoo takes calls at once (a drain has one call in flight). Parallelism follows
    Odoo's capacity, not the number of accounts: one account's burst uses every Odoo worker."""
    if backlog <= 0:
        return 1
    return max(1, min(capacity, -(-backlog // max(1, batch))))


async def spread_import(rt: FlowRuntime, account: str, *, batch: int = IMPORT_BATCH) -> int:
    """Before lane 0 drains: defer the extra lanes the backlog calls for (each a job of its own,
    deduplicated by its queueing lock; they drain the same inbox, SKIP LOCKED). Returns lanes."""
    capacity = await rt.odoo_capacity()
    async with rt.store.session() as session:
        backlog = await session.inbox.count_pending(source=order_source(account), up_to=batch * capacity)
        lanes = import_lanes(backlog, batch=batch, capacity=capacity)
        for lane in range(1, lanes):
            await jobs.IMPORT.defer_in(session, account=account, lane=lane)
    return lanes


async def recover_order(rt: FlowRuntime, account: str, order_id: str) -> ImportResult:
    """Fetch one order and import it now."""
    await fetch_order(rt, account, order_id)
    return await import_pending(rt, account)


async def retry_quarantined(rt: FlowRuntime, account: str, *, limit: int = 500) -> ImportResult:
    """Import again the orders waiting in quarantine (e.g. for a SKU mapping): those whose cause
    is gone are imported and their quarantine item resolved; the others stay, attempts + 1."""
    async with rt.store.session() as session:
        items = await session.quarantine.open_items(FLOW, account=account, limit=limit)
    docs = [i.payload for i in items if isinstance(i.payload, dict) and i.payload.get("orderId")]
    if not docs:
        return ImportResult()
    importer = OrderImporter(odoo=await rt.odoo(), account=account, refs=await rt.refs())
    async with rt.store.transaction() as tx:
        return await importer.import_documents(tx, docs)


async def sweep_reservations(rt: FlowRuntime, account: str) -> int:
    """Release what is still reserved for orders of ``account`` that are in Odoo or cancelled
    (audited, SKUs marked dirty): the backstop for the one race the writes cannot see (see
    store.reservations). Returns the orders released."""
    async with rt.store.transaction() as tx:
        return len(await release_closed_reservations(tx, account, actor="flow:orders"))
