"""Feeds in the simulator: upload, process after a delay, per-message report, cancel."""

from __future__ import annotations

import gzip
import json

from tests.unit.sim_selling_fixtures import DE, SELLER, make_sim

FEEDS = "/feeds/2021-06-30"


def _msg(mid: int, sku: str, qty: object) -> dict[str, object]:
    return {"messageId": mid, "sku": sku, "operationType": "PATCH", "productType": "KITCHEN",
            "patches": [{"op": "replace", "path": "/attributes/fulfillment_availability",
                         "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": qty}]}]}


async def _submit(s, doc: bytes) -> str:  # type: ignore[no-untyped-def]
    r = await s.client.post(f"{FEEDS}/documents", headers=s.h(),
                            json={"contentType": "application/json; charset=UTF-8"})
    assert r.status_code == 201
    up = await s.client.put(r.json()["url"], content=doc)
    assert up.status_code == 200
    r = await s.client.post(f"{FEEDS}/feeds", headers=s.h(), json={
        "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [DE],
        "inputFeedDocumentId": r.json()["feedDocumentId"]})
    assert r.status_code == 202
    return str(r.json()["feedId"])


async def test_mixed_feed_applies_good_messages_and_reports_bad_ones() -> None:
    s = make_sim()
    feed = {"header": {"sellerId": SELLER, "version": "2.0"}, "messages": [
        _msg(1, "MUG-1", 42),
        _msg(2, "NOPE", 3),                      # unknown SKU
        _msg(3, "MUG-1", "many"),                # bad attribute value
        {"messageId": 4, "sku": "MUG-1"},        # malformed: no operationType
    ]}
    async with s.client:
        fid = await _submit(s, json.dumps(feed).encode())
        assert (await s.client.get(f"{FEEDS}/feeds/{fid}", headers=s.h())).json()[
            "processingStatus"] == "IN_QUEUE"
        assert s.world.offer(SELLER, DE, "MUG-1").quantity == 5  # type: ignore[union-attr]
        s.world.clock.advance(30 + 60)
        got = (await s.client.get(f"{FEEDS}/feeds/{fid}", headers=s.h())).json()
        assert got["processingStatus"] == "DONE"
        assert s.world.offer(SELLER, DE, "MUG-1").quantity == 42  # type: ignore[union-attr]
        doc = (await s.client.get(f"{FEEDS}/documents/{got['resultFeedDocumentId']}",
                                  headers=s.h())).json()
        report = (await s.client.get(doc["url"])).json()
    assert report["summary"] == {"errors": 3, "warnings": 0, "messagesProcessed": 4,
                                 "messagesAccepted": 1, "messagesInvalid": 3}
    assert sorted({i["messageId"] for i in report["issues"]}) == [2, 3, 4]
    assert all(i["severity"] == "ERROR" and i["message"] for i in report["issues"])
    assert report["header"]["feedId"] == fid


async def test_gzip_feed_and_fatal_on_garbage() -> None:
    s = make_sim()
    async with s.client:
        good = await _submit(s, gzip.compress(json.dumps({
            "header": {"sellerId": SELLER, "version": "2.0"}, "messages": [_msg(1, "MUG-1", 7)]}).encode()))
        bad = await _submit(s, b"not json")
        s.world.clock.advance(200)
        assert (await s.client.get(f"{FEEDS}/feeds/{good}", headers=s.h())).json()["processingStatus"] == "DONE"
        assert (await s.client.get(f"{FEEDS}/feeds/{bad}", headers=s.h())).json()["processingStatus"] == "FATAL"
    assert s.world.offer(SELLER, DE, "MUG-1").quantity == 7  # type: ignore[union-attr]


async def test_cancel_only_in_queue_and_slow_processing_fault() -> None:
    s = make_sim()
    doc = json.dumps({"header": {"sellerId": SELLER, "version": "2.0"},
                      "messages": [_msg(1, "MUG-1", 1)]}).encode()
    async with s.client:
        fid = await _submit(s, doc)
        assert (await s.client.delete(f"{FEEDS}/feeds/{fid}", headers=s.h())).status_code == 200
        assert (await s.client.get(f"{FEEDS}/feeds/{fid}", headers=s.h())).json()["processingStatus"] == "CANCELLED"
        s.world.clock.advance(500)
        assert s.world.offer(SELLER, DE, "MUG-1").quantity == 5  # type: ignore[union-attr]
        s.svc.feeds.processing_seconds_provider = lambda: 3600.0  # slow feed processing
        fid2 = await _submit(s, doc)
        s.world.clock.advance(31)
        assert (await s.client.get(f"{FEEDS}/feeds/{fid2}", headers=s.h())).json()["processingStatus"] == "IN_PROGRESS"
        r = await s.client.delete(f"{FEEDS}/feeds/{fid2}", headers=s.h())
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == "InvalidInput"
        s.world.clock.advance(3600)
        assert (await s.client.get(f"{FEEDS}/feeds/{fid2}", headers=s.h())).json()["processingStatus"] == "DONE"
        listed = (await s.client.get(f"{FEEDS}/feeds", headers=s.h(), params={
            "feedTypes": "JSON_LISTINGS_FEED", "pageSize": "1"})).json()
        assert len(listed["feeds"]) == 1 and "nextToken" in listed
        more = (await s.client.get(f"{FEEDS}/feeds", headers=s.h(),
                                   params={"nextToken": listed["nextToken"]})).json()
        assert {listed["feeds"][0]["feedId"], more["feeds"][0]["feedId"]} == {fid, fid2}
