"""getInventorySummaries in the simulator: details, filters, pagination, expiring next tokens."""

from __future__ import annotations

from amazon_odoo_sync.sandbox.spapi.selling import SellingSettings
from tests.unit.sim_selling_fixtures import DE, SELLER, make_sim, place

URL = "/fba/inventory/v1/summaries"
BASE = {"granularityType": "Marketplace", "granularityId": DE, "marketplaceIds": DE}


async def test_pages_cover_everything_and_token_expires_after_ttl() -> None:
    s = make_sim(SellingSettings(notification_autostart=False, fba_page_size=2), n_fba=5)
    async with s.client:
        skus: list[str] = []
        params = dict(BASE, details="true")
        while True:
            body = (await s.client.get(URL, params=params, headers=s.h())).json()
            skus += [x["sellerSku"] for x in body["payload"]["inventorySummaries"]]
            assert all("inventoryDetails" in x for x in body["payload"]["inventorySummaries"])
            token = body.get("pagination", {}).get("nextToken")
            if not token:
                break
            params = dict(BASE, nextToken=token)
        assert skus == [f"FBA-{i:03d}" for i in range(5)]
        body = (await s.client.get(URL, params=BASE, headers=s.h())).json()
        token = body["pagination"]["nextToken"]
        s.now[0] += 31  # real seconds on the injected monotonic clock
        r = await s.client.get(URL, params=dict(BASE, nextToken=token), headers=s.h())
        assert r.status_code == 400
        assert r.json()["errors"][0]["code"] == "InvalidInput"
        assert "expired" in r.json()["errors"][0]["message"]


async def test_details_reflect_orders_and_filters() -> None:
    s = make_sim()
    async with s.client:
        place(s.world, "FBA-001", 3)
        body = (await s.client.get(URL, params=dict(BASE, details="true", sellerSkus="FBA-001"),
                                   headers=s.h())).json()
        [row] = body["payload"]["inventorySummaries"]
        d = row["inventoryDetails"]
        assert d["fulfillableQuantity"] == 8
        assert d["reservedQuantity"]["pendingCustomerOrderQuantity"] == 3
        assert row["totalQuantity"] == 8 + 3 + 2 + 1
        s.world.clock.advance(60)
        since = s.world.clock.now().isoformat()
        s.world.adjust_fba_inventory(SELLER, DE, "FBA-002", inbound_shipped=-2, fulfillable=2)
        body = (await s.client.get(URL, params=dict(BASE, startDateTime=since), headers=s.h())).json()
        assert [x["sellerSku"] for x in body["payload"]["inventorySummaries"]] == ["FBA-002"]
        assert "inventoryDetails" not in body["payload"]["inventorySummaries"][0]
        r = await s.client.get(URL, params=dict(BASE, granularityType="Country"), headers=s.h())
        assert r.status_code == 400
