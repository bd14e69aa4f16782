"""The quarantine in memory (see ``store.quarantine`` for what each call means)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ..quarantine import QuarantineItem

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryQuarantine"]


class MemoryQuarantine:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._items: dict[int, QuarantineItem] = state.section("quarantine", dict)

    def _open(self, flow: str, key: str) -> QuarantineItem | None:
        return next((i for i in self._items.values()
                     if i.flow == flow and i.key == key and i.resolved_at is None), None)

    async def put(self, *, flow: str, key: str, account: str | None, reason: str,
                  details: dict[str, Any] | None = None, payload: Any = None) -> QuarantineItem:
        now = self._state.now()
        item = self._open(flow, key)
        if item is None:
            item = QuarantineItem(id=self._state.next_id("quarantine"), flow=flow, key=key, account=account,
                                  reason=reason, details=dict(details or {}), payload=payload, first_seen=now,
                                  last_seen=now, attempts=1, resolved_at=None, resolution=None)
        else:
            item = dataclasses.replace(
                item, attempts=item.attempts + 1, last_seen=now, reason=reason, details=dict(details or {}),
                account=account if account is not None else item.account,
                payload=payload if payload is not None else item.payload)
        self._items[item.id] = item
        return item

    async def resolve(self, flow: str, key: str, resolution: str) -> QuarantineItem | None:
        item = self._open(flow, key)
        if item is None:
            return None
        item = self._items[item.id] = dataclasses.replace(item, resolved_at=self._state.now(),
                                                          resolution=resolution)
        return item

    async def is_open(self, flow: str, key: str) -> QuarantineItem | None:
        return self._open(flow, key)

    async def get(self, item_id: int) -> QuarantineItem | None:
        return self._items.get(item_id)

    async def open_items(self, flow: str | None = None, *, account: str | None = None,
                         limit: int = 1000) -> list[QuarantineItem]:
        found = [i for i in self._items.values() if i.resolved_at is None
                 and (flow is None or i.flow == flow) and (account is None or i.account == account)]
        return sorted(found, key=lambda i: (i.first_seen, i.id))[:limit]

    async def resolve_many(self, flow: str, keys: list[str], resolution: str) -> int:
        resolved = 0
        for key in set(keys):
            if await self.resolve(flow, key, resolution) is not None:
                resolved += 1
        return resolved
