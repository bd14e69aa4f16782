"""FBM offer states, feeds, dirty marks and FBA snapshots in memory (see ``store.offers``: each
method does what its SQL statement does, column by column)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ...exceptions import ConflictError, PermanentError
from ...inventory import Computation, MessageOutcome, OfferState, Outcome, QuantityUpdate
from ..offers import FbaSnapshot, FeedRow

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryOffers"]

_Key = tuple[str, str, str]  # (account, marketplace_id, sku)


@dataclass(kw_only=True)
class _Offer:
    sku: str
    fulfillment: Literal["FBM", "FBA"] = "FBM"
    odoo_product_id: int | None = None
    computed_qty: int | None = None
    computed_seq: int = 0
    submitted_qty: int | None = None
    submitted_seq: int | None = None
    submitted_via: str | None = None
    submission_id: int | None = None
    accepted_qty: int | None = None
    accepted_seq: int | None = None
    rejected_seq: int | None = None
    attempts: int = 0
    last_error: str | None = None

    def state(self) -> OfferState:
        return OfferState(sku=self.sku, fulfillment=self.fulfillment, computed_qty=self.computed_qty,
                          computed_seq=self.computed_seq, submitted_qty=self.submitted_qty,
                          submitted_seq=self.submitted_seq, accepted_qty=self.accepted_qty,
                          accepted_seq=self.accepted_seq)


@dataclass(kw_only=True)
class _Feed:
    id: int
    account: str
    marketplace_id: str
    feed_id: str | None
    state: str
    message_count: int
    messages: dict[str, list[Any]]
    created_at: datetime
    submitted_at: datetime | None = None
    processing_status: str | None = None
    summary: dict[str, Any] | None = None

    def row(self) -> FeedRow:
        return FeedRow.from_row({"id": self.id, "account": self.account, "marketplace_id": self.marketplace_id,
                                 "feed_id": self.feed_id, "state": self.state, "message_count": self.message_count,
                                 "messages": self.messages, "created_at": self.created_at,
                                 "submitted_at": self.submitted_at})


def _coalesce(value: int | None, default: int) -> int:
    return default if value is None else value


class MemoryOffers:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._offers: dict[_Key, _Offer] = state.section("stock_offers", dict)
        self._feeds: dict[int, _Feed] = state.section("stock_feeds", dict)
        self._dirty: list[tuple[int, str, str]] = state.section("stock_dirty", list)
        self._fba: dict[_Key, FbaSnapshot] = state.section("fba_inventory_snapshots", dict)

    # -- offer states ----------------------------------------------------------------------

    async def record_computed(self, account: str, marketplace_id: str,
                              computations: Sequence[Computation]) -> dict[str, OfferState]:
        if any(c.quantity < 0 for c in computations):
            raise PermanentError("stock_offers: computed_qty must not be negative", system="store")
        states: dict[str, OfferState] = {}
        for c in computations:
            offer = self._offers.get((account, marketplace_id, c.sku))
            if offer is None:
                offer = self._offers[(account, marketplace_id, c.sku)] = _Offer(sku=c.sku, computed_seq=1)
            elif offer.computed_qty != c.quantity or offer.fulfillment != c.fulfillment:
                offer.computed_seq += 1
            offer.computed_qty, offer.fulfillment, offer.odoo_product_id = c.quantity, c.fulfillment, c.odoo_product_id
            states[c.sku] = offer.state()
        return states

    def _of(self, account: str, marketplace_id: str) -> list[_Offer]:
        return [o for (a, m, _), o in self._offers.items() if a == account and m == marketplace_id]

    async def load(self, account: str, marketplace_id: str,
                   skus: Iterable[str] | None = None) -> dict[str, OfferState]:
        wanted = None if skus is None else set(skus)
        return {o.sku: o.state() for o in self._of(account, marketplace_id) if wanted is None or o.sku in wanted}

    async def pending(self, account: str, marketplace_id: str, *, limit: int = 1_000_000) -> list[OfferState]:
        found = []
        for o in self._of(account, marketplace_id):
            believed = (o.submitted_qty if o.submitted_seq is not None
                        and o.submitted_seq > _coalesce(o.accepted_seq, -1) else o.accepted_qty)
            if (o.computed_seq > _coalesce(o.submitted_seq, -1) and o.computed_seq > _coalesce(o.rejected_seq, -1)
                    and o.computed_qty is not None and o.computed_qty != believed):
                found.append(o.state())
        return sorted(found, key=lambda s: s.sku)[:limit]

    async def mark_submitted(self, account: str, marketplace_id: str, updates: Sequence[QuantityUpdate], *,
                             via: Literal["feed", "patch"], submission_id: int | None = None) -> None:
        for u in updates:
            o = self._offers.get((account, marketplace_id, u.sku))
            if o is not None and (o.submitted_seq is None or o.submitted_seq < u.seq):
                o.submitted_qty, o.submitted_seq = u.quantity, u.seq
                o.submitted_via, o.submission_id = via, submission_id

    async def record_outcomes(self, account: str, marketplace_id: str, outcomes: Sequence[MessageOutcome], *,
                              max_attempts: int) -> set[str]:
        rejected: set[str] = set()
        # As the SQL: every acceptance first, then every failure.
        ordered = sorted(outcomes, key=lambda o: o.outcome is not Outcome.ACCEPTED)
        for outcome in ordered:
            u = outcome.update
            o = self._offers.get((account, marketplace_id, u.sku))
            if o is None:
                continue
            if outcome.outcome is Outcome.ACCEPTED:
                stale = o.accepted_seq is not None and o.accepted_seq > u.seq
                accepted_qty: int | None = u.quantity
                if stale and o.accepted_qty != u.quantity:
                    accepted_qty = None
                if stale and o.accepted_qty != u.quantity:
                    o.submitted_seq = None  # a stale result with another quantity: resent in full
                o.accepted_qty, o.accepted_seq = accepted_qty, max(_coalesce(o.accepted_seq, -1), u.seq)
                o.attempts, o.last_error = 0, None
                continue
            if outcome.outcome is Outcome.REJECTED or o.attempts + 1 >= max_attempts:
                o.rejected_seq = max(_coalesce(o.rejected_seq, -1), u.seq)
            o.attempts += 1
            o.last_error = outcome.reason[:2000]
            if o.submitted_seq == u.seq:
                o.submitted_seq = o.submitted_qty = None
            if o.rejected_seq == u.seq:
                rejected.add(u.sku)
        return rejected

    # -- feeds --------------------------------------------------------------------------------

    async def create_feed(self, account: str, marketplace_id: str, messages: Mapping[int, QuantityUpdate]) -> int:
        feed_id = self._state.next_id("stock_feeds")
        self._feeds[feed_id] = _Feed(
            id=feed_id, account=account, marketplace_id=marketplace_id, feed_id=None, state="building",
            message_count=len(messages), created_at=self._state.now(),
            messages={str(k): [u.sku, u.quantity, u.seq, *([1] if u.closing else [])] for k, u in messages.items()})
        return feed_id

    async def feed_submitted(self, row_id: int, feed_id: str) -> None:
        feed = self._feeds.get(row_id)
        if feed is None:
            return
        if any(f.account == feed.account and f.feed_id == feed_id and f.id != row_id for f in self._feeds.values()):
            raise ConflictError(f"feed {feed_id} recorded twice", system="store",
                                constraint="uq_stock_feeds_account_feed_id")
        feed.feed_id, feed.state, feed.submitted_at = feed_id, "submitted", self._state.now()

    async def finish_feed(self, row_id: int, *, state: Literal["done", "failed"], processing_status: str | None,
                          summary: Mapping[str, Any] | None) -> bool:
        feed = self._feeds.get(row_id)
        if feed is None or feed.state not in ("building", "submitted"):
            return False
        feed.state, feed.processing_status = state, processing_status
        feed.summary = dict(summary) if summary else None
        return True

    async def open_feeds(self, account: str) -> list[FeedRow]:
        return [f.row() for _, f in sorted(self._feeds.items())
                if f.account == account and f.state in ("building", "submitted")]

    # -- FBA snapshots ----------------------------------------------------------------------------

    async def save_fba_snapshots(self, account: str, marketplace_id: str,
                                 quantities: Mapping[str, Mapping[str, int]], *,
                                 source: Literal["pull", "notification"]) -> None:
        for sku, q in quantities.items():
            self._fba[(account, marketplace_id, sku)] = FbaSnapshot(sku=sku, quantities=dict(q), source=source)

    async def fba_snapshots(self, account: str, marketplace_id: str) -> dict[str, FbaSnapshot]:
        return {s.sku: s for (a, m, _), s in sorted(self._fba.items()) if a == account and m == marketplace_id}

    # -- dirty marks ------------------------------------------------------------------------------

    async def mark_dirty(self, account: str, skus: Iterable[str]) -> None:
        for sku in sorted(set(skus)):
            self._dirty.append((self._state.next_id("stock_dirty"), account, sku))

    async def take_dirty(self, account: str) -> list[str]:
        taken = [row for row in self._dirty if row[1] == account]
        self._dirty[:] = [row for row in self._dirty if row[1] != account]
        return [sku for _, _, sku in sorted(taken)]
