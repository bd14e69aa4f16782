"""FBA drift lines and pull records in memory (see ``store.fba_drift``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from ...inventory import DriftLine
from ..fba_drift import DriftRow, PullRecord
from .reservations import reserved_rows

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryFbaDrift"]


class MemoryFbaDrift:
    def __init__(self, state: MemoryState) -> None:
        self._reserved = reserved_rows(state)
        self._pulls: dict[tuple[str, str], PullRecord] = state.section("fba_pulls", dict)
        self._lines: dict[tuple[str, str], list[DriftRow]] = state.section("fba_drift", dict)

    async def last_pull(self, account: str, network: str) -> PullRecord | None:
        return self._pulls.get((account, network))

    async def record_pull(self, *, account: str, network: str, marketplace_id: str, skus: int, adjustments: int,
                          lines: Sequence[DriftLine], at: datetime) -> None:
        self._lines[(account, network)] = [
            DriftRow(account=account, network=network, sku=line.sku, expected=Decimal(line.expected),
                     reported=line.reported, difference=line.reported - Decimal(line.expected), detected_at=at)
            for line in lines]
        self._pulls[(account, network)] = PullRecord(account=account, network=network, marketplace_id=marketplace_id,
                                                     skus=skus, adjustments=adjustments, drift_lines=len(lines),
                                                     pulled_at=at)

    async def latest(self, *, account: str | None = None, network: str | None = None) -> list[DriftRow]:
        rows = [row for (a, n), rows in self._lines.items() for row in rows
                if (account is None or a == account) and (network is None or n == network)]
        return sorted(rows, key=lambda r: (r.account, r.network, -abs(r.difference), r.sku))

    async def totals(self) -> list[tuple[str, str, int, Decimal]]:
        found = []
        for key in sorted(self._pulls):
            lines = self._lines.get(key, [])
            found.append((*key, len(lines), sum((abs(line.difference) for line in lines), Decimal(0))))
        return found

    async def shipped_unimported(self, account: str, marketplace_ids: Iterable[str]) -> dict[str, int]:
        # Amazon's v2026 status (SHIPPED) and the v0 one of notifications (Shipped) both count.
        wanted = set(marketplace_ids)
        units: dict[str, int] = {}
        for (a, _, sku), row in self._reserved.items():
            if (a == account and row.marketplace_id in wanted and row.amazon_status.upper() == "SHIPPED"
                    and row.quantity > 0):
                units[sku] = units.get(sku, 0) + row.quantity
        return units
