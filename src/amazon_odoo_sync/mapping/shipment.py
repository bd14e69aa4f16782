"""An Odoo delivery that is done → the body of one Orders v0 ``confirmShipment`` call (pure).

One package per delivery: ``packageReferenceId`` is the Odoo ``stock.picking`` id (Amazon wants
a positive number unique within the order, which a picking id is), the carrier comes from the
carrier mapping, the tracking number from ``carrier_tracking_ref``, the ship date from
``date_done``, and the order items with the quantities this delivery actually moved. A backorder
or a second split delivery of the same order is its own package with its own items.

Odoo moves name products, Amazon items name SKUs: each Amazon item's SKU is resolved to its Odoo
product (the same resolution the order import used), and a delivery's quantity of a product is
spread over the order's items of that product, minus what earlier deliveries already confirmed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from ..exceptions import DataError
from .amazon_order import AmazonOrder

__all__ = [
    "AMAZON_CARRIER_CODES",
    "OTHER",
    "CarrierRule",
    "DonePicking",
    "MissingTrackingError",
    "ShipmentPlan",
    "ShippedMove",
    "choose_carrier",
    "items_of",
    "plan_shipment",
]

OTHER: Final = "Other"

#: Amazon's carrier codes for MFN shipment confirmations (the ``CarrierCode`` values of Amazon's
#: order-fulfillment schema). Amazon adds codes over time: a configured code not in this list is
#: sent as it is; this list only serves to recognise an Odoo carrier named like an Amazon code.
AMAZON_CARRIER_CODES: Final = frozenset({
    "USPS", "UPS", "UPSMI", "FedEx", "DHL", "DHL Global Mail", "Fastway", "GLS", "GO!",
    "Hermes Logistik Gruppe", "Hermes", "Royal Mail", "Parcelforce", "City Link", "TNT", "Target",
    "SagawaExpress", "NipponExpress", "YamatoTransport", "UPS Mail Innovations", "FedEx SmartPost",
    "OSM", "OnTrac", "Streamlite", "Newgistics", "Canada Post", "Blue Package", "Chronopost",
    "Deutsche Post", "DPD", "La Poste", "Parcelnet", "Poste Italiane", "SDA", "Smartmail",
    "FEDEX_JP", "JP_EXPRESS", "NITTSU", "SAGAWA", "YAMATO", "BlueDart", "AFL/Fedex", "Aramex",
    "India Post", "Professional", "DTDC", "Overnite Express", "First Flight", "Delhivery",
    "Lasership", "Yodel", "Amazon Shipping", "Correos", "SEUR", "MRW", "Nacex", "BRT", "Colissimo",
    "Australia Post", "Japan Post", "Purolator", "Asendia", "PostNL", "CTT", "Bpost", "Evri",
    OTHER,
})


def _normal(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


_BY_NORMAL_NAME: Final = {_normal(code): code for code in AMAZON_CARRIER_CODES}


class MissingTrackingError(DataError):
    """The delivery is done but has no tracking number (yet): wait, then report."""


@dataclass(frozen=True, kw_only=True)
class CarrierRule:
    """What Amazon is told about the carrier (a ``[shipments.carriers]`` entry, resolved)."""

    code: str
    name: str | None = None
    shipping_method: str | None = None


@dataclass(frozen=True, kw_only=True)
class ShippedMove:
    product_id: int
    quantity: float


@dataclass(frozen=True, kw_only=True)
class DonePicking:
    """The parts of a done outgoing ``stock.picking`` (and its done moves) that a shipment needs."""

    id: int
    name: str
    carrier_name: str | None
    tracking_ref: str | None
    date_done: datetime
    moves: tuple[ShippedMove, ...]


@dataclass(frozen=True, kw_only=True)
class ShipmentPlan:
    amazon_order_id: str
    marketplace_id: str
    #: The ``ConfirmShipmentRequest`` body.
    body: dict[str, Any]
    #: (orderItemId, quantity) of this package.
    items: tuple[tuple[str, int], ...]
    #: Odoo products moved by the delivery that the Amazon order does not contain (not sent).
    ignored_products: tuple[int, ...] = ()


def choose_carrier(odoo_carrier: str | None, rules: Mapping[str, CarrierRule],
                   default: CarrierRule | None = None) -> CarrierRule:
    """The carrier to send for an Odoo carrier name: the configured rule, else the Amazon code the
    name spells, else ``Other`` with the Odoo name. DataError without any carrier."""
    if odoo_carrier:
        name = odoo_carrier.strip()
        rule = rules.get(name)
        if rule is None:
            lowered = {k.casefold(): v for k, v in rules.items()}
            rule = lowered.get(name.casefold())
        if rule is None:
            code = _BY_NORMAL_NAME.get(_normal(name))
            rule = CarrierRule(code=code) if code else CarrierRule(code=OTHER, name=name)
        return CarrierRule(code=rule.code,
                           name=rule.name or (name if rule.code == OTHER else None),
                           shipping_method=rule.shipping_method or name)
    if default is not None:
        return default
    raise DataError("the delivery has no carrier: set one on the delivery in Odoo, or configure "
                    "[shipments] default_carrier")


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("ship dates must be timezone-aware (UTC inside)")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _whole(quantity: float, what: str) -> int:
    units = round(quantity)
    if abs(quantity - units) > 1e-6:
        raise DataError(f"{what}: {quantity:g} is not a whole number of units; Amazon counts units")
    return int(units)


def plan_shipment(picking: DonePicking, order: AmazonOrder, products: Mapping[str, int],
                  carrier: CarrierRule, *, committed: Mapping[str, int] | None = None,
                  ship_from_supply_source_id: str | None = None) -> ShipmentPlan:
    """The confirmShipment body for ``picking``, a delivery of ``order``.

    ``products``: SKU → Odoo product id; ``committed``: orderItemId → units other deliveries of
    this order already confirmed (or are confirming). Raises MissingTrackingError without a
    tracking number, DataError when the delivery cannot be expressed as Amazon items (nothing
    to ship, more units than the order has left, a fractional quantity) or the order is FBA."""
    if order.is_fba:
        raise DataError(f"order {order.order_id} is fulfilled by Amazon: nothing to confirm")
    tracking = (picking.tracking_ref or "").strip()
    if not tracking:
        raise MissingTrackingError(f"delivery {picking.name} has no tracking number")
    if carrier.code == OTHER and not (carrier.name or "").strip():
        raise DataError("carrier code 'Other' needs a carrier name")
    done = committed or {}

    shipped: dict[int, int] = {}
    for move in picking.moves:
        if move.quantity > 0:
            shipped[move.product_id] = shipped.get(move.product_id, 0) + _whole(
                move.quantity, f"delivery {picking.name}, product {move.product_id}")
    if not shipped:
        raise DataError(f"delivery {picking.name} moved nothing")

    by_product: dict[int, list[tuple[str, int]]] = {}
    for item in order.items:
        if item.cancelled or item.quantity <= 0:
            continue
        product_id = products.get(item.sku)
        if product_id is None:
            continue
        left = item.quantity - done.get(item.order_item_id, 0)
        by_product.setdefault(product_id, []).append((item.order_item_id, left))

    items: list[tuple[str, int]] = []
    ignored: list[int] = []
    for product_id in sorted(shipped):
        quantity = shipped[product_id]
        candidates = by_product.get(product_id)
        if not candidates:
            ignored.append(product_id)
            continue
        for item_id, left in candidates:
            take = min(left, quantity)
            if take > 0:
                items.append((item_id, take))
                quantity -= take
        if quantity > 0:
            open_units = sum(max(0, left) for _, left in candidates)
            raise DataError(f"delivery {picking.name} ships {shipped[product_id]} unit(s) of product "
                            f"{product_id} but Amazon order {order.order_id} has {open_units} left to "
                            "ship")
    if not items:
        raise DataError(f"delivery {picking.name} ships no item of Amazon order {order.order_id}")

    package: dict[str, Any] = {
        "packageReferenceId": str(picking.id),
        "carrierCode": carrier.code,
        "trackingNumber": tracking,
        "shipDate": _iso(picking.date_done),
        "orderItems": [{"orderItemId": item_id, "quantity": quantity} for item_id, quantity in items],
    }
    if carrier.name:
        package["carrierName"] = carrier.name
    if carrier.shipping_method:
        package["shippingMethod"] = carrier.shipping_method
    if ship_from_supply_source_id:
        package["shipFromSupplySourceId"] = ship_from_supply_source_id
    return ShipmentPlan(amazon_order_id=order.order_id, marketplace_id=order.marketplace_id,
                        body={"marketplaceId": order.marketplace_id, "packageDetail": package},
                        items=tuple(items), ignored_products=tuple(ignored))


def items_of(body: Mapping[str, Any]) -> Sequence[tuple[str, int]]:
    """(orderItemId, quantity) of a stored body."""
    return [(str(i["orderItemId"]), int(i["quantity"]))
            for i in (body.get("packageDetail") or {}).get("orderItems") or []]
