"""Reports responses of the simulator validate against Amazon's model."""

from __future__ import annotations

import pytest

from tests.contract.spapi.schema import validate_response
from tests.unit.sim_selling_fixtures import DE, make_sim

pytestmark = pytest.mark.contract
M = "reports_2021-06-30.json"
R = "/reports/2021-06-30"


async def test_report_operations_match_model() -> None:
    s = make_sim()
    async with s.client:
        r = await s.client.post(f"{R}/reports", headers=s.h(), json={
            "reportType": "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "marketplaceIds": [DE]})
        validate_response(M, "createReport", r.json(), status=202)
        rid = r.json()["reportId"]
        s.world.clock.advance(100)
        r = await s.client.get(f"{R}/reports/{rid}", headers=s.h())
        validate_response(M, "getReport", r.json())
        r2 = await s.client.get(f"{R}/reports", headers=s.h(),
                                params={"reportTypes": "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"})
        validate_response(M, "getReports", r2.json())
        r3 = await s.client.get(f"{R}/documents/{r.json()['reportDocumentId']}", headers=s.h())
        validate_response(M, "getReportDocument", r3.json())
        r4 = await s.client.post(f"{R}/reports", headers=s.h(), json={"reportType": "X", "marketplaceIds": [DE]})
        validate_response(M, "createReport", r4.json(), status=400)
        r5 = await s.client.get(f"{R}/reports/nope", headers=s.h())
        validate_response(M, "getReport", r5.json(), status=404)
