"""The accounts in memory (see ``store.accounts``): what flows read, and declared accounts
(``import_declared``) to read. No secrets: the twin never holds credentials."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...config import AccountConfig
from ..accounts import Account

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryAccounts"]

SECTION = "accounts"


class MemoryAccounts:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._rows: dict[str, Account] = state.section(SECTION, dict)

    async def get(self, name: str) -> Account | None:
        return self._rows.get(name)

    async def list_accounts(self, *, active_only: bool = False) -> list[Account]:
        return [a for _, a in sorted(self._rows.items()) if a.active or not active_only]

    async def sellers(self) -> dict[str, str]:
        return {a.seller_id: a.name for a in await self.list_accounts() if a.seller_id}

    async def import_declared(self, declared: Sequence[AccountConfig]) -> dict[str, str]:
        outcome: dict[str, str] = {}
        for item in declared:
            existing = self._rows.get(item.name)
            wanted = tuple(sorted(dict.fromkeys(item.marketplaces)))
            if (existing is not None and existing.active and existing.region == item.region
                    and existing.marketplaces == wanted
                    and (not item.seller_id or existing.seller_id == item.seller_id)):
                outcome[item.name] = "unchanged"
                continue
            now = self._state.now()
            if existing is None:
                self._rows[item.name] = Account(
                    id=self._state.next_id(SECTION), name=item.name, region=item.region, seller_id=item.seller_id,
                    lwa_client_id="", marketplaces=wanted, active=True, has_lwa_client_secret=False,
                    has_refresh_token=False, created_at=now, updated_at=now)
            else:  # as the SQL upsert: an empty seller id keeps the stored one
                self._rows[item.name] = dataclasses.replace(
                    existing, region=item.region, seller_id=item.seller_id or existing.seller_id,
                    marketplaces=wanted, active=True, updated_at=now)
            outcome[item.name] = "added" if existing is None else "updated"
        return outcome
