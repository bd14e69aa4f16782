"""The external ids in memory (see ``store.external_ids``). Locks are the twin's: its
transactions run one at a time, so a claim never waits and ``lock`` changes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from ..external_ids import CREATED, ExternalId

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["SECTION", "MemoryExternalIds", "rows_of"]

SECTION = "external_ids"
Key = tuple[str, str, str]


def rows_of(state: MemoryState) -> dict[Key, ExternalId]:
    """The table: (account, kind, amazon_key) → row (``is_new`` always False). Other twins
    that join it (reservations) read it here."""
    rows: dict[Key, ExternalId] = state.section(SECTION, dict)
    return rows


class MemoryExternalIds:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._rows = rows_of(state)

    def _insert(self, account: str, kind: str, amazon_key: str, *, payload_hash: str | None,
                amazon_updated_at: datetime | None, odoo_model: str | None) -> ExternalId:
        now = self._state.now()
        row = ExternalId(id=self._state.next_id(SECTION), account=account, kind=kind, amazon_key=amazon_key,
                         odoo_model=odoo_model or kind, odoo_id=None, state="claimed", payload_hash=payload_hash,
                         amazon_updated_at=amazon_updated_at, created_at=now, updated_at=now)
        self._rows[(account, kind, amazon_key)] = row
        return row

    async def claim(self, account: str, kind: str, amazon_key: str, *, payload_hash: str | None = None,
                    amazon_updated_at: datetime | None = None, odoo_model: str | None = None,
                    lock: bool = True) -> ExternalId:
        row = self._rows.get((account, kind, amazon_key))
        if row is not None:
            return row
        row = self._insert(account, kind, amazon_key, payload_hash=payload_hash,
                           amazon_updated_at=amazon_updated_at, odoo_model=odoo_model)
        return dataclasses.replace(row, is_new=True)

    async def get(self, account: str, kind: str, amazon_key: str) -> ExternalId | None:
        return self._rows.get((account, kind, amazon_key))

    async def get_many(self, account: str, kind: str, amazon_keys: Iterable[str]) -> dict[str, ExternalId]:
        return {key: row for key in amazon_keys if (row := self._rows.get((account, kind, key))) is not None}

    async def by_odoo_id(self, odoo_model: str, odoo_id: int) -> list[ExternalId]:
        return sorted((r for r in self._rows.values() if r.odoo_model == odoo_model and r.odoo_id == odoo_id),
                      key=lambda r: r.id)

    def _update(self, account: str, kind: str, amazon_key: str, *, state: str, odoo_id: int | None = None,
                odoo_model: str | None = None, payload_hash: str | None = None,
                amazon_updated_at: datetime | None = None) -> ExternalId:
        key = (account, kind, amazon_key)
        row = self._rows.get(key)
        if row is None:
            raise LookupError(f"external id {kind}/{amazon_key} of account {account} was never claimed")
        # As the SQL's COALESCE(new, old): None keeps what is stored.
        row = self._rows[key] = dataclasses.replace(
            row, state=state, odoo_id=row.odoo_id if odoo_id is None else odoo_id,
            odoo_model=row.odoo_model if odoo_model is None else odoo_model,
            payload_hash=row.payload_hash if payload_hash is None else payload_hash,
            amazon_updated_at=row.amazon_updated_at if amazon_updated_at is None else amazon_updated_at,
            updated_at=self._state.now())
        return row

    async def record_odoo_id(self, account: str, kind: str, amazon_key: str, odoo_id: int, *,
                             state: str = CREATED, odoo_model: str | None = None, payload_hash: str | None = None,
                             amazon_updated_at: datetime | None = None) -> ExternalId:
        return self._update(account, kind, amazon_key, odoo_id=odoo_id, state=state, odoo_model=odoo_model,
                            payload_hash=payload_hash, amazon_updated_at=amazon_updated_at)

    async def set_state(self, account: str, kind: str, amazon_key: str, state: str, *,
                        payload_hash: str | None = None, amazon_updated_at: datetime | None = None) -> ExternalId:
        return self._update(account, kind, amazon_key, state=state, payload_hash=payload_hash,
                            amazon_updated_at=amazon_updated_at)

    async def claim_many(self, account: str, kind: str, claims: list[tuple[str, str | None, datetime | None]], *,
                         odoo_model: str | None = None) -> dict[str, ExternalId]:
        found: dict[str, ExternalId] = {}
        for key, payload_hash, updated in sorted(claims, key=lambda c: c[0]):
            if key in found:  # a key given twice: the first claim inserts (ON CONFLICT DO NOTHING)
                continue
            found[key] = await self.claim(account, kind, key, payload_hash=payload_hash, amazon_updated_at=updated,
                                          odoo_model=odoo_model)
        return found

    async def record_many(self, account: str, kind: str, records: list[tuple[str, int, datetime | None]], *,
                          state: str = CREATED) -> int:
        updated = 0
        for key, odoo_id, at in records:
            if (account, kind, key) in self._rows:
                self._update(account, kind, key, odoo_id=odoo_id, state=state, amazon_updated_at=at)
                updated += 1
        return updated
