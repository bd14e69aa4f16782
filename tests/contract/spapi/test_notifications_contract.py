"""Notifications API responses and delivered notifications validate against Amazon's schemas.

Amazon's LISTINGS_ITEM_STATUS_CHANGE schema enumerates ``NotificationType`` as
"LISTINGS_ITEM_STATUS_CHANGED" while its own example (and the subscription type) say
"LISTINGS_ITEM_STATUS_CHANGE"; the simulator sends the latter, and this test allows it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from amazon_odoo_sync.sandbox.spapi.notifications import DeliveryRoutes
from amazon_odoo_sync.sandbox.spapi.selling import SellingSettings
from tests.contract.spapi.schema import MODELS_DIR, validate_response
from tests.unit.sim_selling_fixtures import DE, SELLER, make_sim, place

pytestmark = pytest.mark.contract
M = "notifications.json"
N = "/notifications/v1"
ARN = "arn:aws:sqs:eu-west-1:123456789012:connector"
SCHEMAS = MODELS_DIR.parent / "schemas" / "notifications"
FILES = {"ORDER_CHANGE": "OrderChangeNotification.json",
         "FBA_INVENTORY_AVAILABILITY_CHANGES": "FBAInventoryAvailabilityChangeNotification.json",
         "LISTINGS_ITEM_STATUS_CHANGE": "ListingsItemStatusChangeNotification.json",
         "LISTINGS_ITEM_MFN_QUANTITY_CHANGE": "ListingsItemMfnQuantityChange.json",
         "FEED_PROCESSING_FINISHED": "FeedProcessingFinishedNotification.json",
         "REPORT_PROCESSING_FINISHED": "ReportProcessingFinishedNotification.json"}
VERSIONS = {"FEED_PROCESSING_FINISHED": "2020-09-04", "REPORT_PROCESSING_FINISHED": "2020-09-04"}


def _schema(ntype: str) -> dict[str, Any]:
    if not Path(SCHEMAS).is_dir():
        pytest.skip(f"{SCHEMAS} missing: notification schema checks skipped")
    schema: dict[str, Any] = json.loads((SCHEMAS / FILES[ntype]).read_text())
    if ntype == "LISTINGS_ITEM_STATUS_CHANGE":
        schema["properties"]["NotificationType"]["enum"].append("LISTINGS_ITEM_STATUS_CHANGE")
    return schema


async def test_api_and_every_delivered_notification_match_amazon() -> None:
    got: list[dict[str, Any]] = []
    transport = httpx.MockTransport(lambda req: (got.append(json.loads(req.content)),
                                                 httpx.Response(200))[1])
    s = make_sim(SellingSettings(notification_autostart=False,
                                 notification_routes=DeliveryRoutes(targets={ARN: "http://c/n"})),
                 transport=transport)
    async with s.client:
        r = await s.client.post(f"{N}/destinations", headers=s.h(True), json={
            "name": "c", "resourceSpecification": {"sqs": {"arn": ARN}}})
        validate_response(M, "createDestination", r.json())
        dest = r.json()["payload"]["destinationId"]
        validate_response(M, "getDestinations", (await s.client.get(f"{N}/destinations", headers=s.h(True))).json())
        validate_response(M, "getDestination", (await s.client.get(f"{N}/destinations/{dest}",
                                                                   headers=s.h(True))).json())
        for ntype in FILES:
            r = await s.client.post(f"{N}/subscriptions/{ntype}", headers=s.h(), json={
                "payloadVersion": VERSIONS.get(ntype, "1.0"), "destinationId": dest})
            validate_response(M, "createSubscription", r.json())
        r = await s.client.get(f"{N}/subscriptions/ORDER_CHANGE", headers=s.h())
        validate_response(M, "getSubscription", r.json())
        sid = r.json()["payload"]["subscriptionId"]
        validate_response(M, "getSubscriptionById", (await s.client.get(
            f"{N}/subscriptions/ORDER_CHANGE/{sid}", headers=s.h(True))).json())
        r = await s.client.post(f"{N}/subscriptions/ORDER_CHANGE", headers=s.h(), json={
            "payloadVersion": "1.0", "destinationId": dest})
        validate_response(M, "createSubscription", r.json(), status=409)
        # events of every kind
        place(s.world, "MUG-1", 5)       # order, MFN quantity 0 → status change
        place(s.world, "FBA-000", 1)     # FBA availability
        await s.client.post("/reports/2021-06-30/reports", headers=s.h(), json={
            "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [DE]})
        r = await s.client.post("/feeds/2021-06-30/documents", headers=s.h(), json={"contentType": "x"})
        await s.client.post("/feeds/2021-06-30/feeds", headers=s.h(), json={
            "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [DE],
            "inputFeedDocumentId": r.json()["feedDocumentId"]})
        s.world.clock.advance(200)
        s.svc.tick()
        await s.svc.hub.deliver_due()
        validate_response(M, "deleteSubscriptionById", (await s.client.delete(
            f"{N}/subscriptions/ORDER_CHANGE/{sid}", headers=s.h(True))).json())
    types = {n.get("NotificationType") or n.get("notificationType") for n in got}
    assert types == set(FILES), types
    for n in got:
        jsonschema.validate(n, _schema(n.get("NotificationType") or n["notificationType"]))
    assert SELLER in json.dumps(got[0])
