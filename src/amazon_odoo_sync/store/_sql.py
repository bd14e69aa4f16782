"""What the repository modules share: JSON for ``jsonb`` columns and dict-row cursors.

Repositories take a psycopg 3 ``AsyncConnection`` and never commit: the caller owns the
transaction (an autocommit connection makes every call its own transaction).
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

__all__ = ["cursor", "dumps", "jsonb", "storable", "storable_json"]


def _default(value: Any) -> Any:
    # Money stays exact: Decimals are stored as strings, never as floats.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


#: What PostgreSQL text and jsonb cannot hold but a Python string (read from any JSON) can.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD: PostgreSQL refuses both, and a
    malformed input must still reach the inbox or the quarantine rather than fail its batch."""
    return _UNSTORABLE.sub("\ufffd", text)


def storable_json(value: Any) -> Any:
    """A JSON value whose strings (keys too) are :func:`storable`, and whose non-finite floats
    (Python's json reads NaN and Infinity, jsonb has no such number) are strings."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {storable(k) if isinstance(k, str) else k: storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v) for v in value]
    return value


def dumps(value: Any) -> str:
    try:
        text = json.dumps(value, default=_default, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or Infinity
        text = "\\u0000"
    # json escapes NUL and surrogates as \u0000 and \udxxx; a valid pair (an emoji) also starts
    # with \ud, and comes out of the second pass unchanged.
    if "\\u0000" in text or "\\ud" in text:
        text = json.dumps(storable_json(value), default=_default, separators=(",", ":"))
    return text


def jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value, dumps=dumps)


def cursor(conn: AsyncConnection[Any]) -> AsyncCursor[DictRow]:
    """A cursor returning dicts, whatever row factory the caller's connection has."""
    return conn.cursor(row_factory=dict_row)
