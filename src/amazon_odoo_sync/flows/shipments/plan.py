"""What the shipments flow decides, without I/O: which deliveries to (re)plan, what each one's
confirmation row becomes, when a missing tracking number is reported, how Amazon's refusals read,
how long a retried confirmation waits, and what the Odoo note says.

Values in (Odoo's pickings and moves as read, the Amazon order, the SKU → product map, what other
deliveries of the order already confirmed, the stored rows), values out; the writer
(:mod:`.write`) stores them and talks to Amazon and Odoo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from ...config import ShipmentCarrier, ShipmentsConfig
from ...exceptions import DataError, NotFoundError, PermanentError, SyncError
from ...mapping.amazon_order import AmazonOrder
from ...mapping.shipment import (
    CarrierRule,
    DonePicking,
    MissingTrackingError,
    ShippedMove,
    choose_carrier,
    plan_shipment,
)
from ...odoo.values import from_odoo_datetime, m2o_id, m2o_name
from ...store import shipments as rows

__all__ = [
    "RETRY_BASE",
    "RETRY_CAP",
    "AmazonRefusal",
    "Carriers",
    "Decision",
    "amazon_status",
    "classify_amazon_error",
    "committed_by_others",
    "decide",
    "done_picking",
    "note_body",
    "overdue",
    "retry_delay",
    "to_plan",
]

#: Retry delay of a pending row after a retryable error without a hint (seconds, doubled per attempt).
RETRY_BASE: Final = 5.0
RETRY_CAP: Final = 900.0
#: Rows in these states are planned again when their delivery is read again.
REPLANNED: Final = (rows.WAITING_TRACKING, rows.REJECTED, rows.INVALID)


@dataclass(frozen=True, kw_only=True)
class AmazonRefusal:
    kind: str
    reason: str
    action: str


def classify_amazon_error(exc: SyncError) -> AmazonRefusal:
    """Amazon's refusal of a confirmShipment → what it means and what the user should do."""
    message = (exc.remote_message or exc.message or "").strip()
    text = message.casefold()
    if "cancel" in text:
        return AmazonRefusal(kind="order_cancelled", reason=f"the order is cancelled on Amazon: {message}",
                             action="Do not ship (or recall the parcel); check the Odoo order and its refund, "
                                    "then resolve this item.")
    if "already fulfilled" in text or "already shipped" in text or "already been shipped" in text:
        return AmazonRefusal(kind="already_shipped", reason=f"Amazon says the order is already shipped: {message}",
                             action="Check in Seller Central whether the shipment was confirmed elsewhere; "
                                    "if it was, resolve this item, otherwise contact Amazon seller support.")
    if "carrier" in text:
        return AmazonRefusal(kind="invalid_carrier", reason=f"Amazon refused the carrier: {message}",
                             action="Map the Odoo carrier to an Amazon carrier code in [shipments.carriers] "
                                    "(or set its name), then run `sync shipments --account A`.")
    if "tracking" in text:
        return AmazonRefusal(kind="invalid_tracking", reason=f"Amazon refused the tracking number: {message}",
                             action="Correct the tracking number on the delivery in Odoo; it is sent again "
                                    "automatically (or run `sync shipments --account A`).")
    if "quantity" in text or "orderitemid" in text or "exceeds" in text:
        return AmazonRefusal(kind="items_mismatch", reason=f"Amazon refused the items: {message}",
                             action="Compare the delivery with the Amazon order (items shipped elsewhere?), "
                                    "fix the delivery or resolve this item.")
    if "pending" in text:
        return AmazonRefusal(kind="order_pending", reason=f"the order is still pending on Amazon: {message}",
                             action="Wait until Amazon releases the order, then run `sync shipments --account A`.")
    if isinstance(exc, NotFoundError):
        return AmazonRefusal(kind="order_not_found", reason=f"Amazon does not know the order: {message}",
                             action="Check the account and the sale order's Amazon reference.")
    return AmazonRefusal(kind="refused", reason=f"Amazon refused the shipment confirmation: {message}",
                         action="Fix what Amazon's message names, then run `sync shipments --account A`.")


