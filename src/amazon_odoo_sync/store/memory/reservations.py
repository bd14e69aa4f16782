"""Order reservations in memory (see ``store.reservations``): rows keyed by (account, order id,
SKU); an order is *closed* when its claim in the external ids twin records an Odoo id or a
cancellation, as the SQL joins ``external_ids``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ...exceptions import PermanentError
from ..reservations import ORDER_KIND, Released, Reservation
from .external_ids import rows_of

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["SECTION", "MemoryReservations", "ReservedRow", "reserved_rows"]

SECTION = "order_reservations"


@dataclass(frozen=True, kw_only=True)
class ReservedRow:
    marketplace_id: str
    quantity: int
    amazon_status: str
    updated_at: datetime


def reserved_rows(state: MemoryState) -> dict[tuple[str, str, str], ReservedRow]:
    """The table: (account, amazon_order_id, sku) → row (other twins reading it find it here)."""
    rows: dict[tuple[str, str, str], ReservedRow] = state.section(SECTION, dict)
    return rows


class MemoryReservations:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._rows = reserved_rows(state)
        self._claims = rows_of(state)

    def _closed(self, account: str, order_id: str) -> bool:
        claim = self._claims.get((account, ORDER_KIND, order_id))
        return claim is not None and (claim.odoo_id is not None or claim.state == "cancelled")

    async def reserve_many(self, account: str, orders: Iterable[Reservation]) -> set[str]:
        latest = {(r.order_id, sku): (r.marketplace_id, int(qty), r.status)
                  for r in orders for sku, qty in r.units.items()}
        if any(qty < 0 for _, qty, _ in latest.values()):
            raise PermanentError("PostgreSQL: CheckViolation: a reserved quantity cannot be negative",
                                 system="store")
        written: set[str] = set()
        now = self._state.now()
        for (order_id, sku), (marketplace_id, quantity, status) in sorted(latest.items()):
            if self._closed(account, order_id):
                continue
            key = (account, order_id, sku)
            kept = self._rows.get(key)
            # ON CONFLICT DO UPDATE changes quantity and status only: the marketplace stays.
            self._rows[key] = ReservedRow(marketplace_id=kept.marketplace_id if kept else marketplace_id,
                                          quantity=quantity, amazon_status=status, updated_at=now)
            written.add(order_id)
        return written

    async def release(self, account: str, order_ids: Iterable[str]) -> None:
        ids = set(order_ids)
        for key in [k for k in self._rows if k[0] == account and k[1] in ids]:
            del self._rows[key]

    async def apply(self, account: str, *, reserve: Iterable[Reservation] = (),
                    release: Iterable[str] = ()) -> None:
        reserve = list(reserve)
        await self.release(account, set(release) - {r.order_id for r in reserve})
        await self.reserve_many(account, reserve)

    def _closed_rows(self, account: str) -> list[tuple[tuple[str, str, str], ReservedRow]]:
        return sorted(((k, r) for k, r in self._rows.items() if k[0] == account and self._closed(account, k[1])),
                      key=lambda kr: kr[0])

    async def release_closed(self, account: str) -> list[Released]:
        by_order: dict[str, list[tuple[str, ReservedRow]]] = {}
        for (_, order_id, sku), row in self._closed_rows(account):
            by_order.setdefault(order_id, []).append((sku, row))
            del self._rows[(account, order_id, sku)]
        released = []
        for order_id, lines in by_order.items():
            claim = self._claims[(account, ORDER_KIND, order_id)]
            released.append(Released(order_id=order_id, marketplace_id=lines[0][1].marketplace_id,
                                     status=lines[0][1].amazon_status,
                                     units={sku: row.quantity for sku, row in lines}, odoo_id=claim.odoo_id,
                                     claim_state=claim.state))
        return released

    async def held_by_closed(self, account: str) -> tuple[int, int]:
        rows = self._closed_rows(account)
        return len({k[1] for k, _ in rows}), sum(r.quantity for _, r in rows)

    async def reserved_units(self, account: str, marketplace_id: str | None = None) -> dict[str, int]:
        units: dict[str, int] = {}
        for (row_account, _, sku), row in self._rows.items():
            if row_account == account and (marketplace_id is None or row.marketplace_id == marketplace_id):
                units[sku] = units.get(sku, 0) + row.quantity
        return units
