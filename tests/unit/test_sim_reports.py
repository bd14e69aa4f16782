"""Reports in the simulator: flat files with Amazon's columns, gzip for large documents."""

from __future__ import annotations

import csv
import gzip
import io

from amazon_odoo_sync.sandbox.spapi.reports import ReportSettings
from amazon_odoo_sync.sandbox.spapi.selling import SellingSettings
from tests.unit.sim_selling_fixtures import DE, make_sim, place

R = "/reports/2021-06-30"


async def _run(s, rtype: str) -> tuple[dict, bytes]:  # type: ignore[no-untyped-def, type-arg]
    r = await s.client.post(f"{R}/reports", headers=s.h(), json={"reportType": rtype,
                                                                  "marketplaceIds": [DE]})
    assert r.status_code == 202
    rid = r.json()["reportId"]
    assert (await s.client.get(f"{R}/reports/{rid}", headers=s.h())).json()["processingStatus"] == "IN_QUEUE"
    s.world.clock.advance(120)
    rep = (await s.client.get(f"{R}/reports/{rid}", headers=s.h())).json()
    assert rep["processingStatus"] == "DONE"
    doc = (await s.client.get(f"{R}/documents/{rep['reportDocumentId']}", headers=s.h())).json()
    raw = (await s.client.get(doc["url"])).content
    return doc, raw


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


async def test_order_report_lists_orders_and_gzip_roundtrip() -> None:
    s = make_sim(SellingSettings(notification_autostart=False,
                                 reports=ReportSettings(gzip_over_bytes=100)))
    async with s.client:
        o1 = place(s.world, "MUG-1", 2)
        o2 = place(s.world, "FBA-001", 1)
        doc, raw = await _run(s, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL")
    assert doc["compressionAlgorithm"] == "GZIP"
    rows = _rows(gzip.decompress(raw).decode())
    assert {r["amazon-order-id"] for r in rows} == {o1.amazon_order_id, o2.amazon_order_id}
    mug = next(r for r in rows if r["sku"] == "MUG-1")
    assert mug["quantity"] == "2" and mug["fulfillment-channel"] == "Merchant"
    assert mug["currency"] == "EUR"


async def test_fba_and_listings_reports_uncompressed_when_small() -> None:
    s = make_sim()
    async with s.client:
        doc, raw = await _run(s, "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA")
        assert "compressionAlgorithm" not in doc
        fba = _rows(raw.decode())
        assert {r["sku"]: r["afn-fulfillable-quantity"] for r in fba} == {
            "FBA-000": "10", "FBA-001": "11", "FBA-002": "12"}
        _, raw = await _run(s, "GET_MERCHANT_LISTINGS_ALL_DATA")
    listings = _rows(raw.decode())
    mug = next(r for r in listings if r["seller-sku"] == "MUG-1")
    assert mug["quantity"] == "5" and mug["status"] == "Active" and mug["price"] == "12.50"


async def test_unsupported_type_400_and_cancel() -> None:
    s = make_sim()
    async with s.client:
        r = await s.client.post(f"{R}/reports", headers=s.h(), json={"reportType": "GET_NOTHING",
                                                                      "marketplaceIds": [DE]})
        assert r.status_code == 400
        r = await s.client.post(f"{R}/reports", headers=s.h(), json={
            "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [DE]})
        rid = r.json()["reportId"]
        assert (await s.client.delete(f"{R}/reports/{rid}", headers=s.h())).status_code == 200
        got = (await s.client.get(f"{R}/reports", headers=s.h(), params={
            "reportTypes": "GET_MERCHANT_LISTINGS_ALL_DATA", "processingStatuses": "CANCELLED"})).json()
        assert [x["reportId"] for x in got["reports"]] == [rid]
