"""FBM stock, pure: what to offer on Amazon, when it is urgent, and the messages that say it.

Offered quantity per SKU and marketplace::

    offered = max(0, floor(odoo free quantity) - safety stock - units reserved by Amazon orders
                  that Odoo does not have yet)

Safety stock is the larger of a fixed number and a percentage of the free quantity (rounded up,
so it never rounds down to nothing), from ``[stock]`` in the configuration: ``"SKU@DE"`` beats
``"SKU"`` beats the default. Only FBM SKUs are offered; switching a SKU from FBM to FBA sends 0
for FBM first, so the merchant offer does not stay open beside the FBA one. Amazon may refuse
that 0 with issue 8560 (the SKU is fulfilled by Amazon already): for such a *closing* update the
refusal means the goal is reached, so it counts as accepted; any other 8560 (a quantity for a SKU
Amazon manages as FBA) is rejected with the action "map it as FBA".

Marketplaces served from the same warehouse(s) (``[stock] shared_warehouse``): "full" offers each
of them every free unit (the reservations of all of them deducted; an order anywhere makes the
next cycle lower every offer, a drop to 0 is patched at once); "split" divides the units left
after safety stock and reservations by ``split_weights`` (:func:`split_units`, largest remainder,
never more than there is). Both are computed per Odoo product by :func:`shared_offers`, so two
SKUs selling the same product share its units as well.

Sequencing: every computation of a SKU gets a number one higher than the last (``seq``). A
result (feed report, patch answer) only moves ``last accepted`` forward when its ``seq`` is newer
than the one accepted already: a slow feed that finishes after a fast patch never overwrites it.

Delivery: ``JSON_LISTINGS_FEED`` PATCH messages of ``/attributes/fulfillment_availability`` with
``fulfillment_channel_code`` DEFAULT (Amazon's code for merchant fulfilment), at most 25,000 per
feed; ``patchListingsItem`` with the same patch for urgent changes (going to 0, or to the urgent
threshold and below). The processing report is read message by message: no ERROR issue →
accepted; an ERROR Amazon may not repeat (internal / throttling / "try again") → retryable; any
other ERROR → rejected (quarantine, with Amazon's messages).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any, Literal

from ..config import SafetyStockRule, StockConfig
from ..inventory import (
    FBA_MANAGED_ACTION,
    FBA_MANAGED_CODE,
    Computation,
    Fulfillment,
    MessageOutcome,
    OfferState,
    Outcome,
    QuantityUpdate,
    is_fba_managed,
)

__all__ = [
    "FBA_MANAGED_ACTION",
    "FBA_MANAGED_CODE",
    "FBM_CHANNEL_CODE",
    "MAX_FEED_MESSAGES",
    "Claim",
    "Computation",
    "FeedDocument",
    "MessageOutcome",
    "OfferState",
    "Outcome",
    "QuantityUpdate",
    "build_listings_feeds",
    "interpret_patch_error",
    "interpret_patch_response",
    "interpret_processing_report",
    "report_summary",
    "is_urgent",
    "latest_per_sku",
    "offered_quantity",
    "plan_update",
    "quantity_patches",
    "safety_rule",
    "safety_units",
    "shared_offers",
    "split_units",
    "switch_updates",
]

#: ``fulfillment_channel_code`` of merchant-fulfilled quantity in the listings attributes.
FBM_CHANNEL_CODE = "DEFAULT"
MAX_FEED_MESSAGES = 25_000
SharedWarehouse = Literal["full", "split"]

#: Issue codes / words in Amazon's messages that mean "not your fault, send it again".
_RETRYABLE_CODES = frozenset({"500", "503", "90000900", "4000000", "8541"})
_RETRYABLE_WORDS = ("internal error", "temporar", "try again", "throttl", "timed out",
                    "service unavailable")


# -- what to offer ----------------------------------------------------------------------------


def safety_rule(config: StockConfig, sku: str, marketplace_code: str) -> SafetyStockRule:
    """The safety-stock rule of a SKU in a marketplace: ``SKU@XX``, else ``SKU``, else default."""
    overrides = config.safety_overrides
    return overrides.get(f"{sku}@{marketplace_code}") or overrides.get(sku) or config.safety


def safety_units(rule: SafetyStockRule, free: Decimal | int) -> int:
    """Units held back: max(fixed, ceil(percent% of the free quantity)); never negative."""
    base = max(Decimal(free), Decimal(0))
    by_percent = math.ceil(base * rule.percent / Decimal(100)) if rule.percent else 0
    return max(rule.fixed, by_percent)


def offered_quantity(*, free: Decimal | int, safety: int, reserved: int) -> int:
    """Whole units to offer: free − safety − reserved, floored, never negative."""
    whole = int(Decimal(free).to_integral_value(rounding=ROUND_FLOOR))
    return max(0, whole - max(0, safety) - max(0, reserved))


def split_units(available: int, weights: Mapping[str, Decimal | int]) -> dict[str, int]:
    """Divide ``available`` whole units among the keys of ``weights`` in proportion to them.

    Largest-remainder rounding: everyone gets the floor of their exact share, the units left
    over go one each to the largest remainders (ties: the key that sorts first). The shares add
    up to ``available`` when any weight is positive (else all are 0), so never to more; none is
    negative (a negative ``available`` or weight counts as 0). The same input always gives the
    same result.
    """
    units = max(0, int(available))
    exact = {key: Fraction(max(Decimal(w), Decimal(0))) for key, w in weights.items()}
    total = sum(exact.values(), Fraction(0))
    if units == 0 or total == 0:
        return dict.fromkeys(weights, 0)
    quotas = {key: units * w / total for key, w in exact.items()}
    shares = {key: int(q) for key, q in quotas.items()}  # floor: quotas are never negative
    left = units - sum(shares.values())
    by_remainder = sorted(quotas, key=lambda key: (-(quotas[key] - shares[key]), key))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares


@dataclass(frozen=True, kw_only=True)
class Claim:
    """One FBM offer drawing on an Odoo product's free units in a warehouse (group)."""

    marketplace: str  # marketplace code ("DE")
    sku: str
    #: Units held back for this offer (:func:`safety_units` of its rule).
    safety: int = 0
    #: Its weight when the units are split (``[stock.split_weights]``; 1 by default).
    weight: Decimal = Decimal(1)

    @property
    def key(self) -> str:
        return f"{self.marketplace}/{self.sku}"


