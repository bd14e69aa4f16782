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

Read → plan → write: :mod:`.read` gathers Odoo's deliveries, the Amazon orders and the SKU →
product map; :mod:`.plan` decides, without I/O, each delivery's row, the tracking reports, the
retry delays and the reading of Amazon's refusals; :mod:`.write` stores the rows through the
store's units of work and calls Amazon and Odoo.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..runtime import FlowRuntime
from .plan import AmazonRefusal, classify_amazon_error
from .write import CURSOR_FLOW, FLOW, ShipmentResult, ShipmentSync

__all__ = [
    "CURSOR_FLOW",
    "FLOW",
    "AmazonRefusal",
    "ShipmentResult",
    "ShipmentSync",
    "classify_amazon_error",
    "poll_shipments",
]


async def poll_shipments(rt: FlowRuntime, account: str, *, since: datetime | None = None,
                         move_cursor: bool = True, retry_failed: bool = False,
                         progress: Callable[[int, int], None] | None = None) -> ShipmentResult:
    sync = ShipmentSync(store=rt.store, odoo=await rt.odoo(),
                        spapi=await rt.spapi(account, priority=rt.settings.priorities.shipments),
                        account=account, config=rt.settings.shipments, clock=rt.clock)
    return await sync.run(since=since, move_cursor=move_cursor, retry_failed=retry_failed, progress=progress)
