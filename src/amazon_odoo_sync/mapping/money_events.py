"""Amazon's money, normalized: one :class:`MoneyEvent` per amount component, whichever source
read it (the settlement report V2, :mod:`.settlement_report`; the Finances v0 event lists,
:mod:`.finances`), and the settlement they belong to (:class:`SettlementHead`).

Vocabulary: the settlement report's. Each event carries the report's transaction type, amount
type and amount description ("Order" / "ItemFees" / "Commission"); :mod:`.finances` names the
Finances API's components the same way where the report has a name for them, so one mapping
(:mod:`.settlement_accounts`) serves both sources.

Signs: the seller's. A positive amount is money Amazon owes the seller (a sale's principal), a
negative one money the seller owes Amazon (a fee, a refund); a settlement's amounts add up to
its total, the payout (negative: Amazon charges the seller).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, NamedTuple

__all__ = ["MoneyEvent", "SettlementHead", "SettlementSource"]

SettlementSource = Literal["report", "events"]


class MoneyEvent(NamedTuple):
    """One amount component of a settlement. Immutable; a named tuple rather than a frozen
    dataclass because a settlement has up to millions of them: built 4x faster."""

    transaction_type: str
    amount_type: str
    amount_description: str
    amount: Decimal
    currency: str
    #: When Amazon posted it (UTC); None when the source does not say (v0 service fees).
    posted: datetime | None = None
    order_id: str | None = None
    #: A refund's adjustment (report: adjustment-id); None for v0, where a refund event has none.
    adjustment_id: str | None = None
    shipment_id: str | None = None
    sku: str | None = None
    quantity: int | None = None
    #: As the source names it ("Amazon.de"), or a marketplace id (v0 events that carry one).
    marketplace: str | None = None
    #: Where it was read ("row 17", "RefundEventList[3]"): shown next to unmapped kinds.
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class SettlementHead:
    """A settlement as a whole: what Amazon says its events add up to and what it pays out."""

    #: Settlement id (report) or financial event group id (events): the idempotency key.
    key: str
    source: SettlementSource
    #: The currency of its events (the marketplace's).
    currency: str
    #: Amazon's total of the events (report: total-amount; v0: OriginalTotal of a closed group).
    total: Decimal
    start: datetime | None
    end: datetime | None
    #: When the payout reached (or was charged to) the seller's bank; None while not transferred.
    deposit_date: datetime | None
    #: The payout in the bank's currency (v0: ConvertedTotal); the total when not converted.
    payout_amount: Decimal
    payout_currency: str
