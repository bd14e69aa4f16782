"""The inbox in memory (see ``store.inbox`` for what each call means).

Payloads go through the same JSON encoding as the ``jsonb`` column (Decimals as strings, NUL and
lone surrogates replaced), so a flow reads back what it would read from PostgreSQL. Row locks
are the twin's: its transactions run one at a time, so ``pending(lock=True)`` skips nothing.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .._sql import dumps, storable
from ..inbox import InboxItem, InboxState

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryInbox", "inbox_rows"]

SECTION = "inbox"


@dataclass
class _Table:
    rows: dict[int, InboxItem] = field(default_factory=dict)
    #: The unique key (source, key) → id.
    by_key: dict[tuple[str, str], int] = field(default_factory=dict)


def _as_jsonb(payload: Any) -> Any:
    return json.loads(dumps(payload))


class MemoryInbox:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._table: _Table = state.section(SECTION, _Table)

    def _insert(self, source: str, key: str, account: str | None, payload: Any) -> InboxItem | None:
        """The new row, or None when ``(source, key)`` is taken."""
        if (source, key) in self._table.by_key:
            return None
        item = InboxItem(id=self._state.next_id(SECTION), source=source, key=key, account=account,
                         payload=payload, received_at=self._state.now(), state="pending", attempts=0,
                         last_error=None, processed_at=None)
        self._table.rows[item.id] = item
        self._table.by_key[(source, key)] = item.id
        return item

    async def put(self, *, source: str, key: str, account: str | None, payload: Any) -> InboxItem:
        key = storable(key)
        item = self._insert(source, key, account, _as_jsonb(payload))
        if item is not None:
            return dataclasses.replace(item, is_new=True)
        return self._table.rows[self._table.by_key[(source, key)]]

    async def put_many(self, *, source: str, account: str | None, items: Mapping[str, Any]) -> set[str]:
        if not items:
            return set()
        stored: dict[str, Any] = _as_jsonb(dict(items))
        return {key for key, payload in stored.items() if self._insert(source, key, account, payload) is not None}

    async def get(self, item_id: int) -> InboxItem | None:
        return self._table.rows.get(item_id)

    def _update(self, item_id: int, **changes: Any) -> InboxItem:
        item = self._table.rows.get(item_id)
        if item is None:
            raise LookupError(f"no inbox item with id {item_id}")
        item = self._table.rows[item_id] = dataclasses.replace(item, **changes)
        return item

    def _processed(self, item_id: int) -> InboxItem:
        item = self._table.rows.get(item_id)
        attempts = item.attempts + 1 if item is not None else 0
        return self._update(item_id, state="processed", attempts=attempts, last_error=None,
                            processed_at=self._state.now())

    async def mark_processed(self, item_id: int) -> InboxItem:
        return self._processed(item_id)

    async def mark_processed_many(self, item_ids: Iterable[int]) -> int:
        marked = 0
        for item_id in set(item_ids):
            if item_id in self._table.rows:
                self._processed(item_id)
                marked += 1
        return marked

    def _failed(self, item_id: int, error: str, state: InboxState) -> InboxItem:
        item = self._table.rows.get(item_id)
        attempts = item.attempts + 1 if item is not None else 0
        return self._update(item_id, state=state, attempts=attempts, last_error=error)

    async def mark_failed(self, item_id: int, error: str) -> InboxItem:
        return self._failed(item_id, error, "failed")

    async def mark_quarantined(self, item_id: int, error: str) -> InboxItem:
        return self._failed(item_id, error, "quarantined")

    async def requeue(self, item_id: int) -> InboxItem:
        return self._update(item_id, state="pending")

    def _waiting(self, source: str | None, account: str | None,
                 states: tuple[InboxState, ...] = ("pending", "failed")) -> list[InboxItem]:
        return [item for _, item in sorted(self._table.rows.items())
                if item.state in states and (source is None or item.source == source)
                and (account is None or item.account == account)]

    async def any_pending(self, *, source: str, account: str | None = None) -> bool:
        return bool(self._waiting(source, account))

    async def count_pending(self, *, source: str, up_to: int) -> int:
        return min(len(self._waiting(source, None)), up_to)

    async def pending(self, limit: int = 100, *, source: str | None = None, account: str | None = None,
                      include_failed: bool = True, lock: bool = False) -> list[InboxItem]:
        states: tuple[InboxState, ...] = ("pending", "failed") if include_failed else ("pending",)
        return self._waiting(source, account, states)[:limit]

    async def prune_processed(self, *, older_than_seconds: float, batch: int = 5000) -> int:
        cutoff = self._state.now() - timedelta(seconds=float(older_than_seconds))
        rows = self._table.rows

        def superseded(item: InboxItem) -> bool:
            # An order's document stays while it is the newest of its order (see store.inbox).
            prefix = item.key.split("@", 1)[0] + "@"
            return any(other.source == item.source and other.key > item.key and other.key.startswith(prefix)
                       for other in rows.values())

        doomed = [item for _, item in sorted(rows.items())
                  if item.state == "processed" and item.processed_at is not None and item.processed_at < cutoff
                  and (not item.source.startswith("orders/") or superseded(item))][:batch]
        for item in doomed:
            del rows[item.id]
            del self._table.by_key[(item.source, item.key)]
        return len(doomed)

    async def latest_documents(self, *, source: str, order_ids: Iterable[str]) -> dict[str, Any]:
        wanted = set(order_ids)
        newest: dict[str, tuple[tuple[bool, str, int], Any]] = {}
        for item in self._table.rows.values():
            payload = item.payload
            if item.source != source or not isinstance(payload, dict):
                continue
            order_id = payload.get("orderId")
            if order_id is None or str(order_id) not in wanted:
                continue
            updated = payload.get("lastUpdatedTime")
            rank = (updated is None, "" if updated is None else str(updated), item.id)
            if str(order_id) not in newest or rank > newest[str(order_id)][0]:
                newest[str(order_id)] = (rank, payload)
        return {order_id: payload for order_id, (_, payload) in newest.items()}


def inbox_rows(state: MemoryState) -> dict[int, InboxItem]:
    """The table's rows by id, for twins that touch them (the personal data purge)."""
    return state.section(SECTION, _Table).rows