def shared_offers(*, free: Decimal | int, reserved: int, claims: Sequence[Claim],
                  mode: SharedWarehouse = "full") -> dict[str, int]:
    """Quantity to offer per claim (by :attr:`Claim.key`) of one product's free units.

    ``reserved``: units of Amazon orders of this product (any of the claims' SKUs, any sharing
    marketplace) that Odoo does not have yet. ``full``: each claim offers free − its safety −
    reserved. ``split``: the units left after the largest safety of the claims and the
    reservations are divided by weight (:func:`split_units`): the offers never add up to more
    than that.
    """
    if mode == "full":
        return {c.key: offered_quantity(free=free, safety=c.safety, reserved=reserved) for c in claims}
    if not claims:
        return {}
    pool = offered_quantity(free=free, safety=max(c.safety for c in claims), reserved=reserved)
    return split_units(pool, {c.key: c.weight for c in claims})


def is_urgent(*, previous: int | None, new: int, urgent_threshold: int = 0) -> bool:
    """A decrease to 0, or to the threshold and below: oversell risk, send now.

    ``previous`` is what Amazon was last told (accepted or in flight); None = unknown, and then a
    0 is urgent too (we cannot rule out that Amazon still offers units).
    """
    if previous is not None and new >= previous:
        return False
    return new <= urgent_threshold or new == 0


# -- per-SKU state and the decision to send ---------------------------------------------------


