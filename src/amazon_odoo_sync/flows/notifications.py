"""SP-API notifications, however they arrive (our HTTP endpoint or an SQS queue): which flow
stores each type, and where an unreadable one goes.

A batch is read first, without I/O (:func:`read_batch`): each notification is checked by the
flow that takes its type, unreadable ones become quarantine entries under :data:`FLOW`, and the
rest are grouped per inbox source and account, a notification repeated in the batch once. Then
:func:`store_notifications` writes the groups in one transaction: the inbox rows and, for the
new ones, what their flow does at once (reserve units, defer the job that acts on them).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..exceptions import ContentionError, DataError
from ..store import inbox
from ..store.unit import Store, UnitOfWork
from . import fba_inventory, orders
from .intake import ReadNotification

__all__ = ["FLOW", "INTAKES", "Intake", "IntakeBatch", "InboxGroup", "QuarantineEntry", "SellerDirectory",
           "quarantine_entry", "quarantine_key", "read_batch", "read_notification", "store_notifications"]

#: Quarantine flow of unreadable notifications.
FLOW = "notifications"
#: A batch that PostgreSQL picks as a deadlock's victim is stored again this many times in all.
DEADLOCK_ATTEMPTS = 3

AccountForSeller = Callable[[str], str | None]


@dataclass(frozen=True)
class Intake:
    """How one flow takes a notification type: ``read`` checks one (no I/O, DataError when it
    cannot be read); ``stored`` runs in the storing transaction for the new ones of one account
    (reserve units, defer the job that acts on them)."""

    read: Callable[[Mapping[str, Any], AccountForSeller], ReadNotification]
    stored: Callable[[UnitOfWork, str, list[ReadNotification]], Awaitable[None]]


#: NotificationType → the flow that stores it; anything else goes to the orders flow, which
#: refuses (DataError → quarantine) what it cannot read.
INTAKES: dict[str, Intake] = {
    "ORDER_CHANGE": Intake(orders.read_notification, orders.notifications_stored),
    fba_inventory.NOTIFICATION_TYPE: Intake(fba_inventory.read_notification, fba_inventory.notifications_stored),
}
_DEFAULT = INTAKES["ORDER_CHANGE"]


@dataclass(frozen=True, kw_only=True)
class QuarantineEntry:
    """A notification we cannot read, as the quarantine keeps it (one item per distinct payload)."""

    key: str
    reason: str
    payload: Any


@dataclass(frozen=True, kw_only=True)
class InboxGroup:
    """The readable notifications of one inbox source and account: one inbox statement."""

    source: str
    account: str
    intake: Intake
    #: Notification id → (its index in the batch, the notification as read); the first of repeats.
    items: Mapping[str, tuple[int, ReadNotification]]

    def rows(self) -> dict[str, Any]:
        """Inbox key → payload."""
        return {key: dict(read.payload) for key, (_, read) in self.items.items()}


@dataclass(frozen=True, kw_only=True)
class IntakeBatch:
    """What a batch of notifications becomes (:func:`read_batch`)."""

    size: int
    #: Ordered by (source, account): concurrent batches take their row locks in one order.
    groups: tuple[InboxGroup, ...]
    #: Index in the batch → why it cannot be read.
    refused: Mapping[int, DataError]
    #: Index in the batch → its quarantine entry (the same indexes as ``refused``).
    quarantine: Mapping[int, QuarantineEntry]

    def outcomes(self, stored: set[int]) -> list[bool | DataError]:
        """Per notification: True (its index in ``stored``: new in the inbox), False (stored
        before, or earlier in this batch) or the DataError saying why it cannot be read."""
        return [self.refused.get(i, i in stored) for i in range(self.size)]


def read_notification(notification: Any, account_for_seller: AccountForSeller) -> ReadNotification:
    """Which flow takes ``notification`` and whose it is (no I/O); DataError saying why when it
    cannot be read."""
    return _read(notification, account_for_seller)[1]


def _read(notification: Any, account_for_seller: AccountForSeller) -> tuple[Intake, ReadNotification]:
    if not isinstance(notification, Mapping):
        raise DataError("a notification must be a JSON object")
    # Read as the inbox will keep it: its ids are compared with the keys the inbox returns.
    notification = inbox.as_stored(dict(notification))
    intake = INTAKES.get(str(notification.get("NotificationType")), _DEFAULT)
    return intake, intake.read(notification, account_for_seller)


def read_batch(notifications: Sequence[Any], account_for_seller: AccountForSeller) -> IntakeBatch:
    """Check, route and deduplicate a batch (no I/O): the inbox rows to write per source and
    account, and the quarantine entries of those that cannot be read."""
    refused: dict[int, DataError] = {}
    by_group: dict[tuple[str, str], tuple[Intake, dict[str, tuple[int, ReadNotification]]]] = {}
    for index, notification in enumerate(notifications):
        try:
            intake, read = _read(notification, account_for_seller)
        except DataError as exc:
            refused[index] = exc
            continue
        group = by_group.setdefault((read.source, read.account), (intake, {}))[1]
        group.setdefault(read.notification_id, (index, read))  # a repeat in the batch is a duplicate
    groups = tuple(InboxGroup(source=source, account=account, intake=intake, items=items)
                   for (source, account), (intake, items) in sorted(by_group.items(), key=lambda g: g[0]))
    return IntakeBatch(size=len(notifications), groups=groups, refused=refused,
                       quarantine={i: quarantine_entry(notifications[i], exc) for i, exc in refused.items()})


async def store_notifications(store: Store, notifications: Sequence[Mapping[str, Any]],
                              account_for_seller: AccountForSeller) -> list[bool | DataError]:
    """Store many notifications in one transaction: per notification, True (stored), False
    (stored before, or earlier in this batch) or the DataError that says why it cannot be read
    (nothing stored for it; the caller quarantines it). One inbox statement per flow and account,
    not one per notification: an SQS receive brings ten, Prime Day thousands a minute. A database
    error rolls the whole batch back and propagates (the sender delivers again)."""
    batch = read_batch(notifications, account_for_seller)
    if not batch.groups:
        return batch.outcomes(set())
    for attempt in range(DEADLOCK_ATTEMPTS):
        try:
            stored = await _write(store, batch)
        except ContentionError:
            # Rolled back: a short transaction, cheaper to run again at once than to hand back.
            if attempt == DEADLOCK_ATTEMPTS - 1:
                raise
            continue
        return batch.outcomes(stored)
    raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises


async def _write(store: Store, batch: IntakeBatch) -> set[int]:
    stored: set[int] = set()
    async with store.transaction() as tx:
        for group in batch.groups:
            new = await tx.inbox.put_many(source=group.source, account=group.account, items=group.rows())
            if new:
                stored.update(group.items[key][0] for key in new)
                await group.intake.stored(tx, group.account, [read for key, (_, read) in group.items.items()
                                                              if key in new])
    return stored


class SellerDirectory:
    """Seller id → account name for notification intake, read from the database at most every
    ``max_age`` seconds rather than once per notification (Prime Day brings thousands a minute).
    A notification of a seller the cached map does not know re-reads it (an account added a
    moment ago) before it is refused."""

    def __init__(self, store: Store, *, max_age: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.max_age = max_age
        self.clock = clock
        self._sellers: dict[str, str] = {}
        self._read_at: float | None = None

    async def _read(self) -> None:
        async with self.store.session() as tx:
            self._sellers = await tx.accounts.sellers()
        self._read_at = self.clock()

    async def store_one(self, notification: Mapping[str, Any]) -> bool:
        """One notification (see :meth:`store_many`): False for a duplicate; raises DataError
        for one we cannot read."""
        outcome = (await self.store_many([notification]))[0]
        if isinstance(outcome, DataError):
            raise outcome
        return outcome

    async def store_many(self, notifications: Sequence[Mapping[str, Any]]) -> list[bool | DataError]:
        """:func:`store_notifications` with this directory's map; those refused with a map read
        earlier are tried once more with a fresh one."""
        fresh = self._read_at is None or self.clock() - self._read_at > self.max_age
        if fresh:
            await self._read()
        outcomes = await store_notifications(self.store, notifications, self._sellers.get)
        refused = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, DataError)]
        if refused and not fresh:
            await self._read()
            again = await store_notifications(self.store, [notifications[i] for i in refused], self._sellers.get)
            for index, outcome in zip(refused, again, strict=True):
                outcomes[index] = outcome
        return outcomes


def quarantine_key(payload: Any) -> str:
    """One quarantine item per distinct bad payload, whichever way it arrived."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def quarantine_entry(payload: Any, error: DataError) -> QuarantineEntry:
    """The quarantine entry of a notification we cannot read."""
    return QuarantineEntry(key=quarantine_key(payload), reason=error.message, payload=payload)
