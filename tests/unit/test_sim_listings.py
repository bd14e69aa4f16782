"""Listings Items in the simulator: PATCH sets FBM quantity/price, orders decrement, oversell."""

from __future__ import annotations

from decimal import Decimal

from amazon_odoo_sync.sandbox.spapi.listings import interpret_patches
from tests.unit.sim_selling_fixtures import DE, SELLER, make_sim, place

URL = f"/listings/2021-08-01/items/{SELLER}"


def _qty_patch(q: object) -> dict[str, object]:
    return {"productType": "KITCHEN", "patches": [{
        "op": "replace", "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": q}]}]}


async def test_patch_sets_quantity_orders_decrement_and_oversell_at_zero() -> None:
    s = make_sim()
    async with s.client:
        r = await s.client.patch(f"{URL}/MUG-1", params={"marketplaceIds": DE}, headers=s.h(),
                                 json=_qty_patch(2))
        assert r.status_code == 200 and r.json()["status"] == "ACCEPTED"
        assert s.world.offer(SELLER, DE, "MUG-1").quantity == 2  # type: ignore[union-attr]
        place(s.world, "MUG-1", 2)
        r = await s.client.get(f"{URL}/MUG-1", headers=s.h(), params={
            "marketplaceIds": DE, "includedData": "fulfillmentAvailability,summaries"})
        assert r.json()["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT",
                                                        "quantity": 0}]
        assert r.json()["summaries"][0]["status"] == ["DISCOVERABLE"]
        assert s.world.oversells == []
        order = place(s.world, "MUG-1", 1)
        assert [o.amazon_order_id for o in s.world.oversells] == [order.amazon_order_id]


async def test_patch_price_and_bad_input_become_issues_not_changes() -> None:
    s = make_sim()
    async with s.client:
        r = await s.client.patch(f"{URL}/MUG-1", params={"marketplaceIds": DE}, headers=s.h(), json={
            "productType": "KITCHEN", "patches": [{"op": "replace", "path": "/attributes/purchasable_offer",
                                                   "value": [{"currency": "EUR", "our_price": [
                                                       {"schedule": [{"value_with_tax": 15.99}]}]}]}]})
        assert r.json()["status"] == "ACCEPTED"
        assert s.world.offer(SELLER, DE, "MUG-1").price == Decimal("15.99")  # type: ignore[union-attr]
        r = await s.client.patch(f"{URL}/MUG-1", params={"marketplaceIds": DE}, headers=s.h(),
                                 json=_qty_patch(-3))
        body = r.json()
        assert body["status"] == "INVALID" and body["issues"][0]["severity"] == "ERROR"
        assert s.world.offer(SELLER, DE, "MUG-1").quantity == 5  # type: ignore[union-attr]
        r = await s.client.patch(f"{URL}/NOPE", params={"marketplaceIds": DE}, headers=s.h(),
                                 json=_qty_patch(1))
        assert r.json()["status"] == "INVALID"
        r = await s.client.patch(f"{URL}/FBA-000", params={"marketplaceIds": DE}, headers=s.h(),
                                 json=_qty_patch(1))
        assert r.json()["status"] == "INVALID" and r.json()["issues"][0]["code"] == "8560"
        r = await s.client.patch(f"{URL}/MUG-1", params={"marketplaceIds": DE, "mode": "VALIDATION_PREVIEW"},
                                 headers=s.h(), json=_qty_patch(9))
        assert r.json()["status"] == "VALID"
        assert s.world.offer(SELLER, DE, "MUG-1").quantity == 5  # type: ignore[union-attr]


async def test_get_unknown_sku_404_and_search_paginates() -> None:
    s = make_sim(n_fba=5)
    async with s.client:
        r = await s.client.get(f"{URL}/NOPE", params={"marketplaceIds": DE}, headers=s.h())
        assert r.status_code == 404
        seen: list[str] = []
        params = {"marketplaceIds": DE, "pageSize": "4", "sortBy": "sku", "sortOrder": "ASC"}
        while True:
            body = (await s.client.get(URL, params=params, headers=s.h())).json()
            seen += [i["sku"] for i in body["items"]]
            token = body.get("pagination", {}).get("nextToken")
            if not token:
                break
            params["pageToken"] = token
        assert seen == sorted(seen) and len(seen) == body["numberOfResults"] == 6


def test_interpret_patches_delete_and_unknown_op() -> None:
    change, issues = interpret_patches([{"op": "delete", "path": "/attributes/fulfillment_availability"}],
                                       currency="EUR")
    assert change.quantity == 0 and issues == []
    _, issues = interpret_patches([{"op": "move", "path": "/attributes/x", "value": []}], currency="EUR")
    assert issues and issues[0].severity == "ERROR"
