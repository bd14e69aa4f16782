"""The audit log in memory (see ``store.audit``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..audit import AuditEntry, mask_secrets

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryAudit"]


class MemoryAudit:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._entries: list[AuditEntry] = state.section("audit_log", list)

    async def record(self, *, actor: str, action: str, object_type: str | None = None,
                     object_key: str | None = None, details: dict[str, Any] | None = None) -> AuditEntry:
        entry = AuditEntry(id=self._state.next_id("audit_log"), at=self._state.now(), actor=actor, action=action,
                           object_type=object_type, object_key=object_key, details=mask_secrets(details or {}))
        self._entries.append(entry)
        return entry

    async def recent(self, limit: int = 50, *, object_type: str | None = None) -> list[AuditEntry]:
        found = [e for e in self._entries if object_type is None or e.object_type == object_type]
        return sorted(found, key=lambda e: e.id, reverse=True)[:limit]
