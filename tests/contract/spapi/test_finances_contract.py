"""Finances v0 responses of the simulator validate against Amazon's model; the settlement report
is listed and downloaded through the Reports API like any report."""

from __future__ import annotations

import pytest

from amazon_odoo_sync.sandbox.spapi.finances import SETTLEMENT_REPORT_TYPE
from amazon_odoo_sync.sandbox.spapi.testing import simulator_client
from tests.contract.spapi.schema import validate_response

pytestmark = pytest.mark.contract
M = "financesV0.json"
F = "/finances/v0"


async def test_finances_operations_match_model() -> None:
    async with simulator_client("demo", seed=3, rate_limits=False) as sim:
        sim.world.clock.advance(15 * 86400)
        h = sim.headers("A2SIMDEMOEU01")
        r = await sim.client.get(f"{F}/financialEventGroups", headers=h,
                                 params={"MaxResultsPerPage": 2})
        assert r.status_code == 200, r.text
        validate_response(M, "listFinancialEventGroups", r.json())
        payload = r.json()["payload"]
        assert len(payload["FinancialEventGroupList"]) == 2 and payload["NextToken"]
        r = await sim.client.get(f"{F}/financialEventGroups", headers=h,
                                 params={"NextToken": payload["NextToken"]})
        validate_response(M, "listFinancialEventGroups", r.json())
        groups = payload["FinancialEventGroupList"] + r.json()["payload"]["FinancialEventGroupList"]
        statuses = {g["ProcessingStatus"] for g in groups}
        assert statuses == {"Open", "Closed"}
        closed = next(g for g in groups if g["ProcessingStatus"] == "Closed"
                      and g["OriginalTotal"]["CurrencyCode"] == "EUR")
        assert closed["FundTransferDate"] and closed["ConvertedTotal"]["CurrencyCode"] == "EUR"
        pages, token = 0, None
        while True:
            params: dict[str, str | int] = {"NextToken": token} if token else {"MaxResultsPerPage": 7}
            r = await sim.client.get(
                f"{F}/financialEventGroups/{closed['FinancialEventGroupId']}/financialEvents",
                headers=h, params=params)
            assert r.status_code == 200, r.text
            validate_response(M, "listFinancialEventsByGroupId", r.json())
            pages += 1
            token = r.json()["payload"].get("NextToken")
            if not token:
                break
        assert pages > 1
        r = await sim.client.get(f"{F}/financialEventGroups/nope/financialEvents", headers=h)
        assert r.status_code == 404
        validate_response(M, "listFinancialEventsByGroupId", r.json(), status=404)
        r = await sim.client.get(f"{F}/financialEventGroups", headers=h,
                                 params={"MaxResultsPerPage": 0})
        assert r.status_code == 400
        validate_response(M, "listFinancialEventGroups", r.json(), status=400)

        reports = await sim.client.get("/reports/2021-06-30/reports", headers=h,
                                       params={"reportTypes": SETTLEMENT_REPORT_TYPE})
        validate_response("reports_2021-06-30.json", "getReports", reports.json())
        listed = reports.json()["reports"]
        assert listed and all(r["processingStatus"] == "DONE" for r in listed)
        doc = await sim.client.get(f"/reports/2021-06-30/documents/{listed[0]['reportDocumentId']}",
                                   headers=h)
        validate_response("reports_2021-06-30.json", "getReportDocument", doc.json())
