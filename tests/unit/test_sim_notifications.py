"""Notifications in the simulator: subscriptions, delivery to HTTP and SQS, faults."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from amazon_odoo_sync.sandbox.spapi.notifications import DeliveryRoutes, NotificationFaults
from amazon_odoo_sync.sandbox.spapi.selling import SellingSettings
from tests.unit.sim_selling_fixtures import SELLER, Sim, make_sim, place

N = "/notifications/v1"
ARN = "arn:aws:sqs:eu-west-1:123456789012:connector"


def _receiver() -> tuple[httpx.MockTransport, list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        got.append(json.loads(request.content))
        return httpx.Response(200)

    return httpx.MockTransport(handle), got


async def _subscribe(s: Sim, ntype: str, version: str = "1.0") -> str:
    r = await s.client.post(f"{N}/destinations", headers=s.h(grantless=True), json={
        "name": "conn", "resourceSpecification": {"sqs": {"arn": ARN}}})
    dest = r.json()["payload"]["destinationId"] if r.status_code == 200 else next(
        iter(s.svc.hub.destinations))
    r = await s.client.post(f"{N}/subscriptions/{ntype}", headers=s.h(),
                            json={"payloadVersion": version, "destinationId": dest})
    assert r.status_code == 200, r.text
    return str(r.json()["payload"]["subscriptionId"])


async def test_order_change_delivered_to_http_endpoint() -> None:
    transport, got = _receiver()
    s = make_sim(SellingSettings(notification_autostart=False,
                                 notification_routes=DeliveryRoutes(targets={ARN: "http://conn/n"})),
                 transport=transport)
    async with s.client:
        sub = await _subscribe(s, "ORDER_CHANGE")
        order = place(s.world, "MUG-1", 1)
        assert await s.svc.hub.deliver_due() == 1
    [n] = got
    assert n["NotificationType"] == "ORDER_CHANGE"
    assert n["NotificationMetadata"]["SubscriptionId"] == sub
    assert n["Payload"]["OrderChangeNotification"]["AmazonOrderId"] == order.amazon_order_id


async def test_duplicates_and_reordering_are_deterministic() -> None:
    placed: list[str] = []

    async def run() -> list[str]:
        placed.clear()
        transport, got = _receiver()
        s = make_sim(SellingSettings(
            notification_autostart=False,
            notification_routes=DeliveryRoutes(targets={ARN: "http://conn/n"}),
            notification_faults=NotificationFaults(duplicate_rate=0.5, reorder_rate=0.3, seed=3)),
            transport=transport)
        async with s.client:
            await _subscribe(s, "ORDER_CHANGE")
            for _ in range(10):
                placed.append(place(s.world, "MUG-1", 1).amazon_order_id)
            s.svc.hub.flush_held()
            await s.svc.hub.deliver_due()
        return [g["Payload"]["OrderChangeNotification"]["AmazonOrderId"] for g in got]

    first = await run()
    assert first == await run()
    assert len(first) > 10 and len(set(first)) == 10  # duplicates, nothing lost
    pos = [placed.index(oid) for oid in first]
    assert any(a > b for a, b in zip(pos, pos[1:], strict=False))  # some arrive out of order
    assert sorted(set(first)) == sorted(placed)


async def test_drop_and_delay_and_sqs_queue_roundtrip() -> None:
    s = make_sim(SellingSettings(notification_autostart=False, notification_faults=NotificationFaults(
        delay_rate=1.0, max_delay_seconds=120, seed=1)))
    async with s.client:
        await _subscribe(s, "FEED_PROCESSING_FINISHED", "2020-09-04")
        s.svc.hub.publish("FEED_PROCESSING_FINISHED", SELLER, {"feedProcessingFinishedNotification": {
            "accountId": "a", "feedId": "1", "feedType": "JSON_LISTINGS_FEED", "processingStatus": "DONE"}})
        await s.svc.hub.deliver_due()
        q = "/_sqs/123456789012/connector"
        r = await s.client.post(q, data={"Action": "ReceiveMessage"})
        assert "<Message>" not in r.text  # delayed
        s.world.clock.advance(121)
        await s.svc.hub.deliver_due()
        r = await s.client.post(q, headers={"x-amz-target": "AmazonSQS.ReceiveMessage"},
                                json={"MaxNumberOfMessages": 10})
        [msg] = r.json()["Messages"]
        assert json.loads(msg["Body"])["notificationType"] == "FEED_PROCESSING_FINISHED"
        r = await s.client.post(q, headers={"x-amz-target": "AmazonSQS.DeleteMessage"},
                                json={"ReceiptHandle": msg["ReceiptHandle"]})
        assert r.status_code == 200 and s.svc.hub.queues.depth("123456789012/connector") == 0
        s.svc.hub.configure(faults=NotificationFaults(drop_rate=1.0))
        assert s.svc.hub.publish("FEED_PROCESSING_FINISHED", SELLER, {}) == 0
        assert s.svc.hub.records[-1].outcome == "dropped"


async def test_sim_sqs_long_polls_counts_receives_and_deletes_in_batches() -> None:
    """What the connector's poller relies on, as real SQS does it: a long poll answers as soon as a
    message arrives; ApproximateReceiveCount counts deliveries; DeleteMessageBatch reports each entry."""
    s = make_sim(SellingSettings(notification_autostart=False))
    queues = s.svc.hub.queues
    q = "/_sqs/123456789012/connector"
    target = {"x-amz-target": "AmazonSQS.ReceiveMessage"}
    async with s.client:
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, queues.send, "123456789012/connector", "late")
        started = loop.time()
        r = await s.client.post(q, headers=target, json={"MaxNumberOfMessages": 10, "WaitTimeSeconds": 5,
                                                           "MessageSystemAttributeNames": ["ApproximateReceiveCount"]})
        waited = loop.time() - started
        [late] = r.json()["Messages"]
        assert late["Body"] == "late" and late["Attributes"] == {"ApproximateReceiveCount": "1"}
        assert 0.15 < waited < 2, waited  # woke up on the send, did not sit out the 5 s
        started = loop.time()
        r = await s.client.post(q, headers=target, json={"WaitTimeSeconds": 1})
        assert r.json()["Messages"] == [] and loop.time() - started >= 0.9  # nothing visible: waited

        queues.send("123456789012/connector", "second")
        s.world.clock.advance(31)  # the first one's visibility timeout ran out: it comes again
        r = await s.client.post(q, headers=target, json={"MaxNumberOfMessages": 10,
                                                           "MessageSystemAttributeNames": ["All"]})
        got = {m["Body"]: m for m in r.json()["Messages"]}
        assert got["late"]["Attributes"]["ApproximateReceiveCount"] == "2"
        assert got["second"]["Attributes"]["ApproximateReceiveCount"] == "1"
        assert set(got["second"]["Attributes"]) == {"ApproximateReceiveCount", "SentTimestamp",
                                                    "ApproximateFirstReceiveTimestamp"}
        r = await s.client.post(q, headers={"x-amz-target": "AmazonSQS.DeleteMessageBatch"}, json={"Entries": [
            {"Id": "0", "ReceiptHandle": got["late"]["ReceiptHandle"]},
            {"Id": "1", "ReceiptHandle": late["ReceiptHandle"]},  # an old handle of the same message
            {"Id": "2", "ReceiptHandle": got["second"]["ReceiptHandle"]}]})
        answer = r.json()
        assert [e["Id"] for e in answer["Successful"]] == ["0", "2"]
        assert [(e["Id"], e["Code"]) for e in answer["Failed"]] == [("1", "ReceiptHandleIsInvalid")]
        assert queues.depth("123456789012/connector") == 0


async def test_subscription_rules() -> None:
    s = make_sim()
    async with s.client:
        r = await s.client.post(f"{N}/destinations", headers=s.h(grantless=True), json={
            "name": "x", "resourceSpecification": {"sqs": {"arn": "not-an-arn"}}})
        assert r.status_code == 400
        await _subscribe(s, "ORDER_CHANGE")
        dest = next(iter(s.svc.hub.destinations))
        r = await s.client.post(f"{N}/subscriptions/ORDER_CHANGE", headers=s.h(),
                                json={"payloadVersion": "1.0", "destinationId": dest})
        assert r.status_code == 409
        r = await s.client.delete(f"{N}/destinations/{dest}", headers=s.h(grantless=True))
        assert r.status_code == 409