def _rule(config: ShipmentCarrier) -> CarrierRule:
    return CarrierRule(code=config.code, name=config.name, shipping_method=config.shipping_method)


@dataclass(frozen=True)
class Carriers:
    """The carrier mapping of ``[shipments]``, resolved."""

    rules: Mapping[str, CarrierRule] = field(default_factory=dict)
    default: CarrierRule | None = None

    @classmethod
    def from_config(cls, config: ShipmentsConfig) -> Carriers:
        return cls({name: _rule(rule) for name, rule in config.carriers.items()},
                   _rule(config.default_carrier) if config.default_carrier else None)


def to_plan(pickings: Sequence[Mapping[str, Any]], order_of: Mapping[int, str],
            existing: Mapping[int, rows.Confirmation]) -> list[Mapping[str, Any]]:
    """The done deliveries of this account's Amazon orders (``order_of``: sale order id →
    Amazon order id) that have no row yet, or one that is planned again (waiting for tracking,
    rejected, invalid), by picking id. Rows pending, confirmed or skipped are left alone."""
    mine = [p for p in pickings if m2o_id(p.get("sale_id")) in order_of and p.get("state") == "done"]
    return [p for p in sorted(mine, key=lambda p: int(p["id"]))
            if int(p["id"]) not in existing or existing[int(p["id"])].state in REPLANNED]


def done_picking(raw: Mapping[str, Any], moves: Mapping[int, Mapping[str, Any]]) -> DonePicking:
    """A ``stock.picking`` as read from Odoo (and its moves by id) → what a shipment needs."""
    done_at = from_odoo_datetime(raw.get("date_done")) or from_odoo_datetime(raw.get("write_date"))
    if done_at is None:
        raise DataError(f"delivery {raw.get('name')} has no date done")
    shipped = []
    for move_id in raw.get("move_ids") or []:
        move = moves.get(int(move_id))
        if move is None or move.get("state") != "done":
            continue
        product_id = m2o_id(move.get("product_id"))
        if product_id:
            shipped.append(ShippedMove(product_id=product_id, quantity=float(move.get("quantity") or 0)))
    tracking = raw.get("carrier_tracking_ref")
    return DonePicking(id=int(raw["id"]), name=str(raw.get("name") or raw["id"]),
                       carrier_name=m2o_name(raw.get("carrier_id")) or None,
                       tracking_ref=str(tracking) if tracking else None, date_done=done_at,
                       moves=tuple(shipped))


def committed_by_others(committed: Mapping[int, Mapping[str, int]], picking_id: int) -> dict[str, int]:
    """orderItemId → units the order's other deliveries (not ``picking_id``) sent or are sending."""
    merged: dict[str, int] = {}
    for other, per_item in committed.items():
        if other != picking_id:
            for item, quantity in per_item.items():
                merged[item] = merged.get(item, 0) + quantity
    return merged


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What one delivery's confirmation row becomes (``state``: pending, waiting_tracking,
    invalid or skipped), and why when it is not pending."""

    picking_id: int
    picking_name: str
    sale_order_id: int | None
    amazon_order_id: str
    marketplace_id: str | None
    state: str
    body: dict[str, Any] | None = None
    items: tuple[tuple[str, int], ...] = ()
    last_error: str | None = None
    error_kind: str | None = None
    #: What the quarantine keeps of an invalid delivery (``exc.context()``).
    details: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The keyword arguments of ``tx.shipments.save`` (without ``account``, ``now``, ``force``)."""
        return {"picking_id": self.picking_id, "picking_name": self.picking_name,
                "sale_order_id": self.sale_order_id, "amazon_order_id": self.amazon_order_id,
                "marketplace_id": self.marketplace_id, "state": self.state, "body": self.body,
                "items": self.items, "last_error": self.last_error, "error_kind": self.error_kind}


