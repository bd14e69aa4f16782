"""What an import batch does, decided without I/O: Amazon's order documents and what the store
and Odoo already know in, a frozen :class:`ImportPlan` out.

The writer (:mod:`.write`) applies the plan; the reader (:mod:`.importer`) gathers what it
needs. Nothing here awaits, opens a connection or calls a client: every rule of the import
(which document wins, what a status means given what Odoo has, which order is quarantined and
why, what a sale order's lines and amounts are, which units stay reserved) is unit-tested on
values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...exceptions import DataError, PermanentError
from ...inventory import Reservation
from ...mapping.amazon_order import AmazonOrder, parse_order_v2026
from ...mapping.order_status import OrderAction, decide
from ...mapping.partner import PartnerPlan, plan_partners
from ...mapping.sale_order import OdooTargets, SaleOrderPlan, UnknownSkuError, plan_sale_order

__all__ = [
    "FLOW",
    "REVIEW_FLOW",
    "REVIEW_REASON",
    "SALE_ORDER",
    "Batch",
    "Claim",
    "ImportPlan",
    "PlannedSaleOrder",
    "QuarantinedOrder",
    "References",
    "Review",
    "StateChange",
    "Unreadable",
    "claim_rows",
    "fba_shipped_units",
    "open_units",
    "order_key",
    "plan_import",
    "read_batch",
    "to_create",
    "waiting_units",
]

FLOW = "orders"
REVIEW_FLOW = "orders-review"
SALE_ORDER = "sale.order"
REVIEW_REASON = ("cancelled on Amazon after it was shipped: the Odoo order is left as it is; check refund and "
                 "stock")


def order_key(account: str, order_id: str) -> str:
    """The order's key in the quarantine."""
    return f"{account}:{order_id}"


def payload_hash(doc: Any) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


# -- the batch -----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Unreadable:
    """A document that is no order we can read: quarantined with the reason, nothing else."""

    key: str
    reason: str
    details: Mapping[str, Any]
    payload: Any


@dataclass(frozen=True, kw_only=True)
class Batch:
    """The documents of one import: the newest readable one of each order, by order id."""

    orders: tuple[tuple[AmazonOrder, Mapping[str, Any]], ...]
    unreadable: tuple[Unreadable, ...] = ()


def read_batch(account: str, docs: Sequence[Any]) -> Batch:
    """Parse ``docs``; of several documents of one order the newest (by Amazon's last update,
    the later given on a tie) wins."""
    unreadable: list[Unreadable] = []
    latest: dict[str, tuple[AmazonOrder, Mapping[str, Any]]] = {}
    for doc in docs:
        try:
            order = parse_order_v2026(doc)
        except DataError as exc:
            order_id = str(doc.get("orderId") or payload_hash(doc)[:16]) if isinstance(doc, Mapping) else "?"
            unreadable.append(Unreadable(key=order_key(account, order_id), reason=exc.message,
                                         details=exc.context(), payload=doc))
            continue
        known = latest.get(order.order_id)
        if known is None or order.last_updated >= known[0].last_updated:
            latest[order.order_id] = (order, doc)
    return Batch(orders=tuple(latest[k] for k in sorted(latest)), unreadable=tuple(unreadable))


def claim_rows(batch: Batch) -> list[tuple[str, str | None, datetime | None]]:
    """What the batch claims in the external ids: (order id, payload hash, Amazon's update)."""
    return [(order.order_id, payload_hash(doc), order.last_updated) for order, doc in batch.orders]


@dataclass(frozen=True, kw_only=True)
class Claim:
    """What the external ids know of an order (its row, locked by the batch's claim)."""

    is_new: bool
    state: str
    odoo_id: int | None = None
    amazon_updated_at: datetime | None = None


def _action(order: AmazonOrder, claim: Claim) -> OrderAction | None:
    """None: a document older than the one recorded (ignored)."""
    if not claim.is_new and claim.amazon_updated_at and order.last_updated < claim.amazon_updated_at:
        return None
    state = None if claim.is_new or claim.state in ("claimed", "reserved", "quarantined") else claim.state
    return decide(order, odoo_state=state, odoo_delivered=claim.state == "delivered")


def to_create(batch: Batch, claims: Mapping[str, Claim]) -> list[AmazonOrder]:
    """The orders of the batch that become sale orders (the reader looks up their references)."""
    return [order for order, _ in batch.orders if _action(order, claims[order.order_id]) is OrderAction.CREATE]


