"""getInventorySummaries responses of the simulator validate against Amazon's model."""

from __future__ import annotations

import pytest

from amazon_odoo_sync.sandbox.spapi.selling import SellingSettings
from tests.contract.spapi.schema import validate_response
from tests.unit.sim_selling_fixtures import DE, make_sim

pytestmark = pytest.mark.contract
BASE = {"granularityType": "Marketplace", "granularityId": DE, "marketplaceIds": DE}


async def test_inventory_summaries_match_model() -> None:
    s = make_sim(SellingSettings(notification_autostart=False, fba_page_size=2))
    async with s.client:
        for details in ("true", "false"):
            r = await s.client.get("/fba/inventory/v1/summaries", params=dict(BASE, details=details),
                                   headers=s.h())
            validate_response("fbaInventory.json", "getInventorySummaries", r.json())
        s.now[0] += 60
        r = await s.client.get("/fba/inventory/v1/summaries", headers=s.h(), params=dict(
            BASE, nextToken=r.json()["pagination"]["nextToken"]))
        assert r.status_code == 400
        validate_response("fbaInventory.json", "getInventorySummaries", r.json(), status=400)
