"""Listings Items responses of the simulator validate against Amazon's model."""

from __future__ import annotations

import pytest

from tests.contract.spapi.schema import validate_response
from tests.unit.sim_selling_fixtures import DE, SELLER, make_sim

pytestmark = pytest.mark.contract
M = "listingsItems_2021-08-01.json"
URL = f"/listings/2021-08-01/items/{SELLER}"
ALL = "summaries,attributes,issues,offers,fulfillmentAvailability,procurement,relationships,productTypes"


async def test_listings_operations_match_model() -> None:
    s = make_sim()
    async with s.client:
        for sku in ("MUG-1", "FBA-000"):
            r = await s.client.get(f"{URL}/{sku}", params={"marketplaceIds": DE, "includedData": ALL},
                                   headers=s.h())
            validate_response(M, "getListingsItem", r.json())
        r = await s.client.get(f"{URL}/NOPE", params={"marketplaceIds": DE}, headers=s.h())
        validate_response(M, "getListingsItem", r.json(), status=404)
        for q in (3, "x"):
            r = await s.client.patch(f"{URL}/MUG-1", params={"marketplaceIds": DE,
                                                             "includedData": "issues,identifiers"},
                                     headers=s.h(), json={"productType": "KITCHEN", "patches": [{
                                         "op": "replace", "path": "/attributes/fulfillment_availability",
                                         "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": q}]}]})
            validate_response(M, "patchListingsItem", r.json())
        r = await s.client.get(URL, params={"marketplaceIds": DE, "includedData": ALL, "pageSize": "2"},
                               headers=s.h())
        validate_response(M, "searchListingsItems", r.json())
