"""What to do with an Amazon order given its status and what Odoo already has (pure).

FBM orders become sale orders from Unshipped on; FBA orders when Shipped (they arrive shipped,
and their delivery is validated at once from the FBA warehouse). Pending orders carry no prices:
no sale order yet, but their units are reserved for the stock flow. A cancellation before
shipping cancels the Odoo order; after shipping it is only logged and raised for review.
"""

from __future__ import annotations

from enum import StrEnum

from .amazon_order import AmazonOrder

__all__ = ["OrderAction", "decide"]

_SELLABLE_FBM = {"UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"}


class OrderAction(StrEnum):
    CREATE = "create"  # make and confirm the sale order
    RESERVE = "reserve"  # no sale order yet; count its units as reserved
    CANCEL = "cancel"  # cancel the Odoo order
    REVIEW = "review"  # cancelled on Amazon after shipping: log and raise for a person
    RECORD_CANCELLED = "record_cancelled"  # cancelled before we ever created it
    NOTHING = "nothing"  # Odoo is already right (e.g. Unshipped → Shipped of an FBM order)


def decide(order: AmazonOrder, *, odoo_state: str | None, odoo_delivered: bool = False) -> OrderAction:
    """``odoo_state``: our external-id state for this order (None: never created; 'created',
    'confirmed', 'cancelled'). ``odoo_delivered``: Odoo has a done delivery for it."""
    exists = odoo_state in ("created", "confirmed")
    if order.status == "CANCELLED":
        if odoo_state == "cancelled":
            return OrderAction.NOTHING
        if not exists:
            return OrderAction.RECORD_CANCELLED
        return OrderAction.REVIEW if (odoo_delivered or order.is_fba) else OrderAction.CANCEL
    if exists:
        return OrderAction.NOTHING
    if odoo_state == "cancelled":
        return OrderAction.NOTHING
    if order.is_fba:
        return OrderAction.CREATE if order.status == "SHIPPED" else OrderAction.RESERVE
    if order.status in _SELLABLE_FBM:
        return OrderAction.CREATE
    return OrderAction.RESERVE
