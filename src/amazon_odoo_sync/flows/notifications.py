"""SP-API notifications, however they arrive (our HTTP endpoint or an SQS queue): which flow
stores each type, and where an unreadable one goes.

Each flow's intake stores the notification in the inbox first and defers the job that acts on
it; a DataError means the payload cannot be read and is quarantined under :data:`FLOW`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from psycopg import AsyncConnection

from . import fba_inventory, orders

__all__ = ["FLOW", "RECEIVERS", "Receiver", "quarantine_key", "store_notification"]

#: Quarantine flow of unreadable notifications.
FLOW = "notifications"

Receiver = Callable[[AsyncConnection[Any], Mapping[str, Any], Callable[[str], str | None]], Awaitable[bool]]

#: NotificationType → the flow that stores it; anything else goes to the orders flow, which
#: refuses (DataError → quarantine) what it cannot read.
RECEIVERS: dict[str, Receiver] = {
    "ORDER_CHANGE": orders.receive_notification,
    fba_inventory.NOTIFICATION_TYPE: fba_inventory.receive_notification,
}


async def store_notification(conn: AsyncConnection[Any], notification: Mapping[str, Any],
                             account_for_seller: Callable[[str], str | None]) -> bool:
    """Store one notification dict through its flow's intake (committed when ``conn`` is in
    autocommit mode). False for a duplicate; DataError for one we cannot read."""
    receiver = RECEIVERS.get(str(notification.get("NotificationType")), orders.receive_notification)
    return await receiver(conn, notification, account_for_seller)


def quarantine_key(payload: Any) -> str:
    """One quarantine item per distinct bad payload, whichever way it arrived."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]
