"""Removing buyer personal data from the rows that keep Amazon documents, once they are old.

A row is *due* when its last activity (and the delivery its document announces, if later) is
older than the cutoff and it was not purged yet (``purged_at IS NULL``, migration 0011). One
statement per table and batch removes the given keys from its jsonb columns in place
(``aos_strip_keys``) and stamps ``purged_at``: a second run finds nothing, and a run that
stops half-way goes on where it stopped. Rows locked by a running import are skipped (they are
not old anyway) and taken next time.

Which keys are personal is not decided here (see ``mapping.personal_data``).

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from psycopg import AsyncConnection

from ._sql import cursor

__all__ = ["TABLES", "TABLE_NAMES", "PersonalDataRepository", "PersonalDataTable", "PgPersonalData", "count_due",
           "purge_batch"]


@dataclass(frozen=True, kw_only=True)
class PersonalDataTable:
    name: str
    #: jsonb columns that may hold Amazon documents.
    columns: tuple[str, ...]
    #: The row's first timestamp (indexed where ``purged_at IS NULL``): never later than
    #: ``last_activity``, so ``first < cutoff`` narrows the scan without missing a due row.
    first: str
    #: When the row was last of use: its latest timestamp, or the announced delivery if later.
    last_activity: str

    def _due(self) -> str:
        return (f"{self.name}.purged_at IS NULL AND {self.name}.{self.first} < %(cutoff)s "
                f"AND {self.last_activity} < %(cutoff)s")

    def count_sql(self) -> str:
        return f"SELECT count(*) AS due FROM {self.name} WHERE {self._due()}"

    def purge_sql(self) -> str:
        sets = ", ".join(f"{c} = aos_strip_keys({c}, %(keys)s)" for c in self.columns)
        return (f"UPDATE {self.name} SET {sets}, purged_at = now() WHERE id IN ("
                f"SELECT id FROM {self.name} WHERE {self._due()} ORDER BY id LIMIT %(limit)s "
                "FOR UPDATE SKIP LOCKED)")


#: Every table of ours that keeps Amazon documents or details that may quote them.
TABLES: tuple[PersonalDataTable, ...] = (
    PersonalDataTable(name="inbox", columns=("payload",), first="received_at",
                      last_activity="GREATEST(COALESCE(inbox.processed_at, inbox.received_at), "
                                    "aos_delivery_time(inbox.payload))"),
    # An open item bumps last_seen whenever it is tried again: it is still being worked on.
    PersonalDataTable(name="quarantine", columns=("payload", "details"), first="first_seen",
                      last_activity="GREATEST(COALESCE(quarantine.resolved_at, quarantine.last_seen), "
                                    "aos_delivery_time(quarantine.payload))"),
    PersonalDataTable(name="audit_log", columns=("details",), first="at", last_activity="audit_log.at"),
)
#: The tables a purge goes through, in this order.
TABLE_NAMES: tuple[str, ...] = tuple(table.name for table in TABLES)


def _table(name: str) -> PersonalDataTable:
    for table in TABLES:
        if table.name == name:
            return table
    raise ValueError(f"{name!r} keeps no Amazon documents (tables: {', '.join(TABLE_NAMES)})")


async def count_due(conn: AsyncConnection[Any], table: PersonalDataTable, cutoff: datetime) -> int:
    """How many rows of ``table`` a purge with ``cutoff`` would redact (dry run)."""
    async with cursor(conn) as cur:
        await cur.execute(table.count_sql(), {"cutoff": cutoff})
        row = await cur.fetchone()
    return int(row["due"]) if row else 0


async def purge_batch(conn: AsyncConnection[Any], table: PersonalDataTable, cutoff: datetime,
                      keys: Collection[str], *, limit: int) -> int:
    """Remove ``keys`` from up to ``limit`` due rows of ``table`` and mark them purged (one
    statement); returns how many rows."""
    async with cursor(conn) as cur:
        await cur.execute(table.purge_sql(), {"cutoff": cutoff, "keys": sorted(keys), "limit": limit})
        return cur.rowcount


class PersonalDataRepository(Protocol):
    """The purge's view of the tables keeping Amazon documents (named as in :data:`TABLE_NAMES`)."""

    async def count_due(self, table: str, cutoff: datetime) -> int: ...

    async def purge_batch(self, table: str, cutoff: datetime, keys: Collection[str], *, limit: int) -> int: ...


class PgPersonalData:
    """:class:`PersonalDataRepository` on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def count_due(self, table: str, cutoff: datetime) -> int:
        return await count_due(self._conn, _table(table), cutoff)

    async def purge_batch(self, table: str, cutoff: datetime, keys: Collection[str], *, limit: int) -> int:
        return await purge_batch(self._conn, _table(table), cutoff, keys, limit=limit)
