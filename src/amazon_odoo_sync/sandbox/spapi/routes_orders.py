"""Orders API v2026-01-01 (searchOrders, getOrder) and v0 (getOrders, getOrder, getOrderItems,
getOrderAddress, getOrderBuyerInfo, confirmShipment, updateShipmentStatus).

Query arrays are comma-separated (Swagger ``csv``; repeated parameters are accepted too).
Parameters are checked as Amazon documents them, and a violation is 400 InvalidInput naming
the parameter: exactly one of created-after / last-updated-after, no mixing of created and
last-updated bounds, a "before" bound at least two minutes before the request, page sizes
1..100, enum values, marketplaces of the caller. Pages are keyset cursors in an opaque
``nextToken`` carrying the filters; the response's ``createdBefore``/``lastUpdatedBefore`` is
the upper bound actually applied (request time − 2 minutes when none was given), which is what
a client should store as its next watermark.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from .clock import iso, parse_iso
from .context import CallContext, operation
from .errors import invalid_input, not_found
from .orders_json import (
    V2026_DATASETS,
    v0_address,
    v0_buyer_info,
    v0_order,
    v0_order_item,
    v2026_order,
)
from .world import Order

__all__ = ["router"]

router = APIRouter()

_ORDER_ID = re.compile(r"^\d{3}-\d{7}-\d{7}$")
_V2026_STATUSES = {"PENDING": "Pending", "UNSHIPPED": "Unshipped",
                   "PARTIALLY_SHIPPED": "PartiallyShipped", "SHIPPED": "Shipped",
                   "CANCELLED": "Canceled", "PENDING_AVAILABILITY": None, "UNFULFILLABLE": None}
_V0_STATUSES = {"Pending", "Unshipped", "PartiallyShipped", "Shipped", "Canceled",
                "Unfulfillable", "InvoiceUnconfirmed", "PendingAvailability"}
_FULFILLED_BY = {"MERCHANT": "MFN", "AMAZON": "AFN"}
_SETTLE = timedelta(minutes=2)


# ---------------------------------------------------------------------------- parameters


def _list(request: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


def _date(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_iso(raw)
    except ValueError:
        raise invalid_input(name, f"is not a valid ISO 8601 date-time: {raw!r}") from None


def _int(request: Request, name: str, lo: int, hi: int, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_input(name, f"must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise invalid_input(name, f"must be between {lo} and {hi}, got {value}")
    return value


def _enum(values: list[str], allowed: set[str] | dict[str, Any], name: str) -> list[str]:
    for v in values:
        if v not in allowed:
            raise invalid_input(name, f"has an invalid value {v!r}; allowed: "
                                      f"{', '.join(sorted(allowed))}")
    return values


def _marketplaces(ctx: CallContext, values: list[str], name: str, *, required: bool) -> list[str]:
    seller = ctx.seller
    assert seller is not None
    if not values:
        if required:
            raise invalid_input(name, "is required")
        return list(seller.marketplace_ids)
    if len(values) > 50:
        raise invalid_input(name, "accepts at most 50 values")
    for m in values:
        if m not in seller.marketplace_ids:
            raise invalid_input(name, f"contains {m!r}, a marketplace this seller does not "
                                      "participate in")
    return values


def _window(ctx: CallContext, request: Request, names: tuple[str, str, str, str]
            ) -> tuple[str, datetime, datetime, bool]:
    """(``created``|``updated``, after, before, before_given) from the four date parameters."""
    c_after, c_before, u_after, u_before = (_date(request, n) for n in names)
    n_ca, n_cb, n_ua, n_ub = names
    if c_after is None and u_after is None:
        raise invalid_input(n_ca, f"or {n_ua} must be provided")
    if c_after is not None and u_after is not None:
        raise invalid_input(n_ua, f"must not be provided together with {n_ca}")
    now = ctx.world.clock.now()
    latest = now - _SETTLE
    if c_after is not None:
        if u_before is not None:
            raise invalid_input(n_ub, f"must not be provided together with {n_ca}")
        by, after, before, before_name = "created", c_after, c_before, n_cb
    else:
        if c_before is not None:
            raise invalid_input(n_cb, f"must not be provided together with {n_ua}")
        assert u_after is not None
        by, after, before, before_name = "updated", u_after, u_before, n_ub
    after_name = n_ca if by == "created" else n_ua
    if after > now:
        raise invalid_input(after_name, "must not be in the future")
    if before is not None:
        if before < after:
            raise invalid_input(before_name, f"must be equal to or after {after_name}")
        if before > latest:
            raise invalid_input(before_name, "must be at least two minutes before the time of "
                                             "the request")
        return by, after, before, True
    return by, after, max(after, latest), False


def _encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _decode(token: str, name: str, seller_id: str) -> dict[str, Any]:
    try:
        state: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.encode()))
        if state.get("s") != seller_id:
            raise ValueError
        return state
    except (ValueError, TypeError, json.JSONDecodeError):
        raise invalid_input(name, "is invalid or expired") from None


def _predicate(markets: list[str], statuses: list[str], channels: list[str]) -> Any:
    m, s, c = frozenset(markets), frozenset(statuses), frozenset(channels)

    def keep(o: Order) -> bool:
        return (o.marketplace_id in m and (not s or o.status in s)
                and (not c or o.fulfillment_channel in c))

    return keep


def _scan(ctx: CallContext, state: dict[str, Any]) -> tuple[list[Order], str | None]:
    cursor = tuple(state["c"]) if state.get("c") else None
    page, nxt = ctx.world.scan(
        ctx.seller_id, by=state["by"], after=parse_iso(state["a"]), before=parse_iso(state["b"]),
        cursor=cursor,
        predicate=_predicate(state["m"], state["st"], state["ch"]), limit=state["n"])
    return page, (_encode({**state, "c": list(nxt)}) if nxt else None)


def _own_order(ctx: CallContext, order_id: str) -> Order:
    if not _ORDER_ID.match(order_id):
        raise invalid_input("orderId", f"is not a valid Amazon order id (3-7-7): {order_id!r}")
    order = ctx.world.order(order_id)
    if order is None or order.seller_id != ctx.seller_id:
        raise not_found(f"Order {order_id} was not found")
    return order


def _included(request: Request) -> frozenset[str]:
    return frozenset(_enum(_list(request, "includedData"), set(V2026_DATASETS), "includedData"))


# ---------------------------------------------------------------------------- v2026-01-01


@router.get("/orders/2026-01-01/orders")
async def search_orders(request: Request, ctx: CallContext = Depends(
        operation("orders_2026-01-01:searchOrders"))) -> Response:
    included = _included(request)
    token = request.query_params.get("paginationToken")
    if token:
        state = _decode(token, "paginationToken", ctx.seller_id)
    else:
        by, after, before, _ = _window(ctx, request, ("createdAfter", "createdBefore",
                                                      "lastUpdatedAfter", "lastUpdatedBefore"))
        statuses = _enum(_list(request, "fulfillmentStatuses"), _V2026_STATUSES,
                         "fulfillmentStatuses")
        state = {
            "s": ctx.seller_id, "by": by, "a": iso(after), "b": iso(before),
            "m": _marketplaces(ctx, _list(request, "marketplaceIds"), "marketplaceIds",
                               required=False),
            "st": [v for v in (_V2026_STATUSES[s] for s in statuses) if v] or (
                ["-"] if statuses else []),
            "ch": [_FULFILLED_BY[f] for f in _enum(_list(request, "fulfilledBy"), _FULFILLED_BY,
                                                   "fulfilledBy")],
            "n": _int(request, "maxResultsPerPage", 1, 100, 100),
        }
    page, next_token = _scan(ctx, state)
    body: dict[str, Any] = {"orders": [v2026_order(o, included, ctx.pii) for o in page]}
    if next_token:
        body["pagination"] = {"nextToken": next_token}
    body["createdBefore" if state["by"] == "created" else "lastUpdatedBefore"] = state["b"]
    return ctx.ok(body)


@router.get("/orders/2026-01-01/orders/{orderId}")
async def get_order_2026(orderId: str, request: Request, ctx: CallContext = Depends(
        operation("orders_2026-01-01:getOrder"))) -> Response:
    included = _included(request)
    return ctx.ok({"order": v2026_order(_own_order(ctx, orderId), included, ctx.pii)})


# ---------------------------------------------------------------------------------- v0


@router.get("/orders/v0/orders")
async def get_orders(request: Request, ctx: CallContext = Depends(
        operation("ordersV0:getOrders"))) -> Response:
    markets = _marketplaces(ctx, _list(request, "MarketplaceIds"), "MarketplaceIds",
                            required=True)
    token = request.query_params.get("NextToken")
    if token:
        state = _decode(token, "NextToken", ctx.seller_id)
        state["m"] = [m for m in state["m"] if m in markets] or markets
    else:
        ids = _list(request, "AmazonOrderIds")
        if ids:
            if len(ids) > 50:
                raise invalid_input("AmazonOrderIds", "accepts at most 50 values")
            orders = [ctx.world.order(i) for i in ids]
            found = [o for o in orders if o is not None and o.seller_id == ctx.seller_id
                     and o.marketplace_id in markets]
            return ctx.ok({"payload": {"Orders": [v0_order(o, ctx.pii) for o in found]}})
        by, after, before, _ = _window(ctx, request, ("CreatedAfter", "CreatedBefore",
                                                      "LastUpdatedAfter", "LastUpdatedBefore"))
        statuses = _enum(_list(request, "OrderStatuses"), _V0_STATUSES, "OrderStatuses")
        channels = _enum(_list(request, "FulfillmentChannels"), {"AFN", "MFN"},
                         "FulfillmentChannels")
        _enum(_list(request, "PaymentMethods"), {"COD", "CVS", "Other"}, "PaymentMethods")
        state = {"s": ctx.seller_id, "by": by, "a": iso(after), "b": iso(before), "m": markets,
                 "st": statuses, "ch": channels,
                 "n": _int(request, "MaxResultsPerPage", 1, 100, 100)}
    page, next_token = _scan(ctx, state)
    payload: dict[str, Any] = {"Orders": [v0_order(o, ctx.pii) for o in page]}
    if next_token:
        payload["NextToken"] = next_token
    payload["CreatedBefore" if state["by"] == "created" else "LastUpdatedBefore"] = state["b"]
    return ctx.ok({"payload": payload})


@router.get("/orders/v0/orders/{orderId}")
async def get_order_v0(orderId: str, ctx: CallContext = Depends(
        operation("ordersV0:getOrder"))) -> Response:
    return ctx.ok({"payload": v0_order(_own_order(ctx, orderId), ctx.pii)})


@router.get("/orders/v0/orders/{orderId}/orderItems")
async def get_order_items(orderId: str, request: Request, ctx: CallContext = Depends(
        operation("ordersV0:getOrderItems"))) -> Response:
    order = _own_order(ctx, orderId)
    if request.query_params.get("NextToken"):
        raise invalid_input("NextToken", "is invalid or expired")
    return ctx.ok({"payload": {"AmazonOrderId": order.amazon_order_id,
                               "OrderItems": [v0_order_item(order, i, ctx.pii)
                                              for i in order.items]}})


@router.get("/orders/v0/orders/{orderId}/address")
async def get_order_address(orderId: str, ctx: CallContext = Depends(
        operation("ordersV0:getOrderAddress"))) -> Response:
    order = _own_order(ctx, orderId)
    payload: dict[str, Any] = {"AmazonOrderId": order.amazon_order_id}
    address = v0_address(order, ctx.pii)
    if address is not None:
        payload["ShippingAddress"] = address
        if ctx.pii and order.shipping_address.company and "Name" in address:
            payload["BuyerCompanyName"] = order.shipping_address.company
    return ctx.ok({"payload": payload})


@router.get("/orders/v0/orders/{orderId}/buyerInfo")
async def get_order_buyer_info(orderId: str, ctx: CallContext = Depends(
        operation("ordersV0:getOrderBuyerInfo"))) -> Response:
    order = _own_order(ctx, orderId)
    return ctx.ok({"payload": {"AmazonOrderId": order.amazon_order_id,
                               **v0_buyer_info(order, ctx.pii)}})


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise invalid_input("body", "is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid_input("body", "must be a JSON object")
    return body


def _str(obj: dict[str, Any], key: str, name: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise invalid_input(name, "is required")
        return None
    if not isinstance(value, str):
        raise invalid_input(name, "must be a string")
    return value


def _body_marketplace(ctx: CallContext, body: dict[str, Any]) -> str:
    marketplace = _str(body, "marketplaceId", "marketplaceId")
    assert marketplace is not None and ctx.seller is not None
    if marketplace not in ctx.seller.marketplace_ids:
        raise invalid_input("marketplaceId", "Marketplace ID is not defined")
    return marketplace


@router.post("/orders/v0/orders/{orderId}/shipmentConfirmation")
async def confirm_shipment(orderId: str, request: Request, ctx: CallContext = Depends(
        operation("ordersV0:confirmShipment"))) -> Response:
    order = _own_order(ctx, orderId)
    body = await _json_body(request)
    marketplace = _body_marketplace(ctx, body)
    if body.get("codCollectionMethod") not in (None, "DirectPayment"):
        raise invalid_input("codCollectionMethod", "must be DirectPayment")
    pkg = body.get("packageDetail")
    if not isinstance(pkg, dict):
        raise invalid_input("packageDetail", "is required")
    ref = _str(pkg, "packageReferenceId", "packageDetail.packageReferenceId")
    assert ref is not None
    if not ref.isdigit() or int(ref) < 1:
        raise invalid_input("packageDetail.packageReferenceId",
                            "is invalid, must be a positive numeric value.")
    carrier = _str(pkg, "carrierCode", "packageDetail.carrierCode")
    tracking = _str(pkg, "trackingNumber", "packageDetail.trackingNumber")
    raw_date = _str(pkg, "shipDate", "packageDetail.shipDate")
    try:
        ship_date = parse_iso(raw_date or "")
        if "T" not in (raw_date or ""):
            raise ValueError
    except ValueError:
        raise invalid_input("packageDetail.shipDate",
                            f"is not a valid ISO 8601 date-time: {raw_date!r}") from None
    raw_items = pkg.get("orderItems")
    if not isinstance(raw_items, list) or not raw_items:
        raise invalid_input("packageDetail.orderItems", "is required and must not be empty")
    items: list[tuple[str, int]] = []
    for entry in raw_items:
        if not isinstance(entry, dict):
            raise invalid_input("packageDetail.orderItems", "must contain objects")
        item_id = _str(entry, "orderItemId", "packageDetail.orderItems.orderItemId")
        qty = entry.get("quantity")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            raise invalid_input("packageDetail.orderItems.quantity",
                                "is required and must be a positive integer")
        assert item_id is not None
        items.append((item_id, qty))
    assert carrier is not None and tracking is not None
    ctx.world.confirm_shipment(
        order.amazon_order_id, marketplace_id=marketplace, package_reference_id=ref,
        carrier_code=carrier, carrier_name=_str(pkg, "carrierName", "", required=False),
        shipping_method=_str(pkg, "shippingMethod", "", required=False),
        tracking_number=tracking, ship_date=ship_date, items=items,
        ship_from_supply_source_id=_str(pkg, "shipFromSupplySourceId", "", required=False))
    return ctx.no_content()


@router.post("/orders/v0/orders/{orderId}/shipment")
async def update_shipment_status(orderId: str, request: Request, ctx: CallContext = Depends(
        operation("ordersV0:updateShipmentStatus"))) -> Response:
    order = _own_order(ctx, orderId)
    body = await _json_body(request)
    marketplace = _body_marketplace(ctx, body)
    status = _str(body, "shipmentStatus", "shipmentStatus")
    if status not in ("ReadyForPickup", "PickedUp", "RefusedPickup"):
        raise invalid_input("shipmentStatus", f"has an invalid value {status!r}")
    for entry in body.get("orderItems") or []:
        if not isinstance(entry, dict) or (entry.get("orderItemId") is not None
                                           and order.item(str(entry["orderItemId"])) is None):
            raise invalid_input("orderItems.orderItemId", "is not an item of this order")
    ctx.world.update_shipment_status(order.amazon_order_id, marketplace_id=marketplace,
                                     shipment_status=status)
    return ctx.no_content()