def plan_update(state: OfferState, *, quantity: int, seq: int,
                urgent_threshold: int = 0) -> QuantityUpdate | None:
    """The update to send for a new computation, or None when Amazon has (or gets) it already.

    ``seq`` must be newer than the state's computations; an older one is stale: None.
    """
    if seq <= state.computed_seq and state.computed_qty is not None:
        return None
    believed = state.amazon_believed
    if believed is not None and believed == quantity:
        return None
    return QuantityUpdate(sku=state.sku, quantity=quantity, seq=seq,
                          urgent=is_urgent(previous=believed, new=quantity,
                                           urgent_threshold=urgent_threshold),
                          closing=state.fulfillment == "FBA" and quantity == 0)


def switch_updates(state: OfferState, new_fulfillment: Fulfillment, *, seq: int) -> list[QuantityUpdate]:
    """FBM → FBA: the FBM offer goes to 0 first (urgent); other switches need nothing sent."""
    if state.fulfillment == "FBM" and new_fulfillment == "FBA" and state.amazon_believed != 0:
        return [QuantityUpdate(sku=state.sku, quantity=0, seq=seq, urgent=True, closing=True)]
    return []


# -- messages ---------------------------------------------------------------------------------


def quantity_patches(quantity: int) -> list[dict[str, Any]]:
    """The JSON patch that sets the merchant-fulfilled quantity (feed message and patch call)."""
    return [{"op": "replace", "path": "/attributes/fulfillment_availability",
             "value": [{"fulfillment_channel_code": FBM_CHANNEL_CODE, "quantity": quantity}]}]


@dataclass(frozen=True, kw_only=True)
class FeedDocument:
    """One JSON_LISTINGS_FEED document and which update each ``messageId`` carries."""

    content: bytes
    messages: Mapping[int, QuantityUpdate]

    def __len__(self) -> int:
        return len(self.messages)


def build_listings_feeds(seller_id: str, updates: Sequence[QuantityUpdate], *,
                         product_type: str = "PRODUCT",
                         max_messages: int = MAX_FEED_MESSAGES) -> list[FeedDocument]:
    """Feeds of at most ``max_messages`` PATCH messages; one message per SKU (the newest seq)."""
    if not 1 <= max_messages <= MAX_FEED_MESSAGES:
        raise ValueError(f"max_messages must be 1..{MAX_FEED_MESSAGES}")
    newest: dict[str, QuantityUpdate] = {}
    for update in updates:
        known = newest.get(update.sku)
        if known is None or update.seq > known.seq:
            newest[update.sku] = update
    ordered = [newest[sku] for sku in sorted(newest)]
    documents = []
    for start in range(0, len(ordered), max_messages):
        chunk = ordered[start:start + max_messages]
        by_id = {n: update for n, update in enumerate(chunk, start=1)}
        body = {
            "header": {"sellerId": seller_id, "version": "2.0"},
            "messages": [{"messageId": n, "sku": u.sku, "operationType": "PATCH",
                          "productType": product_type, "patches": quantity_patches(u.quantity)}
                         for n, u in by_id.items()],
        }
        documents.append(FeedDocument(content=json.dumps(body, separators=(",", ":")).encode(),
                                      messages=by_id))
    return documents


# -- results ----------------------------------------------------------------------------------


def _judge(update: QuantityUpdate, errors: Sequence[Mapping[str, Any]]) -> Outcome:
    """The outcome of a message Amazon answered with these ERROR issues."""
    if not errors:
        return Outcome.ACCEPTED
    if update.closing and all(is_fba_managed(i) for i in errors):
        # We wanted no merchant quantity on a SKU now FBA; Amazon says it is FBA-managed: done.
        return Outcome.ACCEPTED
    if all(_retryable_issue(i) for i in errors):
        return Outcome.RETRYABLE
    return Outcome.REJECTED


