"""SP-API notifications, however they arrive (our HTTP endpoint or an SQS queue): which flow
stores each type, and where an unreadable one goes.

Each flow's intake stores the notification in the inbox first and defers the job that acts on
it; a DataError means the payload cannot be read and is quarantined under :data:`FLOW`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection

from ..exceptions import DataError
from ..store import accounts, inbox
from . import fba_inventory, orders
from .intake import ReadNotification

__all__ = ["FLOW", "INTAKES", "Intake", "SellerDirectory", "quarantine_key", "read_notification",
           "store_notifications"]

#: Quarantine flow of unreadable notifications.
FLOW = "notifications"
#: A batch that PostgreSQL picks as a deadlock's victim is stored again this many times in all.
DEADLOCK_ATTEMPTS = 3


@dataclass(frozen=True)
class Intake:
    """How one flow takes a notification type: ``read`` checks one (no I/O, DataError when it
    cannot be read); ``stored`` runs in the storing transaction for the new ones of one account
    (reserve units, defer the job that acts on them)."""

    read: Callable[[Mapping[str, Any], Callable[[str], str | None]], ReadNotification]
    stored: Callable[[AsyncConnection[Any], str, list[ReadNotification]], Awaitable[None]]


#: NotificationType → the flow that stores it; anything else goes to the orders flow, which
#: refuses (DataError → quarantine) what it cannot read.
INTAKES: dict[str, Intake] = {
    "ORDER_CHANGE": Intake(orders.read_notification, orders.notifications_stored),
    fba_inventory.NOTIFICATION_TYPE: Intake(fba_inventory.read_notification, fba_inventory.notifications_stored),
}
_DEFAULT = INTAKES["ORDER_CHANGE"]


def read_notification(notification: Any, account_for_seller: Callable[[str], str | None]) -> ReadNotification:
    """Which flow takes ``notification`` and whose it is (no I/O); DataError saying why when it
    cannot be read."""
    return _read(notification, account_for_seller)[1]


def _read(notification: Any, account_for_seller: Callable[[str], str | None]) -> tuple[Intake, ReadNotification]:
    if not isinstance(notification, Mapping):
        raise DataError("a notification must be a JSON object")
    # Read as the inbox will keep it: its ids are compared with the keys the inbox returns.
    notification = inbox.as_stored(dict(notification))
    intake = INTAKES.get(str(notification.get("NotificationType")), _DEFAULT)
    return intake, intake.read(notification, account_for_seller)


async def store_notifications(conn: AsyncConnection[Any], notifications: Sequence[Mapping[str, Any]],
                              account_for_seller: Callable[[str], str | None]) -> list[bool | DataError]:
    """Store many notifications in one transaction: per notification, True (stored), False
    (stored before, or earlier in this batch) or the DataError that says why it cannot be read
    (nothing stored for it; the caller quarantines it). One inbox statement per flow and account,
    not one per notification: an SQS receive brings ten, Prime Day thousands a minute. A database
    error rolls the whole batch back and propagates (the sender delivers again)."""
    outcomes: list[bool | DataError] = [False] * len(notifications)
    groups: dict[tuple[str, str], tuple[Intake, dict[str, tuple[int, ReadNotification]]]] = {}
    for index, notification in enumerate(notifications):
        try:
            intake, read = _read(notification, account_for_seller)
        except DataError as exc:
            outcomes[index] = exc
            continue
        group = groups.setdefault((read.source, read.account), (intake, {}))[1]
        group.setdefault(read.notification_id, (index, read))  # a repeat in the batch is a duplicate
    if not groups:
        return outcomes
    for attempt in range(DEADLOCK_ATTEMPTS):
        stored: list[int] = []
        try:
            async with conn.transaction():
                for (source, account), (intake, by_id) in sorted(groups.items(), key=lambda g: g[0]):
                    new = await inbox.put_many(conn, source=source, account=account,
                                               items={key: dict(read.payload) for key, (_, read) in by_id.items()})
                    if new:
                        stored.extend(by_id[key][0] for key in new)
                        await intake.stored(conn, account, [read for key, (_, read) in by_id.items() if key in new])
        except psycopg.errors.DeadlockDetected:
            # Rolled back: a short transaction, cheaper to run again at once than to hand back.
            if attempt == DEADLOCK_ATTEMPTS - 1:
                raise
            continue
        break
    for index in stored:
        outcomes[index] = True
    return outcomes


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
        """One notification (see :meth:`store_many`): False for a duplicate; raises DataError
        for one we cannot read."""
        outcome = (await self.store_many(conn, [notification]))[0]
        if isinstance(outcome, DataError):
            raise outcome
        return outcome

    async def store_many(self, conn: AsyncConnection[Any],
                         notifications: Sequence[Mapping[str, Any]]) -> list[bool | DataError]:
        """:func:`store_notifications` with this directory's map; those refused with a map read
        earlier are tried once more with a fresh one."""
        fresh = self._read_at is None or self.clock() - self._read_at > self.max_age
        if fresh:
            await self._read(conn)
        outcomes = await store_notifications(conn, notifications, self._sellers.get)
        refused = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, DataError)]
        if refused and not fresh:
            await self._read(conn)
            again = await store_notifications(conn, [notifications[i] for i in refused], self._sellers.get)
            for index, outcome in zip(refused, again, strict=True):
                outcomes[index] = outcome
        return outcomes


def quarantine_key(payload: Any) -> str:
    """One quarantine item per distinct bad payload, whichever way it arrived."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]
