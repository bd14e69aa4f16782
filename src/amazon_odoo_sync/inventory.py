"""Values the stock flows and the store share: what we know of one FBM offer, a quantity to
send and Amazon's verdict on it, and an FBA drift line. Plain records (no I/O), below both
``mapping`` (which decides with them) and ``store`` (which keeps them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

__all__ = [
    "FBA_MANAGED_ACTION",
    "FBA_MANAGED_CODE",
    "Computation",
    "DriftLine",
    "Fulfillment",
    "MessageOutcome",
    "OfferState",
    "Outcome",
    "QuantityUpdate",
    "Reservation",
    "is_fba_managed",
]

Fulfillment = Literal["FBM", "FBA"]

#: Amazon's issue code for "this SKU is fulfilled by Amazon: its quantity is managed by Amazon".
FBA_MANAGED_CODE = "8560"
#: What the seller has to do about an 8560 that is not the answer to a closing 0.
FBA_MANAGED_ACTION = "SKU is FBA on Amazon: map it as FBA"


@dataclass(frozen=True, kw_only=True)
class OfferState:
    """What we know of one offer (account, marketplace, SKU); None = never."""

    sku: str
    computed_qty: int | None = None
    computed_seq: int = 0
    submitted_qty: int | None = None
    submitted_seq: int | None = None
    accepted_qty: int | None = None
    accepted_seq: int | None = None
    fulfillment: Fulfillment = "FBM"

    @property
    def in_flight(self) -> bool:
        """A submission newer than the accepted value has no result yet."""
        return self.submitted_seq is not None and (self.accepted_seq is None
                                                   or self.submitted_seq > self.accepted_seq)

    @property
    def amazon_believed(self) -> int | None:
        """What Amazon has, or will have once the submission in flight is applied."""
        return self.submitted_qty if self.in_flight else self.accepted_qty


@dataclass(frozen=True, kw_only=True)
class Computation:
    """The quantity computed for one SKU (0 closes the merchant offer of a SKU now FBA)."""

    sku: str
    quantity: int
    fulfillment: Fulfillment = "FBM"
    odoo_product_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class QuantityUpdate:
    """One quantity to send for one SKU, tagged with the computation it came from."""

    sku: str
    quantity: int
    seq: int
    urgent: bool = False
    #: The 0 that closes the merchant offer of a SKU switched from FBM to FBA: Amazon refusing it
    #: because the SKU is FBA already (8560) means it is done.
    closing: bool = False

    def __post_init__(self) -> None:
        if self.quantity < 0:
            raise ValueError(f"{self.sku}: a quantity to offer is never negative")
        if self.closing and self.quantity != 0:
            raise ValueError(f"{self.sku}: only a 0 closes an offer")


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RETRYABLE = "retryable"


@dataclass(frozen=True, kw_only=True)
class MessageOutcome:
    update: QuantityUpdate
    outcome: Outcome
    #: Amazon's issues for this message (code, severity, message, attributeName).
    issues: tuple[Mapping[str, Any], ...] = field(default=())

    @property
    def fba_managed(self) -> bool:
        """Amazon answered 8560: the SKU is fulfilled by Amazon there."""
        return any(is_fba_managed(i) for i in self.issues)

    @property
    def action(self) -> str | None:
        """What the seller has to do about a rejection, when we know it."""
        if self.outcome is Outcome.REJECTED and self.fba_managed:
            return FBA_MANAGED_ACTION
        return None

    @property
    def reason(self) -> str:
        errors = [i for i in self.issues if i.get("severity") == "ERROR"] or list(self.issues)
        text = "; ".join(f"{i.get('code', '?')}: {i.get('message', '')}" for i in errors) or self.outcome
        return f"{self.action} ({text})" if self.action else text


def is_fba_managed(issue: Mapping[str, Any]) -> bool:
    return str(issue.get("code", "")) == FBA_MANAGED_CODE and issue.get("severity", "ERROR") == "ERROR"


@dataclass(frozen=True, kw_only=True)
class DriftLine:
    """Odoo's expectation vs Amazon's figure for one SKU (sellable + in transit + reserved)."""

    sku: str
    expected: Decimal
    reported: int
    at: datetime | None = None

    @property
    def difference(self) -> Decimal:
        return Decimal(self.reported) - self.expected


@dataclass(frozen=True, kw_only=True)
class Reservation:
    """Units of one Amazon order that Odoo does not have yet, per SKU: the stock flow does not
    offer them again (the order flow decides them, the store keeps them)."""

    order_id: str
    marketplace_id: str
    status: str
    units: Mapping[str, int]
