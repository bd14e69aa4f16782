"""Odoo's wire formats for values: datetimes, dates, many2one pairs, ``False`` for empty.

Odoo writes and reads datetimes as naive UTC ``"YYYY-MM-DD HH:MM:SS"``; ``T``, ``Z``, offsets and
fractions raise ``ValueError`` on the server. Empty values come back as ``False``, never ``null``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

__all__ = [
    "chunked",
    "from_odoo_date",
    "from_odoo_datetime",
    "m2o_id",
    "m2o_name",
    "none_if_false",
    "to_odoo_date",
    "to_odoo_datetime",
]

T = TypeVar("T")

_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_DATE_FORMAT = "%Y-%m-%d"


def to_odoo_datetime(value: datetime) -> str:
    """``"YYYY-MM-DD HH:MM:SS"`` in UTC. Naive datetimes are refused: we keep UTC explicit."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("to_odoo_datetime needs an aware datetime (UTC inside); got a naive one")
    return value.astimezone(UTC).replace(tzinfo=None, microsecond=0).strftime(_DATETIME_FORMAT)


def from_odoo_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from Odoo's string; ``False``/``None``/``""`` give ``None``."""
    if value is False or value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not an Odoo datetime: {value!r}")
    text = value.strip()
    if len(text) == 10:
        return datetime.strptime(text, _DATE_FORMAT).replace(tzinfo=UTC)
    return datetime.strptime(text[:19], _DATETIME_FORMAT).replace(tzinfo=UTC)


def to_odoo_date(value: date) -> str:
    """``"YYYY-MM-DD"``; an aware datetime is first converted to its UTC date."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("to_odoo_date needs a date or an aware datetime; got a naive datetime")
        value = value.astimezone(UTC).date()
    return value.strftime(_DATE_FORMAT)


def from_odoo_date(value: Any) -> date | None:
    if value is False or value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not an Odoo date: {value!r}")
    return datetime.strptime(value.strip()[:10], _DATE_FORMAT).date()


def m2o_id(value: Any) -> int | None:
    """The id of a many2one as read (``[id, "name"]``, ``id`` or ``False``)."""
    if value is False or value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a many2one value: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, list | tuple) and value and isinstance(value[0], int):
        return int(value[0])
    raise ValueError(f"not a many2one value: {value!r}")


def m2o_name(value: Any) -> str | None:
    """The display name of a many2one as read with the default ``load``; ``None`` if empty."""
    if isinstance(value, list | tuple) and len(value) >= 2:
        return str(value[1])
    return None


def none_if_false(value: T | bool) -> T | None:
    """Odoo's ``False`` for "empty" becomes ``None``; ``True`` and other values pass through."""
    return None if value is False else value  # type: ignore[return-value]


def chunked(items: Sequence[T] | Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
