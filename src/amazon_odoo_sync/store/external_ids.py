"""Which Odoo record each Amazon object became: the idempotency backbone of every flow.

A flow *claims* ``(account, kind, amazon_key)`` before creating anything in Odoo, then records
the Odoo id. Never search-then-create: the unique constraint decides who creates.

Claim semantics (``claim``):

* One statement ``INSERT ... ON CONFLICT (account, kind, amazon_key) DO NOTHING``. Exactly one
  of any number of concurrent claimers inserts the row and gets ``is_new=True``; the others wait
  on the unique index until the inserting transaction ends, then get the existing row with
  ``is_new=False`` (read by a second ``SELECT``).
* With ``lock=True`` (default) that ``SELECT`` is ``FOR UPDATE``: the row stays locked until the
  caller's transaction ends, so two workers handling updates of the same order serialise. Keep
  such transactions short (do not hold them across slow Odoo calls unless you mean to).
* A claim never overwrites: the stored ``payload_hash`` / ``amazon_updated_at`` of an existing row
  are returned as they are so the caller can compare and decide (then ``set_state`` /
  ``record_odoo_id`` with the new values).

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from psycopg import AsyncConnection

from ._sql import cursor

__all__ = ["CANCELLED", "CLAIMED", "CONFIRMED", "CREATED", "FAILED", "ExternalId", "ExternalIdsRepository",
           "PgExternalIds", "by_odoo_id", "claim", "claim_many", "get", "get_many", "record_many", "record_odoo_id",
           "set_state"]

#: Usual states; flows may use others (the column is free text).
CLAIMED: Final = "claimed"
CREATED: Final = "created"
CONFIRMED: Final = "confirmed"
CANCELLED: Final = "cancelled"
FAILED: Final = "failed"

_COLUMNS = ("id, account, kind, amazon_key, odoo_model, odoo_id, state, payload_hash, "
            "amazon_updated_at, created_at, updated_at")

CLAIM = f"""
INSERT INTO external_ids (account, kind, amazon_key, odoo_model, state, payload_hash,
                          amazon_updated_at)
VALUES (%(account)s, %(kind)s, %(amazon_key)s, %(odoo_model)s, 'claimed', %(payload_hash)s,
        %(amazon_updated_at)s)
ON CONFLICT (account, kind, amazon_key) DO NOTHING
RETURNING {_COLUMNS}
"""
CLAIM_MANY = """
INSERT INTO external_ids (account, kind, amazon_key, odoo_model, state, payload_hash, amazon_updated_at)
SELECT %(account)s, %(kind)s, k, %(odoo_model)s, 'claimed', h, u
FROM unnest(%(keys)s::text[], %(hashes)s::text[], %(updated)s::timestamptz[]) AS t(k, h, u)
ORDER BY k
ON CONFLICT (account, kind, amazon_key) DO NOTHING
RETURNING amazon_key
"""
LOCK_MANY = f"""
SELECT {_COLUMNS} FROM external_ids
WHERE account = %(account)s AND kind = %(kind)s AND amazon_key = ANY(%(keys)s)
ORDER BY amazon_key
FOR UPDATE
"""
RECORD_MANY = """
UPDATE external_ids e
SET odoo_id = t.odoo_id, state = %(state)s, amazon_updated_at = COALESCE(t.u, e.amazon_updated_at),
    updated_at = now()
FROM unnest(%(keys)s::text[], %(odoo_ids)s::int[], %(updated)s::timestamptz[]) AS t(k, odoo_id, u)
WHERE e.account = %(account)s AND e.kind = %(kind)s AND e.amazon_key = t.k
"""
GET = f"""
SELECT {_COLUMNS} FROM external_ids
WHERE account = %(account)s AND kind = %(kind)s AND amazon_key = %(amazon_key)s
"""
GET_MANY = f"""
SELECT {_COLUMNS} FROM external_ids
WHERE account = %(account)s AND kind = %(kind)s AND amazon_key = ANY(%(amazon_keys)s)
"""
BY_ODOO_ID = f"""
SELECT {_COLUMNS} FROM external_ids WHERE odoo_model = %(odoo_model)s AND odoo_id = %(odoo_id)s
ORDER BY id
"""
RECORD_ODOO_ID = f"""
UPDATE external_ids
SET odoo_id = %(odoo_id)s, state = %(state)s, odoo_model = COALESCE(%(odoo_model)s, odoo_model),
    payload_hash = COALESCE(%(payload_hash)s, payload_hash),
    amazon_updated_at = COALESCE(%(amazon_updated_at)s, amazon_updated_at), updated_at = now()
WHERE account = %(account)s AND kind = %(kind)s AND amazon_key = %(amazon_key)s
RETURNING {_COLUMNS}
"""
SET_STATE = f"""
UPDATE external_ids
SET state = %(state)s, payload_hash = COALESCE(%(payload_hash)s, payload_hash),
    amazon_updated_at = COALESCE(%(amazon_updated_at)s, amazon_updated_at), updated_at = now()
