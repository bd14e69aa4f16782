"""What feeds and reports share: IN_QUEUE → IN_PROGRESS → DONE/FATAL (or CANCELLED) in simulated
time, lookup by seller, cancelling, and getFeeds/getReports-style listing with ``nextToken``.

Each engine keeps its own records, error class and words (``noun`` "Feed"/"Report", the
``types_param`` "feedTypes"/"reportTypes"); the shapes and messages stay each API's own.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from amazon_odoo_sync.sandbox.spapi.documents import Now
from amazon_odoo_sync.sandbox.spapi.errors import EngineError

__all__ = ["STATUSES", "Processed", "Window", "advance", "cancel", "find", "list_window", "page"]

STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")


class Processed(Protocol):
    """A feed or a report, as far as processing and listing go."""

    seller_id: str
    marketplace_ids: list[str]
    created: datetime
    status: str
    start: datetime | None
    end: datetime | None


R = TypeVar("R", bound=Processed)


def find(records: Mapping[str, R], seller_id: str, record_id: str, *, noun: str,
         error: type[EngineError]) -> R:
    """The seller's record, else 404 NotFound (another seller's record is not found either)."""
    record = records.get(record_id)
    if record is None or record.seller_id != seller_id:
        raise error(404, "NotFound", f"{noun} {record_id} not found")
    return record


def cancel(record: R, record_id: str, *, noun: str, error: type[EngineError], clock: Now,
           on_finished: Callable[[R], None] | None) -> None:
    """Only IN_QUEUE records can be cancelled; cancelling finishes them."""
    if record.status != "IN_QUEUE":
        raise error(400, "InvalidInput",
                    f"{noun} {record_id} is {record.status}; only IN_QUEUE {noun.lower()}s can be "
                    "cancelled")
    record.status = "CANCELLED"
    record.end = clock.now()
    if on_finished:
        on_finished(record)


def advance(records: Iterable[R], *, now: datetime, queue: timedelta,
            processing: Callable[[], timedelta], finish: Callable[[R, datetime], None],
            on_finished: Callable[[R], None] | None) -> list[R]:
    """Move records whose time has come (``records`` in id order); ``finish(record, end)`` does
    the work and sets the outcome. Returns the records that finished now."""
    finished: list[R] = []
    for record in records:
        if record.status == "IN_QUEUE" and now >= record.created + queue:
            record.status = "IN_PROGRESS"
            record.start = record.created + queue
        if record.status == "IN_PROGRESS" and record.start is not None \
                and now >= record.start + processing():
            finish(record, record.start + processing())
            finished.append(record)
    for record in finished:
        if on_finished:
            on_finished(record)
    return finished


@dataclass(frozen=True, kw_only=True)
class Window:
    """One listing request: filters, creation window and page, from parameters or a token."""

    types: Sequence[str] | None
    marketplace_ids: Sequence[str] | None
    statuses: Sequence[str] | None
    created_since: datetime
    created_until: datetime
    offset: int
    page_size: int

    def admits(self, record: Processed, record_type: str) -> bool:
        return ((not self.types or record_type in self.types)
                and (not self.marketplace_ids
                     or bool(set(record.marketplace_ids) & set(self.marketplace_ids)))
                and (not self.statuses or record.status in self.statuses)
                and self.created_since <= record.created <= self.created_until)


def list_window(*, clock: Now, types: Sequence[str] | None, marketplace_ids: Sequence[str] | None,
                statuses: Sequence[str] | None, created_since: datetime | None,
                created_until: datetime | None, page_size: int, next_token: str | None,
                types_param: str, error: type[EngineError]) -> Window:
    """With ``next_token`` the filters come from the token (Amazon ignores the other parameters
    then). Default window: the last 90 days."""
    if next_token:
        try:
            state = json.loads(base64.urlsafe_b64decode(next_token.encode()))
            offset = int(state["offset"])
            page_size = int(state["pageSize"])
            types, marketplace_ids, statuses = state["types"], state["mids"], state["st"]
            created_since = datetime.fromisoformat(state["since"])
            created_until = datetime.fromisoformat(state["until"])
        except (ValueError, KeyError, TypeError) as exc:
            raise error(400, "InvalidInput", "Invalid nextToken") from exc
    else:
        offset = 0
        if not types:
            raise error(400, "InvalidInput", f"{types_param} or nextToken is required")
        if not 1 <= page_size <= 100:
            raise error(400, "InvalidInput", "pageSize must be between 1 and 100")
        for st in statuses or ():
            if st not in STATUSES:
                raise error(400, "InvalidInput", f"Invalid processingStatus {st}")
        now = clock.now()
        created_until = created_until or now
        created_since = created_since or now - timedelta(days=90)
    assert created_since is not None and created_until is not None
    return Window(types=types, marketplace_ids=marketplace_ids, statuses=statuses,
                  created_since=created_since, created_until=created_until, offset=offset,
                  page_size=page_size)


def page(records: Iterable[R], seller_id: str, window: Window, *, type_of: Callable[[R], str],
         id_of: Callable[[R], str], token_keys: Sequence[str]) -> tuple[list[R], str | None]:
    """The seller's records in the window's page, newest first, and the token for the next one (None: last page).
    ``token_keys`` orders the filters in the token ("types", "mids", "st"), as each API did."""
    found = sorted((r for r in records if r.seller_id == seller_id and window.admits(r, type_of(r))),
                   key=lambda r: (r.created, int(id_of(r))), reverse=True)
    offset, page_size = window.offset, window.page_size
    token = None
    if offset + page_size < len(found):
        filters = {"types": list(window.types or []), "mids": list(window.marketplace_ids or []),
                   "st": list(window.statuses or [])}
        state: dict[str, object] = {"offset": offset + page_size, "pageSize": page_size}
        state.update((key, filters[key]) for key in token_keys)
        state.update(since=window.created_since.isoformat(),
                     until=window.created_until.isoformat())
        token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
    return found[offset:offset + page_size], token