# -- what the plan needs from Odoo ------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class References:
    """The Odoo ids the orders to create need, looked up by the reader."""

    #: Per marketplace of an order to create: its targets, or why it has none.
    targets: Mapping[str, OdooTargets | PermanentError] = field(default_factory=dict)
    #: Marketplace → SKU → product id (unknown SKUs absent).
    products: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    countries: Mapping[str, int] = field(default_factory=dict)
    states: Mapping[tuple[str, str], int] = field(default_factory=dict)
    anonymous_names: Mapping[str, str | None] = field(default_factory=dict)


# -- the plan ------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class StateChange:
    """The order's claim takes ``state`` and Amazon's update time."""

    order_id: str
    state: str
    amazon_updated_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class Review:
    """Cancelled on Amazon after shipping: raised for a person, the Odoo order left as it is."""

    order_id: str
    odoo_id: int | None
    amazon_status: str
    #: The claim keeps its state; Amazon's update time moves.
    state: str
    amazon_updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class QuarantinedOrder:
    """An order that cannot become a sale order as it is (unknown SKU, no targets, no prices)."""

    order_id: str
    reason: str
    details: Mapping[str, Any]
    payload: Mapping[str, Any]
    amazon_updated_at: datetime
    #: SKUs without a product, when that is the reason.
    unknown_skus: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PlannedSaleOrder:
    order: AmazonOrder
    #: Lines, amounts, dates: planned once. The partner ids in ``sale.values`` are placeholders
    #: until the writer knows the partners' (:meth:`values`).
    sale: SaleOrderPlan
    partners: PartnerPlan

    @property
    def order_id(self) -> str:
        return self.order.order_id

    def values(self, partner_ids: Mapping[str, int]) -> dict[str, Any]:
        """``sale.order.create`` values with the partners' Odoo ids (partner key → id)."""
        customer = partner_ids[self.partners.customer.key]
        invoice, delivery = self.partners.invoice, self.partners.delivery
        return {**self.sale.values, "partner_id": customer,
                "partner_invoice_id": partner_ids[invoice.key] if invoice else customer,
                "partner_shipping_id": partner_ids[delivery.key] if delivery else customer}


@dataclass(frozen=True, kw_only=True)
class ImportPlan:
    account: str
    #: Documents older than what the store recorded: ignored.
    stale: int = 0
    #: Claim state changes of orders Odoo gets nothing for (reserved, cancelled before creation,
    #: unchanged), in order-id order.
    states: tuple[StateChange, ...] = ()
    reviews: tuple[Review, ...] = ()
    #: Odoo sale orders to cancel: order id → Odoo id.
    cancellations: Mapping[str, int] = field(default_factory=dict)
    quarantines: tuple[QuarantinedOrder, ...] = ()
    sale_orders: tuple[PlannedSaleOrder, ...] = ()
    #: Reservations to write, and orders whose reservation goes (sale orders the writer gets
    #: into Odoo go too: :meth:`reservations`).
    holds: Mapping[str, Reservation] = field(default_factory=dict)
    releases: frozenset[str] = frozenset()
    #: SKUs whose offer the stock flow recomputes.
    dirty: frozenset[str] = frozenset()
    reserved: int = 0
    #: Cancelled before it was ever created (Odoo has nothing to cancel).
    recorded_cancelled: int = 0
    unchanged: int = 0

    def reservations(self, done: Iterable[str] = ()) -> tuple[list[Reservation], set[str]]:
        """The batch's reservation changes once the sale orders ``done`` are in Odoo: (to write,
        to release). A reservation taken while an order was on its way to Odoo is done then."""
        done = set(done)
        holds = [hold for order_id, hold in self.holds.items() if order_id not in done]
        return holds, (set(self.releases) | done) - {h.order_id for h in holds}


def open_units(order: AmazonOrder) -> dict[str, int]:
    """Units per SKU the order still takes from stock (ordered − shipped, cancelled items out)."""
    units: dict[str, int] = {}
    for item in order.items:
        if not item.cancelled:
            units[item.sku] = units.get(item.sku, 0) + item.quantity - item.quantity_shipped
    return {sku: max(0, quantity) for sku, quantity in units.items()}


def fba_shipped_units(order: AmazonOrder) -> dict[str, int]:
    """Units per SKU an FBA order took out of Amazon's warehouse. Until the order is in Odoo,
    the FBA inventory flow adds them to Odoo's fulfillable target: Amazon no longer counts
    them, and the import will take them off Odoo's figure."""
    units: dict[str, int] = {}
    for item in order.items:
        if item.quantity_shipped > 0:
            units[item.sku] = units.get(item.sku, 0) + item.quantity_shipped
    return units


