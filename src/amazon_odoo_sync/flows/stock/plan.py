"""What to offer and what to send: the FBM stock push's decisions, as pure functions.

No I/O here: the cycle (:mod:`.push`) reads the mapped SKUs, the reservations, the offers we
closed before and Odoo's free quantities, hands them to :func:`plan_computations`, records what
comes out, and later hands the pending offer states to :func:`plan_sending`.

Per marketplace and mapped SKU (see the package docstring): Odoo's free quantity in the
marketplace's warehouse(s) − safety stock − units of Amazon orders Odoo does not have yet, per
Odoo product (SKUs of one product, in marketplaces sharing a warehouse, draw on the same units);
``split`` divides those units by weight among the marketplaces of a warehouse group. A SKU
switched from FBM to FBA gets 0 once (its merchant offer is closed), later nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ...config import StockConfig
from ...mapping.stock import (
    Claim,
    Computation,
    FeedDocument,
    OfferState,
    QuantityUpdate,
    build_listings_feeds,
    plan_update,
    safety_rule,
    safety_units,
    shared_offers,
)
from ...marketplaces import by_id

__all__ = [
    "Layout",
    "MappedOffer",
    "SendPlan",
    "StockInputs",
    "WarehouseGroup",
    "plan_computations",
    "plan_sending",
    "products_to_read",
    "resolve",
]

#: The Odoo warehouse ids a marketplace sells from, sorted: marketplaces with the same group
#: sell the same units.
WarehouseGroup = tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class MappedOffer:
    """One ``product_map`` row: ``marketplace_id`` '' is the account-wide row."""

    marketplace_id: str
    sku: str
    fulfillment: Literal["FBM", "FBA"]
    product_id: int


@dataclass(frozen=True, kw_only=True)
class Layout:
    """The account's marketplaces (in order) and the Odoo warehouses each one sells from."""

    marketplace_ids: tuple[str, ...]
    warehouses: Mapping[str, tuple[int, ...]]

    def group(self, marketplace_id: str) -> WarehouseGroup:
        """Marketplaces with the same warehouse(s) sell the same units (``shared_warehouse``)."""
        return tuple(sorted(set(self.warehouses.get(marketplace_id, ()))))

    def sharing(self, marketplace_id: str) -> frozenset[str]:
        """Marketplaces with a warehouse in common: an order of any of them that Odoo does not
        have yet is taken off this one's offer too."""
        own = set(self.warehouses.get(marketplace_id, ()))
        return frozenset({m for m, ids in self.warehouses.items() if own & set(ids)} | {marketplace_id})


def resolve(mapped: Iterable[MappedOffer], marketplace_id: str) -> tuple[MappedOffer, ...]:
    """The rows of one marketplace, by SKU: a marketplace-specific row wins over the
    account-wide one."""
    chosen: dict[str, MappedOffer] = {}
    for row in mapped:
        if row.marketplace_id == marketplace_id or (row.marketplace_id == "" and row.sku not in chosen):
            chosen[row.sku] = row
    return tuple(chosen[sku] for sku in sorted(chosen))


def products_to_read(resolved: Mapping[str, Sequence[MappedOffer]], layout: Layout
                     ) -> dict[WarehouseGroup, list[int]]:
    """The FBM products whose free quantity to read, per warehouse group of a marketplace with
    something to compute (read once per cycle: every marketplace of a group computes from the
    same figures)."""
    wanted: dict[WarehouseGroup, set[int]] = {}
    for marketplace_id in layout.marketplace_ids:
        if resolved.get(marketplace_id):
            wanted.setdefault(layout.group(marketplace_id), set())
    for marketplace_id, rows in resolved.items():
        group = layout.group(marketplace_id)
        if group in wanted:
            wanted[group].update(r.product_id for r in rows if r.fulfillment == "FBM")
    return {group: sorted(products) for group, products in wanted.items()}


@dataclass(frozen=True, kw_only=True)
class StockInputs:
    """What one cycle computes from."""

    #: Per marketplace: its mapped rows (:func:`resolve`).
    resolved: Mapping[str, Sequence[MappedOffer]]
    #: Per marketplace: units per SKU of its Amazon orders Odoo does not have yet.
    reserved: Mapping[str, Mapping[str, int]]
    #: Per warehouse group: Odoo's free quantity per product (:func:`products_to_read`).
    free: Mapping[WarehouseGroup, Mapping[int, Decimal]]
    #: Per marketplace: SKUs now mapped FBA whose last computation was an FBM offer (to close).
    offered_fbm: Mapping[str, frozenset[str]]


def _product_skus(inputs: StockInputs, sharing: frozenset[str]) -> dict[int, set[str]]:
    by_product: dict[int, set[str]] = {}
    for m in sharing:
        for r in inputs.resolved.get(m, ()):
            if r.fulfillment == "FBM":
                by_product.setdefault(r.product_id, set()).add(r.sku)
    return by_product