def _retryable_issue(issue: Mapping[str, Any]) -> bool:
    text = str(issue.get("message", "")).lower()
    return str(issue.get("code", "")) in _RETRYABLE_CODES or any(w in text for w in _RETRYABLE_WORDS)


def interpret_processing_report(feed: FeedDocument, *, processing_status: str,
                                report: Mapping[str, Any] | None) -> list[MessageOutcome]:
    """Outcome of every message of ``feed``; none is left out.

    DONE: a message without ERROR issues was accepted (Amazon lists issues only), and so was a
    closing 0 refused only with 8560 (the SKU is FBA already: no merchant quantity left). FATAL,
    CANCELLED or a missing/unreadable report: every message is retryable (the document as a whole
    was not processed). Issues without a ``messageId`` (feed-level) make all messages retryable.
    """
    status = processing_status.upper()
    issues: list[Mapping[str, Any]] = []
    if isinstance(report, Mapping) and isinstance(report.get("issues"), list):
        issues = [i for i in report["issues"] if isinstance(i, Mapping)]
    if status != "DONE" or not isinstance(report, Mapping) or any(
            i.get("messageId") is None and i.get("severity") == "ERROR" for i in issues):
        feed_issues = tuple(i for i in issues if i.get("messageId") is None) or (
            {"code": status, "severity": "ERROR", "message": f"feed ended {status}"},)
        return [MessageOutcome(update=u, outcome=Outcome.RETRYABLE, issues=feed_issues)
                for u in feed.messages.values()]
    by_message: dict[int, list[Mapping[str, Any]]] = {}
    for issue in issues:
        message_id = issue.get("messageId")
        if message_id is None or isinstance(message_id, bool):
            continue
        try:
            by_message.setdefault(int(message_id), []).append(issue)
        except (TypeError, ValueError, OverflowError):
            continue  # not one of our message ids: no message of ours to judge by it
    outcomes = []
    for message_id, update in feed.messages.items():
        found = tuple(by_message.get(message_id, ()))
        errors = [i for i in found if i.get("severity") == "ERROR"]
        outcomes.append(MessageOutcome(update=update, outcome=_judge(update, errors), issues=found))
    return outcomes


def report_summary(report: Any) -> dict[str, Any]:
    """The ``summary`` object of a processing report (counts), empty when it has none we can read."""
    summary = report.get("summary") if isinstance(report, Mapping) else None
    return dict(summary) if isinstance(summary, Mapping) else {}


def interpret_patch_response(update: QuantityUpdate, body: Mapping[str, Any]) -> MessageOutcome:
    """patchListingsItem answered 200: ``status`` ACCEPTED, or INVALID with issues."""
    issues = tuple(i for i in body.get("issues") or () if isinstance(i, Mapping))
    errors = [i for i in issues if i.get("severity") == "ERROR"]
    if str(body.get("status", "ACCEPTED")).upper() == "ACCEPTED" and not errors:
        return MessageOutcome(update=update, outcome=Outcome.ACCEPTED, issues=issues)
    if not errors:  # INVALID without an ERROR issue: nothing tells us why; not applied
        return MessageOutcome(update=update, outcome=Outcome.REJECTED, issues=issues)
    return MessageOutcome(update=update, outcome=_judge(update, errors), issues=issues)


def interpret_patch_error(update: QuantityUpdate, *, retryable: bool, message: str) -> MessageOutcome:
    """patchListingsItem failed with one of our exceptions (``exc.retryable``, ``exc.message``)."""
    return MessageOutcome(update=update, outcome=Outcome.RETRYABLE if retryable else Outcome.REJECTED,
                          issues=({"code": "request", "severity": "ERROR", "message": message},))


def latest_per_sku(updates: Iterable[QuantityUpdate]) -> dict[str, QuantityUpdate]:
    """The newest update of each SKU."""
    newest: dict[str, QuantityUpdate] = {}
    for update in updates:
        if update.sku not in newest or update.seq > newest[update.sku].seq:
            newest[update.sku] = update
    return newest

