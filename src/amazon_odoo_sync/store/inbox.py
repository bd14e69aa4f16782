"""The inbox: every input (notification, orders page, report) is stored here before processing.

Nothing is lost: an input is written first, then processed; a failure leaves it visible and
replayable. ``put`` is idempotent on ``(source, key)``: the same notification delivered twice
yields one row, and the second ``put`` says so with ``is_new=False``.

Concurrency: ``put`` is ``INSERT ... ON CONFLICT DO NOTHING`` followed, when nothing was
inserted, by a ``SELECT`` of the existing row. A concurrent uncommitted insert of the same key
makes the second ``put`` wait for it (unique index), so exactly one caller sees ``is_new=True``.
``pending(lock=True)`` uses ``FOR UPDATE SKIP LOCKED`` so concurrent workers take different items.

Flows use it through the unit of work (``tx.inbox``: :class:`InboxRepository`, bound by
:class:`PgInbox`; its in-memory twin is ``store.memory.inbox``).

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from psycopg import AsyncConnection

from ._sql import cursor, jsonb, storable, storable_json

__all__ = ["InboxItem", "InboxRepository", "InboxState", "PgInbox", "any_pending", "as_stored", "count_pending",
           "get", "latest_documents", "mark_failed", "mark_processed", "mark_processed_many", "mark_quarantined",
           "pending", "prune_processed", "put", "put_many", "requeue"]

InboxState = Literal["pending", "processed", "failed", "quarantined"]

_COLUMNS = ("id, source, key, account, payload, received_at, state, attempts, last_error, "
            "processed_at")

PUT = f"""
INSERT INTO inbox (source, key, account, payload)
VALUES (%(source)s, %(key)s, %(account)s, %(payload)s)
ON CONFLICT (source, key) DO NOTHING
RETURNING {_COLUMNS}
"""
# One JSON object (key → payload) rather than a jsonb[] parameter: psycopg escapes array
# elements one regex match at a time, which cost more CPU than the rest of a polling pass.
PUT_MANY = """
INSERT INTO inbox (source, key, account, payload)
SELECT %(source)s, t.key, %(account)s, t.payload FROM jsonb_each(%(items)s::jsonb) AS t(key, payload)
ON CONFLICT (source, key) DO NOTHING
RETURNING key
"""
GET_BY_KEY = f"SELECT {_COLUMNS} FROM inbox WHERE source = %(source)s AND key = %(key)s"
GET = f"SELECT {_COLUMNS} FROM inbox WHERE id = %(id)s"
MARK_PROCESSED = f"""
UPDATE inbox SET state = 'processed', attempts = attempts + 1, last_error = NULL,
                 processed_at = now()
WHERE id = %(id)s RETURNING {_COLUMNS}
"""
# No RETURNING: a drain marks a hundred documents at once and has them already.
MARK_PROCESSED_MANY = """
UPDATE inbox SET state = 'processed', attempts = attempts + 1, last_error = NULL, processed_at = now()
WHERE id = ANY(%(ids)s)
"""
MARK_FAILED = f"""
UPDATE inbox SET state = %(state)s, attempts = attempts + 1, last_error = %(error)s
WHERE id = %(id)s RETURNING {_COLUMNS}
"""
REQUEUE = f"UPDATE inbox SET state = 'pending' WHERE id = %(id)s RETURNING {_COLUMNS}"
ANY_PENDING = """
SELECT EXISTS (SELECT 1 FROM inbox WHERE state = ANY(%(states)s) AND source = %(source)s
                                      AND (%(account)s::text IS NULL OR account = %(account)s))
"""
COUNT_PENDING = """
SELECT count(*) AS n FROM (SELECT 1 FROM inbox WHERE state = ANY(%(states)s) AND source = %(source)s
                           LIMIT %(limit)s) waiting
