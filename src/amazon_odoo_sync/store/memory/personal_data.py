"""The personal data purge in memory (see ``store.personal_data``): the same rows due, the same
keys removed, in the inbox, quarantine and audit twins' rows. What the SQL functions
``aos_strip_keys`` and ``aos_delivery_time`` do is done here in Python."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..audit import AuditEntry
from ..personal_data import TABLE_NAMES
from ..quarantine import QuarantineItem
from .inbox import inbox_rows

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryPersonalData"]


def _strip(value: Any, keys: Collection[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_strip(v, keys) for v in value]
    return value


def _delivery(doc: Any) -> datetime | None:
    """The latest delivery an order document announces; None when none or unreadable."""
    if not isinstance(doc, dict):
        return None
    window = doc.get("fulfillment")
    window = window.get("deliverByWindow") if isinstance(window, dict) else None
    value = window.get("latestDateTime") if isinstance(window, dict) else None
    if value is None:
        value = doc.get("LatestDeliveryDate")
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _latest(*times: datetime | None) -> datetime | None:
    """GREATEST: NULLs left out."""
    known = [t for t in times if t is not None]
    return max(known) if known else None


class MemoryPersonalData:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        #: Table → ids of the rows purged (the ``purged_at`` column).
        self._purged: dict[str, set[int]] = state.section("personal_data_purged", dict)

    def _rows(self, table: str) -> list[tuple[int, datetime, datetime | None]]:
        """(id, first, last activity) of every row of ``table`` not purged yet."""
        if table not in TABLE_NAMES:
            raise ValueError(f"{table!r} keeps no Amazon documents (tables: {', '.join(TABLE_NAMES)})")
        purged = self._purged.setdefault(table, set())
        rows: list[tuple[int, datetime, datetime | None]] = []
        if table == "inbox":
            rows = [(i.id, i.received_at, _latest(i.processed_at or i.received_at, _delivery(i.payload)))
                    for i in inbox_rows(self._state).values()]
        elif table == "quarantine":
            items: dict[int, QuarantineItem] = self._state.section("quarantine", dict)
            rows = [(q.id, q.first_seen, _latest(q.resolved_at or q.last_seen, _delivery(q.payload)))
                    for q in items.values()]
        else:
            entries: list[AuditEntry] = self._state.section("audit_log", list)
            rows = [(e.id, e.at, e.at) for e in entries]
        return sorted(r for r in rows if r[0] not in purged)

    def _due(self, table: str, cutoff: datetime) -> list[int]:
        return [row_id for row_id, first, last in self._rows(table)
                if first < cutoff and last is not None and last < cutoff]

    async def count_due(self, table: str, cutoff: datetime) -> int:
        return len(self._due(table, cutoff))

    async def purge_batch(self, table: str, cutoff: datetime, keys: Collection[str], *, limit: int) -> int:
        due = self._due(table, cutoff)[:limit]
        keys = set(keys)
        if table == "inbox":
            rows = inbox_rows(self._state)
            for row_id in due:
                rows[row_id] = dataclasses.replace(rows[row_id], payload=_strip(rows[row_id].payload, keys))
        elif table == "quarantine":
            items: dict[int, QuarantineItem] = self._state.section("quarantine", dict)
            for row_id in due:
                item = items[row_id]
                items[row_id] = dataclasses.replace(item, payload=_strip(item.payload, keys),
                                                    details=_strip(item.details, keys))
        else:
            entries: list[AuditEntry] = self._state.section("audit_log", list)
            for n, entry in enumerate(entries):
                if entry.id in due:
                    entries[n] = dataclasses.replace(entry, details=_strip(entry.details, keys))
        self._purged[table].update(due)
        return len(due)
