"""Settlements: what the connector did with each Amazon settlement (issue #15).

One row per ``(account, key)`` (the settlement id or event group id). ``hold`` records a
settlement that cannot be posted (its difference and why); it never demotes a posted one: a
posted settlement is in Odoo's books, what a later read thinks of it is for ``settlements
replay`` to decide. ``mark_posted`` records the Odoo entries and the payout line; posting again
keeps the first ``posted_at``.

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from psycopg import AsyncConnection

from ._sql import cursor, storable

__all__ = ["PgSettlements", "SettlementRecord", "SettlementState", "SettlementsRepository", "get", "hold",
           "list_settlements", "mark_posted"]

SettlementState = Literal["held", "posted"]

_COLUMNS = ("id, account, key, state, currency, total, difference, reason, move_ids, payout_line_id, "
            "created_at, updated_at, posted_at")

HOLD = f"""
INSERT INTO settlements AS s (account, key, state, currency, total, difference, reason)
VALUES (%(account)s, %(key)s, 'held', %(currency)s, %(total)s, %(difference)s, %(reason)s)
ON CONFLICT (account, key) DO UPDATE
SET currency = EXCLUDED.currency, total = EXCLUDED.total, difference = EXCLUDED.difference,
    reason = EXCLUDED.reason, updated_at = now()
WHERE s.state = 'held'
RETURNING {_COLUMNS}
"""
MARK_POSTED = f"""
INSERT INTO settlements AS s (account, key, state, currency, total, move_ids, payout_line_id, posted_at)
VALUES (%(account)s, %(key)s, 'posted', %(currency)s, %(total)s, %(move_ids)s, %(payout_line_id)s, now())
ON CONFLICT (account, key) DO UPDATE
SET state = 'posted', currency = EXCLUDED.currency, total = EXCLUDED.total, difference = NULL, reason = NULL,
    move_ids = EXCLUDED.move_ids, payout_line_id = EXCLUDED.payout_line_id, updated_at = now(),
    posted_at = COALESCE(s.posted_at, now())
RETURNING {_COLUMNS}
"""
GET = f"SELECT {_COLUMNS} FROM settlements WHERE account = %(account)s AND key = %(key)s"
LIST = f"""
SELECT {_COLUMNS} FROM settlements
WHERE account = %(account)s AND (%(state)s::text IS NULL OR state = %(state)s)
ORDER BY updated_at DESC, id DESC LIMIT %(limit)s
"""


@dataclass(frozen=True, kw_only=True)
class SettlementRecord:
    id: int
    account: str
    key: str
    state: SettlementState
    currency: str | None
    total: Decimal | None
    #: Amazon's total minus what the events add up to (held), None when unknown or posted.
    difference: Decimal | None
    reason: str | None
    #: The Odoo journal entries (``account.move``) of its chunks, in chunk order.
    move_ids: tuple[int, ...]
    #: The payout's ``account.bank.statement.line``.
    payout_line_id: int | None
    created_at: datetime
    updated_at: datetime
    posted_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SettlementRecord:
        return cls(**{**row, "move_ids": tuple(row["move_ids"] or ())})


async def hold(conn: AsyncConnection[Any], *, account: str, key: str, currency: str | None, total: Decimal | None,
               difference: Decimal | None, reason: str) -> SettlementRecord:
    """Record ``key`` as held (or update why); a posted settlement is returned unchanged."""
    params = {"account": account, "key": storable(key), "currency": currency, "total": total,
              "difference": difference, "reason": storable(reason)}
    async with cursor(conn) as cur:
        await cur.execute(HOLD, params)
        row = await cur.fetchone()
        if row is None:  # posted: the upsert's WHERE kept it
            await cur.execute(GET, params)
            row = await cur.fetchone()
    assert row is not None
    return SettlementRecord.from_row(row)


async def mark_posted(conn: AsyncConnection[Any], *, account: str, key: str, currency: str, total: Decimal,
                      move_ids: tuple[int, ...], payout_line_id: int | None) -> SettlementRecord:
    async with cursor(conn) as cur:
        await cur.execute(MARK_POSTED, {"account": account, "key": storable(key), "currency": currency,
                                        "total": total, "move_ids": list(move_ids),
                                        "payout_line_id": payout_line_id})
        row = await cur.fetchone()
    assert row is not None  # an upsert always returns its row
    return SettlementRecord.from_row(row)


async def get(conn: AsyncConnection[Any], account: str, key: str) -> SettlementRecord | None:
    async with cursor(conn) as cur:
        await cur.execute(GET, {"account": account, "key": key})
        row = await cur.fetchone()
    return None if row is None else SettlementRecord.from_row(row)


async def list_settlements(conn: AsyncConnection[Any], account: str, *, state: SettlementState | None = None,
                           limit: int = 100) -> list[SettlementRecord]:
    """The account's settlements, most recently changed first, optionally of one state."""
    async with cursor(conn) as cur:
        await cur.execute(LIST, {"account": account, "state": state, "limit": limit})
        rows = await cur.fetchall()
    return [SettlementRecord.from_row(row) for row in rows]


class SettlementsRepository(Protocol):
    async def hold(self, *, account: str, key: str, currency: str | None, total: Decimal | None,
                   difference: Decimal | None, reason: str) -> SettlementRecord: ...

    async def mark_posted(self, *, account: str, key: str, currency: str, total: Decimal,
                          move_ids: tuple[int, ...], payout_line_id: int | None) -> SettlementRecord: ...

    async def get(self, account: str, key: str) -> SettlementRecord | None: ...

    async def list(self, account: str, *, state: SettlementState | None = None,
                   limit: int = 100) -> list[SettlementRecord]: ...


class PgSettlements:
    """:class:`SettlementsRepository` on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def hold(self, *, account: str, key: str, currency: str | None, total: Decimal | None,
                   difference: Decimal | None, reason: str) -> SettlementRecord:
        return await hold(self._conn, account=account, key=key, currency=currency, total=total,
                          difference=difference, reason=reason)

    async def mark_posted(self, *, account: str, key: str, currency: str, total: Decimal,
                          move_ids: tuple[int, ...], payout_line_id: int | None) -> SettlementRecord:
        return await mark_posted(self._conn, account=account, key=key, currency=currency, total=total,
                                 move_ids=move_ids, payout_line_id=payout_line_id)

    async def get(self, account: str, key: str) -> SettlementRecord | None:
        return await get(self._conn, account, key)

    async def list(self, account: str, *, state: SettlementState | None = None,
                   limit: int = 100) -> list[SettlementRecord]:
        return await list_settlements(self._conn, account, state=state, limit=limit)