def waiting_units(order: AmazonOrder) -> dict[str, int]:
    """What an order not (yet) in Odoo keeps reserved: its shipped units for FBA, its open
    units for FBM."""
    return fba_shipped_units(order) if order.is_fba else open_units(order)


def _skus(order: AmazonOrder) -> set[str]:
    return {item.sku for item in order.items}


def _hold(order: AmazonOrder, units: Mapping[str, int]) -> Reservation:
    return Reservation(order_id=order.order_id, marketplace_id=order.marketplace_id, status=order.status, units=units)


def plan_import(account: str, batch: Batch, claims: Mapping[str, Claim], refs: References) -> ImportPlan:
    """The plan of one batch. ``claims``: every order of the batch (the reader claimed them);
    ``refs``: what :func:`to_create`'s orders need (see :class:`References`)."""
    stale = reserved = recorded_cancelled = unchanged = 0
    states: list[StateChange] = []
    reviews: list[Review] = []
    cancellations: dict[str, int] = {}
    holds: dict[str, Reservation] = {}
    releases: set[str] = set()
    dirty: set[str] = set()
    create: list[tuple[AmazonOrder, Mapping[str, Any]]] = []
    for order, doc in batch.orders:
        claim = claims[order.order_id]
        action = _action(order, claim)
        if action is None:
            stale += 1
        elif action is OrderAction.CREATE:
            create.append((order, doc))
        elif action is OrderAction.RESERVE:
            holds[order.order_id] = _hold(order, open_units(order))
            dirty |= _skus(order)
            states.append(StateChange(order_id=order.order_id, state="reserved", amazon_updated_at=order.last_updated))
            reserved += 1
        elif action is OrderAction.RECORD_CANCELLED:
            releases.add(order.order_id)
            dirty |= _skus(order)
            states.append(StateChange(order_id=order.order_id, state="cancelled",
                                      amazon_updated_at=order.last_updated))
            recorded_cancelled += 1
        elif action is OrderAction.CANCEL and claim.odoo_id is not None:
            cancellations[order.order_id] = claim.odoo_id
            releases.add(order.order_id)
        elif action is OrderAction.REVIEW:
            reviews.append(Review(order_id=order.order_id, odoo_id=claim.odoo_id, amazon_status=order.status,
                                  state=claim.state, amazon_updated_at=order.last_updated))
        else:
            if claim.odoo_id is not None:  # in Odoo: a reservation taken when it was queued is done
                releases.add(order.order_id)
            states.append(StateChange(order_id=order.order_id, state=claim.state,
                                      amazon_updated_at=order.last_updated))
            unchanged += 1

    quarantines: list[QuarantinedOrder] = []
    sale_orders: list[PlannedSaleOrder] = []
    for order, doc in create:
        # An unknown SKU quarantines its order, never a wrong product; so do missing targets
        # and an order that cannot be a sale order (no prices yet, nothing left to sell).
        try:
            targets = refs.targets[order.marketplace_id]
            if isinstance(targets, PermanentError):
                raise targets
            sale = plan_sale_order(order, targets, refs.products.get(order.marketplace_id, {}), partner_id=0)
        except PermanentError as exc:
            quarantines.append(QuarantinedOrder(
                order_id=order.order_id, reason=exc.message, details=exc.context(), payload=dict(doc),
                amazon_updated_at=order.last_updated,
                unknown_skus=tuple(exc.skus) if isinstance(exc, UnknownSkuError) else ()))
            holds[order.order_id] = _hold(order, waiting_units(order))
            dirty |= _skus(order)
            continue
        partners = plan_partners(order, countries=refs.countries, states=refs.states,
                                 anonymous_name=refs.anonymous_names.get(order.marketplace_id))
        sale_orders.append(PlannedSaleOrder(order=order, sale=sale, partners=partners))
        # Odoo's free quantity and our reservations both move: the stock flow recomputes them.
        dirty |= _skus(order)
    return ImportPlan(account=account, stale=stale, states=tuple(states), reviews=tuple(reviews),
                      cancellations=cancellations, quarantines=tuple(quarantines), sale_orders=tuple(sale_orders),
                      holds=holds, releases=frozenset(releases - set(holds)), dirty=frozenset(dirty),
                      reserved=reserved, recorded_cancelled=recorded_cancelled, unchanged=unchanged)
