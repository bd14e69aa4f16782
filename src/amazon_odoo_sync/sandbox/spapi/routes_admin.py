"""``/_sim/...``: the simulator's own controls and its ground truth (not part of SP-API).

No authentication: the simulator is a local test double. Bodies and answers are JSON.

==========================================  ================================================
``GET  /_sim/clock``                        simulated now, speed, start
``POST /_sim/advance``                      ``{"seconds": N}`` or ``{"to": ISO}``: move the
                                            clock and materialise what is due
``POST /_sim/speed``                        ``{"speed": X}``
``GET  /_sim/ground-truth``                 per day and marketplace: orders, units, amounts
                                            (``?day=&marketplaceId=&sellerId=``) + totals
``GET  /_sim/orders``                       every order, compact (``?sellerId=&status=``)
``POST /_sim/orders``                       place an order (see :func:`place_order`)
``POST /_sim/orders/{id}/cancel``           cancel an unshipped order
``GET  /_sim/oversells``                    oversell records
``GET  /_sim/offers``                       offers (``?sellerId=&marketplaceId=``)
``PUT  /_sim/offers/{seller}/{mp}/{sku}``   ``{"quantity": N, "price": "9.99"}``
``GET  /_sim/faults``, ``POST /_sim/faults`` read / merge fault settings
``POST /_sim/tokens/expire``                expire every access token
``POST /_sim/ratelimits/reset``             refill every usage-plan bucket
``GET  /_sim/stats``                        counters (orders, generator, faults, tokens)
==========================================  ================================================
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from .clock import iso, parse_iso
from .context import simulator_of
from .errors import invalid_input, json_response, not_found
from .generator import OrderGenerator
from .world import Address, Buyer, Order, OrderLine, World

__all__ = ["order_summary", "router"]

router = APIRouter(prefix="/_sim")


async def _body(request: Request) -> dict[str, Any]:
    if not await request.body():
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise invalid_input("body", "is not valid JSON") from None
    if not isinstance(data, dict):
        raise invalid_input("body", "must be a JSON object")
    return data


def _clock(world: World) -> dict[str, Any]:
    return {"now": iso(world.clock.now()), "start": iso(world.clock.start),
            "speed": world.clock.speed, "orders": len(world)}


def order_summary(o: Order) -> dict[str, Any]:
    """The ground truth of one order (amounts as strings)."""
    return {
        "amazonOrderId": o.amazon_order_id, "sellerId": o.seller_id,
        "marketplaceId": o.marketplace_id, "status": o.status,
        "fulfillmentChannel": o.fulfillment_channel, "purchaseDate": iso(o.purchase_date),
        "lastUpdateDate": iso(o.last_update_date), "currency": o.currency,
        "total": str(o.total), "tax": str(o.tax_total), "units": o.units,
        "unitsShipped": o.units_shipped, "isBusiness": o.is_business,
        "items": [{"orderItemId": i.order_item_id, "sku": i.sku, "asin": i.asin,
                   "quantityOrdered": i.quantity_ordered, "quantityShipped": i.quantity_shipped,
                   "itemPrice": str(i.item_price), "itemTax": str(i.item_tax),
                   "shippingPrice": str(i.shipping_price),
                   "promotionDiscount": str(i.promotion_discount),
                   "giftWrapPrice": str(i.gift_wrap_price)} for i in o.items],
        "packages": [{"packageReferenceId": p.package_reference_id, "carrierCode": p.carrier_code,
                      "trackingNumber": p.tracking_number, "shipDate": iso(p.ship_date),
                      "items": [{"orderItemId": i, "quantity": q} for i, q in p.items]}
                     for p in o.packages],
    }


@router.get("/clock")
async def clock(request: Request) -> Response:
    world = simulator_of(request).world
    world.sync()
    return json_response(200, _clock(world))


@router.post("/advance")
async def advance(request: Request) -> Response:
    world = simulator_of(request).world
    body = await _body(request)
    if "to" in body:
        try:
            world.clock.advance_to(parse_iso(str(body["to"])))
        except ValueError:
            raise invalid_input("to", "is not an ISO 8601 date-time") from None
    else:
        try:
            seconds = float(body.get("seconds", 0))
        except (TypeError, ValueError):
            raise invalid_input("seconds", "must be a number") from None
        if seconds < 0:
            raise invalid_input("seconds", "must not be negative")
        world.clock.advance(seconds)
    world.sync()
    return json_response(200, _clock(world))


@router.post("/speed")
async def speed(request: Request) -> Response:
    world = simulator_of(request).world
    body = await _body(request)
    try:
        world.clock.set_speed(float(body["speed"]))
    except (KeyError, TypeError, ValueError):
        raise invalid_input("speed", "must be a number >= 0") from None
    return json_response(200, _clock(world))


@router.get("/ground-truth")
async def ground_truth(request: Request) -> Response:
    world = simulator_of(request).world
    world.sync()
    q = request.query_params
    day = None
    if q.get("day"):
        try:
            day = date.fromisoformat(q["day"])
        except ValueError:
            raise invalid_input("day", "must be YYYY-MM-DD") from None
    rows = world.ground_truth(seller_id=q.get("sellerId"), marketplace_id=q.get("marketplaceId"),
                              day=day)
    totals: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = totals.setdefault(r.currency, {"orders": 0, "ordersCanceled": 0, "units": 0,
                                           "amount": Decimal(0)})
        t["orders"] += r.orders
        t["ordersCanceled"] += r.orders_canceled
        t["units"] += r.units
        t["amount"] += r.amount
    return json_response(200, {
        "asOf": iso(world.clock.now()), "rows": [r.as_json() for r in rows],
        "totalsByCurrency": {c: {**t, "amount": str(t["amount"])} for c, t in totals.items()},
        "oversells": len(world.oversells)})


@router.get("/orders")
async def list_orders(request: Request) -> Response:
    world = simulator_of(request).world
    world.sync()
    q = request.query_params
    status = q.get("status")
    orders = [order_summary(o) for o in world.orders(q.get("sellerId") or None)
              if status is None or o.status == status]
    return json_response(200, {"orders": orders})


@router.post("/orders")
async def place_order(request: Request) -> Response:
    """Place one order now (or ``at``). Body::

        {"sellerId": "...", "marketplaceId": "...", "items": [{"sku": "...", "quantity": 2,
         "unitPrice": "19.99"}], "business": false, "at": ISO, "cancelAfterSeconds": null,
         "buyerName": "...", "countryCode": "DE"}
    """
    world = simulator_of(request).world
    world.sync()
    body = await _body(request)
    seller_id = body.get("sellerId") or next(iter(world.sellers), None)
    if not seller_id or seller_id not in world.sellers:
        raise invalid_input("sellerId", "is unknown")
    seller = world.sellers[seller_id]
    marketplace_id = body.get("marketplaceId") or seller.marketplace_ids[0]
    lines = []
    for entry in body.get("items") or []:
        try:
            lines.append(OrderLine(
                sku=str(entry["sku"]), quantity=int(entry.get("quantity", 1)),
                unit_price=Decimal(str(entry["unitPrice"])) if entry.get("unitPrice") else None,
                shipping_price=Decimal(str(entry["shippingPrice"])) if entry.get(
                    "shippingPrice") else None,
                promotion_discount=Decimal(str(entry.get("promotionDiscount", "0"))),
                promotion_id=entry.get("promotionId"),
                gift_wrap_price=Decimal(str(entry["giftWrapPrice"])) if entry.get(
                    "giftWrapPrice") else None,
                gift_message=entry.get("giftMessage")))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            raise invalid_input("items", "need sku, quantity and decimal amounts") from None
    country = body.get("countryCode") or next(
        (m.country_code for m in seller.marketplaces if m.id == marketplace_id), "US")
    name = body.get("buyerName", "Test Buyer")
    at = parse_iso(body["at"]) if body.get("at") else None
    order = world.place_order(
        seller_id, marketplace_id, lines,
        buyer=Buyer(name=name, email="test-buyer@marketplace.amazon.com",
                    company=body.get("company"), vat_number=body.get("vatNumber"),
                    tax_country=country if body.get("vatNumber") else None),
        address=Address(name=name, line1="1 Test Street", city="Testville", state="TS",
                        postal_code="12345", country_code=country, phone="+1 555 0100"),
        at=at, is_business=bool(body.get("business")),
        cancel_after=body.get("cancelAfterSeconds"))
    return json_response(201, order_summary(order))


@router.post("/orders/{order_id}/cancel")
async def cancel(order_id: str, request: Request) -> Response:
    world = simulator_of(request).world
    if world.order(order_id) is None:
        raise not_found(f"Order {order_id} was not found")
    body = await _body(request)
    order = world.cancel_order(order_id, reason=body.get("reason", "BuyerCanceled"))
    return json_response(200, order_summary(order))


@router.get("/oversells")
async def oversells(request: Request) -> Response:
    world = simulator_of(request).world
    world.sync()
    return json_response(200, {"oversells": [
        {"amazonOrderId": o.amazon_order_id, "sellerId": o.seller_id,
         "marketplaceId": o.marketplace_id, "sku": o.sku, "quantityOrdered": o.quantity_ordered,
         "quantityAvailable": o.quantity_available, "unitsOversold": o.units_oversold,
         "at": iso(o.at)} for o in world.oversells]})


@router.get("/offers")
async def offers(request: Request) -> Response:
    world = simulator_of(request).world
    q = request.query_params
    return json_response(200, {"offers": [
        {"sellerId": o.seller_id, "marketplaceId": o.marketplace_id, "sku": o.sku,
         "asin": o.asin, "channel": o.channel, "price": str(o.price), "currency": o.currency,
         "quantity": o.quantity, "status": o.status}
        for o in world.offers(q.get("sellerId") or None, q.get("marketplaceId") or None)]})


@router.put("/offers/{seller_id}/{marketplace_id}/{sku}")
async def set_offer(seller_id: str, marketplace_id: str, sku: str, request: Request) -> Response:
    world = simulator_of(request).world
    body = await _body(request)
    if "quantity" in body:
        try:
            world.set_fbm_quantity(seller_id, marketplace_id, sku, int(body["quantity"]))
        except (TypeError, ValueError):
            raise invalid_input("quantity", "must be an integer") from None
    if "price" in body:
        try:
            world.set_price(seller_id, marketplace_id, sku, Decimal(str(body["price"])))
        except InvalidOperation:
            raise invalid_input("price", "must be a decimal") from None
    offer = world.offer(seller_id, marketplace_id, sku)
    assert offer is not None
    return json_response(200, {"sku": offer.sku, "quantity": offer.quantity,
                               "price": str(offer.price)})


@router.get("/faults")
async def get_faults(request: Request) -> Response:
    return json_response(200, simulator_of(request).faults.config.as_json())


@router.post("/faults")
async def set_faults(request: Request) -> Response:
    sim = simulator_of(request)
    body = await _body(request)
    try:
        sim.faults.set(sim.faults.config.merged(body))
    except (TypeError, ValueError) as exc:
        raise invalid_input("faults", str(exc)) from None
    return json_response(200, sim.faults.config.as_json())


@router.post("/tokens/expire")
async def expire_tokens(request: Request) -> Response:
    return json_response(200, {"expired": simulator_of(request).auth.expire_all()})


@router.post("/ratelimits/reset")
async def reset_limits(request: Request) -> Response:
    simulator_of(request).limiter.reset()
    return json_response(200, {"reset": True})


@router.get("/stats")
async def stats(request: Request) -> Response:
    sim = simulator_of(request)
    world = sim.world
    source = world.source
    gen = ({"planned": source.planned, "placed": source.placed, "lost": source.lost}
           if isinstance(source, OrderGenerator) else None)
    return json_response(200, {**_clock(world), "generator": gen,
                               "oversells": len(world.oversells),
                               "faultsInjected": sim.faults.injected,
                               "calls": sum(sim.limiter.calls.values()),
                               "quotaExceeded": dict(sim.limiter.quota_exceeded),
                               "tokensIssued": sim.auth.issued})
