"""Shipment confirmations in memory (see ``store.shipments`` for the states and what each call
means). Locks are the twin's: its transactions run one at a time, so ``lock_account`` waits for
nothing and ``lock_pending`` only checks that the row is still pending. ``sale_orders_of`` reads
the external ids twin's rows, as the SQL reads ``external_ids``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._sql import dumps
from ..shipments import CONFIRMED, INVALID, PENDING, REJECTED, WAITING_TRACKING, Confirmation
from .external_ids import rows_of

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryShipments"]

SECTION = "shipment_confirmations"
STATES = frozenset({WAITING_TRACKING, PENDING, CONFIRMED, REJECTED, INVALID, "skipped"})


def _as_jsonb(value: Any) -> Any:
    return None if value is None else json.loads(dumps(value))


class MemoryShipments:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._rows: dict[int, Confirmation] = state.section(SECTION, dict)

    def _of(self, account: str) -> list[Confirmation]:
        return [row for _, row in sorted(self._rows.items()) if row.account == account]

    def _update(self, row_id: int, **changes: Any) -> Confirmation | None:
        row = self._rows.get(row_id)
        if row is None:
            return None
        row = self._rows[row_id] = dataclasses.replace(row, updated_at=self._state.now(), **changes)
        return row

    async def save(self, *, account: str, picking_id: int, picking_name: str | None, sale_order_id: int | None,
                   amazon_order_id: str, marketplace_id: str | None, state: str, now: datetime,
                   body: dict[str, Any] | None = None, items: Sequence[Sequence[Any]] = (),
                   last_error: str | None = None, error_kind: str | None = None,
                   force: bool = False) -> Confirmation | None:
        if state not in STATES:
            raise ValueError(f"not a shipment confirmation state: {state!r}")
        stored_body = _as_jsonb(body)
        values: dict[str, Any] = {
            "picking_name": picking_name, "sale_order_id": sale_order_id, "amazon_order_id": amazon_order_id,
            "marketplace_id": marketplace_id, "state": state, "body": stored_body,
            "items": _as_jsonb([list(i) for i in items]), "last_error": last_error, "error_kind": error_kind}
        existing = next((r for r in self._of(account) if r.picking_id == picking_id), None)
        if existing is None:
            row = Confirmation(id=self._state.next_id(SECTION), account=account, picking_id=picking_id,
                               attempts=0, next_attempt_at=None, request_id=None, first_seen=now,
                               tracking_reported_at=None, confirmed_at=None, odoo_noted=False,
                               updated_at=self._state.now(), **values)
            self._rows[row.id] = row
            return row
        # Replanned only while nothing was sent (see the SQL's WHERE).
        replan = existing.state == WAITING_TRACKING or (
            existing.state in (REJECTED, INVALID)
            and (force or existing.body != stored_body
                 or (existing.state == INVALID and existing.last_error != last_error)))
        if not replan:
            return None
        return self._update(existing.id, next_attempt_at=None, **values)

    async def lock_account(self, account: str) -> None:
        return None

    async def get(self, row_id: int) -> Confirmation | None:
        return self._rows.get(row_id)

    async def get_many(self, account: str, picking_ids: Iterable[int]) -> dict[int, Confirmation]:
        wanted = set(picking_ids)
        return {row.picking_id: row for row in self._of(account) if row.picking_id in wanted}

    async def committed_items(self, account: str, order_ids: Iterable[str]
                              ) -> dict[str, dict[int, dict[str, int]]]:
        wanted = set(order_ids)
        result: dict[str, dict[int, dict[str, int]]] = {}
        for row in self._of(account):
            if row.amazon_order_id not in wanted or row.state not in (PENDING, CONFIRMED):
                continue
            per_item: dict[str, int] = {}
            for item_id, quantity in row.items or []:
                per_item[str(item_id)] = per_item.get(str(item_id), 0) + int(quantity)
            result.setdefault(row.amazon_order_id, {})[row.picking_id] = per_item
        return result

    async def pending_ids(self, account: str, now: datetime, limit: int) -> list[int]:
        return [row.id for row in self._of(account) if row.state == PENDING
                and (row.next_attempt_at is None or row.next_attempt_at <= now)][:limit]

    async def lock_pending(self, row_id: int) -> Confirmation | None:
        row = self._rows.get(row_id)
        return row if row is not None and row.state == PENDING else None

    async def mark_confirmed(self, row_id: int, *, now: datetime,
                             request_id: str | None = None) -> Confirmation | None:
        row = self._rows.get(row_id)
        if row is None:
            return None
        return self._update(row_id, state=CONFIRMED, attempts=row.attempts + 1, confirmed_at=now,
                            request_id=request_id, last_error=None, error_kind=None, next_attempt_at=None)

    async def mark_rejected(self, row_id: int, *, error: str, kind: str,
                            request_id: str | None = None) -> Confirmation | None:
        row = self._rows.get(row_id)
        if row is None:
            return None
        return self._update(row_id, state=REJECTED, attempts=row.attempts + 1, last_error=error, error_kind=kind,
                            request_id=request_id, next_attempt_at=None)

    async def mark_retry(self, row_id: int, *, error: str, kind: str,
                         next_attempt_at: datetime | None) -> Confirmation | None:
        row = self._rows.get(row_id)
        if row is None:
            return None
        return self._update(row_id, attempts=row.attempts + 1, last_error=error, error_kind=kind,
                            next_attempt_at=next_attempt_at)

    async def waiting(self, account: str, limit: int = 1000) -> list[Confirmation]:
        return [row for row in self._of(account) if row.state == WAITING_TRACKING][:limit]

    async def mark_tracking_reported(self, ids: Iterable[int], now: datetime) -> None:
        for row_id in set(ids):
            self._update(row_id, tracking_reported_at=now)

    async def unnoted(self, account: str, limit: int = 500) -> list[Confirmation]:
        return [row for row in self._of(account) if row.state == CONFIRMED and not row.odoo_noted][:limit]

    async def mark_noted(self, ids: Iterable[int]) -> None:
        for row_id in set(ids):
            self._update(row_id, odoo_noted=True)

    async def problems(self, account: str, since: datetime | None = None) -> list[Confirmation]:
        return [row for row in self._of(account)
                if (row.state in (REJECTED, INVALID) or (row.state == PENDING and row.attempts > 0)
                    or (row.state == WAITING_TRACKING and row.tracking_reported_at is not None))
                and (since is None or row.first_seen >= since)]

    async def sale_orders_of(self, account: str, sale_order_ids: Iterable[int]) -> dict[int, str]:
        wanted = set(sale_order_ids)
        return {row.odoo_id: row.amazon_key for (row_account, kind, _), row in rows_of(self._state).items()
                if row_account == account and kind == "sale.order" and row.odoo_id is not None
                and row.odoo_id in wanted}
