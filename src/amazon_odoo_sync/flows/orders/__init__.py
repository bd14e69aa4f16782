"""The orders flow: Amazon orders → exactly one confirmed Odoo sale order each.

* :mod:`.sources`: how order documents reach the inbox (notifications, polling, backfill,
  recovering one order);
* :mod:`.drain`: the import jobs draining the inbox, in lanes;
* :mod:`.importer`: one batch, read → :mod:`.plan` (pure) → :mod:`.write`;
* :mod:`.tasks`: the jobs and schedules.
"""

from __future__ import annotations

from .drain import (
    IMPORT_BATCH,
    import_batch,
    import_lanes,
    import_pending,
    recover_order,
    retry_quarantined,
    spread_import,
    sweep_reservations,
)
from .importer import ImportResult, OrderImporter
from .plan import FLOW, SALE_ORDER, fba_shipped_units, open_units, waiting_units
from .sources import (
    INCLUDED_DATA,
    StoreResult,
    backfill,
    fetch_notified_orders,
    notifications_stored,
    order_source,
    poll_orders,
    read_notification,
    store_orders,
)

__all__ = [
    "FLOW",
    "IMPORT_BATCH",
    "INCLUDED_DATA",
    "SALE_ORDER",
    "ImportResult",
    "OrderImporter",
    "StoreResult",
    "backfill",
    "fba_shipped_units",
    "fetch_notified_orders",
    "import_batch",
    "import_lanes",
    "import_pending",
    "notifications_stored",
    "open_units",
    "order_source",
    "poll_orders",
    "read_notification",
    "recover_order",
    "retry_quarantined",
    "spread_import",
    "store_orders",
    "sweep_reservations",
    "waiting_units",
]