def decide(raw: Mapping[str, Any], *, amazon_order_id: str, order: AmazonOrder | None,
           moves: Mapping[int, Mapping[str, Any]], products: Mapping[str, int] | None,
           committed: Mapping[int, Mapping[str, int]], carriers: Carriers) -> Decision:
    """The row of the done delivery ``raw`` of Amazon order ``amazon_order_id``.

    ``order``: the Amazon order as read (None: it could not be read); ``products``: SKU → Odoo
    product id in the order's marketplace (None only for an FBA order, which needs none);
    ``committed``: per delivery of the order, the items already sent or being sent."""
    picking_id = int(raw["id"])
    common: dict[str, Any] = {"picking_id": picking_id, "picking_name": str(raw.get("name") or picking_id),
                              "sale_order_id": m2o_id(raw.get("sale_id")), "amazon_order_id": amazon_order_id,
                              "marketplace_id": order.marketplace_id if order is not None else None}
    try:
        if order is None:
            raise DataError(f"Amazon order {amazon_order_id} could not be read")
        if order.is_fba:
            return Decision(state=rows.SKIPPED, last_error="fulfilled by Amazon", **common)
        if products is None:
            raise ValueError("the products of a merchant-fulfilled order are needed to plan it")
        picking = done_picking(raw, moves)
        plan = plan_shipment(picking, order, products, choose_carrier(picking.carrier_name, carriers.rules,
                                                                      carriers.default),
                             committed=committed_by_others(committed, picking_id))
    except MissingTrackingError as exc:
        return Decision(state=rows.WAITING_TRACKING, last_error=exc.message, error_kind="missing_tracking",
                        **common)
    except PermanentError as exc:
        return Decision(state=rows.INVALID, last_error=exc.message, error_kind="invalid", details=exc.context(),
                        **common)
    return Decision(state=rows.PENDING, body=plan.body, items=plan.items, **common)


def overdue(waiting: Sequence[rows.Confirmation], now: datetime, grace: timedelta) -> list[rows.Confirmation]:
    """Deliveries waiting for a tracking number longer than ``grace`` and not reported yet."""
    return [r for r in waiting if r.tracking_reported_at is None and now - r.first_seen >= grace]


def retry_delay(retry_after: float | None, attempts: int) -> float:
    """Seconds before a pending row is sent again after a retryable error: Amazon's hint, else
    exponential from :data:`RETRY_BASE` up to :data:`RETRY_CAP`."""
    if retry_after is not None:
        return retry_after
    return min(RETRY_CAP, RETRY_BASE * 2.0 ** min(attempts, 10))


def amazon_status(order: AmazonOrder | None, shipped: Mapping[int, Mapping[str, int]]) -> str:
    """Shipped / PartiallyShipped as Amazon will show it after our confirmations."""
    if order is None:
        return "shipment confirmed"
    sent: dict[str, int] = {}
    for per_item in shipped.values():
        for item_id, quantity in per_item.items():
            sent[item_id] = sent.get(item_id, 0) + quantity
    open_items = [i for i in order.items if not i.cancelled and i.quantity > 0]
    if all(sent.get(i.order_item_id, 0) >= i.quantity for i in open_items):
        return "Shipped"
    return "PartiallyShipped"


def note_body(row: rows.Confirmation, status: str) -> str:
    """The note on the sale order of a confirmed delivery. Plain text: over RPC, Odoo 18 escapes
    a str body (HTML would show as tags)."""
    package = (row.body or {}).get("packageDetail") or {}
    return (f"Amazon shipment confirmed for delivery {row.picking_name}: carrier "
            f"{package.get('carrierName') or package.get('carrierCode') or '?'}, tracking "
            f"{package.get('trackingNumber') or '?'}, {sum(int(q) for _, q in row.items)} unit(s). "
            f"Amazon order status: {status}.")
