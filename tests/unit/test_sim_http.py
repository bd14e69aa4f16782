"""The simulator over HTTP: LWA, 403/429/400 shapes, PII rules, pagination, shipments, admin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from amazon_odoo_sync.sandbox.spapi.testing import SimHandle, simulator_client

EU = "A2SIMDEMOEU01"
US = "A3SIMDEMOUS01"
DE = "A1PA6795UKMFR9"
USM = "ATVPDKIKX0DER"


async def place(sim: SimHandle, channel: str, *, seller: str = EU, marketplace: str = DE,
                qty: int = 1) -> dict[str, Any]:
    sku = next(o.sku for o in sim.world.offers(seller, marketplace) if o.channel == channel)
    r = await sim.client.post("/_sim/orders", json={"sellerId": seller, "marketplaceId": marketplace,
                                                    "items": [{"sku": sku, "quantity": qty}]})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_lwa_issues_tokens_and_refuses_a_wrong_secret() -> None:
    async with simulator_client("demo") as sim:
        form = {"grant_type": "refresh_token", "refresh_token": "Atzr|sim-demo-eu",
                "client_id": "amzn1.application-oa2-client.sim-demo",
                "client_secret": "sim-demo-secret"}
        ok = await sim.client.post("/auth/o2/token", data=form)
        assert ok.status_code == 200 and ok.json()["token_type"] == "bearer"
        assert ok.json()["expires_in"] == 3600
        token = ok.json()["access_token"]
        r = await sim.client.get("/_sim/clock")
        assert r.status_code == 200
        bad = await sim.client.post("/auth/o2/token", data={**form, "client_secret": "nope"})
        assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
        grant = await sim.client.post("/auth/o2/token", data={**form, "refresh_token": "Atzr|x"})
        assert grant.status_code == 400 and grant.json()["error"] == "invalid_grant"
        order = await place(sim, "MFN")
        got = await sim.client.get(f"/orders/v0/orders/{order['amazonOrderId']}",
                                   headers={"x-amz-access-token": token})
        assert got.status_code == 200


async def test_missing_and_expired_tokens_get_403_with_spapi_errors() -> None:
    async with simulator_client("demo") as sim:
        order = await place(sim, "MFN")
        url = f"/orders/v0/orders/{order['amazonOrderId']}"
        missing = await sim.client.get(url)
        assert missing.status_code == 403
        assert missing.json()["errors"][0]["code"] == "Unauthorized"
        assert "x-amzn-RequestId" in missing.headers
        headers = sim.headers()
        assert (await sim.client.get(url, headers=headers)).status_code == 200
        await sim.client.post("/_sim/tokens/expire")
        expired = await sim.client.get(url, headers=headers)
        assert expired.status_code == 403
        assert "expired" in expired.json()["errors"][0]["details"]


async def test_burst_exhausted_gets_429_quota_exceeded_and_rate_header_on_success() -> None:
    async with simulator_client("demo") as sim:
        order = await place(sim, "MFN")
        url = f"/orders/v0/orders/{order['amazonOrderId']}"
        headers = sim.headers()
        sim.sim.limiter.monotonic = lambda: 1000.0  # no refill while we spend the burst
        statuses = []
        for _ in range(31):
            r = await sim.client.get(url, headers=headers)
            statuses.append(r.status_code)
            if r.status_code == 200:
                assert r.headers["x-amzn-RateLimit-Limit"] == f"{0.5 * 60:g}"  # demo scale 60
        assert statuses == [200] * 30 + [429]
        assert r.json() == {"errors": [{"code": "QuotaExceeded",
                                        "message": "You exceeded your quota for the requested "
                                                   "resource.", "details": ""}]}
        assert "x-amzn-RateLimit-Limit" not in r.headers and "x-amzn-RequestId" in r.headers
        sim.sim.limiter.monotonic = lambda: 1000.1  # 0.1 s x 30/s = 3 tokens back
        assert (await sim.client.get(url, headers=headers)).status_code == 200


async def test_stats_count_own_quota_429s_apart_from_injected_ones() -> None:
    """Benches report the 429s the connector's pacing caused apart from Amazon's injected ones."""
    async with simulator_client("demo", seed=1) as sim:
        order = await place(sim, "MFN")
        url, headers = f"/orders/v0/orders/{order['amazonOrderId']}", sim.headers()
        sim.sim.limiter.monotonic = lambda: 1000.0
        statuses = [(await sim.client.get(url, headers=headers)).status_code for _ in range(32)]
        await sim.client.post("/_sim/faults", json={"throttle_rate": 1.0})
        sim.sim.limiter.monotonic = lambda: 2000.0  # the burst back: the next 429s are injected
        statuses += [(await sim.client.get(url, headers=headers)).status_code for _ in range(3)]
        stats = (await sim.client.get("/_sim/stats")).json()
    assert statuses == [200] * 30 + [429] * 5
    assert stats["quotaExceeded"] == {"ordersV0:getOrder": 2}
    assert stats["faultsInjected"]["throttle"] == 3
    assert stats["calls"] >= 35


async def test_bad_parameters_get_400_invalid_input_naming_the_parameter() -> None:
    async with simulator_client("demo") as sim:
        h = sim.headers()
        cases = [
            ("/orders/2026-01-01/orders", {"createdAfter": "yesterday"}, "createdAfter"),
            ("/orders/2026-01-01/orders", {}, "createdAfter"),
            ("/orders/2026-01-01/orders", {"createdAfter": "2026-03-01T00:00:00Z",
                                           "maxResultsPerPage": "500"}, "maxResultsPerPage"),
            ("/orders/2026-01-01/orders", {"createdAfter": "2026-03-01T00:00:00Z",
                                           "fulfillmentStatuses": "SHIPPED,Open"},
             "fulfillmentStatuses"),
            ("/orders/2026-01-01/orders", {"createdAfter": "2026-03-01T00:00:00Z",
                                           "lastUpdatedBefore": "2026-03-01T01:00:00Z"},
             "lastUpdatedBefore"),
            ("/orders/2026-01-01/orders", {"createdAfter": "2026-03-01T00:00:00Z",
                                           "createdBefore": "2026-03-02T00:00:00Z"},
             "createdBefore"),  # not two minutes before now
            ("/orders/2026-01-01/orders", {"createdAfter": "2026-03-01T00:00:00Z",
                                           "marketplaceIds": USM}, "marketplaceIds"),
            ("/orders/v0/orders", {"CreatedAfter": "2026-03-01T00:00:00Z"}, "MarketplaceIds"),
            ("/orders/2026-01-01/orders", {"createdAfter": "2026-03-01T00:00:00Z",
                                           "paginationToken": "garbage"}, "paginationToken"),
            ("/orders/v0/orders/not-an-id", {}, "orderId"),
        ]
        for path, params, name in cases:
            r = await sim.client.get(path, params=params, headers=h)
            assert r.status_code == 400, (path, params, r.text)
            error = r.json()["errors"][0]
            assert error["code"] == "InvalidInput" and name in error["message"], (name, error)


async def test_pii_only_with_the_restricted_role_and_never_for_na_fba() -> None:
    async with simulator_client("demo") as sim:
        mfn = await place(sim, "MFN")
        na_fba = await place(sim, "AFN", seller=US, marketplace=USM)
        sim.world.clock.advance(3 * 3600)  # authorised (and FBA shipped): addresses appear
        paths = {"address": "/orders/v0/orders/{}/address",
                 "buyer": "/orders/v0/orders/{}/buyerInfo"}
        full = await sim.client.get(paths["address"].format(mfn["amazonOrderId"]),
                                    headers=sim.headers(EU, pii=True))
        assert full.json()["payload"]["ShippingAddress"]["Name"]
        plain = await sim.client.get(paths["address"].format(mfn["amazonOrderId"]),
                                     headers=sim.headers(EU, pii=False))
        address = plain.json()["payload"]["ShippingAddress"]
        assert "Name" not in address and "AddressLine1" not in address and address["City"]
        buyer = await sim.client.get(paths["buyer"].format(mfn["amazonOrderId"]),
                                     headers=sim.headers(EU, pii=False))
        assert set(buyer.json()["payload"]) == {"AmazonOrderId"}
        fba = await sim.client.get(paths["address"].format(na_fba["amazonOrderId"]),
                                   headers=sim.headers(US, pii=True))
        fba_address = fba.json()["payload"]["ShippingAddress"]
        assert "Name" not in fba_address and "AddressLine1" not in fba_address
        fba_buyer = await sim.client.get(paths["buyer"].format(na_fba["amazonOrderId"]),
                                         headers=sim.headers(US, pii=True))
        assert "BuyerName" not in fba_buyer.json()["payload"]
        v2026 = await sim.client.get(f"/orders/2026-01-01/orders/{na_fba['amazonOrderId']}",
                                     params={"includedData": "BUYER,RECIPIENT"},
                                     headers=sim.headers(US, pii=True))
        order = v2026.json()["order"]
        assert "buyerName" not in order.get("buyer", {})
        assert "name" not in order["recipient"]["deliveryAddress"]


async def test_pending_orders_have_no_prices() -> None:
    async with simulator_client("demo") as sim:
        order = await place(sim, "MFN")
        h = sim.headers()
        r = await sim.client.get(f"/orders/v0/orders/{order['amazonOrderId']}", headers=h)
        assert r.json()["payload"]["OrderStatus"] == "Pending"
        assert "OrderTotal" not in r.json()["payload"]
        items = await sim.client.get(f"/orders/v0/orders/{order['amazonOrderId']}/orderItems",
                                     headers=h)
        assert "ItemPrice" not in items.json()["payload"]["OrderItems"][0]
        sim.world.clock.advance(3600)
        r = await sim.client.get(f"/orders/v0/orders/{order['amazonOrderId']}", headers=h)
        assert r.json()["payload"]["OrderTotal"]["Amount"] == order["total"]


async def test_confirm_shipment_over_http_partial_full_then_refused() -> None:
    async with simulator_client("demo") as sim:
        order = await place(sim, "MFN", qty=2)
        oid = order["amazonOrderId"]
        item_id = order["items"][0]["orderItemId"]
        sim.world.clock.advance(3600)
        h = sim.headers()

        def body(ref: str, qty: int) -> dict[str, Any]:
            return {"marketplaceId": DE, "packageDetail": {
                "packageReferenceId": ref, "carrierCode": "DHL", "trackingNumber": f"TRK{ref}",
                "shipDate": "2026-03-02T01:00:00Z",
                "orderItems": [{"orderItemId": item_id, "quantity": qty}]}}

        url = f"/orders/v0/orders/{oid}/shipmentConfirmation"
        first = await sim.client.post(url, json=body("1", 1), headers=h)
        assert first.status_code == 204 and first.headers["x-amzn-RateLimit-Limit"]
        got = await sim.client.get(f"/orders/v0/orders/{oid}", headers=h)
        assert got.json()["payload"]["OrderStatus"] == "PartiallyShipped"
        assert (await sim.client.post(url, json=body("2", 1), headers=h)).status_code == 204
        got = await sim.client.get(f"/orders/v0/orders/{oid}", headers=h)
        assert got.json()["payload"]["OrderStatus"] == "Shipped"
        again = await sim.client.post(url, json=body("3", 1), headers=h)
        assert again.status_code == 400 and again.json()["errors"][0]["code"] == "InvalidInput"
        bad_ref = await sim.client.post(url, json=body("A-1", 1), headers=h)
        assert "packageReferenceId" in bad_ref.json()["errors"][0]["message"]
        bad_date = body("4", 1)
        bad_date["packageDetail"]["shipDate"] = "02/21/2022"
        r = await sim.client.post(url, json=bad_date, headers=h)
        assert r.status_code == 400 and "shipDate" in r.json()["errors"][0]["message"]


async def test_search_orders_pages_and_returns_the_applied_bound() -> None:
    async with simulator_client("demo", seed=4) as sim:
        sim.world.clock.advance(20 * 3600)
        sim.sim.limiter.enabled = False
        h = sim.headers(EU)
        ids: list[str] = []
        params: dict[str, Any] = {"lastUpdatedAfter": "2026-03-01T00:00:00Z",
                                  "maxResultsPerPage": 10, "includedData": "FULFILLMENT"}
        bound = None
        while True:
            r = await sim.client.get("/orders/2026-01-01/orders", params=params, headers=h)
            assert r.status_code == 200, r.text
            body = r.json()
            bound = body["lastUpdatedBefore"]
            ids += [o["orderId"] for o in body["orders"]]
            token = body.get("pagination", {}).get("nextToken")
            if not token:
                break
            params = {"paginationToken": token, "includedData": "FULFILLMENT"}
        expected = [o.amazon_order_id for o in sim.world.orders(EU)
                    if o.last_update_date.isoformat() <= "2026-03-02T19:58:00+00:00"]
        assert bound == "2026-03-02T19:58:00Z"
        assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids)) > 10


async def test_admin_ground_truth_matches_the_orders_and_offer_quantity_can_be_set() -> None:
    async with simulator_client("demo", seed=9) as sim:
        r = await sim.client.post("/_sim/advance", json={"seconds": 26 * 3600})
        assert r.json()["now"] == "2026-03-03T02:00:00Z"
        truth = (await sim.client.get("/_sim/ground-truth")).json()
        orders = (await sim.client.get("/_sim/orders")).json()["orders"]
        assert sum(row["orders"] for row in truth["rows"]) == len(orders) > 0
        eur = [o for o in orders if o["currency"] == "EUR" and o["status"] != "Canceled"]
        assert Decimal(truth["totalsByCurrency"]["EUR"]["amount"]) == sum(
            (Decimal(o["total"]) for o in eur), Decimal(0))
        sku = next(o.sku for o in sim.world.offers(EU, DE) if o.channel == "MFN")
        put = await sim.client.put(f"/_sim/offers/{EU}/{DE}/{sku}", json={"quantity": 0})
        assert put.json()["quantity"] == 0
        await sim.client.post("/_sim/orders", json={"sellerId": EU, "marketplaceId": DE,
                                                    "items": [{"sku": sku, "quantity": 1}]})
        overs = (await sim.client.get("/_sim/oversells")).json()["oversells"]
        assert [o["sku"] for o in overs][-1] == sku


async def test_injected_faults_are_deterministic() -> None:
    async def run() -> list[int]:
        async with simulator_client("demo", seed=1) as sim:
            sim.sim.limiter.enabled = False
            await sim.client.post("/_sim/faults", json={"throttle_rate": 0.2, "error_rate": 0.2})
            order = await place(sim, "MFN")
            h = sim.headers()
            return [(await sim.client.get(f"/orders/v0/orders/{order['amazonOrderId']}",
                                          headers=h)).status_code for _ in range(40)]

    first = await run()
    assert {429, 200} <= set(first) and ({500, 503} & set(first))
    assert await run() == first
