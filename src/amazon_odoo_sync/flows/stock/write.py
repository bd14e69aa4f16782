"""What the stock push writes besides offer states: Amazon's results (quarantine for rejections,
audit for offers closed because the SKU is FBA), released reservations, the cycle's audit record.
Each function runs in the caller's unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...logs import get_logger
from ...mapping.stock import MessageOutcome, Outcome
from ...store.reservations import ORDER_KIND, Released
from ...store.unit import UnitOfWork

__all__ = ["FLOW", "Recorded", "offer_key", "record_outcomes", "release_closed_reservations"]

FLOW = "stock"
_log = get_logger(__name__)


def offer_key(account: str, marketplace_id: str, sku: str) -> str:
    """The quarantine and audit key of one offer."""
    return f"{account}:{marketplace_id}:{sku}"


@dataclass(frozen=True, kw_only=True)
class Recorded:
    accepted: int = 0
    rejected: int = 0
    retryable: int = 0


async def record_outcomes(tx: UnitOfWork, *, account: str, marketplace_id: str, outcomes: Sequence[MessageOutcome],
                          via: str, max_attempts: int, actor: str) -> Recorded:
    """Apply Amazon's results to the offer states; quarantine what Amazon rejected for good,
    close the items of what it accepted."""
    rejected = await tx.offers.record_outcomes(account, marketplace_id, outcomes, max_attempts=max_attempts)
    # Accepted SKUs close their open quarantine items: one statement per quantity (a feed
    # report holds up to 25,000 of them, nearly all without an item).
    accepted: dict[int, list[str]] = {}
    for outcome in outcomes:
        if outcome.outcome is Outcome.ACCEPTED:
            accepted.setdefault(outcome.update.quantity, []).append(
                offer_key(account, marketplace_id, outcome.update.sku))
    for quantity, keys in sorted(accepted.items()):
        await tx.quarantine.resolve_many(FLOW, keys, f"quantity {quantity} accepted")
    counts = {"accepted": 0, "rejected": 0, "retryable": 0}
    for outcome in outcomes:
        key = offer_key(account, marketplace_id, outcome.update.sku)
        if outcome.outcome is Outcome.ACCEPTED:
            counts["accepted"] += 1
            if outcome.fba_managed:
                # The 0 closing a SKU switched to FBA, refused because Amazon manages it as FBA
                # already: the merchant offer is closed, which is what the 0 was for.
                await tx.audit.record(actor=actor, action="stock.fbm_offer_closed", object_type="offer",
                                      object_key=key,
                                      details={"via": via, "seq": outcome.update.seq, "amazon": outcome.reason})
                _log.info("stock.fbm_offer_closed", account=account, marketplace_id=marketplace_id,
                          sku=outcome.update.sku, via=via, amazon=outcome.reason)
        elif outcome.update.sku in rejected:
            counts["rejected"] += 1
            details: dict[str, Any] = {"via": via, "marketplace_id": marketplace_id, "outcome": str(outcome.outcome),
                                       "issues": [dict(i) for i in outcome.issues]}
            if outcome.action:
                details["action"] = outcome.action
            await tx.quarantine.put(flow=FLOW, key=key, account=account, reason=outcome.reason, details=details,
                                    payload={"sku": outcome.update.sku, "quantity": outcome.update.quantity,
                                             "seq": outcome.update.seq})
        else:
            counts["retryable"] += 1
    return Recorded(**counts)


async def release_closed_reservations(tx: UnitOfWork, account: str, *, actor: str) -> list[Released]:
    """Release what is still reserved for ``account``'s orders that are in Odoo or cancelled:
    Odoo's free quantity counts such an order already, so its reservation only understates the
    offer (and nothing else would ever release it). One audit record per order; the SKUs are
    marked dirty so Amazon gets the corrected quantity. In the caller's transaction."""
    released = await tx.reservations.release_closed(account)
    for order in released:
        await tx.audit.record(actor=actor, action="reservation.released", object_type=ORDER_KIND,
                              object_key=order.order_id,
                              details={"account": account, "marketplace_id": order.marketplace_id,
                                       "amazon_status": order.status, "units": dict(order.units),
                                       "reason": "in Odoo" if order.odoo_id is not None else order.claim_state,
                                       "odoo_id": order.odoo_id})
    await tx.offers.mark_dirty(account, {sku for order in released for sku in order.units})
    if released:
        _log.warning("reservations.released_closed", account=account, orders=len(released),
                     units=sum(sum(order.units.values()) for order in released))
    return released