WHERE account = %(account)s AND kind = %(kind)s AND amazon_key = %(amazon_key)s
RETURNING {_COLUMNS}
"""


@dataclass(frozen=True, kw_only=True)
class ExternalId:
    id: int
    account: str
    kind: str
    amazon_key: str
    odoo_model: str
    odoo_id: int | None
    state: str
    payload_hash: str | None
    amazon_updated_at: datetime | None
    created_at: datetime
    updated_at: datetime
    #: True when this ``claim`` created the row (the caller creates the Odoo record).
    is_new: bool = False

    @classmethod
    def from_row(cls, row: dict[str, Any], *, is_new: bool = False) -> ExternalId:
        return cls(is_new=is_new, **row)


def _key(account: str, kind: str, amazon_key: str) -> dict[str, Any]:
    return {"account": account, "kind": kind, "amazon_key": amazon_key}


async def claim(conn: AsyncConnection[Any], account: str, kind: str, amazon_key: str, *,
                payload_hash: str | None = None, amazon_updated_at: datetime | None = None,
                odoo_model: str | None = None, lock: bool = True) -> ExternalId:
    """Claim ``(account, kind, amazon_key)``; return the new row or the existing one (see module)."""
    params = _key(account, kind, amazon_key) | {
        "odoo_model": odoo_model or kind, "payload_hash": payload_hash,
        "amazon_updated_at": amazon_updated_at}
    select = GET + (" FOR UPDATE" if lock else "")
    async with cursor(conn) as cur:
        for _ in range(3):  # the conflicting row may have been deleted in between: try again
            await cur.execute(CLAIM, params)
            row = await cur.fetchone()
            if row is not None:
                return ExternalId.from_row(row, is_new=True)
            await cur.execute(select, params)
            row = await cur.fetchone()
            if row is not None:
                return ExternalId.from_row(row)
    raise RuntimeError(f"external id {kind}/{amazon_key} could neither be claimed nor read")


async def get(conn: AsyncConnection[Any], account: str, kind: str,
              amazon_key: str) -> ExternalId | None:
    async with cursor(conn) as cur:
        await cur.execute(GET, _key(account, kind, amazon_key))
        row = await cur.fetchone()
    return None if row is None else ExternalId.from_row(row)


async def get_many(conn: AsyncConnection[Any], account: str, kind: str,
                   amazon_keys: Iterable[str]) -> dict[str, ExternalId]:
    """Known rows among ``amazon_keys``, by Amazon key (unknown keys are absent)."""
    async with cursor(conn) as cur:
        await cur.execute(GET_MANY, {"account": account, "kind": kind,
                                     "amazon_keys": list(amazon_keys)})
        rows = await cur.fetchall()
    return {row["amazon_key"]: ExternalId.from_row(row) for row in rows}


async def by_odoo_id(conn: AsyncConnection[Any], odoo_model: str, odoo_id: int) -> list[ExternalId]:
    """Reverse lookup: the Amazon objects mapped to an Odoo record."""
    async with cursor(conn) as cur:
        await cur.execute(BY_ODOO_ID, {"odoo_model": odoo_model, "odoo_id": odoo_id})
        rows = await cur.fetchall()
    return [ExternalId.from_row(row) for row in rows]


async def _update(conn: AsyncConnection[Any], sql: str, params: dict[str, Any]) -> ExternalId:
    async with cursor(conn) as cur:
        await cur.execute(sql, params)
        row = await cur.fetchone()
    if row is None:
        raise LookupError(f"external id {params['kind']}/{params['amazon_key']} of account "
                          f"{params['account']} was never claimed")
    return ExternalId.from_row(row)


async def record_odoo_id(conn: AsyncConnection[Any], account: str, kind: str, amazon_key: str,
                         odoo_id: int, *, state: str = CREATED, odoo_model: str | None = None,
                         payload_hash: str | None = None,
                         amazon_updated_at: datetime | None = None) -> ExternalId:
    """Remember the Odoo record created for a claimed key (LookupError if never claimed)."""
    return await _update(conn, RECORD_ODOO_ID, _key(account, kind, amazon_key) | {
        "odoo_id": odoo_id, "state": state, "odoo_model": odoo_model,
        "payload_hash": payload_hash, "amazon_updated_at": amazon_updated_at})


async def set_state(conn: AsyncConnection[Any], account: str, kind: str, amazon_key: str,
                    state: str, *, payload_hash: str | None = None,
                    amazon_updated_at: datetime | None = None) -> ExternalId:
    """Change the state (and, when given, the payload hash / Amazon update time)."""
    return await _update(conn, SET_STATE, _key(account, kind, amazon_key) | {
        "state": state, "payload_hash": payload_hash, "amazon_updated_at": amazon_updated_at})


async def claim_many(conn: AsyncConnection[Any], account: str, kind: str,
                     claims: list[tuple[str, str | None, datetime | None]], *,
                     odoo_model: str | None = None) -> dict[str, ExternalId]:
    """:func:`claim` for many keys in two statements: ``claims`` are (amazon_key, payload_hash,
    amazon_updated_at). Rows are inserted and then locked in key order, so concurrent batches
    wait on each other in one order and never deadlock. Returns every row by key."""
    if not claims:
        return {}
    ordered = sorted(claims, key=lambda c: c[0])
    keys = [c[0] for c in ordered]
    async with cursor(conn) as cur:
        await cur.execute(CLAIM_MANY, {"account": account, "kind": kind, "odoo_model": odoo_model or kind,
                                       "keys": keys, "hashes": [c[1] for c in ordered],
                                       "updated": [c[2] for c in ordered]})
        new = {row["amazon_key"] for row in await cur.fetchall()}
        await cur.execute(LOCK_MANY, {"account": account, "kind": kind, "keys": keys})
        rows = await cur.fetchall()
    return {row["amazon_key"]: ExternalId.from_row(row, is_new=row["amazon_key"] in new) for row in rows}


async def record_many(conn: AsyncConnection[Any], account: str, kind: str,
                      records: list[tuple[str, int, datetime | None]], *, state: str = CREATED) -> int:
    """:func:`record_odoo_id` for many keys in one statement: ``records`` are (amazon_key,
    odoo_id, amazon_updated_at). Returns the rows updated."""
    if not records:
        return 0
    async with cursor(conn) as cur:
        await cur.execute(RECORD_MANY, {"account": account, "kind": kind, "state": state,
                                        "keys": [r[0] for r in records], "odoo_ids": [r[1] for r in records],
                                        "updated": [r[2] for r in records]})
        return cur.rowcount


class ExternalIdsRepository(Protocol):
    """The external ids as a flow sees them (see the module for the claim semantics)."""

    async def claim(self, account: str, kind: str, amazon_key: str, *, payload_hash: str | None = None,
                    amazon_updated_at: datetime | None = None, odoo_model: str | None = None,
                    lock: bool = True) -> ExternalId: ...

    async def get(self, account: str, kind: str, amazon_key: str) -> ExternalId | None: ...

    async def get_many(self, account: str, kind: str, amazon_keys: Iterable[str]) -> dict[str, ExternalId]: ...

    async def by_odoo_id(self, odoo_model: str, odoo_id: int) -> list[ExternalId]: ...

    async def record_odoo_id(self, account: str, kind: str, amazon_key: str, odoo_id: int, *,
                             state: str = CREATED, odoo_model: str | None = None, payload_hash: str | None = None,
                             amazon_updated_at: datetime | None = None) -> ExternalId: ...

    async def set_state(self, account: str, kind: str, amazon_key: str, state: str, *,
                        payload_hash: str | None = None, amazon_updated_at: datetime | None = None) -> ExternalId: ...

    async def claim_many(self, account: str, kind: str, claims: list[tuple[str, str | None, datetime | None]], *,
                         odoo_model: str | None = None) -> dict[str, ExternalId]: ...

    async def record_many(self, account: str, kind: str, records: list[tuple[str, int, datetime | None]], *,
                          state: str = CREATED) -> int: ...


class PgExternalIds:
    """:class:`ExternalIdsRepository` on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def claim(self, account: str, kind: str, amazon_key: str, *, payload_hash: str | None = None,
                    amazon_updated_at: datetime | None = None, odoo_model: str | None = None,
                    lock: bool = True) -> ExternalId:
        return await claim(self._conn, account, kind, amazon_key, payload_hash=payload_hash,
                           amazon_updated_at=amazon_updated_at, odoo_model=odoo_model, lock=lock)

    async def get(self, account: str, kind: str, amazon_key: str) -> ExternalId | None:
        return await get(self._conn, account, kind, amazon_key)

    async def get_many(self, account: str, kind: str, amazon_keys: Iterable[str]) -> dict[str, ExternalId]:
        return await get_many(self._conn, account, kind, amazon_keys)

    async def by_odoo_id(self, odoo_model: str, odoo_id: int) -> list[ExternalId]:
        return await by_odoo_id(self._conn, odoo_model, odoo_id)

    async def record_odoo_id(self, account: str, kind: str, amazon_key: str, odoo_id: int, *,
                             state: str = CREATED, odoo_model: str | None = None, payload_hash: str | None = None,
                             amazon_updated_at: datetime | None = None) -> ExternalId:
        return await record_odoo_id(self._conn, account, kind, amazon_key, odoo_id, state=state,
                                    odoo_model=odoo_model, payload_hash=payload_hash,
                                    amazon_updated_at=amazon_updated_at)

    async def set_state(self, account: str, kind: str, amazon_key: str, state: str, *,
                        payload_hash: str | None = None, amazon_updated_at: datetime | None = None) -> ExternalId:
        return await set_state(self._conn, account, kind, amazon_key, state, payload_hash=payload_hash,
                               amazon_updated_at=amazon_updated_at)

    async def claim_many(self, account: str, kind: str, claims: list[tuple[str, str | None, datetime | None]], *,
                         odoo_model: str | None = None) -> dict[str, ExternalId]:
        return await claim_many(self._conn, account, kind, claims, odoo_model=odoo_model)

    async def record_many(self, account: str, kind: str, records: list[tuple[str, int, datetime | None]], *,
                          state: str = CREATED) -> int:
        return await record_many(self._conn, account, kind, records, state=state)
