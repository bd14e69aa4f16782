"""Every implemented Orders operation, requests and responses, against Amazon's models.

Skips (saying so) when ../shared/spapi-models is missing. Responses are checked strictly:
unknown field names fail, not only wrong types (see ``schema.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from amazon_odoo_sync.sandbox.spapi.orders_json import V2026_DATASETS
from amazon_odoo_sync.sandbox.spapi.testing import SimHandle, simulator_client

from .schema import validate_request_body, validate_response

pytestmark = pytest.mark.contract

V2026 = "orders_2026-01-01.json"
V0 = "ordersV0.json"
EU = "A2SIMDEMOEU01"
US = "A3SIMDEMOUS01"
DE = "A1PA6795UKMFR9"
ALL = ",".join(V2026_DATASETS)


async def busy(sim: SimHandle) -> list[str]:
    """A day of orders in every state, incl. business, gift, promotion, canceled, shipped."""
    sim.sim.limiter.enabled = False
    sim.world.clock.advance(30 * 3600)
    sim.world.sync()
    statuses = {o.status for o in sim.world.orders()}
    assert {"Pending", "Unshipped", "Shipped", "Canceled"} <= statuses, statuses
    return [o.amazon_order_id for o in sim.world.orders()]


async def test_search_orders_and_get_order_v2026_match_the_model() -> None:
    async with simulator_client("demo", seed=21) as sim:
        await busy(sim)
        for seller in (EU, US):
            for pii in (True, False):
                h = sim.headers(seller, pii=pii)
                for included in ("", ALL):
                    params: dict[str, Any] = {"createdAfter": "2026-03-01T00:00:00Z",
                                              "maxResultsPerPage": 40}
                    if included:
                        params["includedData"] = included
                    r = await sim.client.get("/orders/2026-01-01/orders", params=params, headers=h)
                    assert r.status_code == 200, r.text
                    validate_response(V2026, "searchOrders", r.json())
                    assert r.json()["pagination"]["nextToken"]
                    for order in r.json()["orders"][:15]:
                        g = await sim.client.get(f"/orders/2026-01-01/orders/{order['orderId']}",
                                                 params={"includedData": ALL}, headers=h)
                        validate_response(V2026, "getOrder", g.json())


async def test_v0_reads_match_the_model() -> None:
    async with simulator_client("demo", seed=22) as sim:
        ids = await busy(sim)
        for pii in (True, False):
            h = sim.headers(EU, pii=pii)
            r = await sim.client.get("/orders/v0/orders", params={
                "MarketplaceIds": "A1PA6795UKMFR9,A13V1IB3VIYZZH,A1F83G8C2ARO7P",
                "LastUpdatedAfter": "2026-03-01T00:00:00Z", "MaxResultsPerPage": 50}, headers=h)
            assert r.status_code == 200
            validate_response(V0, "getOrders", r.json())
            for oid in ids:
                order = sim.world.order(oid)
                assert order is not None
                hh = h if order.seller_id == EU else sim.headers(US, pii=pii)
                for path, op in (("", "getOrder"), ("/orderItems", "getOrderItems"),
                                 ("/address", "getOrderAddress"),
                                 ("/buyerInfo", "getOrderBuyerInfo")):
                    g = await sim.client.get(f"/orders/v0/orders/{oid}{path}", headers=hh)
                    assert g.status_code == 200, g.text
                    validate_response(V0, op, g.json())


async def test_v0_writes_and_errors_match_the_model() -> None:
    async with simulator_client("demo", seed=23) as sim:
        await busy(sim)
        order = next(o for o in sim.world.orders(EU)
                     if o.status == "Unshipped" and o.fulfillment_channel == "MFN")
        h = sim.headers(EU)
        item = order.items[0]
        confirm = {"marketplaceId": order.marketplace_id, "packageDetail": {
            "packageReferenceId": "1", "carrierCode": "DHL", "carrierName": "DHL",
            "shippingMethod": "Paket", "trackingNumber": "00340434161094042557",
            "shipDate": "2026-03-03T05:00:00Z",
            "orderItems": [{"orderItemId": item.order_item_id, "quantity": 1}]}}
        validate_request_body(V0, "confirmShipment", confirm)
        r = await sim.client.post(f"/orders/v0/orders/{order.amazon_order_id}/shipmentConfirmation",
                                  json=confirm, headers=h)
        assert r.status_code == 204 and r.content == b""
        status_body = {"marketplaceId": order.marketplace_id, "shipmentStatus": "ReadyForPickup"}
        validate_request_body(V0, "updateShipmentStatus", status_body)
        r = await sim.client.post(f"/orders/v0/orders/{order.amazon_order_id}/shipment",
                                  json=status_body, headers=h)
        assert r.status_code == 204
        bad = await sim.client.post(f"/orders/v0/orders/{order.amazon_order_id}/shipmentConfirmation",
                                    json={"marketplaceId": order.marketplace_id}, headers=h)
        assert bad.status_code == 400
        validate_response(V0, "confirmShipment", bad.json(), status=400)
        missing = await sim.client.get("/orders/v0/orders/999-0000000-0000000", headers=h)
        assert missing.status_code == 404
        validate_response(V0, "getOrder", missing.json(), status=404)
        validate_response(V2026, "getOrder", missing.json(), status=404)
        no_token = await sim.client.get("/orders/2026-01-01/orders",
                                        params={"createdAfter": "2026-03-01T00:00:00Z"})
        assert no_token.status_code == 403
        validate_response(V2026, "searchOrders", no_token.json(), status=403)
        sim.sim.limiter.enabled = True
        sim.sim.limiter.monotonic = lambda: 0.0
        for _ in range(21):
            throttled = await sim.client.get("/orders/2026-01-01/orders",
                                             params={"createdAfter": "2026-03-01T00:00:00Z"},
                                             headers=h)
        assert throttled.status_code == 429
        validate_response(V2026, "searchOrders", throttled.json(), status=429)