def _claims(inputs: StockInputs, layout: Layout, config: StockConfig, group: WarehouseGroup,
            free: Mapping[int, Decimal]) -> dict[int, list[Claim]]:
    """``split``: every FBM offer of the warehouse group, by product."""
    by_product: dict[int, list[Claim]] = {}
    for other in sorted(m for m in layout.marketplace_ids if layout.group(m) == group):
        code = by_id(other).code
        weight = config.split_weights.get(code, Decimal(1))
        for r in inputs.resolved.get(other, ()):
            if r.fulfillment == "FBM":
                units = free.get(r.product_id, Decimal(0))
                by_product.setdefault(r.product_id, []).append(Claim(
                    marketplace=code, sku=r.sku, weight=weight,
                    safety=safety_units(safety_rule(config, r.sku, code), units)))
    return by_product


def _marketplace(inputs: StockInputs, layout: Layout, config: StockConfig, marketplace_id: str,
                 claims_of: dict[WarehouseGroup, dict[int, list[Claim]]]) -> list[Computation]:
    code = by_id(marketplace_id).code
    sharing = layout.sharing(marketplace_id)
    reserved: dict[str, int] = {}
    for other in sharing:
        for sku, units in inputs.reserved.get(other, {}).items():
            reserved[sku] = reserved.get(sku, 0) + units
    product_skus = _product_skus(inputs, sharing)
    group = layout.group(marketplace_id)
    free = inputs.free.get(group, {})
    split = config.shared_warehouse == "split"
    if split and group not in claims_of:
        claims_of[group] = _claims(inputs, layout, config, group, free)
    claims = claims_of.get(group, {}) if split else {}
    closing = inputs.offered_fbm.get(marketplace_id, frozenset())
    computations = []
    for row in inputs.resolved.get(marketplace_id, ()):
        if row.fulfillment == "FBA":
            # Only a SKU we offered as FBM needs closing; FBA stock is Amazon's business.
            if row.sku in closing:
                computations.append(Computation(sku=row.sku, quantity=0, fulfillment="FBA",
                                                odoo_product_id=row.product_id))
            continue
        available = free.get(row.product_id, Decimal(0))
        held = sum(reserved.get(sku, 0) for sku in product_skus.get(row.product_id, {row.sku}))
        own = Claim(marketplace=code, sku=row.sku, safety=safety_units(safety_rule(config, row.sku, code), available))
        qty = shared_offers(free=available, reserved=held, claims=claims.get(row.product_id, [own]),
                            mode="split" if split else "full")[own.key]
        computations.append(Computation(sku=row.sku, quantity=qty, fulfillment="FBM", odoo_product_id=row.product_id))
    return computations


def plan_computations(inputs: StockInputs, layout: Layout, config: StockConfig) -> dict[str, list[Computation]]:
    """The quantity to offer per SKU, per marketplace with mapped rows (in the layout's order)."""
    claims_of: dict[WarehouseGroup, dict[int, list[Claim]]] = {}
    return {m: _marketplace(inputs, layout, config, m, claims_of)
            for m in layout.marketplace_ids if inputs.resolved.get(m)}


# -- sending ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SendPlan:
    """How one marketplace's pending offers go to Amazon."""

    #: Decreases to (near) 0: ``patchListingsItem`` at once, at the top priority.
    urgent: tuple[QuantityUpdate, ...] = ()
    #: The rest, when few: patches.
    patches: tuple[QuantityUpdate, ...] = ()
    #: The rest, when many: ``JSON_LISTINGS_FEED`` documents.
    feeds: tuple[FeedDocument, ...] = ()

    @property
    def fed(self) -> int:
        return sum(len(document) for document in self.feeds)


def _update(state: OfferState, urgent_threshold: int) -> QuantityUpdate | None:
    assert state.computed_qty is not None
    # The store's pending() compared with what Amazon has already; plan_update classifies urgency.
    base = OfferState(sku=state.sku, computed_seq=0, submitted_qty=state.submitted_qty,
                      submitted_seq=state.submitted_seq, accepted_qty=state.accepted_qty,
                      accepted_seq=state.accepted_seq, fulfillment=state.fulfillment)
    return plan_update(base, quantity=state.computed_qty, seq=state.computed_seq, urgent_threshold=urgent_threshold)


def plan_sending(pending: Sequence[OfferState], config: StockConfig, *, seller_id: str) -> SendPlan:
    """The updates of the pending offer states (their newest computation differs from what
    Amazon has or is getting), urgent or not, as patches or feed documents."""
    updates = [u for u in (_update(s, config.urgent_threshold) for s in pending) if u is not None]
    # Known decreases first; a first/full sync (Amazon's value unknown) must not turn
    # thousands of zeros into patches at 5/s: beyond the cap they ride in the feed.
    known = {s.sku for s in pending if s.accepted_qty is not None or s.submitted_qty is not None}
    urgent = sorted((u for u in updates if u.urgent), key=lambda u: (u.sku not in known, u.sku))
    overflow = urgent[config.max_urgent_patches:]
    urgent = urgent[:config.max_urgent_patches]
    normal = [u for u in updates if not u.urgent] + overflow
    if len(normal) < config.feed_min_messages:
        return SendPlan(urgent=tuple(urgent), patches=tuple(normal))
    documents = build_listings_feeds(seller_id, normal, product_type=config.product_type,
                                     max_messages=config.feed_max_messages)
    return SendPlan(urgent=tuple(urgent), feeds=tuple(documents))
