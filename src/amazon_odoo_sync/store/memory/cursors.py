"""The sync cursors in memory (see ``store.cursors``)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING

from ..cursors import Cursor

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryCursors"]


class MemoryCursors:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        #: (account, marketplace, flow) → cursor.
        self._rows: dict[tuple[str, str, str], Cursor] = state.section("sync_cursors", dict)

    async def get(self, account: str, flow: str, *, marketplace: str = "") -> Cursor | None:
        return self._rows.get((account, marketplace, flow))

    async def advance(self, account: str, flow: str, cursor_at: datetime, *, marketplace: str = "",
                      token: str | None = None) -> Cursor:
        if cursor_at.tzinfo is None:
            raise ValueError("cursor timestamps must be timezone-aware (UTC)")
        key = (account, marketplace, flow)
        row = self._rows.get(key)
        if row is not None and row.cursor is not None and cursor_at < row.cursor:
            return row  # never backwards
        row = self._rows[key] = Cursor(account=account, marketplace=marketplace, flow=flow, cursor=cursor_at,
                                       token=token, updated_at=self._state.now())
        return row

    async def reset(self, account: str, flow: str, cursor_at: datetime | None, *,
                    marketplace: str = "") -> Cursor:
        key = (account, marketplace, flow)
        row = self._rows.get(key)
        now = self._state.now()
        row = self._rows[key] = (Cursor(account=account, marketplace=marketplace, flow=flow, cursor=cursor_at,
                                        token=None, updated_at=now) if row is None
                                 else dataclasses.replace(row, cursor=cursor_at, token=None, updated_at=now))
        return row
