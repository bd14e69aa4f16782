"""What the repository modules share: JSON for ``jsonb`` columns and dict-row cursors.

Repositories take a psycopg 3 ``AsyncConnection`` and never commit: the caller owns the
transaction (an autocommit connection makes every call its own transaction).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

__all__ = ["cursor", "dumps", "jsonb"]


def _default(value: Any) -> Any:
    # Money stays exact: Decimals are stored as strings, never as floats.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, separators=(",", ":"))


def jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value, dumps=dumps)


def cursor(conn: AsyncConnection[Any]) -> AsyncCursor[DictRow]:
    """A cursor returning dicts, whatever row factory the caller's connection has."""
    return conn.cursor(row_factory=dict_row)
