"""SP-API notifications, however they arrive (our HTTP endpoint or an SQS queue): which flow
stores each type, and where an unreadable one goes.

Each flow's intake stores the notification in the inbox first and defers the job that acts on
it; a DataError means the payload cannot be read and is quarantined under :data:`FLOW`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from psycopg import AsyncConnection

from ..exceptions import DataError
from ..store import accounts
from . import fba_inventory, orders

__all__ = ["FLOW", "RECEIVERS", "Receiver", "SellerDirectory", "quarantine_key", "store_notification"]

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


class SellerDirectory:
    """Seller id → account name for notification intake, read from the database at most every
    ``max_age`` seconds rather than once per notification (Prime Day brings thousands a minute).
    A notification of a seller the cached map does not know re-reads it (an account added a
    moment ago) before it is refused."""

    def __init__(self, *, max_age: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.clock = clock
        self._sellers: dict[str, str] = {}
        self._read_at: float | None = None

    async def _read(self, conn: AsyncConnection[Any]) -> None:
        self._sellers = {a.seller_id: a.name for a in await accounts.list_accounts(conn) if a.seller_id}
        self._read_at = self.clock()

    async def store(self, conn: AsyncConnection[Any], notification: Mapping[str, Any]) -> bool:
        """:func:`store_notification` with this directory's map."""
        fresh = self._read_at is None or self.clock() - self._read_at > self.max_age
        if fresh:
            await self._read(conn)
        try:
            return await store_notification(conn, notification, self._sellers.get)
        except DataError:
            if fresh:
                raise
            await self._read(conn)
            return await store_notification(conn, notification, self._sellers.get)


def quarantine_key(payload: Any) -> str:
    """One quarantine item per distinct bad payload, whichever way it arrived."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]
