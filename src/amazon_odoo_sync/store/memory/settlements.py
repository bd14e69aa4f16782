"""Settlements in memory (see ``store.settlements`` for what each call means)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TYPE_CHECKING

from ..settlements import SettlementRecord, SettlementState

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemorySettlements"]


class MemorySettlements:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._rows: dict[tuple[str, str], SettlementRecord] = state.section("settlements", dict)

    async def hold(self, *, account: str, key: str, currency: str | None, total: Decimal | None,
                   difference: Decimal | None, reason: str) -> SettlementRecord:
        now = self._state.now()
        row = self._rows.get((account, key))
        if row is None:
            row = SettlementRecord(id=self._state.next_id("settlements"), account=account, key=key, state="held",
                                   currency=currency, total=total, difference=difference, reason=reason,
                                   move_ids=(), payout_line_id=None, created_at=now, updated_at=now,
                                   posted_at=None)
        elif row.state == "held":
            row = dataclasses.replace(row, currency=currency, total=total, difference=difference, reason=reason,
                                      updated_at=now)
        self._rows[(account, key)] = row
        return row

    async def mark_posted(self, *, account: str, key: str, currency: str, total: Decimal,
                          move_ids: tuple[int, ...], payout_line_id: int | None) -> SettlementRecord:
        now = self._state.now()
        row = self._rows.get((account, key))
        if row is None:
            row = SettlementRecord(id=self._state.next_id("settlements"), account=account, key=key,
                                   state="posted", currency=currency, total=total, difference=None, reason=None,
                                   move_ids=tuple(move_ids), payout_line_id=payout_line_id, created_at=now,
                                   updated_at=now, posted_at=now)
        else:
            row = dataclasses.replace(row, state="posted", currency=currency, total=total, difference=None,
                                      reason=None, move_ids=tuple(move_ids), payout_line_id=payout_line_id,
                                      updated_at=now, posted_at=row.posted_at or now)
        self._rows[(account, key)] = row
        return row

    async def get(self, account: str, key: str) -> SettlementRecord | None:
        return self._rows.get((account, key))

    async def list(self, account: str, *, state: SettlementState | None = None,
                   limit: int = 100) -> list[SettlementRecord]:
        found = [r for r in self._rows.values() if r.account == account and (state is None or r.state == state)]
        return sorted(found, key=lambda r: (r.updated_at, r.id), reverse=True)[:limit]
