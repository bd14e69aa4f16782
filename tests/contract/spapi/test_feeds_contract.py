"""Feeds responses and the processing report validate against Amazon's model and schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.contract.spapi.schema import MODELS_DIR, validate_response
from tests.unit.sim_selling_fixtures import DE, SELLER, make_sim

pytestmark = pytest.mark.contract
M = "feeds_2021-06-30.json"
F = "/feeds/2021-06-30"
REPORT_SCHEMA = MODELS_DIR.parent / "schemas" / "feeds" / "listings-feed-processing-report-schema-v2.json"


def _report_schema() -> dict[str, object]:
    if not Path(REPORT_SCHEMA).is_file():
        pytest.skip(f"{REPORT_SCHEMA} missing: processing report check skipped")
    schema: dict[str, object] = json.loads(Path(REPORT_SCHEMA).read_text())
    return schema


async def test_feed_operations_and_report_match_amazon() -> None:
    s = make_sim()
    async with s.client:
        r = await s.client.post(f"{F}/documents", headers=s.h(), json={"contentType": "application/json"})
        validate_response(M, "createFeedDocument", r.json(), status=201)
        doc_id = r.json()["feedDocumentId"]
        await s.client.put(r.json()["url"], content=json.dumps({
            "header": {"sellerId": SELLER, "version": "2.0"},
            "messages": [{"messageId": 1, "sku": "MUG-1", "operationType": "DELETE"},
                         {"messageId": 2, "sku": "NOPE", "operationType": "DELETE"}]}).encode())
        r = await s.client.post(f"{F}/feeds", headers=s.h(), json={
            "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [DE], "inputFeedDocumentId": doc_id})
        validate_response(M, "createFeed", r.json(), status=202)
        fid = r.json()["feedId"]
        s.world.clock.advance(100)
        r = await s.client.get(f"{F}/feeds/{fid}", headers=s.h())
        validate_response(M, "getFeed", r.json())
        r2 = await s.client.get(f"{F}/feeds", headers=s.h(), params={"feedTypes": "JSON_LISTINGS_FEED"})
        validate_response(M, "getFeeds", r2.json())
        r3 = await s.client.get(f"{F}/documents/{r.json()['resultFeedDocumentId']}", headers=s.h())
        validate_response(M, "getFeedDocument", r3.json())
        report = (await s.client.get(r3.json()["url"])).json()
        r4 = await s.client.get(f"{F}/feeds/999", headers=s.h())
        validate_response(M, "getFeed", r4.json(), status=404)
        r5 = await s.client.delete(f"{F}/feeds/{fid}", headers=s.h())
        validate_response(M, "cancelFeed", r5.json(), status=400)
    jsonschema.validate(report, _report_schema())
    assert report["summary"]["messagesAccepted"] == 1