"""
PENDING = f"""
SELECT {_COLUMNS} FROM inbox
WHERE state = ANY(%(states)s) AND (%(source)s::text IS NULL OR source = %(source)s)
  AND (%(account)s::text IS NULL OR account = %(account)s)
ORDER BY id LIMIT %(limit)s
"""
# Processed rows past their retention, except an order's newest document (by the
# ``<orderId>@<lastUpdatedTime>`` key, not by arrival: documents arrive out of order), which the
# shipments flow and the dashboard still read. Notifications, pages and reports go whole.
PRUNE_PROCESSED = """
DELETE FROM inbox WHERE id IN (
    SELECT c.id FROM inbox c
    WHERE c.state = 'processed' AND c.processed_at < now() - make_interval(secs => %(seconds)s)
      AND (c.source NOT LIKE 'orders/%%' OR EXISTS (
          SELECT 1 FROM inbox n
          WHERE n.source = c.source AND n.key > c.key AND n.key LIKE split_part(c.key, '@', 1) || '@%%'))
    ORDER BY c.id LIMIT %(batch)s)
"""
# The newest document of each order under ``source``: by Amazon's lastUpdatedTime (text: ISO
# timestamps of one format sort as times), then by arrival. NULLs first, as DESC puts them.
LATEST_DOCUMENTS = """
SELECT DISTINCT ON (payload->>'orderId') payload->>'orderId' AS order_id, payload FROM inbox
WHERE source = %(source)s AND payload->>'orderId' = ANY(%(order_ids)s)
ORDER BY payload->>'orderId', payload->>'lastUpdatedTime' DESC, id DESC
"""


@dataclass(frozen=True, kw_only=True)
class InboxItem:
    id: int
    source: str
    key: str
    account: str | None
    payload: Any
    received_at: datetime
    state: InboxState
    attempts: int
    last_error: str | None
    processed_at: datetime | None
    #: True when this ``put`` stored the item; False when it was already there.
    is_new: bool = False

    @classmethod
    def from_row(cls, row: dict[str, Any], *, is_new: bool = False) -> InboxItem:
        return cls(is_new=is_new, **row)


def as_stored(payload: Any) -> Any:
    """``payload`` as the inbox keeps it: PostgreSQL holds no NUL character, lone surrogate or
    NaN, which any JSON from outside may carry (they become U+FFFD and strings)."""
    return storable_json(payload)


async def put(conn: AsyncConnection[Any], *, source: str, key: str, account: str | None,
              payload: Any) -> InboxItem:
    """Store an input unless ``(source, key)`` is already there; return the stored item."""
    params = {"source": source, "key": storable(key), "account": account, "payload": jsonb(payload)}
    async with cursor(conn) as cur:
        for _ in range(3):  # the conflicting row may vanish in between (deleted): try again
            await cur.execute(PUT, params)
            row = await cur.fetchone()
            if row is not None:
                return InboxItem.from_row(row, is_new=True)
            await cur.execute(GET_BY_KEY, params)
            row = await cur.fetchone()
            if row is not None:
                return InboxItem.from_row(row)
    raise RuntimeError(f"inbox item {source}/{key} could neither be inserted nor read")


async def put_many(conn: AsyncConnection[Any], *, source: str, account: str | None,
                   items: Mapping[str, Any]) -> set[str]:
    """Store many inputs of one source in one statement (key → payload); returns the keys that
    were new. Same guarantees as :func:`put`: a key already stored, or being stored by a
    concurrent transaction (this one waits for it), is not new."""
    if not items:
        return set()
    async with cursor(conn) as cur:
        await cur.execute(PUT_MANY, {"source": source, "account": account, "items": jsonb(dict(items))})
        return {row["key"] for row in await cur.fetchall()}


async def get(conn: AsyncConnection[Any], item_id: int) -> InboxItem | None:
    async with cursor(conn) as cur:
        await cur.execute(GET, {"id": item_id})
        row = await cur.fetchone()
    return None if row is None else InboxItem.from_row(row)


async def _update(conn: AsyncConnection[Any], sql: str, params: dict[str, Any]) -> InboxItem:
    async with cursor(conn) as cur:
        await cur.execute(sql, params)
        row = await cur.fetchone()
    if row is None:
        raise LookupError(f"no inbox item with id {params['id']}")
    return InboxItem.from_row(row)


async def mark_processed(conn: AsyncConnection[Any], item_id: int) -> InboxItem:
    return await _update(conn, MARK_PROCESSED, {"id": item_id})


async def mark_processed_many(conn: AsyncConnection[Any], item_ids: Iterable[int]) -> int:
    """Mark many items processed in one statement; returns how many rows there were."""
    ids = sorted(set(item_ids))
    if not ids:
        return 0
    async with cursor(conn) as cur:
        await cur.execute(MARK_PROCESSED_MANY, {"ids": ids})
        return cur.rowcount


async def mark_failed(conn: AsyncConnection[Any], item_id: int, error: str) -> InboxItem:
    """Record a failed attempt; the item stays visible (``pending`` lists failed ones too)."""
    return await _update(conn, MARK_FAILED, {"id": item_id, "error": error, "state": "failed"})


async def mark_quarantined(conn: AsyncConnection[Any], item_id: int, error: str) -> InboxItem:
    """The item cannot be processed as it is (see :mod:`.quarantine`); not retried automatically."""
    return await _update(conn, MARK_FAILED, {"id": item_id, "error": error, "state": "quarantined"})


async def requeue(conn: AsyncConnection[Any], item_id: int) -> InboxItem:
    """Replay: put a failed or quarantined item back to ``pending``."""
    return await _update(conn, REQUEUE, {"id": item_id})


async def any_pending(conn: AsyncConnection[Any], *, source: str, account: str | None = None) -> bool:
    """Whether items wait (pending or failed), without locking anything: one cheap read
    before opening a transaction that would find nothing."""
    async with cursor(conn) as cur:
        await cur.execute(ANY_PENDING, {"states": ["pending", "failed"], "source": source, "account": account})
        row = await cur.fetchone()
    return bool(row and row["exists"])


async def count_pending(conn: AsyncConnection[Any], *, source: str, up_to: int) -> int:
    """Items waiting (pending or failed) under ``source``, counted up to ``up_to`` (no lock)."""
    async with cursor(conn) as cur:
        await cur.execute(COUNT_PENDING, {"states": ["pending", "failed"], "source": source, "limit": up_to})
        row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def pending(conn: AsyncConnection[Any], limit: int = 100, *, source: str | None = None,
                  account: str | None = None, include_failed: bool = True, lock: bool = False) -> list[InboxItem]:
    """Items waiting for processing, oldest first. ``lock``: ``FOR UPDATE SKIP LOCKED`` (only
    the rows returned are locked: filter by ``account`` here, not after)."""
    states = ["pending", "failed"] if include_failed else ["pending"]
    sql = PENDING + (" FOR UPDATE SKIP LOCKED" if lock else "")
    async with cursor(conn) as cur:
        await cur.execute(sql, {"states": states, "source": source, "account": account, "limit": limit})
        rows = await cur.fetchall()
    return [InboxItem.from_row(row) for row in rows]


async def prune_processed(conn: AsyncConnection[Any], *, older_than_seconds: float, batch: int = 5000) -> int:
    """Delete up to ``batch`` processed rows processed more than ``older_than_seconds`` ago (an
    order's newest document stays); the number deleted. Pending, failed and quarantined rows are
    never touched: they are the record of what is still to do. A notification delivered again
    after its row went is stored and processed again, which changes nothing (external ids)."""
    async with conn.cursor() as cur:
        await cur.execute(PRUNE_PROCESSED, {"seconds": float(older_than_seconds), "batch": batch})
        return cur.rowcount


async def latest_documents(conn: AsyncConnection[Any], *, source: str, order_ids: Iterable[str]) -> dict[str, Any]:
    """Order id → the newest stored document of that order under ``source`` (an orders source:
    payloads carrying ``orderId`` and ``lastUpdatedTime``); orders never stored are absent."""
    wanted = sorted(set(order_ids))
    if not wanted:
        return {}
    async with cursor(conn) as cur:
        await cur.execute(LATEST_DOCUMENTS, {"source": source, "order_ids": wanted})
        return {str(row["order_id"]): row["payload"] for row in await cur.fetchall()}


class InboxRepository(Protocol):
    """The inbox as a flow sees it (one transaction's or session's); see the module."""

    async def put(self, *, source: str, key: str, account: str | None, payload: Any) -> InboxItem: ...

    async def put_many(self, *, source: str, account: str | None, items: Mapping[str, Any]) -> set[str]: ...

    async def get(self, item_id: int) -> InboxItem | None: ...

    async def mark_processed(self, item_id: int) -> InboxItem: ...

    async def mark_processed_many(self, item_ids: Iterable[int]) -> int: ...

    async def mark_failed(self, item_id: int, error: str) -> InboxItem: ...

    async def mark_quarantined(self, item_id: int, error: str) -> InboxItem: ...

    async def requeue(self, item_id: int) -> InboxItem: ...

    async def any_pending(self, *, source: str, account: str | None = None) -> bool: ...

    async def count_pending(self, *, source: str, up_to: int) -> int: ...

    async def pending(self, limit: int = 100, *, source: str | None = None, account: str | None = None,
                      include_failed: bool = True, lock: bool = False) -> list[InboxItem]: ...

    async def prune_processed(self, *, older_than_seconds: float, batch: int = 5000) -> int: ...

    async def latest_documents(self, *, source: str, order_ids: Iterable[str]) -> dict[str, Any]: ...


class PgInbox:
    """:class:`InboxRepository` on one connection (the functions above, bound to it)."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def put(self, *, source: str, key: str, account: str | None, payload: Any) -> InboxItem:
        return await put(self._conn, source=source, key=key, account=account, payload=payload)

    async def put_many(self, *, source: str, account: str | None, items: Mapping[str, Any]) -> set[str]:
        return await put_many(self._conn, source=source, account=account, items=items)

    async def get(self, item_id: int) -> InboxItem | None:
        return await get(self._conn, item_id)

    async def mark_processed(self, item_id: int) -> InboxItem:
        return await mark_processed(self._conn, item_id)

    async def mark_processed_many(self, item_ids: Iterable[int]) -> int:
        return await mark_processed_many(self._conn, item_ids)

    async def mark_failed(self, item_id: int, error: str) -> InboxItem:
        return await mark_failed(self._conn, item_id, error)

    async def mark_quarantined(self, item_id: int, error: str) -> InboxItem:
        return await mark_quarantined(self._conn, item_id, error)

    async def requeue(self, item_id: int) -> InboxItem:
        return await requeue(self._conn, item_id)

    async def any_pending(self, *, source: str, account: str | None = None) -> bool:
        return await any_pending(self._conn, source=source, account=account)

    async def count_pending(self, *, source: str, up_to: int) -> int:
        return await count_pending(self._conn, source=source, up_to=up_to)

    async def pending(self, limit: int = 100, *, source: str | None = None, account: str | None = None,
                      include_failed: bool = True, lock: bool = False) -> list[InboxItem]:
        return await pending(self._conn, limit, source=source, account=account, include_failed=include_failed,
                             lock=lock)

    async def prune_processed(self, *, older_than_seconds: float, batch: int = 5000) -> int:
        return await prune_processed(self._conn, older_than_seconds=older_than_seconds, batch=batch)

    async def latest_documents(self, *, source: str, order_ids: Iterable[str]) -> dict[str, Any]:
        return await latest_documents(self._conn, source=source, order_ids=order_ids)
